//! DeleteFunction: the whole function, or one published version with `Qualifier`; its environments are
//! retired and code nothing else uses is swept.

use crate::names::{self, Scope};
use crate::not_found::function_not_found;
use crate::validate;
use crate::{Engine, EngineError};

use super::resolve::parse_version_number;

impl Engine {
    /// DeleteFunction (the whole function, or one version with `Qualifier`).
    pub async fn delete_function(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<(), EngineError> {
        let qualifier_member = [("Qualifier", validate::optional(qualifier))];
        let f = validate::function_input("DeleteFunction", raw_name, &(), &qualifier_member, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        let (place, name) = (scope.clone(), f.name.clone());
        let shas: Vec<String> = match q.as_deref() {
            None => {
                let versions = self.version_rows(&place, &name).await?;
                let current = self.load(&place, &name).await?;
                let deleted = self.delete_function_rows(&place, &name).await?;
                if !deleted {
                    return Err(function_not_found(scope, &f.name, None));
                }
                tracing::info!(function = %f.name, "deleted function");
                versions
                    .into_iter()
                    .flat_map(|v| std::iter::once(v.code_sha256).chain(v.layer_code))
                    .chain(
                        current
                            .into_iter()
                            .flat_map(|(row, _)| std::iter::once(row.code_sha256).chain(row.layer_code)),
                    )
                    .collect()
            }
            Some("$LATEST") => {
                return Err(EngineError::InvalidParameter(
                    "$LATEST version cannot be deleted without deleting the function.".into(),
                ));
            }
            Some(q) => {
                let Some(n) = parse_version_number(q) else {
                    return Err(EngineError::InvalidParameter(
                        "Deletion of aliases is not currently supported.".into(),
                    ));
                };
                let row = {
                    let (place, name) = (place.clone(), name.clone());
                    self.blocking(move |inner| {
                        Ok(inner.meta.get_version(&place.account, &place.region, &name, n)?)
                    })
                    .await?
                };
                let Some(row) = row else {
                    return Err(function_not_found(scope, &f.name, None));
                };
                self.delete_version_row(&place, &name, n).await?;
                std::iter::once(row.code_sha256).chain(row.layer_code).collect()
            }
        };
        // Environments of the deleted function (or version) must not outlive its code.
        let arn = scope.function_arn(&f.name);
        match q.as_deref() {
            None => {
                self.inner.executor.set_reserved_concurrency(&arn, None);
                self.inner.executor.provision(&arn, Vec::new());
                self.inner.executor.retire(&arn).await;
            }
            Some(version) => {
                self.sync_provisioned(scope, &f.name).await?;
                self.inner.executor.retire(&format!("{arn}:{version}")).await;
            }
        }
        let _guard = self.inner.code_lock.lock().await;
        self.sweep_unreferenced(shas).await;
        Ok(())
    }
}
