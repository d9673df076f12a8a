//! PublishVersion: freezes `$LATEST` into the next version (or answers with the last one when nothing
//! changed since it was published).

use std::sync::Arc;

use lamina_store::MetadataStore;

use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::preconditions::{check_revision, check_settled};
use crate::record::View;
use crate::rows::parse_version;
use crate::validate;
use crate::wire::{FunctionConfiguration, PublishVersionInput};
use crate::{Engine, EngineError};

impl Engine {
    /// PublishVersion.
    pub async fn publish_version(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: PublishVersionInput,
    ) -> Result<FunctionConfiguration, EngineError> {
        let f = validate::function_input("PublishVersion", raw_name, &input, &[], scope)?;
        let scope_c = scope.clone();
        let meta: Arc<dyn MetadataStore> = Arc::clone(&self.inner.meta);
        let place = scope.clone();
        let published = self
            .mutate(scope, &f.name, function_not_found(scope, &f.name, None), move |record| {
                check_revision(record, input.revision_id.as_deref())?;
                check_settled(&scope_c, record)?;
                if let Some(sha) = &input.code_sha256
                    && *sha != record.code_sha256.to_string()
                {
                    return Err(EngineError::InvalidParameter(format!(
                        "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again \
                         with the CodeSHA256 in $LATEST.",
                        record.code_sha256
                    )));
                }
                let unchanged = record.last_version > 0
                    && record.last_published_fingerprint.as_deref() == Some(&record.fingerprint());
                if unchanged && let Some(row) = meta.get_version(&place.account, &place.region, &record.name, record.last_version)? {
                    let existing = parse_version(&row)?;
                    return Ok((existing, None));
                }
                let version = record.publish_next(input.description.clone(), false);
                Ok((version.clone(), Some(version)))
            })
            .await?;
        let label = published.version_label();
        tracing::info!(function = %published.name, version = %label, "published version");
        Ok(published.configuration(scope, Some(&label), View::Full))
    }
}
