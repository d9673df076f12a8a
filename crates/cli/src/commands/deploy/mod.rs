//! `lamina deploy -t template.yaml [--param KEY=VALUE ...] [--dry-run]`: creates or updates the
//! functions and layers of a SAM or CloudFormation template through the Lambda API.
//!
//! The steps, in order:
//! 1. read the template ([`crate::template`]), resolve parameters, conditions and pseudo parameters
//!    (`AWS::AccountId` is read from the server);
//! 2. for each layer, then each function: translate it, build or read its code, and compare it with
//!    what the server has (`plan.rs`); a layer's `Ref` (its version ARN) is the latest version when
//!    unchanged, the next one otherwise;
//! 3. print the plan (create / update / unchanged / skipped), and stop there with `--dry-run`;
//! 4. apply it (`apply.rs`): layers first, then functions (translated again with the layer versions
//!    actually published), waiting for each function to settle between changes.

pub(crate) mod api;
mod apply;
mod code;
mod plan;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use lamina_model::wire::GetFunctionOutput;

use api::Lambda;
pub use api::OperationError;
use code::Package;
use plan::{Action, LayerVersion, Row};

use crate::client::Endpoint;
use lamina_template::Template;
use lamina_template::intrinsics::{Context, Pseudo};
use lamina_template::resources::{self, FunctionSpec, Kind, LayerSpec, Resource};

/// Create or update the functions and layers of a SAM or CloudFormation template.
///
/// Reads YAML or JSON templates (intrinsic functions, Globals, Parameters, Conditions, and what
/// `sam build` writes in .aws-sam/build/template.yaml), builds `BuildMethod: go1.x` functions with
/// `lamina build`, zips other code folders, prints the plan (create / update / unchanged /
/// skipped) and applies it through the Lambda API at --endpoint-url (else AWS_ENDPOINT_URL, else
/// http://127.0.0.1:9001). Functions and layers are named by their FunctionName / LayerName
/// property, else by their logical id.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployOptions {
    /// The template [default: .aws-sam/build/template.yaml when `sam build` wrote one, else
    /// template.yaml, else template.yml].
    #[arg(short, long)]
    pub template: Option<PathBuf>,
    /// A template parameter, KEY=VALUE (repeatable); overrides its Default.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_parameter)]
    pub parameters: Vec<(String, String)>,
    /// The stack name (AWS::StackName) [default: the template's project folder].
    #[arg(long)]
    pub stack_name: Option<String>,
    /// Print the plan without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// The Lambda API endpoint.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// The region to deploy to [default: AWS_REGION, else us-east-1].
    #[arg(long)]
    pub region: Option<String>,
}

/// How many resources got which action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Created.
    pub created: usize,
    /// Updated.
    pub updated: usize,
    /// Left as they were.
    pub unchanged: usize,
    /// Not deployed: types lamina does not handle, or a false `Condition`.
    pub skipped: usize,
}

/// The template to deploy from `dir` when none is named, as `sam deploy` picks it: what `sam build`
/// wrote (`.aws-sam/build/template.yaml`), else `template.yaml`, else `template.yml`.
pub fn default_template(dir: &Path) -> PathBuf {
    [".aws-sam/build/template.yaml", "template.yaml", "template.yml"]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| dir.join("template.yaml"))
}

/// Parses `KEY=VALUE`.
pub fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("'{text}' is not KEY=VALUE")),
    }
}

struct PlannedLayer {
    spec: LayerSpec,
    package: Package,
    action: Action,
    /// The version ARN functions refer to: the latest when unchanged, the next one otherwise.
    version_arn: String,
}

struct PlannedFunction {
    spec: FunctionSpec,
    package: Package,
    existing: Option<GetFunctionOutput>,
    action: Action,
}

