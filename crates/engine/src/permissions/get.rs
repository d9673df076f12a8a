//! GetPolicy.

use lamina_store::SubResourceKind;

use super::PolicyRecord;
use crate::names::{self, Scope};
use crate::not_found::function_not_found;
use crate::sub_resources::{Qualified, function_key};
use crate::wire::GetPolicyOutput;
use crate::{Engine, EngineError, validate};

impl Engine {
    /// GetPolicy.
    pub async fn get_policy(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<GetPolicyOutput, EngineError> {
        let members = [("Qualifier", validate::optional(qualifier))];
        let f = validate::function_input("GetPolicy", raw_name, &(), &members, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        let key = Qualified::of_policy(q.as_deref()).key();
        match self
            .sub_resource::<PolicyRecord>(function_key(scope, &f.name, SubResourceKind::Policy, &key))
            .await?
        {
            Some(stored) => Ok(GetPolicyOutput {
                policy: stored.doc.document(),
                revision_id: stored.revision,
            }),
            None => Err(EngineError::NotFound(
                "The resource you requested does not exist.".into(),
            )),
        }
    }
}
