//! From template resources to what the Lambda API is asked for: SAM's and CloudFormation's property
//! names (`CodeUri`, `Code.S3Bucket`, `ContentUri`, ...), SAM's `Globals`, defaults, and physical
//! names.
//!
//! Physical names: CloudFormation would name an unnamed function `<stack>-<LogicalId>-<random>`;
//! lamina uses the explicit `FunctionName` / `LayerName` property, else the logical id, so that a
//! second deploy finds what the first one created without keeping any state of its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lamina_model::Architecture;

use super::intrinsics::Context;
use super::node::{Key, Node, Pos, TemplateError, Value};

/// The resource types lamina deploys as functions.
pub const FUNCTION_TYPES: [&str; 2] = ["AWS::Serverless::Function", "AWS::Lambda::Function"];
/// The resource types lamina deploys as layer versions.
pub const LAYER_TYPES: [&str; 2] = ["AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"];

/// Inline code (`Code.ZipFile`, `InlineCode`) is limited to 4 MB, as in CloudFormation.
pub const INLINE_CODE_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Properties read for each function type; anything else is reported as ignored.
const FUNCTION_PROPERTIES: &[&str] = &[
    "FunctionName",
    "Runtime",
    "Handler",
    "Description",
    "Role",
    "Architectures",
    "MemorySize",
    "Timeout",
    "Environment",
    "EphemeralStorage",
    "Layers",
    "ReservedConcurrentExecutions",
    "PackageType",
];
/// Properties read for each layer type; anything else is reported as ignored.
const LAYER_PROPERTIES: &[&str] = &[
    "LayerName",
    "Description",
    "CompatibleRuntimes",
    "CompatibleArchitectures",
    "LicenseInfo",
    "RetentionPolicy",
];

/// What lamina does with a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A function.
    Function,
    /// A layer version.
    Layer,
    /// Something lamina does not deploy.
    Other,
}

/// One entry of the `Resources` section.
#[derive(Debug, Clone)]
pub struct Resource<'t> {
    /// The logical id.
    pub logical_id: String,
    /// `Type`.
    pub type_name: String,
    /// What lamina does with it.
    pub kind: Kind,
    /// The resource's mapping.
    pub node: &'t Node,
    /// Where the logical id was written.
    pub pos: Pos,
    /// `Condition`, if any.
    pub condition: Option<String>,
}

impl Resource<'_> {
    /// The properties as written (with `Globals` merged in for SAM functions).
    fn properties(&self, globals: Option<&Node>) -> Result<Node, TemplateError> {
        let own = match self.node.get("Properties") {
            Some(p) => {
                p.expect_map("Properties")?;
                p.clone()
            }
            None => Node::new(Value::Map(Vec::new()), self.pos),
        };
        let global = globals
            .filter(|_| self.type_name == "AWS::Serverless::Function")
            .and_then(|g| g.get("Function"));
        Ok(match global {
            Some(global) => merge_globals(global, &own),
            None => own,
        })
    }

    /// The physical name: `FunctionName` or `LayerName`, else the name generated for it
    /// ([`Context::generated_names`]), else the logical id.
    pub fn physical_name(&self, ctx: &Context) -> Result<String, TemplateError> {
        match self.name_property() {
            Some(name) => ctx.eval_string(name, self.name_property_key()),
            None => Ok(ctx
                .generated_names
                .get(&self.logical_id)
                .cloned()
                .unwrap_or_else(|| self.logical_id.clone())),
        }
    }

    /// Whether the template names the resource itself (`FunctionName`, `LayerName`).
    pub fn is_named(&self) -> bool {
        self.name_property().is_some()
    }

    /// The property that names the resource, for the types that have one.
    fn name_property_key(&self) -> &'static str {
        match (self.kind, self.type_name.as_str()) {
            (Kind::Layer, _) => "LayerName",
            (Kind::Function, _) => "FunctionName",
            (_, "AWS::S3::Bucket") => "BucketName",
            (_, "AWS::IAM::Role") => "RoleName",
            (_, "AWS::Logs::LogGroup") => "LogGroupName",
            (_, "AWS::SSM::Parameter") => "Name",
            _ => "",
        }
    }

    fn name_property(&self) -> Option<&Node> {
        match self.name_property_key() {
            "" => None,
            key => self.node.get("Properties")?.get(key),
        }
    }

    fn metadata(&self, key: &str) -> Option<&str> {
        self.node.get("Metadata")?.get(key)?.as_scalar()
    }
}

