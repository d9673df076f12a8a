//! AddLayerVersionPermission, RemoveLayerVersionPermission and GetLayerVersionPolicy: the policy of a
//! layer version, a sub-resource of the layer (key: the version number) kept as `permissions` keeps a
//! function's, and deleted with the layer version.

use std::sync::LazyLock;

use lamina_store::{Owner, SubResourceKey, SubResourceKind};
use regex::Regex;
use serde_json::{Map, Value, json};

use super::{layer_arn, parse_layer_name, version_number};
use crate::names::Scope;
use crate::permissions::{PolicyRecord, check_statement_id, check_statement_id_label, no_policy, principal};
use crate::sub_resources::Stored;
use crate::validation::Checks;
use crate::wire::{AddLayerVersionPermissionInput, AddLayerVersionPermissionOutput, GetPolicyOutput};
use crate::{Engine, EngineError};

/// AWS's 412 for a stale `RevisionId` of a layer version's policy.
const STALE_LAYER_POLICY: &str = "The Revision Id provided does not match the latest Revision Id. Call the \
                                  GetLayerPolicy API to retrieve the latest Revision Id";
const ACTION: &str = "lambda:GetLayerVersion";
const PRINCIPAL_PATTERN: &str = r"\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root";
const ORGANIZATION_PATTERN: &str = "o-[a-z0-9]{10,32}";
static PRINCIPAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$").expect("static pattern")
});
static ORGANIZATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^o-[a-z0-9]{10,32}$").expect("static pattern"));

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
    /// The layer version `raw_name`:`version`, which must exist.
    async fn policy_target(
        &self,
        scope: &Scope,
        raw_name: &str,
        version: i64,
    ) -> Result<PolicyTarget, EngineError> {
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
        let mut checks = Checks::default();
        check_statement_id(&mut checks, input.statement_id.as_deref());
        match &input.action {
            None => checks.null("action"),
            Some(action) => {
                checks.length(action, "action", 0, 22);
                if action != ACTION {
                    checks.string(
                        action,
                        "action",
                        format!("Member must satisfy regular expression pattern: {ACTION}"),
                    );
                }
            }
        }
        match &input.principal {
            None => checks.null("principal"),
            Some(principal) => checks.pattern(principal, "principal", &PRINCIPAL, PRINCIPAL_PATTERN),
        }
        if let Some(org) = &input.organization_id {
            checks.length(org, "organizationId", 0, 34);
            checks.pattern(org, "organizationId", &ORGANIZATION, ORGANIZATION_PATTERN);
        }
        checks.finish()?;
        let target = self.policy_target(scope, raw_name, version).await?;
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
        let mut checks = Checks::default();
        check_statement_id_label(&mut checks, sid, false);
        checks.finish()?;
        let target = self.policy_target(scope, raw_name, version).await?;
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
        let target = self.policy_target(scope, raw_name, version).await?;
        match self.sub_resource::<PolicyRecord>(target.key).await? {
            Some(stored) => Ok(GetPolicyOutput {
                policy: stored.doc.document(),
                revision_id: stored.revision,
            }),
            None => Err(no_policy()),
        }
    }
}
