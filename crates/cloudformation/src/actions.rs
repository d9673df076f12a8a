//! One function per CloudFormation action: its parameters read and checked as CloudFormation checks
//! them, the stack store read or an operation started, the XML result written.

use std::sync::Arc;

use chrono::Utc;
use lamina_auth::Caller;
use lamina_query::{Element, Params, QueryError};

use crate::desired::{self, Invalid};
use crate::operations::{Deploy, Stacks, Target};
use crate::record::{ChangeSetRecord, StackRecord};
use crate::render;
use crate::{CloudFormation, template_url};

/// The largest `TemplateBody` CloudFormation takes.
const TEMPLATE_BODY_MAX: usize = 51_200;
/// The largest template read from `TemplateURL`.
pub(crate) const TEMPLATE_URL_MAX: usize = 1024 * 1024;

/// How long a request that starts a stack operation waits for it before answering. CloudFormation
/// answers at once, and the tools' waiters then sleep (30 s between DescribeStacks calls for `aws
/// cloudformation deploy`); lamina usually finishes in milliseconds, so answering when it is done (or
/// after this long, with the operation going on) lets a waiter's first call see the result.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(3);

/// Starts a stack operation and waits for it at most [`ANSWER_WITHIN`].
async fn start(operation: impl std::future::Future<Output = ()> + Send + 'static) {
    let running = tokio::spawn(operation);
    let _ = tokio::time::timeout(ANSWER_WITHIN, running).await;
}

/// Starts a deploy of `stack` to `target` (its status set and saved first); returns the stack's id.
async fn deploy(
    cf: &CloudFormation,
    mut stack: StackRecord,
    target: Target,
    kind: Deploy,
    change_set: Option<String>,
) -> Result<String, QueryError> {
    let status = match kind {
        Deploy::Create => "CREATE_IN_PROGRESS",
        Deploy::Update => "UPDATE_IN_PROGRESS",
    };
    stack.set_status(status, Some("User Initiated".into()));
    save(cf, &stack).await?;
    let id = stack.id.clone();
    start(Arc::clone(&cf.stacks).deploy(stack, target, kind, change_set)).await;
    Ok(id)
}

/// CloudFormation's pattern for stack names, as its messages quote it.
const STACK_NAME_PATTERN: &str = "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*";

fn validation(message: impl Into<String>) -> QueryError {
    QueryError::validation(message)
}

fn no_stack(name: &str) -> QueryError {
    validation(format!("Stack with id {name} does not exist"))
}

fn busy(stack: &StackRecord) -> QueryError {
    validation(format!(
        "Stack:{} is in {} state and can not be updated.",
        stack.id, stack.status
    ))
}

fn required<'p>(params: &'p Params, name: &str, path: &str) -> Result<&'p str, QueryError> {
    params.get(name).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// A new stack's name, checked.
fn new_stack_name(params: &Params) -> Result<&str, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    let valid = name.len() <= 128
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member must \
             satisfy regular expression pattern: {STACK_NAME_PATTERN}"
        )));
    }
    Ok(name)
}

