//! Stack operations as they run after their request is answered: creating, updating (directly or by
//! executing a change set) and deleting a stack, one resource at a time with an event for each status,
//! rolling back as CloudFormation does when a resource fails. Each operation is the only writer of its
//! stack while the stack's status is `*_IN_PROGRESS` (requests refuse to start another), and saves the
//! stack after every step, so DescribeStacks and DescribeStackEvents show the progress and a restart
//! finds where it stopped ([`Stacks::recover`]).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use lamina_engine::Scope;
use lamina_template::intrinsics::Pseudo;

use crate::desired::{self, Desired, Inputs, Making, SubKind, Wanted};
use crate::provision::{Provisioner, Refused};
use crate::record::{ChangeRecord, EventRecord, Known, ResourceRecord, StackRecord};
use crate::store::StackStore;

/// The stacks and what makes their resources.
pub(crate) struct Stacks {
    pub(crate) store: StackStore,
    pub(crate) provisioner: Provisioner,
}

/// What a deploy makes the stack into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) template: String,
    pub(crate) parameters: Vec<(String, String)>,
    pub(crate) capabilities: Vec<String>,
    pub(crate) tags: Vec<(String, String)>,
}

/// Whether a deploy creates the stack or updates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deploy {
    Create,
    Update,
}

/// A resource that failed, and why.
struct Failed {
    logical_id: String,
}

impl Stacks {
    fn scope(stack: &StackRecord) -> Scope {
        Scope {
            region: stack.region.clone(),
            account: stack.account.clone(),
        }
    }

    pub(crate) fn pseudo(stack: &StackRecord) -> Pseudo {
        Pseudo {
            region: stack.region.clone(),
            account_id: stack.account.clone(),
            stack_name: stack.name.clone(),
        }
    }

    /// Saves `stack`; a store that cannot be written is logged (the operation goes on: its result is
    /// saved at its next step, or found by [`Stacks::recover`]).
    async fn save(&self, stack: &StackRecord) {
        if let Err(e) = self.store.save(stack.clone()).await {
            tracing::error!(stack = %stack.name, "cannot save the stack: {e}");
        }
    }