/// The resources of a template, in the order written.
pub fn list(root: &Node) -> Result<Vec<Resource<'_>>, TemplateError> {
    let section = root
        .get("Resources")
        .ok_or_else(|| root.error("the template has no Resources section"))?;
    let mut out = Vec::new();
    for (key, node) in section.expect_map("Resources")? {
        node.expect_map(&format!("resource '{}'", key.name))?;
        let type_name = node
            .get("Type")
            .ok_or_else(|| TemplateError::new(key.pos, format!("resource '{}' has no Type", key.name)))?
            .expect_str("Type")?
            .to_owned();
        let kind = if FUNCTION_TYPES.contains(&type_name.as_str()) {
            Kind::Function
        } else if LAYER_TYPES.contains(&type_name.as_str()) {
            Kind::Layer
        } else {
            Kind::Other
        };
        let condition = match node.get("Condition") {
            Some(c) => Some(c.expect_str("Condition")?.to_owned()),
            None => None,
        };
        out.push(Resource {
            logical_id: key.name.clone(),
            type_name,
            kind,
            node,
            pos: key.pos,
            condition,
        });
    }
    Ok(out)
}

/// SAM's rules for `Globals`: the resource's value wins over the global one, mappings are merged key
/// by key, lists are concatenated (globals first); an intrinsic function counts as a plain value.
pub fn merge_globals(global: &Node, own: &Node) -> Node {
    match (&global.value, &own.value) {
        (Value::Map(g), Value::Map(o)) if global.intrinsic().is_none() && own.intrinsic().is_none() => {
            let mut out: Vec<(Key, Node)> = Vec::with_capacity(g.len() + o.len());
            for (key, value) in g {
                match o.iter().find(|(k, _)| k.name == key.name) {
                    Some((own_key, own_value)) => {
                        out.push((own_key.clone(), merge_globals(value, own_value)))
                    }
                    None => out.push((key.clone(), value.clone())),
                }
            }
            for (key, value) in o {
                if !g.iter().any(|(k, _)| k.name == key.name) {
                    out.push((key.clone(), value.clone()));
                }
            }
            Node::new(Value::Map(out), own.pos)
        }
        (Value::Seq(g), Value::Seq(o)) => {
            Node::new(Value::Seq(g.iter().chain(o).cloned().collect()), own.pos)
        }
        _ => own.clone(),
    }
}

/// Where a function's or layer's code comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeSource {
    /// A folder: built with lamina's Go build (`Metadata.BuildMethod: go1.x` and Go sources in it),
    /// else zipped as it is.
    Folder {
        /// The folder.
        path: PathBuf,
        /// Build it with `go build` first.
        go_build: bool,
    },
    /// A zip file, sent as it is.
    Zip(PathBuf),
    /// An object in S3.
    S3 {
        /// `S3Bucket`.
        bucket: String,
        /// `S3Key`.
        key: String,
        /// `S3ObjectVersion`.
        version: Option<String>,
    },
    /// Inline source (`Code.ZipFile`, `InlineCode`), zipped as `file_name`.
    Inline {
        /// The name in the zip (`index.py`, `index.js`).
        file_name: String,
        /// The source text.
        source: String,
    },
}

