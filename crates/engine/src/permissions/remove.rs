//! RemovePermission: a statement taken out of a function's policy (the policy goes with its last
//! statement).

use lamina_store::SubResourceKind;

use super::{PolicyRecord, STALE_POLICY, check_statement_id_label, no_policy};
use crate::names::{self, NameKind, Scope};
use crate::sub_resources::{Qualified, Stored, function_key};
use crate::validation::Checks;
use crate::{Engine, EngineError};

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
        let f = names::parse_function_name(raw_name, NameKind::Namespaced, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        let mut checks = Checks::default();
        check_statement_id_label(&mut checks, sid, true);
        checks.finish()?;
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