/// Deploys the template (the one named, else [`default_template`] of the working directory); prints the
/// plan and the progress to `out`.
pub fn run(options: &DeployOptions, out: &mut impl Write) -> Result<Summary> {
    let endpoint = Endpoint::from_env(options.endpoint_url.clone(), options.region.clone());
    let template_path = options
        .template
        .clone()
        .unwrap_or_else(|| default_template(Path::new("")));
    let template = Template::load(&template_path)?;
    let api = Lambda::new(&endpoint);
    let account_id = api.account_id()?;
    let pseudo = Pseudo {
        region: api.region().to_owned(),
        account_id,
        stack_name: options
            .stack_name
            .clone()
            .unwrap_or_else(|| default_stack_name(&template.path)),
    };
    let mut ctx = template.context(pseudo.clone(), &options.parameters)?;
    let resources = template.resources()?;
    let dir = template.dir();

    let mut rows = Vec::new();
    let mut summary = Summary::default();
    let mut notes = Vec::new();
    let mut layers = Vec::new();
    let mut functions = Vec::new();
    for resource in &resources {
        let row = |action: &str, name: &str, details: String| Row {
            action: action.to_owned(),
            logical_id: resource.logical_id.clone(),
            type_name: resource.type_name.clone(),
            name: name.to_owned(),
            details,
        };
        if !template.included(resource, &ctx)? {
            summary.skipped += 1;
            let condition = resource.condition.as_deref().unwrap_or_default();
            rows.push(row("skipped", "-", format!("condition {condition} is false")));
            continue;
        }
        if resource.kind == Kind::Other {
            summary.skipped += 1;
            rows.push(row("skipped", "-", "lamina does not deploy this type".to_owned()));
        }
    }
    // Layers first: functions refer to their versions.
    for resource in included(&template, &resources, &ctx, Kind::Layer)? {
        let spec = resources::layer(resource, &ctx, &dir).map_err(|e| template.locate(e))?;
        let package = package(&spec.logical_id, &spec.content, None, out)?;
        let versions = api.list_layer_versions(&spec.name)?;
        let latest = match versions.first() {
            Some(item) => Some(LayerVersion {
                version: item.version,
                arn: item.layer_version_arn.clone(),
                details: api.get_layer_version(&spec.name, item.version)?,
            }),
            None => None,
        };
        let layer_arn = lamina_template::layer_arn(&pseudo, &spec.name);
        let (action, version_arn) = match &latest {
            None => (Action::Create, format!("{layer_arn}:1")),
            Some(latest) if plan::layer_is_current(&spec, &package, latest) => {
                (Action::Unchanged, latest.arn.clone())
            }
            Some(latest) => (
                Action::Update(vec!["new version"]),
                format!("{layer_arn}:{}", latest.version + 1),
            ),
        };
        lamina_template::set_layer_version(&mut ctx, &spec.logical_id, &version_arn);
        note_ignored(&mut notes, &spec.logical_id, &spec.ignored);
        layers.push(PlannedLayer {
            spec,
            package,
            action,
            version_arn,
        });
    }
    for resource in included(&template, &resources, &ctx, Kind::Function)? {
        let spec =
            resources::function(resource, template.globals(), &ctx, &dir).map_err(|e| template.locate(e))?;
        let package = package(&spec.logical_id, &spec.code, Some(spec.architecture), out)?;
        let existing = api.get_function(&spec.name)?;
        let action = match &existing {
            Some(existing) => plan::diff_function(&spec, &package, existing).action(),
            None => Action::Create,
        };
        note_ignored(&mut notes, &spec.logical_id, &spec.ignored);
        // What would fail on Lambda is said before anything is sent (the server accepts such packages, as
        // Lambda does). Only OS-only runtimes start a `bootstrap`.
        if spec.runtime.as_deref().is_none_or(|r| r.starts_with("provided")) {
            for finding in package.findings(spec.architecture, !spec.layers.is_empty()) {
                notes.push(format!("warning: {}: {finding}", spec.logical_id));
            }
        }
        functions.push(PlannedFunction {
            spec,
            package,
            existing,
            action,
        });
    }

    for (i, f) in functions.iter().enumerate() {
        if let Some(other) = functions[..i].iter().find(|o| o.spec.name == f.spec.name) {
            anyhow::bail!(
                "{} and {} would both be the function '{}': give them different FunctionName properties",
                other.spec.logical_id,
                f.spec.logical_id,
                f.spec.name
            );
        }
    }

    // The plan, in the template's order.
    for resource in &resources {
        let planned = layers
            .iter()
            .find(|l| l.spec.logical_id == resource.logical_id)
            .map(|l| (&l.action, &l.spec.name, layer_details(l)))
            .or_else(|| {
                functions
                    .iter()
                    .find(|f| f.spec.logical_id == resource.logical_id)
                    .map(|f| (&f.action, &f.spec.name, function_details(f)))
            });
        if let Some((action, name, details)) = planned {
            rows.push(Row {
                action: action.verb().to_owned(),
                logical_id: resource.logical_id.clone(),
                type_name: resource.type_name.clone(),
                name: name.clone(),
                details,
            });
        }
    }
    let order = |row: &Row| resources.iter().position(|r| r.logical_id == row.logical_id);
    rows.sort_by_key(order);
    writeln!(
        out,
        "Stack {} from {} ({}, account {}):",
        pseudo.stack_name,
        template.path.display(),
        pseudo.region,
        pseudo.account_id
    )?;
    plan::print_table(out, &rows)?;
    notes.extend(ctx.notes.borrow().iter().map(|n| format!("note: {n}")));
    for note in &notes {
        writeln!(out, "{note}")?;
    }
    if options.dry_run {
        writeln!(out, "dry run: nothing changed")?;
        return Ok(count(summary, &layers, &functions));
    }

    for layer in &layers {
        if layer.action == Action::Unchanged {
            continue;
        }
        let arn = apply::publish_layer(&api, &layer.spec, &layer.package, out)?;
        if arn != layer.version_arn {
            lamina_template::set_layer_version(&mut ctx, &layer.spec.logical_id, &arn);
        }
    }
    for planned in &functions {
        // Translated again: a layer may have been published under another version than predicted.
        let resource = resources
            .iter()
            .find(|r| r.logical_id == planned.spec.logical_id)
            .expect("planned from these resources");
        let spec =
            resources::function(resource, template.globals(), &ctx, &dir).map_err(|e| template.locate(e))?;
        match &planned.existing {
            None => {
                let role = lamina_template::role_arn(&pseudo, &format!("{}Role", spec.logical_id));
                apply::create_function(&api, &spec, &planned.package, &role, out)?;
            }
            Some(existing) => {
                let diff = plan::diff_function(&spec, &planned.package, existing);
                if diff.action() != Action::Unchanged {
                    apply::update_function(&api, &spec, &planned.package, &diff, out)?;
                }
            }
        }
    }
    let summary = count(summary, &layers, &functions);
    writeln!(
        out,
        "deployed: {} created, {} updated, {} unchanged, {} skipped",
        summary.created, summary.updated, summary.unchanged, summary.skipped
    )?;
    if let Some(outputs) = template.root.get("Outputs") {
        print_outputs(outputs, &ctx, out)?;
    }
    Ok(summary)
}

