//! What a deploy will do to each resource: compare the template's function or layer with what the
//! server has (GetFunction, the latest layer version), say create / update / unchanged, and write the
//! request bodies that get there.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::code::Package;
use crate::template::resources::{FunctionSpec, LayerSpec};

/// What happens to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Created.
    Create,
    /// Updated; the list says what changes.
    Update(Vec<&'static str>),
    /// Left as it is.
    Unchanged,
}

impl Action {
    pub(crate) fn verb(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update(_) => "update",
            Action::Unchanged => "unchanged",
        }
    }
}

/// What differs between a function of the template and GetFunction's answer for it. `code` covers the
/// package and the architecture (both changed by UpdateFunctionCode); `concurrency` the reservation;
/// the rest are UpdateFunctionConfiguration's members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FunctionDiff {
    pub(crate) code: Vec<&'static str>,
    pub(crate) configuration: Vec<&'static str>,
    pub(crate) concurrency: bool,
}

impl FunctionDiff {
    pub(crate) fn action(&self) -> Action {
        let mut changes: Vec<&'static str> = self.code.clone();
        changes.extend(&self.configuration);
        if self.concurrency {
            changes.push("ReservedConcurrentExecutions");
        }
        if changes.is_empty() {
            Action::Unchanged
        } else {
            Action::Update(changes)
        }
    }
}

/// Compares `spec` (with its `package`) with `existing` (GetFunction's answer).
pub(crate) fn diff_function(spec: &FunctionSpec, package: &Package, existing: &Value) -> FunctionDiff {
    let conf = &existing["Configuration"];
    let text = |key: &str| conf[key].as_str().unwrap_or_default();
    let number = |value: &Value, default: u64| value.as_u64().unwrap_or(default);
    let mut diff = FunctionDiff::default();
    match package.sha256() {
        Some(sha) if sha == text("CodeSha256") => {}
        Some(_) => diff.code.push("code"),
        // Only the server could hash an S3 object: it is sent again.
        None => diff.code.push("code (from S3)"),
    }
    let architecture = conf["Architectures"][0].as_str().unwrap_or("x86_64");
    if architecture != spec.architecture.as_str() {
        diff.code.push("Architectures");
    }
    let mut changed = |differs: bool, name: &'static str| {
        if differs {
            diff.configuration.push(name);
        }
    };
    changed(
        spec.runtime.as_deref().is_some_and(|r| r != text("Runtime")),
        "Runtime",
    );
    changed(
        spec.handler.as_deref().is_some_and(|h| h != text("Handler")),
        "Handler",
    );
    changed(spec.description != text("Description"), "Description");
    changed(spec.role.as_deref().is_some_and(|r| r != text("Role")), "Role");
    changed(spec.memory_size != number(&conf["MemorySize"], 128), "MemorySize");
    changed(spec.timeout != number(&conf["Timeout"], 3), "Timeout");
    changed(
        spec.ephemeral_storage != number(&conf["EphemeralStorage"]["Size"], 512),
        "EphemeralStorage",
    );
    let environment: BTreeMap<String, String> = conf["Environment"]["Variables"]
        .as_object()
        .map(|vars| {
            vars.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    changed(spec.environment != environment, "Environment");
    let layers: Vec<&str> = conf["Layers"]
        .as_array()
        .map(|layers| layers.iter().filter_map(|l| l["Arn"].as_str()).collect())
        .unwrap_or_default();
    changed(spec.layers != layers, "Layers");
    diff.concurrency =
        spec.reserved_concurrency != existing["Concurrency"]["ReservedConcurrentExecutions"].as_u64();
    diff
}

/// UpdateFunctionConfiguration's body: every member the template controls, so that a value removed
/// from the template goes back to Lambda's default, as with CloudFormation.
pub(crate) fn configuration_body(spec: &FunctionSpec) -> Value {
    let mut body = json!({
        "Description": spec.description,
        "MemorySize": spec.memory_size,
        "Timeout": spec.timeout,
        "Environment": { "Variables": spec.environment },
        "EphemeralStorage": { "Size": spec.ephemeral_storage },
        "Layers": spec.layers,
    });
    if let Some(runtime) = &spec.runtime {
        body["Runtime"] = json!(runtime);
    }
    if let Some(handler) = &spec.handler {
        body["Handler"] = json!(handler);
    }
    if let Some(role) = &spec.role {
        body["Role"] = json!(role);
    }
    body
}

/// CreateFunction's body; `default_role` stands for `Role` when the template has none.
pub(crate) fn create_body(spec: &FunctionSpec, package: &Package, default_role: &str) -> Value {
    let mut body = configuration_body(spec);
    body["FunctionName"] = json!(spec.name);
    body["Role"] = json!(spec.role.as_deref().unwrap_or(default_role));
    body["Code"] = package.members();
    body["Architectures"] = json!([spec.architecture.as_str()]);
    if spec.environment.is_empty() {
        body.as_object_mut().map(|b| b.remove("Environment"));
    }
    if spec.layers.is_empty() {
        body.as_object_mut().map(|b| b.remove("Layers"));
    }
    body
}

/// UpdateFunctionCode's body.
pub(crate) fn code_body(spec: &FunctionSpec, package: &Package) -> Value {
    let mut body = package.members();
    body["Architectures"] = json!([spec.architecture.as_str()]);
    body
}

/// The latest version of a layer, as the server has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerVersion {
    pub(crate) version: u64,
    pub(crate) arn: String,
    /// GetLayerVersion's answer.
    pub(crate) details: Value,
}