/// A function as the Lambda API sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The logical id.
    pub logical_id: String,
    /// The function's name.
    pub name: String,
    /// `Runtime`.
    pub runtime: Option<String>,
    /// `Handler`.
    pub handler: Option<String>,
    /// `Description` (`""` when absent, as Lambda reports it).
    pub description: String,
    /// `Role`, when given.
    pub role: Option<String>,
    /// The one architecture of `Architectures` (`x86_64` when absent).
    pub architecture: Architecture,
    /// `MemorySize` (128 when absent).
    pub memory_size: u64,
    /// `Timeout` (3 when absent).
    pub timeout: u64,
    /// `Environment.Variables` (none when absent).
    pub environment: BTreeMap<String, String>,
    /// `EphemeralStorage.Size` (512 when absent).
    pub ephemeral_storage: u64,
    /// `Layers`: layer version ARNs.
    pub layers: Vec<String>,
    /// `ReservedConcurrentExecutions`; `None` removes a reservation.
    pub reserved_concurrency: Option<u64>,
    /// The code.
    pub code: CodeSource,
    /// Properties of the template lamina does not apply.
    pub ignored: Vec<String>,
}

/// A layer version as the Lambda API sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSpec {
    /// The logical id.
    pub logical_id: String,
    /// The layer's name.
    pub name: String,
    /// `Description` (`""` when absent).
    pub description: String,
    /// `CompatibleRuntimes`.
    pub compatible_runtimes: Vec<String>,
    /// `CompatibleArchitectures`.
    pub compatible_architectures: Vec<String>,
    /// `LicenseInfo`.
    pub license_info: Option<String>,
    /// The content.
    pub content: CodeSource,
    /// Properties of the template lamina does not apply.
    pub ignored: Vec<String>,
}

/// Evaluated properties, read by name with positions for errors.
struct Properties {
    node: Node,
    at: Pos,
}

impl Properties {
    fn evaluate(
        resource: &Resource<'_>,
        globals: Option<&Node>,
        ctx: &Context,
    ) -> Result<Self, TemplateError> {
        let written = resource.properties(globals)?;
        let node = ctx
            .eval(&written)?
            .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), resource.pos));
        Ok(Properties {
            node,
            at: resource.pos,
        })
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.node.get(key).filter(|n| n.value != Value::Null)
    }

    fn string(&self, key: &str) -> Result<Option<String>, TemplateError> {
        self.get(key)
            .map(|n| n.expect_str(key).map(str::to_owned))
            .transpose()
    }

    fn number(&self, key: &str) -> Result<Option<u64>, TemplateError> {
        self.get(key).map(|n| whole_number(n, key)).transpose()
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, TemplateError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(n) => n
                .expect_seq(key)?
                .iter()
                .map(|i| i.expect_str(&format!("each item of {key}")).map(str::to_owned))
                .collect(),
        }
    }

    fn ignored(&self, handled: &[&str]) -> Vec<String> {
        self.node
            .as_map()
            .unwrap_or_default()
            .iter()
            .map(|(k, _)| k.name.clone())
            .filter(|k| !handled.contains(&k.as_str()))
            .collect()
    }
}

fn whole_number(node: &Node, key: &str) -> Result<u64, TemplateError> {
    let text = node.expect_str(key)?;
    text.trim()
        .parse()
        .map_err(|_| node.error(format!("{key} must be a whole number; got '{text}'")))
}