    /// Runs a deploy of `stack` (whose status is already `CREATE_IN_PROGRESS` or `UPDATE_IN_PROGRESS`,
    /// saved) to `target`, then its cleanup or rollback; `change_set` is the id of the change set being
    /// executed, if any.
    pub(crate) async fn deploy(
        self: Arc<Self>,
        mut stack: StackRecord,
        target: Target,
        kind: Deploy,
        change_set: Option<String>,
    ) {
        let before = stack.clone();
        let outcome = self.apply(&mut stack, &target).await;
        let succeeded = outcome.is_ok();
        match (outcome, kind) {
            (Ok(desired), Deploy::Create) => {
                stack.outputs = desired.outputs;
                stack.description = desired.description;
                self.accept(&mut stack, &target);
                stack.set_status("CREATE_COMPLETE", None);
            }
            (Ok(desired), Deploy::Update) => {
                let kept: Vec<String> = desired.resources.iter().map(|w| w.logical_id.clone()).collect();
                stack.outputs = desired.outputs;
                stack.description = desired.description;
                self.accept(&mut stack, &target);
                stack.updated = Some(Utc::now());
                stack.set_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None);
                self.save(&stack).await;
                self.remove_all(&mut stack, |r| !kept.contains(&r.logical_id), false)
                    .await
                    .ok();
                self.remove_replaced(&mut stack).await;
                stack.set_status("UPDATE_COMPLETE", None);
            }
            (Err(failed), Deploy::Create) => {
                let reason = format!(
                    "The following resource(s) failed to create: [{}]. ",
                    failed.logical_id
                );
                if stack.disable_rollback {
                    stack.set_status("CREATE_FAILED", Some(reason));
                } else {
                    stack.set_status(
                        "ROLLBACK_IN_PROGRESS",
                        Some(format!("{reason}Rollback requested by user.")),
                    );
                    self.save(&stack).await;
                    let status = match self.remove_all(&mut stack, |_| true, true).await {
                        Ok(()) => "ROLLBACK_COMPLETE",
                        Err(_) => "ROLLBACK_FAILED",
                    };
                    stack.set_status(status, None);
                }
            }
            (Err(failed), Deploy::Update) => {
                // What the update replaced is what the stack goes back to: it stays.
                stack.replaced.clear();
                let reason = format!(
                    "The following resource(s) failed to update: [{}]. ",
                    failed.logical_id
                );
                stack.set_status("UPDATE_ROLLBACK_IN_PROGRESS", Some(reason));
                self.save(&stack).await;
                let previous = Target {
                    template: before.template.clone(),
                    parameters: before.parameters.clone(),
                    capabilities: before.capabilities.clone(),
                    tags: before.tags.clone(),
                };
                let restored = self.apply(&mut stack, &previous).await;
                stack.set_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None);
                self.save(&stack).await;
                let kept: Vec<String> = before.resources.iter().map(|r| r.logical_id.clone()).collect();
                let cleaned = self
                    .remove_all(&mut stack, |r| !kept.contains(&r.logical_id), false)
                    .await;
                let status = if restored.is_ok() && cleaned.is_ok() {
                    "UPDATE_ROLLBACK_COMPLETE"
                } else {
                    "UPDATE_ROLLBACK_FAILED"
                };
                stack.set_status(status, None);
            }
        }
        if let Some(id) = change_set
            && let Some(set) = stack.change_sets.iter_mut().find(|c| c.id == id)
        {
            set.execution_status = if succeeded {
                "EXECUTE_COMPLETE"
            } else {
                "EXECUTE_FAILED"
            }
            .into();
        }
        self.save(&stack).await;
    }

    /// Takes the target's template, parameters, capabilities and tags as the stack's.
    fn accept(&self, stack: &mut StackRecord, target: &Target) {
        stack.template = target.template.clone();
        stack.parameters = target.parameters.clone();
        stack.capabilities = target.capabilities.clone();
        stack.tags = target.tags.clone();
    }

    /// Makes or changes every resource `target` asks for that differs from what the stack has.
    async fn apply(&self, stack: &mut StackRecord, target: &Target) -> Result<Desired, Failed> {
        let scope = Self::scope(stack);
        let pseudo = Self::pseudo(stack);
        let failed_template = |stack: &mut StackRecord, reason: String| {
            stack.status_reason = Some(reason);
            Failed {
                logical_id: stack.name.clone(),
            }
        };
        let template = match desired::parse(&target.template) {
            Ok(t) => t,
            Err(desired::Invalid(reason)) => return Err(failed_template(stack, reason)),
        };
        let (names, mut known) = made_values(stack);
        // Named once: every evaluation below gives the template's functions the same names.
        let names = match desired::names(&template, &stack.name, &names) {
            Ok(names) => names,
            Err(desired::Invalid(reason)) => return Err(failed_template(stack, reason)),
        };
        let evaluate = |known: &HashMap<String, Known>| {
            desired::evaluate(
                &template,
                &Inputs {
                    buckets: self.provisioner.buckets.is_some(),
                    pseudo: &pseudo,
                    parameters: &target.parameters,
                    names: &names,
                    known,
                },
            )
        };
        let first = match evaluate(&known) {
            Ok(d) => d,
            Err(desired::Invalid(reason)) => return Err(failed_template(stack, reason)),
        };
        // Recorded resources and layers first: functions refer to the layers' versions.
        let group = |w: &Wanted| match w.making {
            Making::Recorded { .. } | Making::Bucket { .. } | Making::Layer(_) => 0,
            Making::Function(_) => 1,
            Making::Sub { .. } => 2,
        };
        for wanted in first.resources.iter().filter(|w| group(w) == 0) {
            if let Some(values) = self.step(stack, &scope, wanted).await? {
                known.insert(wanted.logical_id.clone(), values);
            }
        }
        let mut latest = match evaluate(&known) {
            Ok(d) => d,
            Err(desired::Invalid(reason)) => return Err(failed_template(stack, reason)),
        };
        for wanted in latest.resources.iter().filter(|w| group(w) == 1) {
            self.step(stack, &scope, wanted).await?;
        }
        // Then the functions' versions, aliases and the rest, one at a time: each may name what the one
        // before it made (an alias its version), so the template is evaluated again after each.
        let subs: Vec<String> = latest
            .resources
            .iter()
            .filter(|w| group(w) == 2)
            .map(|w| w.logical_id.clone())
            .collect();
        for logical_id in subs {
            latest = match evaluate(&known) {
                Ok(d) => d,
                Err(desired::Invalid(reason)) => return Err(failed_template(stack, reason)),
            };
            let Some(wanted) = latest.resources.iter().find(|w| w.logical_id == logical_id) else {
                continue;
            };
            if let Some(values) = self.step(stack, &scope, wanted).await? {
                known.insert(logical_id, values);
            }
        }
        match evaluate(&known) {
            Ok(d) => Ok(d),
            Err(desired::Invalid(reason)) => Err(failed_template(stack, reason)),
        }
    }

    /// Makes or changes one resource if what the stack has differs; returns what its `Ref` and
    /// `Fn::GetAtt` stand for when the making tells.
    async fn step(
        &self,
        stack: &mut StackRecord,
        scope: &Scope,
        wanted: &Wanted,
    ) -> Result<Option<Known>, Failed> {
        let old = stack.resource(&wanted.logical_id).cloned();
        if old.as_ref().is_some_and(|o| unchanged(o, wanted)) {
            // A new DeletionPolicy changes nothing made, and is kept without an event.
            if let Some(r) = stack
                .resources
                .iter_mut()
                .find(|r| r.logical_id == wanted.logical_id)
            {
                r.retain = wanted.retain;
            }
            return Ok(None);
        }
        let made_before = old.as_ref().is_some_and(|o| !o.physical_id.is_empty());
        let verb = if made_before { "UPDATE" } else { "CREATE" };
        // A function's physical id is its name, known before it is made: a rollback then removes a
        // function whose creation failed half way.
        let physical_id = match (&wanted.making, &old) {
            (Making::Function(spec), _) => spec.name.clone(),
            (_, Some(old)) => old.physical_id.clone(),
            (_, None) => String::new(),
        };
        let mut record = ResourceRecord {
            logical_id: wanted.logical_id.clone(),
            type_name: wanted.type_name.clone(),
            physical_id,
            status: format!("{verb}_IN_PROGRESS"),
            reason: None,
            updated: Utc::now(),
            fingerprint: old.as_ref().map(|o| o.fingerprint.clone()).unwrap_or_default(),
            known: old.as_ref().and_then(|o| o.known.clone()),
            properties: old.as_ref().and_then(|o| o.properties.clone()),
            retain: wanted.retain,
        };
        stack.set_resource(record.clone());
        self.save(stack).await;
        let default_role =
            lamina_template::role_arn(&Self::pseudo(stack), &format!("{}Role", wanted.logical_id));
        match self
            .provisioner
            .make(scope, wanted, old.as_ref(), (&stack.name, &default_role))
            .await
        {
            Ok(made) => {
                if let Some(old) = &old
                    && !old.physical_id.is_empty()
                    && old.physical_id != made.physical_id
                    && !matches!(
                        wanted.making,
                        Making::Sub {
                            kind: SubKind::Permission,
                            ..
                        }
                    )
                {
                    // Replaced: the old one is removed in the cleanup, once nothing uses it.
                    stack.replaced.push(old.clone());
                }
                record.physical_id = made.physical_id;
                record.known = made.known.clone();
                record.properties = made.properties;
                record.status = format!("{verb}_COMPLETE");
                record.reason = match &wanted.making {
                    Making::Recorded { note, .. } => note.clone(),
                    _ => None,
                };
                record.fingerprint = wanted.fingerprint();
                record.updated = Utc::now();
                stack.set_resource(record);
                self.save(stack).await;
                Ok(made.known)
            }
            Err(Refused(reason)) => {
                record.status = format!("{verb}_FAILED");
                record.reason = Some(reason);
                record.updated = Utc::now();
                stack.set_resource(record);
                self.save(stack).await;
                Err(Failed {
                    logical_id: wanted.logical_id.clone(),
                })
            }
        }
    }

    /// Removes the stack's resources that `which` picks, newest first, with their events; `rollback`
    /// removes what failed too. Returns the first failure after trying them all.
    async fn remove_all(
        &self,
        stack: &mut StackRecord,
        which: impl Fn(&ResourceRecord) -> bool,
        rollback: bool,
    ) -> Result<(), Refused> {
        let scope = Self::scope(stack);
        let mut chosen: Vec<ResourceRecord> = stack
            .resources
            .iter()
            .rev()
            .filter(|r| which(r) && r.status != "DELETE_COMPLETE")
            .cloned()
            .collect();
        // What names others goes after them: an alias before its version, both before the function.
        chosen.sort_by_key(|r| std::cmp::Reverse(make_order(&r.type_name)));
        let mut first_failure = None;
        for mut resource in chosen {
            if resource.retain && resource.status.ends_with("_COMPLETE") {
                // Kept, as its DeletionPolicy says.
                resource.status = "DELETE_SKIPPED".into();
                resource.reason = None;
                resource.updated = Utc::now();
                stack.set_resource(resource);
                continue;
            }
            if resource.physical_id.is_empty() && rollback {
                // Never made: nothing to remove.
                resource.status = "DELETE_COMPLETE".into();
                resource.reason = None;
                resource.updated = Utc::now();
                stack.set_resource(resource);
                continue;
            }
            resource.status = "DELETE_IN_PROGRESS".into();
            resource.reason = None;
            resource.updated = Utc::now();
            stack.set_resource(resource.clone());
            self.save(stack).await;
            match self.provisioner.remove(&scope, &resource).await {
                Ok(()) => {
                    resource.status = "DELETE_COMPLETE".into();
                    resource.updated = Utc::now();
                    stack.set_resource(resource);
                }
                Err(refused) => {
                    resource.status = "DELETE_FAILED".into();
                    resource.reason = Some(refused.0.clone());
                    resource.updated = Utc::now();
                    stack.set_resource(resource);
                    first_failure.get_or_insert(refused);
                }
            }
            self.save(stack).await;
        }
        // What is gone (or kept) is no longer the stack's (its events stay).
        stack
            .resources
            .retain(|r| r.status != "DELETE_COMPLETE" && r.status != "DELETE_SKIPPED");
        match first_failure {
            Some(refused) => Err(refused),
            None => Ok(()),
        }
    }

    /// Removes what an update replaced (a layer's or function's earlier version, a function under its
    /// old name), with events naming the old physical ids. A failure is an event, not the update's.
    async fn remove_replaced(&self, stack: &mut StackRecord) {
        let scope = Self::scope(stack);
        for old in std::mem::take(&mut stack.replaced) {
            let event = |status: &str, reason: Option<String>| EventRecord {
                id: format!("{}-{}", old.logical_id, uuid::Uuid::new_v4()),
                logical_id: old.logical_id.clone(),
                physical_id: old.physical_id.clone(),
                type_name: old.type_name.clone(),
                timestamp: Utc::now(),
                status: status.to_owned(),
                reason,
            };
            stack.event(event("DELETE_IN_PROGRESS", None));
            let done = match self.provisioner.remove(&scope, &old).await {
                Ok(()) => event("DELETE_COMPLETE", None),
                Err(Refused(reason)) => event("DELETE_FAILED", Some(reason)),
            };
            stack.event(done);
            self.save(stack).await;
        }
    }

    /// Deletes `stack` (whose status is already `DELETE_IN_PROGRESS`, saved) and everything it made.
    pub(crate) async fn delete(self: Arc<Self>, mut stack: StackRecord) {
        match self.remove_all(&mut stack, |_| true, false).await {
            Ok(()) => {
                stack.deleted = Some(Utc::now());
                stack.set_status("DELETE_COMPLETE", None);
            }
            Err(_) => {
                let failed: Vec<String> = stack
                    .resources
                    .iter()
                    .filter(|r| r.status == "DELETE_FAILED")
                    .map(|r| r.logical_id.clone())
                    .collect();
                stack.set_status(
                    "DELETE_FAILED",
                    Some(format!(
                        "The following resource(s) failed to delete: [{}]. ",
                        failed.join(", ")
                    )),
                );
            }
        }
        self.save(&stack).await;
    }

    /// After a restart: a stack whose operation was cut off is marked as failed, with the reason, so that
    /// it can be updated or deleted again (its resources are as the events say).
    pub(crate) async fn recover(&self) {
        for mut stack in self.store.all() {
            if !stack.busy() {
                continue;
            }
            let failed = match stack.status.as_str() {
                "CREATE_IN_PROGRESS" => "CREATE_FAILED",
                "ROLLBACK_IN_PROGRESS" => "ROLLBACK_FAILED",
                "DELETE_IN_PROGRESS" => "DELETE_FAILED",
                "UPDATE_ROLLBACK_IN_PROGRESS" | "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS" => {
                    "UPDATE_ROLLBACK_FAILED"
                }
                _ => "UPDATE_FAILED",
            };
            for set in &mut stack.change_sets {
                if set.execution_status == "EXECUTE_IN_PROGRESS" {
                    set.execution_status = "EXECUTE_FAILED".into();
                }
            }
            stack.set_status(
                failed,
                Some("The server stopped while this operation was in progress.".into()),
            );
            self.save(&stack).await;
        }
    }
}