/// The parameters a deploy of `text` uses, as DescribeStacks shows them: every parameter the template
/// declares, in its order, with the value given (`UsePreviousValue`: the stack's `previous` one) or its
/// `Default`.
fn effective_parameters(
    text: &str,
    params: &Params,
    previous: &[(String, String)],
) -> Result<Vec<(String, String)>, QueryError> {
    let parsed = desired::parse(text).map_err(|Invalid(m)| validation(m))?;
    let declared: Vec<(String, Option<String>)> = parsed
        .root
        .get("Parameters")
        .and_then(|p| p.as_map())
        .map(|entries| {
            entries
                .iter()
                .map(|(key, p)| {
                    let default = p.get("Default").map(|d| match d.as_scalar() {
                        Some(s) => s.to_owned(),
                        None => d
                            .expect_seq("Default")
                            .map(|items| {
                                items
                                    .iter()
                                    .filter_map(|i| i.as_scalar())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            })
                            .unwrap_or_default(),
                    });
                    (key.name.clone(), default)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut given = Vec::new();
    for p in params.structures("Parameters") {
        let key = p
            .get("ParameterKey")
            .ok_or_else(|| validation("Parameters must have a ParameterKey"))?;
        let value = if p.get("UsePreviousValue") == Some("true") {
            previous
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    validation(format!(
                        "Invalid input for parameter key {key}. Cannot specify usePreviousValue as true for a \
                         parameter key not in the previous template"
                    ))
                })?
        } else {
            p.get("ParameterValue").unwrap_or_default().to_owned()
        };
        given.push((key.to_owned(), value));
    }
    let unknown: Vec<&str> = given
        .iter()
        .filter(|(k, _)| !declared.iter().any(|(d, _)| d == k))
        .map(|(k, _)| k.as_str())
        .collect();
    if !unknown.is_empty() {
        return Err(validation(format!(
            "Parameters: [{}] do not exist in the template",
            unknown.join(", ")
        )));
    }
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for (key, default) in declared {
        match given
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .or(default)
        {
            Some(value) => out.push((key, value)),
            None => missing.push(key),
        }
    }
    if !missing.is_empty() {
        return Err(validation(format!(
            "Parameters: [{}] must have values",
            missing.join(", ")
        )));
    }
    Ok(out)
}

fn given_tags(params: &Params) -> Vec<(String, String)> {
    params
        .structures("Tags")
        .iter()
        .filter_map(|t| {
            Some((
                t.get("Key")?.to_owned(),
                t.get("Value").unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn given_capabilities(params: &Params) -> Vec<String> {
    params
        .list("Capabilities")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The template a request gives: `TemplateBody`, `TemplateURL` (read from lamina's S3), or the stack's
/// when `UsePreviousTemplate` is true.
async fn template(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
    previous: Option<&StackRecord>,
) -> Result<String, QueryError> {
    if params.get("UsePreviousTemplate") == Some("true") {
        return previous
            .map(|s| s.template.clone())
            .ok_or_else(|| validation("UsePreviousTemplate can only be used for an existing stack"));
    }
    match (params.get("TemplateBody"), params.get("TemplateURL")) {
        (Some(body), None) => {
            if body.len() > TEMPLATE_BODY_MAX {
                return Err(validation(format!(
                    "1 validation error detected: Value '{}...' at 'templateBody' failed to satisfy constraint: \
                     Member must have length less than or equal to {TEMPLATE_BODY_MAX}",
                    body.chars().take(32).collect::<String>()
                )));
            }
            Ok(body.to_owned())
        }
        (None, Some(url)) => {
            template_url::read(cf.objects.as_ref(), &caller.account_id, &caller.region, url).await
        }
        (Some(_), Some(_)) => Err(validation("Specify exactly one of TemplateBody or TemplateURL")),
        (None, None) => Err(validation(
            "Either Template URL or Template Body must be specified.",
        )),
    }
}

/// Evaluates `target` for a stack named `name` in the caller's place, checking the capabilities
/// (`auto_expand`: a template with a transform needs CAPABILITY_AUTO_EXPAND, as outside change sets).
fn check_target(caller: &Caller, name: &str, target: &Target, auto_expand: bool) -> Result<(), QueryError> {
    let template = desired::parse(&target.template).map_err(|Invalid(m)| validation(m))?;
    let stack = StackRecord::blank(&caller.account_id, &caller.region, name);
    let desired = desired::evaluate(
        &template,
        &desired::Inputs {
            buckets: false,
            pseudo: &Stacks::pseudo(&stack),
            parameters: &target.parameters,
            names: &Default::default(),
            known: &Default::default(),
        },
    )
    .map_err(|Invalid(m)| validation(m))?;
    let has = |c: &str| target.capabilities.iter().any(|g| g == c);
    let mut missing: Vec<&str> = desired
        .needs
        .iter()
        .copied()
        .filter(|n| !(has(n) || (*n == "CAPABILITY_IAM" && has("CAPABILITY_NAMED_IAM"))))
        .collect();
    if auto_expand && template.root.get("Transform").is_some() && !has("CAPABILITY_AUTO_EXPAND") {
        missing.push("CAPABILITY_AUTO_EXPAND");
    }
    if !missing.is_empty() {
        return Err(QueryError::sender(
            "InsufficientCapabilitiesException",
            format!("Requires capabilities : [{}]", missing.join(", ")),
        ));
    }
    Ok(())
}

async fn save(cf: &CloudFormation, stack: &StackRecord) -> Result<(), QueryError> {
    cf.stacks
        .store
        .save(stack.clone())
        .await
        .map_err(|e| QueryError::internal(format!("cannot save the stack: {e}")))
}

fn stack_of(cf: &CloudFormation, caller: &Caller, name: &str) -> Option<StackRecord> {
    cf.stacks.store.find(&caller.account_id, &caller.region, name)
}

pub(crate) async fn create_stack(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = new_stack_name(params)?;
    let existing = stack_of(cf, caller, name);
    if existing.is_some() {
        return Err(QueryError::sender(
            "AlreadyExistsException",
            format!("Stack [{name}] already exists"),
        ));
    }
    let text = template(cf, caller, params, None).await?;
    let target = Target {
        parameters: effective_parameters(&text, params, &[])?,
        template: text,
        capabilities: given_capabilities(params),
        tags: given_tags(params),
    };
    check_target(caller, name, &target, true)?;
    let mut stack = StackRecord::blank(&caller.account_id, &caller.region, name);
    stack.template = target.template.clone();
    stack.parameters = target.parameters.clone();
    stack.capabilities = target.capabilities.clone();
    stack.tags = target.tags.clone();
    stack.disable_rollback =
        params.get("DisableRollback") == Some("true") || params.get("OnFailure") == Some("DO_NOTHING");
    let id = deploy(cf, stack, target, Deploy::Create, None).await?;
    Ok(Element::new().text("StackId", &id).finish())
}

pub(crate) async fn update_stack(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    let Some(stack) = stack_of(cf, caller, name).filter(|s| s.status != "REVIEW_IN_PROGRESS") else {
        return Err(validation(format!("Stack [{name}] does not exist")));
    };
    if !stack.updatable() {
        return Err(busy(&stack));
    }
    let text = template(cf, caller, params, Some(&stack)).await?;
    let target = Target {
        parameters: effective_parameters(&text, params, &stack.parameters)?,
        template: text,
        capabilities: given_capabilities(params),
        tags: if params.structures("Tags").is_empty() {
            stack.tags.clone()
        } else {
            given_tags(params)
        },
    };
    check_target(caller, &stack.name, &target, true)?;
    if cf
        .stacks
        .changes(&stack, &target)
        .map_err(|Invalid(m)| validation(m))?
        .is_empty()
        && target.template == stack.template
        && target.parameters == stack.parameters
    {
        return Err(validation("No updates are to be performed."));
    }
    let id = deploy(cf, stack, target, Deploy::Update, None).await?;
    Ok(Element::new().text("StackId", &id).finish())
}

pub(crate) async fn delete_stack(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    // Deleting a stack that does not exist (or is gone) succeeds, as on CloudFormation.
    let Some(mut stack) = stack_of(cf, caller, name).filter(|s| s.status != "DELETE_COMPLETE") else {
        return Ok(String::new());
    };
    if stack.status == "DELETE_IN_PROGRESS" {
        return Ok(String::new());
    }
    if stack.busy() {
        return Err(validation(format!(
            "Stack [{}] cannot be deleted while in status {}",
            stack.name, stack.status
        )));
    }
    stack.set_status("DELETE_IN_PROGRESS", Some("User Initiated".into()));
    save(cf, &stack).await?;
    start(Arc::clone(&cf.stacks).delete(stack)).await;
    Ok(String::new())
}

pub(crate) fn describe_stacks(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let stacks = match params.get("StackName") {
        Some(name) => vec![stack_of(cf, caller, name).ok_or_else(|| no_stack(name))?],
        None => cf
            .stacks
            .store
            .list(&caller.account_id, &caller.region)
            .into_iter()
            .filter(|s| s.status != "DELETE_COMPLETE")
            .collect(),
    };
    Ok(Element::new()
        .list("Stacks", stacks.iter().map(render::stack))
        .finish())
}

pub(crate) fn list_stacks(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let filter = params.list("StackStatusFilter");
    let stacks: Vec<StackRecord> = cf
        .stacks
        .store
        .list(&caller.account_id, &caller.region)
        .into_iter()
        .filter(|s| filter.is_empty() || filter.contains(&s.status.as_str()))
        .collect();
    Ok(Element::new()
        .list("StackSummaries", stacks.iter().map(render::summary))
        .finish())
}

pub(crate) fn describe_stack_events(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    let stack = stack_of(cf, caller, name).ok_or_else(|| no_stack(name))?;
    Ok(Element::new()
        .list(
            "StackEvents",
            stack.events.iter().rev().map(|e| render::event(&stack, e)),
        )
        .finish())
}

pub(crate) fn describe_stack_resources(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    let stack = stack_of(cf, caller, name).ok_or_else(|| no_stack(name))?;
    let logical = params.get("LogicalResourceId");
    Ok(Element::new()
        .list(
            "StackResources",
            stack
                .resources
                .iter()
                .filter(|r| logical.is_none_or(|l| l == r.logical_id))
                .map(|r| render::resource(&stack, r, false)),
        )
        .finish())
}

pub(crate) fn describe_stack_resource(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    let logical = required(params, "LogicalResourceId", "logicalResourceId")?;
    let stack = stack_of(cf, caller, name).ok_or_else(|| no_stack(name))?;
    let resource = stack
        .resource(logical)
        .ok_or_else(|| validation(format!("Resource {logical} does not exist for stack {name}")))?;
    Ok(Element::new()
        .child("StackResourceDetail", render::resource(&stack, resource, true))
        .finish())
}

pub(crate) fn list_stack_resources(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    let stack = stack_of(cf, caller, name).ok_or_else(|| no_stack(name))?;
    Ok(Element::new()
        .list(
            "StackResourceSummaries",
            stack.resources.iter().map(render::resource_summary),
        )
        .finish())
}

pub(crate) fn get_template(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    let stack = stack_of(cf, caller, name).ok_or_else(|| no_stack(name))?;
    let text = match params.get("ChangeSetName") {
        Some(set) => &find_change_set(&stack, set)?.template,
        None => &stack.template,
    };
    Ok(Element::new()
        .text("TemplateBody", text)
        .texts("StagesAvailable", ["Original", "Processed"])
        .finish())
}

/// ValidateTemplate and GetTemplateSummary: the parameters, description, capabilities and transforms
/// of a template.
pub(crate) async fn validate_template(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
    summary: bool,
) -> Result<String, QueryError> {
    let text = match (summary, params.get("StackName")) {
        (true, Some(name)) => stack_of(cf, caller, name).ok_or_else(|| no_stack(name))?.template,
        _ => template(cf, caller, params, None).await?,
    };
    let parsed = desired::parse(&text).map_err(|Invalid(m)| validation(m))?;
    let root = &parsed.root;
    let declared = root
        .get("Parameters")
        .and_then(|p| p.as_map())
        .map(|entries| {
            entries
                .iter()
                .map(|(key, p)| {
                    let scalar = |k: &str| p.get(k).and_then(|n| n.as_scalar()).map(str::to_owned);
                    let e = Element::new()
                        .text("ParameterKey", &key.name)
                        .optional("DefaultValue", scalar("Default").as_deref());
                    let e = if summary {
                        e.optional("ParameterType", scalar("Type").as_deref())
                    } else {
                        e
                    };
                    e.text(
                        "NoEcho",
                        if scalar("NoEcho").as_deref() == Some("true") {
                            "true"
                        } else {
                            "false"
                        },
                    )
                    .optional("Description", scalar("Description").as_deref())
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let resources = parsed.resources().map_err(|e| validation(e.to_string()))?;
    let iam: Vec<&str> = resources
        .iter()
        .filter(|r| r.type_name.starts_with("AWS::IAM::") || r.type_name == "AWS::Serverless::Function")
        .map(|r| r.type_name.as_str())
        .collect();
    let transforms: Vec<&str> = match root.get("Transform") {
        Some(t) => match t.as_scalar() {
            Some(one) => vec![one],
            None => t
                .expect_seq("Transform")
                .ok()
                .map(|items| items.iter().filter_map(|i| i.as_scalar()).collect())
                .unwrap_or_default(),
        },
        None => Vec::new(),
    };
    let mut out = Element::new()
        .list("Parameters", declared)
        .optional("Description", root.get("Description").and_then(|d| d.as_scalar()));
    if !iam.is_empty() {
        out = out.texts("Capabilities", ["CAPABILITY_IAM"]).text(
            "CapabilitiesReason",
            &format!(
                "The following resource(s) require capabilities: [{}]",
                iam.join(", ")
            ),
        );
    }
    if summary {
        let mut types: Vec<&str> = resources.iter().map(|r| r.type_name.as_str()).collect();
        types.sort_unstable();
        types.dedup();
        out = out.texts("ResourceTypes", types).optional(
            "Version",
            root.get("AWSTemplateFormatVersion").and_then(|v| v.as_scalar()),
        );
    }
    Ok(out.texts("DeclaredTransforms", transforms).finish())
}

/// The change set `name_or_id` of `stack` (an executed one by its id only).
fn find_change_set<'s>(stack: &'s StackRecord, name_or_id: &str) -> Result<&'s ChangeSetRecord, QueryError> {
    stack
        .change_sets
        .iter()
        .find(|c| c.id == name_or_id || (c.name == name_or_id && !c.executed()))
        .ok_or_else(|| change_set_missing(name_or_id))
}

fn change_set_missing(name_or_id: &str) -> QueryError {
    QueryError {
        status: axum::http::StatusCode::NOT_FOUND,
        code: "ChangeSetNotFound",
        message: format!("ChangeSet [{name_or_id}] does not exist"),
    }
}

/// The stack a change set request names: by `StackName`, or by the change set's ARN alone.
fn change_set_stack(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<StackRecord, QueryError> {
    let set = required(params, "ChangeSetName", "changeSetName")?;
    match params.get("StackName") {
        Some(name) => stack_of(cf, caller, name).ok_or_else(|| no_stack(name)),
        None if set.starts_with("arn:") => cf
            .stacks
            .store
            .list(&caller.account_id, &caller.region)
            .into_iter()
            .find(|s| s.change_sets.iter().any(|c| c.id == set))
            .ok_or_else(|| change_set_missing(set)),
        None => Err(validation(
            "StackName must be specified if ChangeSetName is not specified as an ARN.",
        )),
    }
}

pub(crate) async fn create_change_set(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = new_stack_name(params)?;
    let set_name = required(params, "ChangeSetName", "changeSetName")?;
    let kind = params.get("ChangeSetType").unwrap_or("UPDATE");
    let existing = stack_of(cf, caller, name);
    let mut stack = match (kind, existing) {
        ("CREATE", Some(s)) if s.status != "REVIEW_IN_PROGRESS" => {
            return Err(QueryError::sender(
                "AlreadyExistsException",
                format!(
                    "Stack [{name}] already exists and cannot be created again with the changeSet [{set_name}]."
                ),
            ));
        }
        ("CREATE", Some(s)) => s,
        ("CREATE", None) => {
            let mut s = StackRecord::blank(&caller.account_id, &caller.region, name);
            s.set_status("REVIEW_IN_PROGRESS", Some("User Initiated".into()));
            s
        }
        ("UPDATE", Some(s)) if s.status != "REVIEW_IN_PROGRESS" && !s.updatable() => return Err(busy(&s)),
        ("UPDATE", Some(s)) if s.status != "REVIEW_IN_PROGRESS" => s,
        ("UPDATE", _) => return Err(validation(format!("Stack [{name}] does not exist"))),
        (other, _) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'changeSetType' failed to satisfy constraint: \
                 Member must satisfy enum value set: [IMPORT, UPDATE, CREATE]"
            )));
        }
    };
    if stack.busy() {
        return Err(busy(&stack));
    }
    if stack
        .change_sets
        .iter()
        .any(|c| c.name == set_name && !c.executed())
    {
        return Err(QueryError::sender(
            "AlreadyExistsException",
            format!(
                "ChangeSet {set_name} cannot be created due to a mismatch with existing attribute Template"
            ),
        ));
    }
    let previous = (kind == "UPDATE").then_some(&stack);
    let text = template(cf, caller, params, previous).await?;
    let target = Target {
        parameters: effective_parameters(&text, params, &stack.parameters)?,
        template: text,
        capabilities: given_capabilities(params),
        tags: given_tags(params),
    };
    desired::parse(&target.template).map_err(|Invalid(m)| validation(m))?;
    let (status, reason, execution, changes) = match check_target(caller, name, &target, false) {
        Err(e) if e.code == "InsufficientCapabilitiesException" => return Err(e),
        Err(e) => ("FAILED", Some(e.message), "UNAVAILABLE", Vec::new()),
        Ok(()) => match cf.stacks.changes(&stack, &target) {
            Err(Invalid(m)) => ("FAILED", Some(m), "UNAVAILABLE", Vec::new()),
            Ok(changes) if changes.is_empty() && kind == "UPDATE" => (
                "FAILED",
                Some(
                    "The submitted information didn't contain changes. Submit different information to create a \
                     change set."
                        .to_owned(),
                ),
                "UNAVAILABLE",
                changes,
            ),
            Ok(changes) => ("CREATE_COMPLETE", None, "AVAILABLE", changes),
        },
    };
    let set = ChangeSetRecord {
        id: format!(
            "arn:aws:cloudformation:{}:{}:changeSet/{set_name}/{}",
            caller.region,
            caller.account_id,
            uuid::Uuid::new_v4()
        ),
        name: set_name.to_owned(),
        description: params.get("Description").map(str::to_owned),
        change_set_type: kind.to_owned(),
        status: status.into(),
        status_reason: reason,
        execution_status: execution.into(),
        created: Utc::now(),
        template: target.template,
        parameters: target.parameters,
        capabilities: target.capabilities,
        tags: target.tags,
        changes,
    };
    let id = set.id.clone();
    stack.change_sets.push(set);
    save(cf, &stack).await?;
    Ok(Element::new().text("Id", &id).text("StackId", &stack.id).finish())
}

pub(crate) fn describe_change_set(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let stack = change_set_stack(cf, caller, params)?;
    let set = find_change_set(&stack, params.get("ChangeSetName").unwrap_or_default())?;
    Ok(render::change_set(&stack, set).finish())
}

pub(crate) fn list_change_sets(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let name = required(params, "StackName", "stackName")?;
    let stack = stack_of(cf, caller, name).ok_or_else(|| no_stack(name))?;
    Ok(Element::new()
        .list(
            "Summaries",
            stack
                .change_sets
                .iter()
                .filter(|c| !c.executed())
                .map(|c| render::change_set_summary(&stack, c)),
        )
        .finish())
}

pub(crate) async fn delete_change_set(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let mut stack = change_set_stack(cf, caller, params)?;
    let set = find_change_set(&stack, params.get("ChangeSetName").unwrap_or_default())?.clone();
    if set.execution_status == "EXECUTE_IN_PROGRESS" {
        return Err(QueryError::sender(
            "InvalidChangeSetStatus",
            format!(
                "Cannot delete ChangeSet [{}] while its status is EXECUTE_IN_PROGRESS",
                set.id
            ),
        ));
    }
    stack.change_sets.retain(|c| c.id != set.id);
    save(cf, &stack).await?;
    Ok(String::new())
}

pub(crate) async fn execute_change_set(
    cf: &CloudFormation,
    caller: &Caller,
    params: &Params,
) -> Result<String, QueryError> {
    let mut stack = change_set_stack(cf, caller, params)?;
    let set = find_change_set(&stack, params.get("ChangeSetName").unwrap_or_default())?.clone();
    if set.execution_status != "AVAILABLE" {
        return Err(QueryError::sender(
            "InvalidChangeSetStatus",
            format!(
                "ChangeSet [{}] cannot be executed in its current execution status of [{}]",
                set.id, set.execution_status
            ),
        ));
    }
    if stack.busy() {
        return Err(busy(&stack));
    }
    // Executing a change set removes the stack's others, as CloudFormation does; the executed one stays
    // describable by its id (DescribeStacks names it) but is no longer listed.
    stack.change_sets.retain(|c| c.id == set.id);
    for executed in &mut stack.change_sets {
        executed.execution_status = "EXECUTE_IN_PROGRESS".into();
    }
    let kind = if stack.status == "REVIEW_IN_PROGRESS" {
        stack.disable_rollback = params.get("DisableRollback") == Some("true");
        Deploy::Create
    } else {
        Deploy::Update
    };
    let target = Target {
        template: set.template.clone(),
        parameters: set.parameters.clone(),
        capabilities: set.capabilities.clone(),
        tags: set.tags.clone(),
    };
    deploy(cf, stack, target, kind, Some(set.id)).await?;
    Ok(String::new())
}