/// Translates a function resource.
pub fn function(
    resource: &Resource<'_>,
    globals: Option<&Node>,
    ctx: &Context,
    template_dir: &Path,
) -> Result<FunctionSpec, TemplateError> {
    let props = Properties::evaluate(resource, globals, ctx)?;
    let sam = resource.type_name == "AWS::Serverless::Function";
    if let Some(package_type) = props.string("PackageType")?
        && package_type != "Zip"
    {
        return Err(props.get("PackageType").map_or_else(
            || TemplateError::new(props.at, ""),
            |n| {
                n.error(format!(
                    "lamina deploys Zip functions only, not PackageType {package_type}"
                ))
            },
        ));
    }
    let runtime = props.string("Runtime")?;
    let architecture = match props.get("Architectures") {
        None => Architecture::X86_64,
        Some(node) => match node.expect_seq("Architectures")? {
            [one] => {
                let text = one.expect_str("Architectures")?;
                text.parse::<Architecture>()
                    .map_err(|_| one.error(format!("unknown architecture '{text}': use x86_64 or arm64")))?
            }
            _ => return Err(node.error("Architectures must list exactly one architecture (x86_64 or arm64)")),
        },
    };
    let environment = match props.get("Environment").and_then(|e| e.get("Variables")) {
        None => BTreeMap::new(),
        Some(vars) => {
            let mut out = BTreeMap::new();
            for (key, value) in vars.expect_map("Environment.Variables")? {
                let text = match &value.value {
                    Value::Scalar(s) => s.clone(),
                    Value::Null => String::new(),
                    _ => {
                        return Err(value.error(format!(
                            "the value of environment variable {} must be a string",
                            key.name
                        )));
                    }
                };
                out.insert(key.name.clone(), text);
            }
            out
        }
    };
    let ephemeral_storage = match props.get("EphemeralStorage") {
        None => 512,
        Some(node) => match node.get("Size") {
            Some(size) => whole_number(size, "EphemeralStorage.Size")?,
            None => return Err(node.error("EphemeralStorage needs a Size")),
        },
    };
    let (code, code_keys): (CodeSource, &[&str]) = if sam {
        let code = match (props.get("InlineCode"), props.get("CodeUri")) {
            (Some(inline), None) => inline_code(inline, runtime.as_deref(), "InlineCode")?,
            (None, Some(uri)) => code_uri(uri, "CodeUri", template_dir, resource.metadata("BuildMethod"))?,
            (Some(inline), Some(_)) => {
                return Err(inline.error("give either InlineCode or CodeUri, not both"));
            }
            (None, None) => {
                return Err(TemplateError::new(
                    resource.pos,
                    format!(
                        "function '{}' has no code: add CodeUri (a folder, a .zip or s3://bucket/key) or InlineCode",
                        resource.logical_id
                    ),
                ));
            }
        };
        (code, &["CodeUri", "InlineCode"])
    } else {
        let node = props.get("Code").ok_or_else(|| {
            TemplateError::new(
                resource.pos,
                format!("function '{}' has no Code", resource.logical_id),
            )
        })?;
        let code = match &node.value {
            // `aws cloudformation package` and `sam deploy` read a local path here.
            Value::Scalar(_) => code_uri(node, "Code", template_dir, resource.metadata("BuildMethod"))?,
            _ => match node.get("ZipFile") {
                Some(zip_file) => inline_code(zip_file, runtime.as_deref(), "Code.ZipFile")?,
                None => s3_location(node, "Code", ("S3Bucket", "S3Key", "S3ObjectVersion"))?,
            },
        };
        (code, &["Code"])
    };
    let handled: Vec<&str> = FUNCTION_PROPERTIES.iter().chain(code_keys).copied().collect();
    Ok(FunctionSpec {
        logical_id: resource.logical_id.clone(),
        name: resource.physical_name(ctx)?,
        runtime,
        handler: props.string("Handler")?,
        description: props.string("Description")?.unwrap_or_default(),
        role: props.string("Role")?,
        architecture,
        memory_size: props.number("MemorySize")?.unwrap_or(128),
        timeout: props.number("Timeout")?.unwrap_or(3),
        environment,
        ephemeral_storage,
        layers: props.strings("Layers")?,
        reserved_concurrency: props.number("ReservedConcurrentExecutions")?,
        code,
        ignored: props.ignored(&handled),
    })
}