/// Whether the stack's `record` already is what `wanted` asks for.
fn unchanged(record: &ResourceRecord, wanted: &Wanted) -> bool {
    let settled = record.status.ends_with("_COMPLETE") && !record.status.starts_with("DELETE");
    settled && record.fingerprint == wanted.fingerprint()
}

impl Stacks {
    /// What deploying `target` would change in `stack`: resources added, modified (replaced for a new
    /// layer version or a function's new name) and removed, as a change set lists them.
    pub(crate) fn changes(
        &self,
        stack: &StackRecord,
        target: &Target,
    ) -> Result<Vec<ChangeRecord>, desired::Invalid> {
        let buckets = self.provisioner.buckets.is_some();
        let template = desired::parse(&target.template)?;
        let (names, known) = made_values(stack);
        let pseudo = Self::pseudo(stack);
        let desired = desired::evaluate(
            &template,
            &Inputs {
                buckets,
                pseudo: &pseudo,
                parameters: &target.parameters,
                names: &names,
                known: &known,
            },
        )?;
        let mut changes = Vec::new();
        for wanted in &desired.resources {
            let old = stack.resource(&wanted.logical_id);
            let (action, replacement) = match old {
                None => ("Add", None),
                Some(old) if unchanged(old, wanted) => continue,
                Some(old) => {
                    let replaced = match &wanted.making {
                        Making::Layer(_) => true,
                        Making::Function(spec) => spec.name != old.physical_id,
                        // A new version, or a permission (added again under a new id).
                        Making::Sub { kind, .. } => matches!(kind, SubKind::Version | SubKind::Permission),
                        Making::Bucket { name, .. } => *name != old.physical_id,
                        Making::Recorded { .. } => false,
                    };
                    ("Modify", Some(if replaced { "True" } else { "False" }.to_owned()))
                }
            };
            changes.push(ChangeRecord {
                action: action.into(),
                logical_id: wanted.logical_id.clone(),
                physical_id: old.map(|o| o.physical_id.clone()).filter(|p| !p.is_empty()),
                type_name: wanted.type_name.clone(),
                replacement,
            });
        }
        for old in &stack.resources {
            if !desired.resources.iter().any(|w| w.logical_id == old.logical_id) {
                changes.push(ChangeRecord {
                    action: "Remove".into(),
                    logical_id: old.logical_id.clone(),
                    physical_id: Some(old.physical_id.clone()).filter(|p| !p.is_empty()),
                    type_name: old.type_name.clone(),
                    replacement: None,
                });
            }
        }
        Ok(changes)
    }
}

