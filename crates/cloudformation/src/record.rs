//! What a stack is, as it is stored and described: its status, template, parameters, resources,
//! events, outputs and change sets. Statuses are CloudFormation's names.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// The most events a stack keeps (the newest; DescribeStackEvents pages through them).
pub(crate) const MAX_EVENTS: usize = 2_000;

/// One stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StackRecord {
    /// `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`.
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) status: String,
    pub(crate) status_reason: Option<String>,
    /// The template's `Description`.
    pub(crate) description: Option<String>,
    /// The template deployed (or to be deployed, in REVIEW_IN_PROGRESS).
    pub(crate) template: String,
    /// The parameters given, by key.
    pub(crate) parameters: Vec<(String, String)>,
    pub(crate) capabilities: Vec<String>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) disable_rollback: bool,
    pub(crate) created: DateTime<Utc>,
    pub(crate) updated: Option<DateTime<Utc>>,
    pub(crate) deleted: Option<DateTime<Utc>>,
    pub(crate) outputs: Vec<OutputRecord>,
    /// In the order they were made.
    pub(crate) resources: Vec<ResourceRecord>,
    /// Oldest first.
    pub(crate) events: Vec<EventRecord>,
    pub(crate) change_sets: Vec<ChangeSetRecord>,
    /// Resources an update replaced, removed once it succeeds.
    #[serde(default)]
    pub(crate) replaced: Vec<ResourceRecord>,
}

impl StackRecord {
    /// A new stack named `name` of `account` in `region`, in REVIEW_IN_PROGRESS with no template yet.
    pub(crate) fn blank(account: &str, region: &str, name: &str) -> StackRecord {
        StackRecord {
            id: format!(
                "arn:aws:cloudformation:{region}:{account}:stack/{name}/{}",
                uuid::Uuid::new_v4()
            ),
            name: name.to_owned(),
            account: account.to_owned(),
            region: region.to_owned(),
            status: "REVIEW_IN_PROGRESS".into(),
            status_reason: None,
            description: None,
            template: String::new(),
            parameters: Vec::new(),
            capabilities: Vec::new(),
            tags: Vec::new(),
            disable_rollback: false,
            created: Utc::now(),
            updated: None,
            deleted: None,
            outputs: Vec::new(),
            resources: Vec::new(),
            events: Vec::new(),
            change_sets: Vec::new(),
            replaced: Vec::new(),
        }
    }

    /// The resource `logical_id`, if the stack has it.
    pub(crate) fn resource(&self, logical_id: &str) -> Option<&ResourceRecord> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    /// Whether an operation is under way (no other may start).
    pub(crate) fn busy(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS") && self.status != "REVIEW_IN_PROGRESS"
    }

    /// Whether an update may start: the stack was created, or its last update ended either way (a stack
    /// whose creation failed or rolled back can only be deleted).
    pub(crate) fn updatable(&self) -> bool {
        matches!(
            self.status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE" | "UPDATE_FAILED"
        )
    }

    /// Appends an event, keeping the newest [`MAX_EVENTS`].
    pub(crate) fn event(&mut self, event: EventRecord) {
        self.events.push(event);
        if self.events.len() > MAX_EVENTS {
            let extra = self.events.len() - MAX_EVENTS;
            self.events.drain(..extra);
        }
    }

    /// Sets the stack's status, with its event.
    pub(crate) fn set_status(&mut self, status: &str, reason: Option<String>) {
        self.status = status.to_owned();
        self.status_reason = reason.clone();
        let event = EventRecord {
            id: uuid::Uuid::new_v4().to_string(),
            logical_id: self.name.clone(),
            physical_id: self.id.clone(),
            type_name: "AWS::CloudFormation::Stack".into(),
            timestamp: Utc::now(),
            status: status.to_owned(),
            reason,
        };
        self.event(event);
    }

    /// Sets a resource's status (adding the resource if new), with its event.
    pub(crate) fn set_resource(&mut self, resource: ResourceRecord) {
        let event = EventRecord {
            id: format!("{}-{}", resource.logical_id, uuid::Uuid::new_v4()),
            logical_id: resource.logical_id.clone(),
            physical_id: resource.physical_id.clone(),
            type_name: resource.type_name.clone(),
            timestamp: resource.updated,
            status: resource.status.clone(),
            reason: resource.reason.clone(),
        };
        match self
            .resources
            .iter_mut()
            .find(|r| r.logical_id == resource.logical_id)
        {
            Some(existing) => *existing = resource,
            None => self.resources.push(resource),
        }
        self.event(event);
    }
}

/// One resource of a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ResourceRecord {
    pub(crate) logical_id: String,
    pub(crate) type_name: String,
    /// The function's name, the layer version's ARN, the role's name, ... (empty until made).
    pub(crate) physical_id: String,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
    pub(crate) updated: DateTime<Utc>,
    /// What the resource was made from, to tell whether an update changes it.
    pub(crate) fingerprint: String,
    /// What its `Ref` and `Fn::GetAtt` stand for, once made (for types whose values only the making
    /// tells: layer versions, versions, aliases, URLs).
    #[serde(default)]
    pub(crate) known: Option<Known>,
    /// The properties it was made with (what removing it needs: the function of a permission, ...).
    #[serde(default)]
    pub(crate) properties: Option<serde_json::Value>,
    /// `DeletionPolicy: Retain`: removing it from the stack leaves it in place.
    #[serde(default)]
    pub(crate) retain: bool,
}

/// What a made resource's `Ref` and `Fn::GetAtt` stand for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Known {
    pub(crate) reference: String,
    pub(crate) attributes: std::collections::BTreeMap<String, String>,
}

/// One event of a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EventRecord {
    pub(crate) id: String,
    pub(crate) logical_id: String,
    pub(crate) physical_id: String,
    pub(crate) type_name: String,
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
}

/// One output of a deployed stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OutputRecord {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) description: Option<String>,
    pub(crate) export_name: Option<String>,
}

/// One change set of a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChangeSetRecord {
    /// `arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<uuid>`.
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    /// `CREATE` or `UPDATE`.
    pub(crate) change_set_type: String,
    pub(crate) status: String,
    pub(crate) status_reason: Option<String>,
    pub(crate) execution_status: String,
    pub(crate) created: DateTime<Utc>,
    pub(crate) template: String,
    pub(crate) parameters: Vec<(String, String)>,
    pub(crate) capabilities: Vec<String>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) changes: Vec<ChangeRecord>,
}

impl ChangeSetRecord {
    /// Whether it was executed (then it is no longer listed, nor found by name).
    pub(crate) fn executed(&self) -> bool {
        self.execution_status.starts_with("EXECUTE_")
    }
}

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChangeRecord {
    /// `Add`, `Modify` or `Remove`.
    pub(crate) action: String,
    pub(crate) logical_id: String,
    pub(crate) physical_id: Option<String>,
    pub(crate) type_name: String,
    /// `True`, `False` (for Modify).
    pub(crate) replacement: Option<String>,
}

/// A time as CloudFormation shows it (`2026-12-07T16:30:00.123Z`).
pub(crate) fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
