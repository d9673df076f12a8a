//! What a template asks for, evaluated with `lamina-template`: each included resource as lamina makes it
//! (a function, a layer version, or a resource only recorded), with a fingerprint that tells whether an
//! update changes it, and the outputs. Evaluation is synchronous and owns its results, so the
//! provisioning that follows holds no borrow of the template across its waits.

use std::collections::HashMap;
use std::path::Path;

use lamina_template::Template;
use lamina_template::intrinsics::Pseudo;
use lamina_template::resources::{self, CodeSource, FunctionSpec, Kind, LayerSpec};

use crate::record::{Known, OutputRecord};

/// Types lamina records without making anything: their `Ref` and `Fn::GetAtt` values resolve, and nothing
/// enforces them (IAM is not evaluated by lamina).
const RECORDED: &[&str] = &[
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::InstanceProfile",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SSM::Parameter",
    "AWS::CDK::Metadata",
    "AWS::CloudFormation::WaitConditionHandle",
];

/// The resources of a function lamina makes through the engine's sub-resource operations, in the order
/// they are made (a version before the alias that points to it, both before what names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SubKind {
    /// `AWS::Lambda::Version`: PublishVersion.
    Version,
    /// `AWS::Lambda::Alias`: CreateAlias, UpdateAlias.
    Alias,
    /// `AWS::Lambda::Permission`: AddPermission.
    Permission,
    /// `AWS::Lambda::EventInvokeConfig`: PutFunctionEventInvokeConfig.
    EventInvokeConfig,
    /// `AWS::Lambda::Url`: CreateFunctionUrlConfig, UpdateFunctionUrlConfig.
    Url,
}

impl SubKind {
    /// The kind of a resource type, if lamina makes it.
    pub(crate) fn of(type_name: &str) -> Option<SubKind> {
        Some(match type_name {
            "AWS::Lambda::Version" => SubKind::Version,
            "AWS::Lambda::Alias" => SubKind::Alias,
            "AWS::Lambda::Permission" => SubKind::Permission,
            "AWS::Lambda::EventInvokeConfig" => SubKind::EventInvokeConfig,
            "AWS::Lambda::Url" => SubKind::Url,
            _ => return None,
        })
    }
}

/// What lamina does for one resource.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Making {
    /// A Lambda function (`AWS::Lambda::Function`, `AWS::Serverless::Function`).
    Function(Box<FunctionSpec>),
    /// A layer version (`AWS::Lambda::LayerVersion`, `AWS::Serverless::LayerVersion`).
    Layer(LayerSpec),
    /// A bucket of lamina's S3 (`AWS::S3::Bucket`), versioned when the template says so.
    Bucket { name: String, versioned: bool },
    /// A version, alias, permission, event invoke config or URL of a function, with its properties
    /// evaluated (as JSON, the template's scalars still text).
    Sub {
        kind: SubKind,
        properties: serde_json::Value,
    },
    /// Nothing: the resource is recorded under `physical_id`; `note` says why when lamina does not
    /// serve its type at all.
    Recorded {
        physical_id: String,
        note: Option<String>,
    },
}

/// One resource the template asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wanted {
    pub(crate) logical_id: String,
    pub(crate) type_name: String,
    pub(crate) making: Making,
    /// `DeletionPolicy: Retain`: the resource outlives its removal from the stack.
    pub(crate) retain: bool,
}

impl Wanted {
    /// What the resource is made from: equal fingerprints need no update.
    pub(crate) fn fingerprint(&self) -> String {
        match &self.making {
            Making::Function(spec) => format!("{spec:?}"),
            Making::Layer(spec) => format!("{spec:?}"),
            Making::Sub { kind, properties } => format!("{kind:?}:{properties}"),
            Making::Recorded { physical_id, .. } => format!("{}:{physical_id}", self.type_name),
            Making::Bucket { name, versioned } => format!("bucket:{name}:{versioned}"),
        }
    }
}