/// Whether the latest version already is what the template describes (same content, same metadata).
pub(crate) fn layer_is_current(spec: &LayerSpec, package: &Package, latest: &LayerVersion) -> bool {
    let d = &latest.details;
    let strings = |key: &str| -> Vec<String> {
        d[key]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    package
        .sha256()
        .is_some_and(|sha| Some(sha) == d["Content"]["CodeSha256"].as_str())
        && d["Description"].as_str().unwrap_or_default() == spec.description
        && d["LicenseInfo"].as_str() == spec.license_info.as_deref()
        && strings("CompatibleRuntimes") == spec.compatible_runtimes
        && strings("CompatibleArchitectures") == spec.compatible_architectures
}

/// PublishLayerVersion's body.
pub(crate) fn publish_body(spec: &LayerSpec, package: &Package) -> Value {
    let mut body = json!({
        "Content": package.members(),
        "Description": spec.description,
    });
    if !spec.compatible_runtimes.is_empty() {
        body["CompatibleRuntimes"] = json!(spec.compatible_runtimes);
    }
    if !spec.compatible_architectures.is_empty() {
        body["CompatibleArchitectures"] = json!(spec.compatible_architectures);
    }
    if let Some(license) = &spec.license_info {
        body["LicenseInfo"] = json!(license);
    }
    body
}

/// One line of the plan table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) action: String,
    pub(crate) logical_id: String,
    pub(crate) type_name: String,
    pub(crate) name: String,
    pub(crate) details: String,
}