/// The template's `Outputs`, evaluated now that the resources exist; one that refers to something lamina
/// does not deploy (an API's URL, ...) is shown as such rather than failing the deploy.
fn print_outputs(outputs: &lamina_template::node::Node, ctx: &Context, out: &mut impl Write) -> Result<()> {
    let Some(entries) = outputs.as_map() else {
        return Ok(());
    };
    writeln!(out, "Outputs:")?;
    for (key, output) in entries {
        if let Some(condition) = output.get("Condition").and_then(|c| c.as_scalar())
            && !ctx.condition(condition, output.pos).unwrap_or(true)
        {
            continue;
        }
        let value = match output.get("Value") {
            Some(value) => match ctx.eval(value) {
                Ok(Some(v)) => match v.as_scalar() {
                    Some(s) => s.to_owned(),
                    None => v.to_json().to_string(),
                },
                Ok(None) => String::new(),
                Err(e) => format!("(not evaluated: {})", e.message),
            },
            None => "(no Value)".to_owned(),
        };
        writeln!(out, "  {} = {value}", key.name)?;
    }
    Ok(())
}

/// The included resources of one kind.
fn included<'t>(
    template: &Template,
    resources: &'t [Resource<'t>],
    ctx: &Context,
    kind: Kind,
) -> Result<Vec<&'t Resource<'t>>> {
    let mut out = Vec::new();
    for resource in resources.iter().filter(|r| r.kind == kind) {
        if template.included(resource, ctx)? {
            out.push(resource);
        }
    }
    Ok(out)
}