/// The names of the stack's functions and what its made resources' `Ref` and `Fn::GetAtt` stand for,
/// by logical id.
fn made_values(stack: &StackRecord) -> (HashMap<String, String>, HashMap<String, Known>) {
    let mut names = HashMap::new();
    let mut known = HashMap::new();
    for r in &stack.resources {
        let named = r.type_name.ends_with("::Function") || r.type_name == "AWS::S3::Bucket";
        if named && !r.physical_id.is_empty() {
            names.insert(r.logical_id.clone(), r.physical_id.clone());
        }
        if let Some(values) = &r.known {
            known.insert(r.logical_id.clone(), values.clone());
        }
    }
    (names, known)
}

/// The order resources of a type are made in (the reverse of the order they are removed in): recorded
/// resources and layers, functions, then a function's versions, aliases, permissions, event invoke
/// configs and URLs.
fn make_order(type_name: &str) -> u8 {
    match (type_name, SubKind::of(type_name)) {
        (_, Some(kind)) => 2 + kind as u8,
        ("AWS::Lambda::Function" | "AWS::Serverless::Function", None) => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_operation_cut_off_by_a_stop_is_failed_at_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = lamina_engine::Engine::open(lamina_engine::EngineConfig {
            data_dir: dir.path().join("data"),
            account_id: "000000000000".into(),
            ..lamina_engine::EngineConfig::new(std::path::PathBuf::new())
        })
        .expect("engine");
        let store = StackStore::open(&dir.path().join("cloudformation")).expect("store");
        let mut creating = StackRecord::blank("000000000000", "us-east-1", "creating");
        creating.set_status("CREATE_IN_PROGRESS", Some("User Initiated".into()));
        let mut rolling_back = StackRecord::blank("000000000000", "us-east-1", "rolling");
        rolling_back.set_status("UPDATE_ROLLBACK_IN_PROGRESS", None);
        let mut done = StackRecord::blank("000000000000", "us-east-1", "done");
        done.set_status("CREATE_COMPLETE", None);
        for stack in [&creating, &rolling_back, &done] {
            store.save(stack.clone()).await.expect("save");
        }
        let stacks = Stacks {
            store: StackStore::open(&dir.path().join("cloudformation")).expect("reopen"),
            provisioner: Provisioner {
                engine,
                urls: std::sync::Arc::new(lamina_engine::UrlAddresses::new("http://127.0.0.1:9001")),
                buckets: None,
            },
        };
        stacks.recover().await;
        let status = |name: &str| {
            let stack = stacks
                .store
                .find("000000000000", "us-east-1", name)
                .expect("stack");
            (stack.status, stack.status_reason)
        };
        let stopped = Some("The server stopped while this operation was in progress.".to_owned());
        assert_eq!(status("creating"), ("CREATE_FAILED".to_owned(), stopped.clone()));
        assert_eq!(status("rolling"), ("UPDATE_ROLLBACK_FAILED".to_owned(), stopped));
        assert_eq!(status("done"), ("CREATE_COMPLETE".to_owned(), None));
        // A failed create can be deleted again.
        let reopened = StackStore::open(&dir.path().join("cloudformation")).expect("reopen");
        assert_eq!(
            reopened
                .find("000000000000", "us-east-1", "creating")
                .expect("stack")
                .status,
            "CREATE_FAILED"
        );
    }
}
