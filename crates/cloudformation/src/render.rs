//! Stacks, events, resources and change sets as CloudFormation's XML answers show them.

use lamina_query::Element;

use crate::record::{ChangeSetRecord, EventRecord, ResourceRecord, StackRecord, time};

/// A `Parameters` list.
fn parameters(parameters: &[(String, String)]) -> impl Iterator<Item = Element> + '_ {
    parameters
        .iter()
        .map(|(k, v)| Element::new().text("ParameterKey", k).text("ParameterValue", v))
}

/// A `Tags` list.
fn tags(tags: &[(String, String)]) -> impl Iterator<Item = Element> + '_ {
    tags.iter()
        .map(|(k, v)| Element::new().text("Key", k).text("Value", v))
}

/// A member of DescribeStacks' `Stacks`.
pub(crate) fn stack(s: &StackRecord) -> Element {
    let mut e = Element::new().text("StackId", &s.id).text("StackName", &s.name);
    if let Some(set) = s.change_sets.iter().find(|c| c.executed()) {
        e = e.text("ChangeSetId", &set.id);
    }
    e = e
        .optional("Description", s.description.as_deref())
        .list("Parameters", parameters(&s.parameters))
        .text("CreationTime", &time(&s.created))
        .optional("DeletionTime", s.deleted.as_ref().map(time).as_deref())
        .optional("LastUpdatedTime", s.updated.as_ref().map(time).as_deref())
        .child(
            "RollbackConfiguration",
            Element::new().list("RollbackTriggers", []),
        )
        .text("StackStatus", &s.status)
        .optional("StackStatusReason", s.status_reason.as_deref())
        .text(
            "DisableRollback",
            if s.disable_rollback { "true" } else { "false" },
        )
        .list("NotificationARNs", [])
        .texts("Capabilities", s.capabilities.iter().map(String::as_str));
    if !s.outputs.is_empty() {
        e = e.list(
            "Outputs",
            s.outputs.iter().map(|o| {
                Element::new()
                    .text("OutputKey", &o.key)
                    .text("OutputValue", &o.value)
                    .optional("Description", o.description.as_deref())
                    .optional("ExportName", o.export_name.as_deref())
            }),
        );
    }
    e.list("Tags", tags(&s.tags))
        .text("EnableTerminationProtection", "false")
        .child(
            "DriftInformation",
            Element::new().text("StackDriftStatus", "NOT_CHECKED"),
        )
}

/// A member of ListStacks' `StackSummaries`.
pub(crate) fn summary(s: &StackRecord) -> Element {
    Element::new()
        .text("StackId", &s.id)
        .text("StackName", &s.name)
        .optional("TemplateDescription", s.description.as_deref())
        .text("CreationTime", &time(&s.created))
        .optional("LastUpdatedTime", s.updated.as_ref().map(time).as_deref())
        .optional("DeletionTime", s.deleted.as_ref().map(time).as_deref())
        .text("StackStatus", &s.status)
        .optional("StackStatusReason", s.status_reason.as_deref())
        .child(
            "DriftInformation",
            Element::new().text("StackDriftStatus", "NOT_CHECKED"),
        )
}

/// A member of DescribeStackEvents' `StackEvents`.
pub(crate) fn event(s: &StackRecord, e: &EventRecord) -> Element {
    Element::new()
        .text("StackId", &s.id)
        .text("EventId", &e.id)
        .text("StackName", &s.name)
        .text("LogicalResourceId", &e.logical_id)
        .text("PhysicalResourceId", &e.physical_id)
        .text("ResourceType", &e.type_name)
        .text("Timestamp", &time(&e.timestamp))
        .text("ResourceStatus", &e.status)
        .optional("ResourceStatusReason", e.reason.as_deref())
}

/// A member of DescribeStackResources' `StackResources` (`detail`: DescribeStackResource's
/// `StackResourceDetail`, with `LastUpdatedTimestamp`).
pub(crate) fn resource(s: &StackRecord, r: &ResourceRecord, detail: bool) -> Element {
    Element::new()
        .text("StackName", &s.name)
        .text("StackId", &s.id)
        .text("LogicalResourceId", &r.logical_id)
        .text("PhysicalResourceId", &r.physical_id)
        .text("ResourceType", &r.type_name)
        .text(
            if detail {
                "LastUpdatedTimestamp"
            } else {
                "Timestamp"
            },
            &time(&r.updated),
        )
        .text("ResourceStatus", &r.status)
        .optional("ResourceStatusReason", r.reason.as_deref())
        .child(
            "DriftInformation",
            Element::new().text("StackResourceDriftStatus", "NOT_CHECKED"),
        )
}

/// A member of ListStackResources' `StackResourceSummaries`.
pub(crate) fn resource_summary(r: &ResourceRecord) -> Element {
    Element::new()
        .text("LogicalResourceId", &r.logical_id)
        .text("PhysicalResourceId", &r.physical_id)
        .text("ResourceType", &r.type_name)
        .text("LastUpdatedTimestamp", &time(&r.updated))
        .text("ResourceStatus", &r.status)
        .optional("ResourceStatusReason", r.reason.as_deref())
        .child(
            "DriftInformation",
            Element::new().text("StackResourceDriftStatus", "NOT_CHECKED"),
        )
}

/// DescribeChangeSet's result.
pub(crate) fn change_set(s: &StackRecord, c: &ChangeSetRecord) -> Element {
    Element::new()
        .text("ChangeSetName", &c.name)
        .text("ChangeSetId", &c.id)
        .text("StackId", &s.id)
        .text("StackName", &s.name)
        .optional("Description", c.description.as_deref())
        .list("Parameters", parameters(&c.parameters))
        .text("CreationTime", &time(&c.created))
        .text("ExecutionStatus", &c.execution_status)
        .text("Status", &c.status)
        .optional("StatusReason", c.status_reason.as_deref())
        .list("NotificationARNs", [])
        .child(
            "RollbackConfiguration",
            Element::new().list("RollbackTriggers", []),
        )
        .texts("Capabilities", c.capabilities.iter().map(String::as_str))
        .list("Tags", tags(&c.tags))
        .list(
            "Changes",
            c.changes.iter().map(|change| {
                let mut r = Element::new()
                    .text("Action", &change.action)
                    .text("LogicalResourceId", &change.logical_id)
                    .optional("PhysicalResourceId", change.physical_id.as_deref())
                    .text("ResourceType", &change.type_name)
                    .optional("Replacement", change.replacement.as_deref());
                if change.action == "Modify" {
                    r = r.texts("Scope", ["Properties"]);
                }
                Element::new()
                    .text("Type", "Resource")
                    .child("ResourceChange", r.list("Details", []))
            }),
        )
        .text("IncludeNestedStacks", "false")
}

/// A member of ListChangeSets' `Summaries`.
pub(crate) fn change_set_summary(s: &StackRecord, c: &ChangeSetRecord) -> Element {
    Element::new()
        .text("StackId", &s.id)
        .text("StackName", &s.name)
        .text("ChangeSetId", &c.id)
        .text("ChangeSetName", &c.name)
        .text("ExecutionStatus", &c.execution_status)
        .text("Status", &c.status)
        .optional("StatusReason", c.status_reason.as_deref())
        .text("CreationTime", &time(&c.created))
        .optional("Description", c.description.as_deref())
        .text("IncludeNestedStacks", "false")
}