/// A template evaluated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Desired {
    /// Its `Description`.
    pub(crate) description: Option<String>,
    /// Recorded resources first, then layers, then functions, then the functions' versions, aliases,
    /// permissions, event invoke configs and URLs (each group in the template's order): the order they
    /// are made in.
    pub(crate) resources: Vec<Wanted>,
    /// Its outputs, evaluated.
    pub(crate) outputs: Vec<OutputRecord>,
    /// Capabilities the template needs (`CAPABILITY_IAM`, `CAPABILITY_NAMED_IAM`).
    pub(crate) needs: Vec<&'static str>,
}

/// Why a template cannot be evaluated: CloudFormation's `ValidationError` with this message (or the
/// failure of the resource it names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid(pub(crate) String);

/// Parses a template's text.
pub(crate) fn parse(text: &str) -> Result<Template, Invalid> {
    if text.trim().is_empty() {
        return Err(Invalid("Template format error: template is empty".into()));
    }
    Template::parse(text, Path::new("template")).map_err(|e| {
        Invalid(format!(
            "Template format error: line {}, column {}: {}",
            e.error.pos.line, e.error.pos.column, e.error.message
        ))
    })
}

/// What a template is evaluated against: the stack's pseudo parameters, the parameters given, the
/// physical names its functions already have (by logical id; an unnamed function without one gets a
/// generated name, as CloudFormation generates them) and what the `Ref` and `Fn::GetAtt` of resources
/// already made stand for (layer versions, versions, aliases, URLs), by logical id.
pub(crate) struct Inputs<'a> {
    /// Whether buckets are made (lamina serves S3) or only recorded.
    pub(crate) buckets: bool,
    pub(crate) pseudo: &'a Pseudo,
    pub(crate) parameters: &'a [(String, String)],
    pub(crate) names: &'a HashMap<String, String>,
    pub(crate) known: &'a HashMap<String, Known>,
}

/// The name CloudFormation gives a resource the template does not name (a function, a bucket, a
/// permission's statement): `<stack>-<logical id>-<12 characters>`, at most `longest` characters.
pub(crate) fn generated_name(stack: &str, logical_id: &str, longest: usize) -> String {
    let random: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase()
        .chars()
        .take(12)
        .collect();
    let mut base = format!("{stack}-{logical_id}");
    base.truncate(longest - 13);
    format!("{base}-{random}")
}

/// The names of the template's functions it does not name: those in `existing` (by logical id), and a
/// generated one for each other. Evaluating with the result again gives the same names.
pub(crate) fn names(
    template: &Template,
    stack: &str,
    existing: &HashMap<String, String>,
) -> Result<HashMap<String, String>, Invalid> {
    let mut names = HashMap::new();
    let resources = template
        .resources()
        .map_err(|e| Invalid(without_file(&e.to_string())))?;
    for resource in resources {
        let bucket = resource.type_name == "AWS::S3::Bucket";
        if (resource.kind == Kind::Function || bucket) && !resource.is_named() {
            let name = existing.get(&resource.logical_id).cloned().unwrap_or_else(|| {
                if bucket {
                    // Bucket names are lower case, at most 63 characters.
                    generated_name(stack, &resource.logical_id, 63).to_ascii_lowercase()
                } else {
                    generated_name(stack, &resource.logical_id, 64)
                }
            });
            names.insert(resource.logical_id.clone(), name);
        }
    }
    Ok(names)
}