/// Prints the plan as aligned columns.
pub(crate) fn print_table(out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
    let width = |f: fn(&Row) -> &str, title: &str| rows.iter().map(|r| f(r).len()).chain([title.len()]).max();
    let w = [
        width(|r| &r.action, "ACTION").unwrap_or_default(),
        width(|r| &r.logical_id, "RESOURCE").unwrap_or_default(),
        width(|r| &r.type_name, "TYPE").unwrap_or_default(),
        width(|r| &r.name, "NAME").unwrap_or_default(),
    ];
    let line = |out: &mut dyn Write, cells: [&str; 5]| -> io::Result<()> {
        let text = format!(
            "  {:<a$}  {:<b$}  {:<c$}  {:<d$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3]
        );
        writeln!(out, "{}", text.trim_end())
    };
    line(out, ["ACTION", "RESOURCE", "TYPE", "NAME", "DETAILS"])?;
    for row in rows {
        line(
            out,
            [
                &row.action,
                &row.logical_id,
                &row.type_name,
                &row.name,
                &row.details,
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::resources::CodeSource;
    use lamina_model::Architecture;

    fn spec() -> FunctionSpec {
        FunctionSpec {
            logical_id: "Hello".into(),
            name: "hello".into(),
            runtime: Some("provided.al2023".into()),
            handler: Some("bootstrap".into()),
            description: String::new(),
            role: None,
            architecture: Architecture::X86_64,
            memory_size: 128,
            timeout: 3,
            environment: BTreeMap::new(),
            ephemeral_storage: 512,
            layers: Vec::new(),
            reserved_concurrency: None,
            code: CodeSource::Zip("f.zip".into()),
            ignored: Vec::new(),
        }
    }

    fn zip(sha: &str) -> Package {
        Package::Zip {
            bytes: b"PK".to_vec(),
            sha256: sha.into(),
        }
    }

    fn existing() -> Value {
        json!({"Configuration": {
            "FunctionName": "hello", "Runtime": "provided.al2023", "Handler": "bootstrap", "Description": "",
            "Role": "arn:aws:iam::000000000000:role/HelloRole", "MemorySize": 128, "Timeout": 3,
            "EphemeralStorage": {"Size": 512}, "Architectures": ["x86_64"], "CodeSha256": "abc"
        }})
    }

    #[test]
    fn same_function_is_unchanged() {
        assert_eq!(
            diff_function(&spec(), &zip("abc"), &existing()).action(),
            Action::Unchanged
        );
    }

    #[test]
    fn names_what_changes() {
        let mut s = spec();
        s.environment.insert("A".into(), "1".into());
        s.timeout = 10;
        s.architecture = Architecture::Arm64;
        s.reserved_concurrency = Some(5);
        let diff = diff_function(&s, &zip("def"), &existing());
        assert_eq!(diff.code, ["code", "Architectures"]);
        assert_eq!(diff.configuration, ["Timeout", "Environment"]);
        assert!(diff.concurrency);
        assert_eq!(
            diff.action(),
            Action::Update(vec![
                "code",
                "Architectures",
                "Timeout",
                "Environment",
                "ReservedConcurrentExecutions"
            ])
        );
        let mut with_env = existing();
        with_env["Configuration"]["Environment"] = json!({"Variables": {"A": "1"}});
        with_env["Concurrency"] = json!({"ReservedConcurrentExecutions": 5});
        let mut s = spec();
        s.environment.insert("A".into(), "1".into());
        s.reserved_concurrency = Some(5);
        assert_eq!(
            diff_function(&s, &zip("abc"), &with_env).action(),
            Action::Unchanged
        );
        // Removing the reservation from the template removes it from the function.
        assert!(diff_function(&spec(), &zip("abc"), &with_env).concurrency);
    }

    #[test]
    fn s3_code_is_always_sent() {
        let s3 = Package::S3 {
            bucket: "b".into(),
            key: "k".into(),
            version: None,
        };
        assert_eq!(diff_function(&spec(), &s3, &existing()).code, ["code (from S3)"]);
    }

    #[test]
    fn writes_the_request_bodies() {
        let mut s = spec();
        s.layers = vec!["arn:aws:lambda:us-east-1:000000000000:layer:shared:1".into()];
        let body = create_body(&s, &zip("abc"), "arn:aws:iam::000000000000:role/HelloRole");
        assert_eq!(
            body,
            json!({
                "FunctionName": "hello", "Role": "arn:aws:iam::000000000000:role/HelloRole",
                "Runtime": "provided.al2023", "Handler": "bootstrap", "Description": "", "MemorySize": 128,
                "Timeout": 3, "EphemeralStorage": {"Size": 512}, "Architectures": ["x86_64"],
                "Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:shared:1"],
                "Code": {"ZipFile": "UEs="}
            })
        );
        let body = configuration_body(&spec());
        assert_eq!(
            body["Environment"],
            json!({"Variables": {}}),
            "clears removed variables"
        );
        assert_eq!(body["Layers"], json!([]), "clears removed layers");
        assert_eq!(
            code_body(&spec(), &zip("abc")),
            json!({"ZipFile": "UEs=", "Architectures": ["x86_64"]})
        );
    }

    #[test]
    fn layers_are_published_when_content_or_metadata_differ() {
        let spec = LayerSpec {
            logical_id: "Shared".into(),
            name: "shared".into(),
            description: "libs".into(),
            compatible_runtimes: vec!["provided.al2023".into()],
            compatible_architectures: vec![],
            license_info: None,
            content: CodeSource::Zip("l.zip".into()),
            ignored: vec![],
        };
        let latest = LayerVersion {
            version: 3,
            arn: "arn:aws:lambda:us-east-1:000000000000:layer:shared:3".into(),
            details: json!({
                "Content": {"CodeSha256": "abc", "CodeSize": 2}, "Description": "libs",
                "CompatibleRuntimes": ["provided.al2023"], "Version": 3
            }),
        };
        assert!(layer_is_current(&spec, &zip("abc"), &latest));
        assert!(!layer_is_current(&spec, &zip("def"), &latest));
        let mut described = spec.clone();
        described.description = "other".into();
        assert!(!layer_is_current(&described, &zip("abc"), &latest));
        assert_eq!(
            publish_body(&spec, &zip("abc")),
            json!({"Content": {"ZipFile": "UEs="}, "Description": "libs", "CompatibleRuntimes": ["provided.al2023"]})
        );
    }

    #[test]
    fn prints_aligned_columns() {
        let rows = vec![
            Row {
                action: "create".into(),
                logical_id: "Hello".into(),
                type_name: "AWS::Serverless::Function".into(),
                name: "hello".into(),
                details: String::new(),
            },
            Row {
                action: "skipped".into(),
                logical_id: "Queue".into(),
                type_name: "AWS::SQS::Queue".into(),
                name: "-".into(),
                details: "not deployed by lamina".into(),
            },
        ];
        let mut out = Vec::new();
        print_table(&mut out, &rows).expect("print");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "  ACTION   RESOURCE  TYPE                       NAME   DETAILS\n\
             \x20 create   Hello     AWS::Serverless::Function  hello\n\
             \x20 skipped  Queue     AWS::SQS::Queue            -      not deployed by lamina\n"
        );
    }
}
