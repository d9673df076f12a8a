//! DeleteCodeSigningConfig.

use super::{CodeSigningRecord, key, not_found};
use crate::names::Scope;
use crate::sub_resources::{Change, Stored};
use crate::{Engine, EngineError, validate};

impl Engine {
    /// DeleteCodeSigningConfig.
    pub async fn delete_code_signing_config(&self, scope: &Scope, raw_arn: &str) -> Result<(), EngineError> {
        let arn = [("CodeSigningConfigArn", raw_arn.into())];
        validate::input("DeleteCodeSigningConfig", &(), &arn)?;
        let (id, _) = self.code_signing_config(scope, raw_arn).await?;
        let arn = raw_arn.to_owned();
        self.change_sub_resource(
            scope,
            key(scope, &id),
            not_found(raw_arn),
            move |current: Option<Stored<CodeSigningRecord>>| match current {
                Some(_) => Ok(Change::Delete(())),
                None => Err(not_found(&arn)),
            },
        )
        .await?;
        Ok(())
    }
}
