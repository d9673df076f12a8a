//! AddLayerVersionPermission, RemoveLayerVersionPermission and GetLayerVersionPolicy: the policy of a
//! layer version, a sub-resource of the layer (key: the version number) kept as `permissions` keeps a
//! function's, and deleted with the layer version.

use lamina_store::{Owner, SubResourceKey, SubResourceKind};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{layer_arn, parse_layer_name, version_number};
use crate::names::Scope;
use crate::permissions::{PolicyRecord, no_policy, principal};
use crate::sub_resources::Stored;
use crate::wire::{AddLayerVersionPermissionInput, AddLayerVersionPermissionOutput, GetPolicyOutput};
use crate::{Engine, EngineError, validate};

/// AWS's 412 for a stale `RevisionId` of a layer version's policy.
const STALE_LAYER_POLICY: &str = "The Revision Id provided does not match the latest Revision Id. Call the \
                                  GetLayerPolicy API to retrieve the latest Revision Id";
/// The one action a layer version's policy grants (the model allows no other).
const ACTION: &str = "lambda:GetLayerVersion";

/// The layer version a policy operation names, checked: its name and number, and the key of its policy.
struct PolicyTarget {
    name: String,
    version: u64,
    key: SubResourceKey,
}

impl PolicyTarget {
    fn arn(&self, scope: &Scope) -> String {
        format!("{}:{}", layer_arn(scope, &self.name), self.version)
    }

    fn missing(&self, scope: &Scope) -> EngineError {
        EngineError::NotFound(format!("Layer version {} does not exist.", self.arn(scope)))
    }
}

impl Engine {
    /// The layer version `raw_name`:`version`, which must exist, once `operation`'s input (`body` and the
    /// `members` beside the layer's name and version) is checked against the model.
    async fn policy_target<B: Serialize>(
        &self,
        scope: &Scope,
        (operation, body, members): (&str, &B, &[(&str, Value)]),
        raw_name: &str,
        version: i64,
    ) -> Result<PolicyTarget, EngineError> {
        let mut all = vec![("LayerName", raw_name.into()), ("VersionNumber", version.into())];
        all.extend_from_slice(members);
        validate::input(operation, body, &all)?;
        let name = parse_layer_name(raw_name, scope)?;
        let version = version_number(version)?;
        let target = PolicyTarget {
            key: SubResourceKey {
                account: scope.account.clone(),
                region: scope.region.clone(),
                owner: Owner::Layer(name.clone()),
                kind: SubResourceKind::Policy,
                key: version.to_string(),
            },
            name,
            version,
        };
        match self.layer_row(scope, &target.name, version).await? {
            Some(_) => Ok(target),
            None => Err(target.missing(scope)),
        }
    }

    /// AddLayerVersionPermission.
    pub async fn add_layer_version_permission(
        &self,
        scope: &Scope,
        raw_name: &str,
        version: i64,
        revision_id: Option<&str>,
        input: AddLayerVersionPermissionInput,
    ) -> Result<AddLayerVersionPermissionOutput, EngineError> {
        let members = [("RevisionId", validate::optional(revision_id))];
        let operation = ("AddLayerVersionPermission", &input, &members[..]);
        let target = self.policy_target(scope, operation, raw_name, version).await?;
        let sid = input.statement_id.clone().unwrap_or_default();
        let mut statement = Map::new();
        statement.insert("Sid".into(), json!(sid));
        statement.insert("Effect".into(), json!("Allow"));
        statement.insert(
            "Principal".into(),
            principal(input.principal.as_deref().unwrap_or_default())?,
        );
        statement.insert("Action".into(), json!(ACTION));
        statement.insert("Resource".into(), json!(target.arn(scope)));
        if let Some(org) = &input.organization_id {
            statement.insert(
                "Condition".into(),
                json!({"StringEquals": {"aws:PrincipalOrgID": org}}),
            );
        }
        let statement = Value::Object(statement);
        let rendered = statement.to_string();
        let revision = revision_id.map(str::to_owned);
        let missing = target.missing(scope);
        let ((), new_revision) = self
            .change_sub_resource(
                scope,
                target.key,
                missing,
                move |current: Option<Stored<PolicyRecord>>| {
                    PolicyRecord::adding(current, &sid, &statement, revision.as_deref(), STALE_LAYER_POLICY)
                },
            )
            .await?;
        Ok(AddLayerVersionPermissionOutput {
            statement: rendered,
            revision_id: new_revision.unwrap_or_default(),
        })
    }

    /// RemoveLayerVersionPermission.
    pub async fn remove_layer_version_permission(
        &self,
        scope: &Scope,
        raw_name: &str,
        version: i64,
        sid: &str,
        revision_id: Option<&str>,
    ) -> Result<(), EngineError> {
        let members = [
            ("StatementId", sid.into()),
            ("RevisionId", validate::optional(revision_id)),
        ];
        let operation = ("RemoveLayerVersionPermission", &(), &members[..]);
        let target = self.policy_target(scope, operation, raw_name, version).await?;
        let (sid, revision) = (sid.to_owned(), revision_id.map(str::to_owned));
        let missing = target.missing(scope);
        self.change_sub_resource(
            scope,
            target.key,
            missing,
            move |current: Option<Stored<PolicyRecord>>| {
                PolicyRecord::removing(current, &sid, revision.as_deref(), STALE_LAYER_POLICY)
            },
        )
        .await?;
        Ok(())
    }

    /// GetLayerVersionPolicy.
    pub async fn get_layer_version_policy(
        &self,
        scope: &Scope,
        raw_name: &str,
        version: i64,
    ) -> Result<GetPolicyOutput, EngineError> {
        let operation = ("GetLayerVersionPolicy", &(), &[][..]);
        let target = self.policy_target(scope, operation, raw_name, version).await?;
        match self.sub_resource::<PolicyRecord>(target.key).await? {
            Some(stored) => Ok(GetPolicyOutput {
                policy: stored.doc.document(),
                revision_id: stored.revision,
            }),
            None => Err(no_policy()),
        }
    }
}