/// Builds or reads a resource's code, saying so when it takes a build.
fn package(
    logical_id: &str,
    source: &resources::CodeSource,
    arch: Option<lamina_model::Architecture>,
    out: &mut impl Write,
) -> Result<Package> {
    let arch = arch.unwrap_or(lamina_model::Architecture::X86_64);
    if let resources::CodeSource::Folder { path, go_build: true } = source {
        writeln!(
            out,
            "{logical_id}: building {} for {} (go1.x)",
            path.display(),
            arch.as_str()
        )?;
        out.flush()?;
    }
    code::package(source, arch).with_context(|| format!("{logical_id}: packaging its code"))
}

fn note_ignored(notes: &mut Vec<String>, logical_id: &str, ignored: &[String]) {
    if !ignored.is_empty() {
        notes.push(format!(
            "note: {logical_id}: lamina does not apply {}",
            ignored.join(", ")
        ));
    }
}

fn layer_details(layer: &PlannedLayer) -> String {
    match &layer.action {
        Action::Unchanged => layer.version_arn.clone(),
        _ => format!("{} ({})", layer.version_arn, layer.package.describe()),
    }
}

fn function_details(function: &PlannedFunction) -> String {
    match &function.action {
        Action::Create => format!(
            "{} {}, {}",
            function.spec.runtime.as_deref().unwrap_or("-"),
            function.spec.architecture.as_str(),
            function.package.describe()
        ),
        Action::Update(changes) => changes.join(", "),
        Action::Unchanged => String::new(),
    }
}

fn count(mut summary: Summary, layers: &[PlannedLayer], functions: &[PlannedFunction]) -> Summary {
    for action in layers
        .iter()
        .map(|l| &l.action)
        .chain(functions.iter().map(|f| &f.action))
    {
        match action {
            Action::Create => summary.created += 1,
            Action::Update(_) => summary.updated += 1,
            Action::Unchanged => summary.unchanged += 1,
        }
    }
    summary
}

/// The folder a template belongs to: its own, or for `.aws-sam/build/template.yaml` (what `sam build`
/// writes) the project folder holding `.aws-sam`.
fn default_stack_name(template: &Path) -> String {
    let absolute = std::path::absolute(template).unwrap_or_else(|_| template.to_owned());
    let mut dir = absolute.parent().map(Path::to_owned).unwrap_or_default();
    if dir.ends_with(".aws-sam/build")
        && let Some(project) = dir.parent().and_then(Path::parent)
    {
        dir = project.to_owned();
    }
    let name: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        "lamina".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stacks_after_the_project() {
        assert_eq!(
            default_stack_name(Path::new("/src/my_app/template.yaml")),
            "my-app"
        );
        assert_eq!(
            default_stack_name(Path::new("/src/app/.aws-sam/build/template.yaml")),
            "app"
        );
    }

    #[test]
    fn picks_the_template_as_sam_deploy_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(default_template(dir.path()), dir.path().join("template.yaml"));
        std::fs::write(dir.path().join("template.yml"), "").expect("write");
        assert_eq!(default_template(dir.path()), dir.path().join("template.yml"));
        std::fs::write(dir.path().join("template.yaml"), "").expect("write");
        assert_eq!(default_template(dir.path()), dir.path().join("template.yaml"));
        std::fs::create_dir_all(dir.path().join(".aws-sam/build")).expect("mkdir");
        std::fs::write(dir.path().join(".aws-sam/build/template.yaml"), "").expect("write");
        assert_eq!(
            default_template(dir.path()),
            dir.path().join(".aws-sam/build/template.yaml")
        );
    }

    #[test]
    fn parses_parameters() {
        assert_eq!(parse_parameter("A=b=c"), Ok(("A".into(), "b=c".into())));
        assert_eq!(parse_parameter("A="), Ok(("A".into(), String::new())));
        assert!(parse_parameter("=x").is_err());
        assert!(parse_parameter("A").is_err());
    }
}
