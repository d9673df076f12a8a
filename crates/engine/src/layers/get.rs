//! GetLayerVersion and GetLayerVersionByArn.

use crate::config_rules::LayerVersionArn;
use crate::names::Scope;
use crate::not_found::layer_version_not_found;
use crate::validate;
use crate::{Engine, EngineError};

use super::{LayerVersionView, layer_version_target, version_number, view};

impl Engine {
    /// GetLayerVersion.
    pub async fn get_layer_version(
        &self,
        scope: &Scope,
        raw_name: &str,
        version: i64,
    ) -> Result<LayerVersionView, EngineError> {
        let (name, version) = layer_version_target("GetLayerVersion", raw_name, version, scope)?;
        match self.layer_row(scope, &name, version).await? {
            Some(row) => view(scope, &row),
            None => Err(layer_version_not_found()),
        }
    }

    /// GetLayerVersionByArn.
    pub async fn get_layer_version_by_arn(
        &self,
        scope: &Scope,
        arn: Option<&str>,
    ) -> Result<LayerVersionView, EngineError> {
        validate::input("GetLayerVersionByArn", &(), &[("Arn", validate::optional(arn))])?;
        let parsed = arn
            .and_then(LayerVersionArn::parse)
            .ok_or_else(layer_version_not_found)?;
        if parsed.region != scope.region {
            return Err(layer_version_not_found());
        }
        if parsed.account != scope.account {
            return Err(EngineError::AccessDenied);
        }
        let version = version_number(
            parsed
                .version
                .and_then(|v| i64::try_from(v).ok())
                .unwrap_or(i64::MAX),
        )?;
        match self.layer_row(scope, &parsed.name, version).await? {
            Some(row) => view(scope, &row),
            None => Err(layer_version_not_found()),
        }
    }
}
