//! RemovePermission: a statement taken out of a function's policy (the policy goes with its last
//! statement).

use lamina_store::SubResourceKind;

use super::{PolicyRecord, STALE_POLICY, no_policy};
use crate::names::{self, Scope};
use crate::sub_resources::{Qualified, Stored, function_key};
use crate::{Engine, EngineError, validate};

impl Engine {
    /// RemovePermission.
    pub async fn remove_permission(
        &self,
        scope: &Scope,
        raw_name: &str,
        sid: &str,
        qualifier: Option<&str>,
        revision_id: Option<&str>,
    ) -> Result<(), EngineError> {
        let members = [
            ("StatementId", sid.into()),
            ("Qualifier", validate::optional(qualifier)),
            ("RevisionId", validate::optional(revision_id)),
        ];
        let f = validate::function_input("RemovePermission", raw_name, &(), &members, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(EngineError::NotFound(format!(
                "No policy found for: {}",
                scope.function_arn(&f.name)
            )));
        }
        let qualified = Qualified::of_policy(q.as_deref());
        self.check_qualifier_exists(scope, &f.name, &qualified).await?;
        let (sid, revision) = (sid.to_owned(), revision_id.map(str::to_owned));
        self.change_sub_resource(
            scope,
            function_key(scope, &f.name, SubResourceKind::Policy, &qualified.key()),
            no_policy(),
            move |current: Option<Stored<PolicyRecord>>| {
                PolicyRecord::removing(current, &sid, revision.as_deref(), STALE_POLICY)
            },
        )
        .await?;
        Ok(())
    }
}
