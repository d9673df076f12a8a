//! What a deploy will do to each resource: compare the template's function or layer with what the
//! server has (GetFunction, the latest layer version), say create / update / unchanged (the request
//! bodies that get there are `lamina_template::requests`).

use std::collections::BTreeMap;
use std::io::{self, Write};

use lamina_model::wire::{GetFunctionOutput, LayerVersionOutput};

use super::code::Package;
use lamina_template::resources::{FunctionSpec, LayerSpec};

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
pub(crate) fn diff_function(
    spec: &FunctionSpec,
    package: &Package,
    existing: &GetFunctionOutput,
) -> FunctionDiff {
    let conf = &existing.configuration;
    let mut diff = FunctionDiff::default();
    match package.sha256() {
        Some(sha) if sha == conf.code_sha256 => {}
        Some(_) => diff.code.push("code"),
        // Only the server could hash an S3 object: it is sent again.
        None => diff.code.push("code (from S3)"),
    }
    if conf.architectures.first().map(String::as_str) != Some(spec.architecture.as_str()) {
        diff.code.push("Architectures");
    }
    let mut changed = |differs: bool, name: &'static str| {
        if differs {
            diff.configuration.push(name);
        }
    };
    changed(spec.runtime.is_some() && spec.runtime != conf.runtime, "Runtime");
    changed(spec.handler.is_some() && spec.handler != conf.handler, "Handler");
    changed(spec.description != conf.description, "Description");
    changed(spec.role.as_deref().is_some_and(|r| r != conf.role), "Role");
    changed(spec.memory_size != u64::from(conf.memory_size), "MemorySize");
    changed(spec.timeout != u64::from(conf.timeout), "Timeout");
    changed(
        spec.ephemeral_storage != u64::from(conf.ephemeral_storage.size),
        "EphemeralStorage",
    );
    let environment: BTreeMap<String, String> = conf
        .environment
        .iter()
        .flat_map(|e| &e.variables)
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    changed(spec.environment != environment, "Environment");
    let layers: Vec<&str> = conf.layers.iter().map(|l| l.arn.as_str()).collect();
    changed(spec.layers != layers, "Layers");
    let reserved = existing
        .concurrency
        .as_ref()
        .and_then(|c| c.reserved_concurrent_executions)
        .map(u64::from);
    diff.concurrency = spec.reserved_concurrency != reserved;
    diff
}

/// The latest version of a layer, as the server has it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LayerVersion {
    pub(crate) version: u64,
    pub(crate) arn: String,
    /// GetLayerVersion's answer.
    pub(crate) details: LayerVersionOutput,
}

/// Whether the latest version already is what the template describes (same content, same metadata).
pub(crate) fn layer_is_current(spec: &LayerSpec, package: &Package, latest: &LayerVersion) -> bool {
    let d = &latest.details;
    let listed = |values: &Option<Vec<String>>| values.clone().unwrap_or_default();
    package.sha256() == Some(d.content.code_sha256.as_str())
        && d.description.as_deref().unwrap_or_default() == spec.description
        && d.license_info == spec.license_info
        && listed(&d.compatible_runtimes) == spec.compatible_runtimes
        && listed(&d.compatible_architectures) == spec.compatible_architectures
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
    use lamina_model::Architecture;
    use lamina_template::resources::CodeSource;
    use serde_json::{Value, json};

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

    /// GetFunction's answer, as the server renders it, read back into the typed shape.
    fn existing() -> GetFunctionOutput {
        from(existing_json())
    }

    fn existing_json() -> Value {
        json!({"Configuration": {
            "FunctionName": "hello", "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:hello",
            "Runtime": "provided.al2023", "Handler": "bootstrap", "Description": "",
            "Role": "arn:aws:iam::000000000000:role/HelloRole", "CodeSize": 2, "MemorySize": 128, "Timeout": 3,
            "LastModified": "2026-01-12T15:31:24.123+0000", "Version": "$LATEST",
            "TracingConfig": {"Mode": "PassThrough"}, "RevisionId": "r", "PackageType": "Zip",
            "EphemeralStorage": {"Size": 512}, "Architectures": ["x86_64"], "CodeSha256": "abc",
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/hello"},
            "State": "Active", "LastUpdateStatus": "Successful"
        }, "Code": {"RepositoryType": "S3", "Location": "http://127.0.0.1:9001/code"}})
    }

    fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
        serde_json::from_value(value).expect("the API's shape")
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
        let mut with_env = existing_json();
        with_env["Configuration"]["Environment"] = json!({"Variables": {"A": "1"}});
        with_env["Concurrency"] = json!({"ReservedConcurrentExecutions": 5});
        let with_env: GetFunctionOutput = from(with_env);
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
            details: from(json!({
                "Content": {"Location": "http://127.0.0.1:9001/code", "CodeSha256": "abc", "CodeSize": 2},
                "LayerArn": "arn:aws:lambda:us-east-1:000000000000:layer:shared",
                "LayerVersionArn": "arn:aws:lambda:us-east-1:000000000000:layer:shared:3",
                "Description": "libs", "CreatedDate": "2026-01-12T15:31:24.123+0000",
                "CompatibleRuntimes": ["provided.al2023"], "Version": 3
            })),
        };
        assert!(layer_is_current(&spec, &zip("abc"), &latest));
        assert!(!layer_is_current(&spec, &zip("def"), &latest));
        let mut described = spec.clone();
        described.description = "other".into();
        assert!(!layer_is_current(&described, &zip("abc"), &latest));
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