/// Translates a layer resource.
pub fn layer(
    resource: &Resource<'_>,
    ctx: &Context,
    template_dir: &Path,
) -> Result<LayerSpec, TemplateError> {
    let props = Properties::evaluate(resource, None, ctx)?;
    let (content, content_key) = if resource.type_name == "AWS::Serverless::LayerVersion" {
        let uri = props.get("ContentUri").ok_or_else(|| {
            TemplateError::new(
                resource.pos,
                format!("layer '{}' has no ContentUri", resource.logical_id),
            )
        })?;
        // A layer's BuildMethod names a language toolchain lamina does not run: its folder is zipped as is.
        (code_uri(uri, "ContentUri", template_dir, None)?, "ContentUri")
    } else {
        let node = props.get("Content").ok_or_else(|| {
            TemplateError::new(
                resource.pos,
                format!("layer '{}' has no Content", resource.logical_id),
            )
        })?;
        let content = match &node.value {
            Value::Scalar(_) => code_uri(node, "Content", template_dir, None)?,
            _ => s3_location(node, "Content", ("S3Bucket", "S3Key", "S3ObjectVersion"))?,
        };
        (content, "Content")
    };
    let handled: Vec<&str> = LAYER_PROPERTIES.iter().copied().chain([content_key]).collect();
    Ok(LayerSpec {
        logical_id: resource.logical_id.clone(),
        name: resource.physical_name(ctx)?,
        description: props.string("Description")?.unwrap_or_default(),
        compatible_runtimes: props.strings("CompatibleRuntimes")?,
        compatible_architectures: props.strings("CompatibleArchitectures")?,
        license_info: props.string("LicenseInfo")?,
        content,
        ignored: props.ignored(&handled),
    })
}

/// `CodeUri` / `ContentUri`: a local folder or zip (relative to the template's folder), `s3://bucket/key`,
/// or `{Bucket, Key, Version}`.
fn code_uri(
    node: &Node,
    key: &str,
    template_dir: &Path,
    build_method: Option<&str>,
) -> Result<CodeSource, TemplateError> {
    if node.as_map().is_some() {
        return s3_location(node, key, ("Bucket", "Key", "Version"));
    }
    let uri = node.expect_str(key)?;
    if let Some(rest) = uri.strip_prefix("s3://") {
        let (bucket, key_and_query) = rest
            .split_once('/')
            .ok_or_else(|| node.error(format!("{key} '{uri}' must be s3://bucket/key")))?;
        let (object_key, version) = match key_and_query.split_once("?versionId=") {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (key_and_query, None),
        };
        if bucket.is_empty() || object_key.is_empty() {
            return Err(node.error(format!("{key} '{uri}' must be s3://bucket/key")));
        }
        return Ok(CodeSource::S3 {
            bucket: bucket.to_owned(),
            key: object_key.to_owned(),
            version,
        });
    }
    let path = template_dir.join(uri);
    if path.is_dir() {
        let go_build = match build_method {
            Some("go1.x") => has_go_sources(&path),
            _ => false,
        };
        Ok(CodeSource::Folder { path, go_build })
    } else if path.is_file() {
        Ok(CodeSource::Zip(path))
    } else {
        Err(node.error(format!("{key} '{uri}': {} does not exist", path.display())))
    }
}

/// Whether a folder holds Go sources (what `sam build` writes for a go1.x function holds only
/// `bootstrap`: that is deployed as it is).
fn has_go_sources(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "go"))
    })
}

/// `{S3Bucket, S3Key, S3ObjectVersion}` (or SAM's `{Bucket, Key, Version}`).
fn s3_location(node: &Node, key: &str, names: (&str, &str, &str)) -> Result<CodeSource, TemplateError> {
    let (b, k, v) = names;
    let field = |name: &str| -> Result<Option<String>, TemplateError> {
        node.get(name)
            .map(|n| n.expect_str(&format!("{key}.{name}")).map(str::to_owned))
            .transpose()
    };
    match (field(b)?, field(k)?) {
        (Some(bucket), Some(object_key)) => Ok(CodeSource::S3 {
            bucket,
            key: object_key,
            version: field(v)?,
        }),
        _ => {
            if node.get("ImageUri").is_some() {
                return Err(node.error("lamina deploys Zip functions only, not container images (ImageUri)"));
            }
            Err(node.error(format!("{key} needs {b} and {k}")))
        }
    }
}