/// Evaluates `template` with `inputs`.
pub(crate) fn evaluate(template: &Template, inputs: &Inputs<'_>) -> Result<Desired, Invalid> {
    let located = |e: lamina_template::LocatedError| Invalid(without_file(&e.to_string()));
    let names = names(template, &inputs.pseudo.stack_name, inputs.names)?;
    let buckets = inputs.buckets;
    let mut ctx = template
        .context_named(inputs.pseudo.clone(), inputs.parameters, names)
        .map_err(|e| Invalid(without_file(&e.to_string())))?;
    for (logical_id, known) in inputs.known {
        let values = ctx.resources.entry(logical_id.clone()).or_default();
        values.reference = known.reference.clone();
        values
            .attributes
            .extend(known.attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
        values.stand_in = false;
    }
    let all = template.resources().map_err(located)?;
    let mut recorded = Vec::new();
    let mut layers = Vec::new();
    let mut functions = Vec::new();
    let mut subs = Vec::new();
    let mut needs = Vec::new();
    // A template's relative paths have no folder on the server: code must be in S3 or inline.
    let no_dir = Path::new("/nonexistent");
    for resource in &all {
        if !template.included(resource, &ctx).map_err(located)? {
            continue;
        }
        let retain = resource.node.get("DeletionPolicy").and_then(|p| p.as_scalar()) == Some("Retain");
        let wanted = |making| Wanted {
            logical_id: resource.logical_id.clone(),
            type_name: resource.type_name.clone(),
            making,
            retain,
        };
        match resource.kind {
            Kind::Function => {
                local_code(resource)?;
                let spec = resources::function(resource, template.globals(), &ctx, no_dir)
                    .map_err(|e| located(template.locate(e)))?;
                check_code(&resource.logical_id, &resource.type_name, &spec.code)?;
                if resource.type_name == "AWS::Serverless::Function" && spec.role.is_none() {
                    // SAM makes a role for a function without one.
                    let role = format!("{}Role", resource.logical_id);
                    needs.push("CAPABILITY_IAM");
                    recorded.push(Wanted {
                        logical_id: role.clone(),
                        type_name: "AWS::IAM::Role".into(),
                        making: Making::Recorded {
                            physical_id: role,
                            note: None,
                        },
                        retain: false,
                    });
                }
                functions.push(wanted(Making::Function(Box::new(spec))));
            }
            Kind::Layer => {
                local_code(resource)?;
                let spec =
                    resources::layer(resource, &ctx, no_dir).map_err(|e| located(template.locate(e)))?;
                check_code(&resource.logical_id, &resource.type_name, &spec.content)?;
                layers.push(wanted(Making::Layer(spec)));
            }
            Kind::Other if SubKind::of(&resource.type_name).is_some() => {
                let kind = SubKind::of(&resource.type_name).expect("checked");
                let properties = match resource.node.get("Properties") {
                    Some(node) => ctx
                        .eval(node)
                        .map_err(|e| located(template.locate(e)))?
                        .map_or(serde_json::Value::Null, |n| n.to_json()),
                    None => serde_json::Value::Null,
                };
                subs.push(wanted(Making::Sub { kind, properties }));
            }
            Kind::Other => {
                if resource.type_name.starts_with("AWS::IAM::") {
                    let named = ["RoleName", "UserName", "GroupName", "ManagedPolicyName"]
                        .iter()
                        .any(|p| resource.node.get("Properties").and_then(|n| n.get(p)).is_some());
                    needs.push(if named {
                        "CAPABILITY_NAMED_IAM"
                    } else {
                        "CAPABILITY_IAM"
                    });
                }
                let physical_id = ctx
                    .resources
                    .get(&resource.logical_id)
                    .map_or_else(|| resource.logical_id.clone(), |v| v.reference.clone());
                if resource.type_name == "AWS::S3::Bucket" && buckets {
                    let versioned = resource
                        .node
                        .get("Properties")
                        .and_then(|p| p.get("VersioningConfiguration"))
                        .and_then(|v| v.get("Status"))
                        .and_then(|s| ctx.eval_string(s, "VersioningConfiguration.Status").ok())
                        .is_some_and(|s| s == "Enabled");
                    recorded.push(wanted(Making::Bucket {
                        name: physical_id,
                        versioned,
                    }));
                    continue;
                }
                let note = (!RECORDED.contains(&resource.type_name.as_str())).then(|| {
                    format!(
                        "lamina does not provision {}: the resource is recorded only",
                        resource.type_name
                    )
                });
                recorded.push(wanted(Making::Recorded { physical_id, note }));
            }
        }
    }
    needs.sort_unstable();
    needs.dedup();
    let sub_kind = |w: &Wanted| match &w.making {
        Making::Sub { kind, .. } => Some(*kind),
        _ => None,
    };
    subs.sort_by_key(sub_kind);
    let mut resources = recorded;
    resources.extend(layers);
    resources.extend(functions);
    resources.extend(subs);
    Ok(Desired {
        description: template
            .root
            .get("Description")
            .and_then(|d| d.as_scalar())
            .map(str::to_owned),
        resources,
        outputs: outputs(template, &ctx),
        needs,
    })
}

/// Refuses a code property that names a local path (a text that is not `s3://...`), before the template
/// crate would look for it on the server's disk.
fn local_code(resource: &lamina_template::resources::Resource<'_>) -> Result<(), Invalid> {
    let properties = resource.node.get("Properties");
    for key in ["CodeUri", "ContentUri", "Code", "Content"] {
        if let Some(text) = properties.and_then(|p| p.get(key)).and_then(|n| n.as_scalar())
            && !text.starts_with("s3://")
        {
            return check_code(
                &resource.logical_id,
                &resource.type_name,
                &CodeSource::Zip(text.into()),
            );
        }
    }
    Ok(())
}

/// CloudFormation reads code from S3 (or inline source): a local path is what `aws cloudformation
/// package` and `sam deploy` replace with an upload.
fn check_code(logical_id: &str, type_name: &str, code: &CodeSource) -> Result<(), Invalid> {
    match code {
        CodeSource::S3 { .. } | CodeSource::Inline { .. } => Ok(()),
        CodeSource::Folder { .. } | CodeSource::Zip(_) if type_name.starts_with("AWS::Serverless::") => {
            let property = if type_name == "AWS::Serverless::LayerVersion" {
                "ContentUri"
            } else {
                "CodeUri"
            };
            Err(Invalid(format!(
                "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification \
                 document. Number of errors found: 1. Resource with id [{logical_id}] is invalid. '{property}' is \
                 not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter."
            )))
        }
        CodeSource::Folder { .. } | CodeSource::Zip(_) => Err(Invalid(format!(
            "Properties validation failed for resource {logical_id} with message: #/Code: expected type: \
             JSONObject, found: String"
        ))),
    }
}

/// The template's outputs, evaluated (an output whose condition is false is left out; one that cannot
/// be evaluated is given as the reason).
fn outputs(template: &Template, ctx: &lamina_template::intrinsics::Context) -> Vec<OutputRecord> {
    let Some(entries) = template.root.get("Outputs").and_then(|o| o.as_map()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, output) in entries {
        if let Some(condition) = output.get("Condition").and_then(|c| c.as_scalar())
            && !ctx.condition(condition, output.pos).unwrap_or(true)
        {
            continue;
        }
        let text = |node: Option<&lamina_template::node::Node>| -> Option<String> {
            match ctx.eval(node?) {
                Ok(Some(v)) => Some(match v.as_scalar() {
                    Some(s) => s.to_owned(),
                    None => v.to_json().to_string(),
                }),
                Ok(None) => None,
                Err(e) => Some(format!("(not evaluated: {})", e.message)),
            }
        };
        out.push(OutputRecord {
            key: key.name.clone(),
            value: text(output.get("Value")).unwrap_or_default(),
            description: text(output.get("Description")),
            export_name: text(output.get("Export").and_then(|e| e.get("Name"))),
        });
    }
    out
}

/// A template error without the file name the template crate puts first (a request has no file).
fn without_file(message: &str) -> String {
    match message.strip_prefix("template:") {
        Some(rest) => format!("Template format error: line {rest}"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NONE: std::sync::LazyLock<HashMap<String, String>> = std::sync::LazyLock::new(HashMap::new);
    static NO_VALUES: std::sync::LazyLock<HashMap<String, Known>> = std::sync::LazyLock::new(HashMap::new);

    fn inputs<'a>(pseudo: &'a Pseudo, parameters: &'a [(String, String)]) -> Inputs<'a> {
        Inputs {
            buckets: false,
            pseudo,
            parameters,
            names: &NONE,
            known: &NO_VALUES,
        }
    }

    fn pseudo() -> Pseudo {
        Pseudo {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            stack_name: "app".into(),
        }
    }

    const SAM: &str = r#"
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: An app
Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/hello.zip
      Handler: bootstrap
      Runtime: provided.al2023
      Environment:
        Variables:
          STAGE: !Ref Stage
  Api:
    Type: AWS::ApiGateway::RestApi
Outputs:
  HelloArn:
    Value: !GetAtt Hello.Arn
    Description: !Sub "the ${Stage} function"
"#;

    #[test]
    fn a_sam_function_brings_its_role_and_needs_iam() {
        let template = parse(SAM).expect("parse");
        let pseudo = pseudo();
        let desired = evaluate(&template, &inputs(&pseudo, &[])).expect("evaluate");
        let ids: Vec<(&str, &str)> = desired
            .resources
            .iter()
            .map(|w| (w.logical_id.as_str(), w.type_name.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("HelloRole", "AWS::IAM::Role"),
                ("Api", "AWS::ApiGateway::RestApi"),
                ("Hello", "AWS::Serverless::Function")
            ]
        );
        assert_eq!(desired.needs, ["CAPABILITY_IAM"]);
        assert_eq!(desired.description.as_deref(), Some("An app"));
        let Making::Recorded { note, .. } = &desired.resources[1].making else {
            panic!("recorded");
        };
        assert!(
            note.as_deref()
                .is_some_and(|n| n.contains("AWS::ApiGateway::RestApi"))
        );
        let Making::Function(spec) = &desired.resources[2].making else {
            panic!("a function");
        };
        // A generated name, as CloudFormation's: the stack, the logical id, 12 characters.
        assert!(
            spec.name.starts_with("app-Hello-") && spec.name.len() == "app-Hello-".len() + 12,
            "{}",
            spec.name
        );
        assert_eq!(desired.outputs.len(), 1);
        let output = &desired.outputs[0];
        assert_eq!(output.key, "HelloArn");
        assert_eq!(
            output.value,
            format!("arn:aws:lambda:us-east-1:123456789012:function:{}", spec.name)
        );
        assert_eq!(output.description.as_deref(), Some("the dev function"));

        // A parameter changes the function's fingerprint, and nothing else's; its name is kept.
        let names = HashMap::from([("Hello".to_owned(), spec.name.clone())]);
        let prod_parameters = [("Stage".to_owned(), "prod".to_owned())];
        let same_name = Inputs {
            names: &names,
            ..inputs(&pseudo, &[])
        };
        let again = evaluate(&template, &same_name).expect("evaluate");
        assert_eq!(again.resources, desired.resources);
        let prod = Inputs {
            names: &names,
            ..inputs(&pseudo, &prod_parameters)
        };
        let prod = evaluate(&template, &prod).expect("evaluate");
        let changed: Vec<&str> = desired
            .resources
            .iter()
            .zip(&prod.resources)
            .filter(|(a, b)| a.fingerprint() != b.fingerprint())
            .map(|(a, _)| a.logical_id.as_str())
            .collect();
        assert_eq!(changed, ["Hello"]);
    }

    #[test]
    fn local_code_and_broken_templates_are_validation_errors() {
        let local = SAM.replace("s3://bucket/hello.zip", "./hello");
        let template = parse(&local).expect("parse");
        let pseudo = pseudo();
        let Invalid(message) = evaluate(&template, &inputs(&pseudo, &[])).expect_err("local");
        assert!(
            message.contains("Resource with id [Hello] is invalid. 'CodeUri' is not a valid S3 Uri"),
            "{message}"
        );
        let Invalid(message) = parse("Resources: [").expect_err("broken");
        assert!(message.starts_with("Template format error: line "), "{message}");
        assert!(parse("  ").is_err());
    }
}
