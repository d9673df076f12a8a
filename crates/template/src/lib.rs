//! SAM and CloudFormation templates: reading them with positions ([`load`]), evaluating intrinsic
//! functions and conditions ([`intrinsics`]), parameters ([`parameters`]), and translating the
//! resources lamina deploys into Lambda API terms ([`resources`]).
//!
//! [`Template::load`] reads a file; [`Template::context`] gives the parameters, mappings, conditions and
//! what each resource's `Ref` / `Fn::GetAtt` stands for; [`resources::function`] and
//! [`resources::layer`] translate one resource with that context.

pub mod intrinsics;
pub mod load;
pub mod node;
pub mod parameters;
pub mod requests;
pub mod resources;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use intrinsics::{Context, Pseudo, ResourceValues};
use node::{Node, TemplateError};
use parameters::ParameterError;
use resources::{Kind, Resource};

/// A template read from a file.
#[derive(Debug, Clone)]
pub struct Template {
    /// The file.
    pub path: PathBuf,
    /// Its content.
    pub root: Node,
}

/// A template error with the file it is in: `template.yaml:12:7: message`.
#[derive(Debug)]
pub struct LocatedError {
    /// The template file.
    pub path: PathBuf,
    /// The error.
    pub error: TemplateError,
}

impl fmt::Display for LocatedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.error.pos.line,
            self.error.pos.column,
            self.error.message
        )
    }
}

impl std::error::Error for LocatedError {}

impl Template {
    /// Reads and parses `path` (YAML or JSON).
    pub fn load(path: &Path) -> anyhow::Result<Template> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the template {}: {e}", path.display()))?;
        Ok(Template::parse(&text, path)?)
    }

    /// Parses `text` (YAML or JSON), named `path` in errors (a service names it after the request).
    pub fn parse(text: &str, path: &Path) -> Result<Template, LocatedError> {
        let template = Template {
            path: path.to_owned(),
            root: Node::new(node::Value::Null, node::Pos::default()),
        };
        let root = load::parse(text).map_err(|e| template.locate(e))?;
        let template = Template { root, ..template };
        if let Some(version) = template.root.get("AWSTemplateFormatVersion")
            && version.as_scalar() != Some("2010-09-09")
        {
            return Err(template.locate(version.error("AWSTemplateFormatVersion must be 2010-09-09")));
        }
        Ok(template)
    }

    /// The folder relative paths (`CodeUri`, `ContentUri`) start from.
    pub fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        }
    }

    /// Adds the file name to a template error.
    pub fn locate(&self, error: TemplateError) -> LocatedError {
        LocatedError {
            path: self.path.clone(),
            error,
        }
    }

    /// The resources, in the order written.
    pub fn resources(&self) -> Result<Vec<Resource<'_>>, LocatedError> {
        resources::list(&self.root).map_err(|e| self.locate(e))
    }

    /// `Globals`, if any.
    pub fn globals(&self) -> Option<&Node> {
        self.root.get("Globals")
    }

    /// Everything expressions can refer to: pseudo parameters, parameters (`overrides` over defaults),
    /// mappings, conditions, and what each resource's `Ref` and `Fn::GetAtt` stand for. A layer's `Ref`
    /// (its version ARN) is only known once the server has been asked; it is set with
    /// [`set_layer_version`] before functions are translated.
    pub fn context(&self, pseudo: Pseudo, overrides: &[(String, String)]) -> anyhow::Result<Context> {
        self.context_named(pseudo, overrides, HashMap::new())
    }

    /// [`Template::context`], with the physical names of resources the template does not name
    /// (CloudFormation's generated names), by logical id.
    pub fn context_named(
        &self,
        pseudo: Pseudo,
        overrides: &[(String, String)],
        generated_names: HashMap<String, String>,
    ) -> anyhow::Result<Context> {
        let mut ctx = Context {
            generated_names,
            parameters: parameters::resolve(self.root.get("Parameters"), overrides).map_err(|e| match e {
                ParameterError::Template(e) => anyhow::Error::from(self.locate(e)),
                other => other.into(),
            })?,
            mappings: self.root.get("Mappings").cloned(),
            pseudo: Some(pseudo.clone()),
            ..Context::default()
        };
        if let Some(section) = self.root.get("Conditions") {
            ctx.eval_conditions(section).map_err(|e| self.locate(e))?;
        }
        let resources = self.resources()?;
        let mut values = HashMap::new();
        for resource in &resources {
            let name = resource.physical_name(&ctx).map_err(|e| self.locate(e))?;
            let entry = match resource.kind {
                Kind::Function => ResourceValues {
                    attributes: HashMap::from([("Arn".to_owned(), function_arn(&pseudo, &name))]),
                    reference: name,
                    stand_in: false,
                },
                Kind::Layer => ResourceValues {
                    reference: layer_arn(&pseudo, &name),
                    attributes: HashMap::new(),
                    stand_in: true,
                },
                Kind::Other => ResourceValues {
                    attributes: match resource.type_name.as_str() {
                        "AWS::IAM::Role" => HashMap::from([("Arn".to_owned(), role_arn(&pseudo, &name))]),
                        "AWS::S3::Bucket" => HashMap::from([
                            (
                                "Arn".to_owned(),
                                format!("arn:{}:s3:::{name}", pseudo.partition()),
                            ),
                            (
                                "DomainName".to_owned(),
                                format!("{name}.s3.{}", pseudo.url_suffix()),
                            ),
                            (
                                "RegionalDomainName".to_owned(),
                                format!("{name}.s3.{}.{}", pseudo.region, pseudo.url_suffix()),
                            ),
                        ]),
                        _ => HashMap::new(),
                    },
                    reference: name,
                    stand_in: true,
                },
            };
            // SAM creates `<Function>Role` for a function without Role.
            if resource.type_name == "AWS::Serverless::Function" {
                let role = format!("{}Role", resource.logical_id);
                values.entry(role.clone()).or_insert_with(|| ResourceValues {
                    attributes: HashMap::from([("Arn".to_owned(), role_arn(&pseudo, &role))]),
                    reference: role,
                    stand_in: false,
                });
            }
            values.insert(resource.logical_id.clone(), entry);
        }
        ctx.resources = values;
        Ok(ctx)
    }

    /// Whether `resource` is deployed, given its `Condition`.
    pub fn included(&self, resource: &Resource<'_>, ctx: &Context) -> Result<bool, LocatedError> {
        match &resource.condition {
            None => Ok(true),
            Some(name) => ctx.condition(name, resource.pos).map_err(|e| self.locate(e)),
        }
    }
}