/// `Code.ZipFile` / `InlineCode`: CloudFormation writes the source as `index.js` (Node.js) or
/// `index.py` (Python) and zips it; it is not meaningful for other runtimes.
fn inline_code(node: &Node, runtime: Option<&str>, key: &str) -> Result<CodeSource, TemplateError> {
    let source = node.expect_str(key)?.to_owned();
    if source.len() > INLINE_CODE_MAX_BYTES {
        return Err(node.error(format!(
            "{key} is {} bytes; inline code is limited to {INLINE_CODE_MAX_BYTES} bytes (4 MB): use CodeUri or S3",
            source.len()
        )));
    }
    let file_name = match runtime {
        Some(r) if r.starts_with("nodejs") => "index.js",
        Some(r) if r.starts_with("python") => "index.py",
        other => {
            return Err(node.error(format!(
                "{key} (inline code) works for Node.js and Python runtimes only, not {}: point CodeUri at a folder or a .zip",
                other.unwrap_or("a function without Runtime")
            )));
        }
    };
    Ok(CodeSource::Inline {
        file_name: file_name.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;

    fn translate(yaml: &str, dir: &Path) -> Result<Vec<FunctionSpec>, TemplateError> {
        let root = parse(yaml)?;
        let ctx = Context::default();
        let globals = root.get("Globals");
        list(&root)?
            .iter()
            .filter(|r| r.kind == Kind::Function)
            .map(|r| function(r, globals, &ctx, dir))
            .collect()
    }

    /// `Resources:` over `entries` indented below it.
    fn resources_section(entries: &str) -> String {
        let mut out = "Resources:\n".to_owned();
        for line in entries.lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    #[test]
    fn merges_globals_as_sam_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("src")).expect("mkdir");
        let specs = translate(
            "Globals:\n  Function:\n    Runtime: provided.al2023\n    Timeout: 10\n    MemorySize: 256\n    \
             Layers: [arn:l1]\n    Environment:\n      Variables:\n        A: global\n        B: global\n\
             Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      \
             Handler: bootstrap\n      Timeout: 20\n      Layers: [arn:l2]\n      Environment:\n        Variables:\n          \
             B: own\n          C: own\n  G:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      \
             Handler: index.handler\n      Code:\n        ZipFile: print(1)\n",
            dir.path(),
        )
        .expect("translate");
        let f = &specs[0];
        assert_eq!(f.name, "F");
        assert_eq!(f.runtime.as_deref(), Some("provided.al2023"));
        assert_eq!((f.timeout, f.memory_size, f.ephemeral_storage), (20, 256, 512));
        assert_eq!(f.layers, ["arn:l1", "arn:l2"]);
        assert_eq!(
            f.environment,
            BTreeMap::from([
                ("A".into(), "global".into()),
                ("B".into(), "own".into()),
                ("C".into(), "own".into())
            ])
        );
        assert_eq!(
            f.code,
            CodeSource::Folder {
                path: dir.path().join("src"),
                go_build: false
            }
        );
        // Globals apply to SAM functions only.
        let g = &specs[1];
        assert_eq!((g.timeout, g.memory_size), (3, 128));
        assert_eq!(
            g.code,
            CodeSource::Inline {
                file_name: "index.py".into(),
                source: "print(1)".into()
            }
        );
    }

    #[test]
    fn reads_every_code_source() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("go")).expect("mkdir");
        std::fs::write(dir.path().join("go/main.go"), "package main").expect("write");
        std::fs::create_dir(dir.path().join("built")).expect("mkdir");
        std::fs::write(dir.path().join("built/bootstrap"), "x").expect("write");
        std::fs::write(dir.path().join("f.zip"), "PK").expect("write");
        let specs = translate(
            &resources_section(
                "A:\n  Type: AWS::Serverless::Function\n  Metadata:\n    BuildMethod: go1.x\n  Properties:\n    CodeUri: go\n    Architectures: [arm64]\n\
             B:\n  Type: AWS::Serverless::Function\n  Metadata:\n    BuildMethod: go1.x\n  Properties:\n    CodeUri: built\n\
             C:\n  Type: AWS::Serverless::Function\n  Properties:\n    CodeUri: f.zip\n\
             D:\n  Type: AWS::Serverless::Function\n  Properties:\n    CodeUri: s3://bucket/path/f.zip?versionId=v1\n\
             E:\n  Type: AWS::Serverless::Function\n  Properties:\n    CodeUri: {Bucket: b, Key: k}\n\
             F:\n  Type: AWS::Lambda::Function\n  Properties:\n    Code: {S3Bucket: b, S3Key: k, S3ObjectVersion: v}\n    FunctionName: named\n\
             G:\n  Type: AWS::Serverless::Function\n  Properties:\n    Runtime: nodejs22.x\n    InlineCode: exports.handler = 1\n",
            ),
            dir.path(),
        )
        .expect("translate");
        assert_eq!(
            specs[0].code,
            CodeSource::Folder {
                path: dir.path().join("go"),
                go_build: true
            }
        );
        assert_eq!(specs[0].architecture, Architecture::Arm64);
        assert_eq!(
            specs[1].code,
            CodeSource::Folder {
                path: dir.path().join("built"),
                go_build: false
            }
        );
        assert_eq!(specs[2].code, CodeSource::Zip(dir.path().join("f.zip")));
        assert_eq!(
            specs[3].code,
            CodeSource::S3 {
                bucket: "bucket".into(),
                key: "path/f.zip".into(),
                version: Some("v1".into())
            }
        );
        assert_eq!(
            specs[4].code,
            CodeSource::S3 {
                bucket: "b".into(),
                key: "k".into(),
                version: None
            }
        );
        assert_eq!(
            specs[5].code,
            CodeSource::S3 {
                bucket: "b".into(),
                key: "k".into(),
                version: Some("v".into())
            }
        );
        assert_eq!(specs[5].name, "named");
        assert_eq!(
            specs[6].code,
            CodeSource::Inline {
                file_name: "index.js".into(),
                source: "exports.handler = 1".into()
            }
        );
    }

    #[test]
    fn bad_properties_name_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (yaml, line, message) in [
            (
                "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: provided.al2023\n      Code:\n        ZipFile: echo\n",
                7,
                "works for Node.js and Python runtimes only",
            ),
            (
                "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: missing\n",
                5,
                "does not exist",
            ),
            (
                "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      InlineCode: x\n      Runtime: python3.12\n      MemorySize: lots\n",
                7,
                "MemorySize must be a whole number; got 'lots'",
            ),
            (
                "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      InlineCode: x\n      Runtime: python3.12\n      Architectures: [sparc]\n",
                7,
                "unknown architecture 'sparc'",
            ),
            (
                "Resources:\n  F:\n    Type: AWS::Serverless::Function\n",
                2,
                "has no code",
            ),
        ] {
            let err = translate(yaml, dir.path()).expect_err(message);
            assert_eq!(err.pos.line, line, "{message}: {err}");
            assert!(err.message.contains(message), "{err}");
        }
        let big = "x".repeat(INLINE_CODE_MAX_BYTES + 1);
        let yaml = format!(
            "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Code:\n        ZipFile: {big}\n"
        );
        let err = translate(&yaml, dir.path()).expect_err("too big");
        assert!(err.message.contains("limited to 4194304 bytes"), "{err}");
    }

    #[test]
    fn lists_ignored_properties_and_layers() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("layer")).expect("mkdir");
        let root = parse(
            "Resources:\n  L:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      LayerName: shared\n      \
             ContentUri: layer\n      CompatibleRuntimes: [provided.al2023]\n      Foo: 1\n  \
             M:\n    Type: AWS::Lambda::LayerVersion\n    Properties:\n      Content: {S3Bucket: b, S3Key: k}\n  \
             Q:\n    Type: AWS::SQS::Queue\n",
        )
        .expect("parse");
        let resources = list(&root).expect("list");
        assert_eq!(
            resources.iter().map(|r| r.kind).collect::<Vec<_>>(),
            [Kind::Layer, Kind::Layer, Kind::Other]
        );
        let ctx = Context::default();
        let l = layer(&resources[0], &ctx, dir.path()).expect("layer");
        assert_eq!(l.name, "shared");
        assert_eq!(l.compatible_runtimes, ["provided.al2023"]);
        assert_eq!(l.ignored, ["Foo"]);
        let m = layer(&resources[1], &ctx, dir.path()).expect("layer");
        assert_eq!(m.name, "M");
        assert!(matches!(m.content, CodeSource::S3 { .. }));
    }
}
