//! GetCodeSigningConfig.

use crate::names::Scope;
use crate::wire::CodeSigningConfigOutput;
use crate::{Engine, EngineError, validate};

impl Engine {
    /// GetCodeSigningConfig.
    pub async fn get_code_signing_config(
        &self,
        scope: &Scope,
        raw_arn: &str,
    ) -> Result<CodeSigningConfigOutput, EngineError> {
        let arn = [("CodeSigningConfigArn", raw_arn.into())];
        validate::input("GetCodeSigningConfig", &(), &arn)?;
        let (id, record) = self.code_signing_config(scope, raw_arn).await?;
        Ok(CodeSigningConfigOutput {
            code_signing_config: record.configuration(scope, &id),
        })
    }
}