/// Records the version ARN a layer's `Ref` stands for.
pub fn set_layer_version(ctx: &mut Context, logical_id: &str, version_arn: &str) {
    let values = ctx.resources.entry(logical_id.to_owned()).or_default();
    values.reference = version_arn.to_owned();
    values
        .attributes
        .insert("LayerVersionArn".to_owned(), version_arn.to_owned());
    values.stand_in = false;
}

/// A function's ARN.
pub fn function_arn(pseudo: &Pseudo, name: &str) -> String {
    format!(
        "arn:{}:lambda:{}:{}:function:{name}",
        pseudo.partition(),
        pseudo.region,
        pseudo.account_id
    )
}

/// A layer's ARN (without version).
pub fn layer_arn(pseudo: &Pseudo, name: &str) -> String {
    format!(
        "arn:{}:lambda:{}:{}:layer:{name}",
        pseudo.partition(),
        pseudo.region,
        pseudo.account_id
    )
}

/// The ARN of an IAM role of the account (the role SAM would create for a function without `Role`,
/// or a role resource of the template, which lamina does not create).
pub fn role_arn(pseudo: &Pseudo, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:role/{name}",
        pseudo.partition(),
        pseudo.account_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo() -> Pseudo {
        Pseudo {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            stack_name: "demo".into(),
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> Template {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        Template::load(&path).expect("load")
    }

    #[test]
    fn every_resource_has_values_for_ref_and_getatt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let template = write(
            dir.path(),
            "template.yaml",
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: !Sub '${AWS::StackName}-fn'\n  \
             Role:\n    Type: AWS::IAM::Role\n  Shared:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      LayerName: shared\n",
        );
        let mut ctx = template.context(pseudo(), &[]).expect("context");
        let values = |id: &str| ctx.resources[id].clone();
        assert_eq!(values("Fn").reference, "demo-fn");
        assert_eq!(
            values("Fn").attributes["Arn"],
            "arn:aws:lambda:us-east-1:000000000000:function:demo-fn"
        );
        assert_eq!(
            values("FnRole").attributes["Arn"],
            "arn:aws:iam::000000000000:role/FnRole"
        );
        assert!(values("Role").stand_in);
        assert_eq!(
            values("Role").attributes["Arn"],
            "arn:aws:iam::000000000000:role/Role"
        );
        set_layer_version(
            &mut ctx,
            "Shared",
            "arn:aws:lambda:us-east-1:000000000000:layer:shared:4",
        );
        assert_eq!(
            ctx.resources["Shared"].reference,
            "arn:aws:lambda:us-east-1:000000000000:layer:shared:4"
        );
        assert!(!ctx.resources["Shared"].stand_in);
    }

    #[test]
    fn named_and_generated_names_give_ref_and_getatt() {
        let template = Template::parse(
            "Resources:\n  Named:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: my-bucket\n  \
             Unnamed:\n    Type: AWS::S3::Bucket\n  Fn:\n    Type: AWS::Lambda::Function\n  \
             Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: runner\n",
            Path::new("template.yaml"),
        )
        .expect("parse");
        let names = HashMap::from([
            ("Unnamed".to_owned(), "demo-unnamed-abc".to_owned()),
            ("Fn".to_owned(), "demo-Fn-XYZ".to_owned()),
        ]);
        let ctx = template.context_named(pseudo(), &[], names).expect("context");
        let values = |id: &str| ctx.resources[id].clone();
        assert_eq!(values("Named").reference, "my-bucket");
        assert_eq!(values("Named").attributes["Arn"], "arn:aws:s3:::my-bucket");
        assert_eq!(values("Unnamed").reference, "demo-unnamed-abc");
        assert_eq!(
            values("Unnamed").attributes["RegionalDomainName"],
            "demo-unnamed-abc.s3.us-east-1.amazonaws.com"
        );
        assert_eq!(values("Fn").reference, "demo-Fn-XYZ");
        assert_eq!(
            values("Role").attributes["Arn"],
            "arn:aws:iam::000000000000:role/runner"
        );
    }

    #[test]
    fn yaml_and_json_templates_translate_alike() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("f.zip"), "PK").expect("write");
        let yaml = write(
            dir.path(),
            "template.yaml",
            "Parameters:\n  Size: {Type: Number, Default: 256}\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      \
             Code: f.zip\n      Runtime: provided.al2023\n      MemorySize: !Ref Size\n      \
             Environment: {Variables: {WHERE: !Sub '${AWS::Region}', LIST: !Join [',', [a, b]]}}\n",
        );
        let json = write(
            dir.path(),
            "template.json",
            r#"{"Parameters": {"Size": {"Type": "Number", "Default": 256}},
                "Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                  "Code": "f.zip", "Runtime": "provided.al2023", "MemorySize": {"Ref": "Size"},
                  "Environment": {"Variables": {"WHERE": {"Fn::Sub": "${AWS::Region}"},
                                                "LIST": {"Fn::Join": [",", ["a", "b"]]}}}}}}}"#,
        );
        let spec = |template: &Template| {
            let ctx = template.context(pseudo(), &[]).expect("context");
            let resources = template.resources().expect("resources");
            resources::function(&resources[0], template.globals(), &ctx, &template.dir()).expect("function")
        };
        let from_yaml = spec(&yaml);
        assert_eq!(from_yaml, spec(&json));
        assert_eq!(from_yaml.memory_size, 256);
        assert_eq!(from_yaml.environment["WHERE"], "us-east-1");
        assert_eq!(from_yaml.environment["LIST"], "a,b");
    }

    #[test]
    fn load_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("template.yaml");
        std::fs::write(&path, "Resources:\n  Fn:\n    Type: [\n").expect("write");
        let err = Template::load(&path).expect_err("bad yaml").to_string();
        assert!(err.starts_with(&format!("{}:4:", path.display())), "{err}");
        std::fs::write(&path, "AWSTemplateFormatVersion: '2020-01-01'\nResources: {}\n").expect("write");
        let err = Template::load(&path).expect_err("bad version").to_string();
        assert_eq!(
            err,
            format!(
                "{}:1:27: AWSTemplateFormatVersion must be 2010-09-09",
                path.display()
            )
        );
    }
}
