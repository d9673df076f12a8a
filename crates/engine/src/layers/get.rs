//! GetLayerVersion and GetLayerVersionByArn.

use crate::config_rules::{LAYER, LAYER_PATTERN, LayerVersionArn};
use crate::names::Scope;
use crate::not_found::layer_version_not_found;
use crate::validation::Checks;
use crate::{Engine, EngineError};

use super::{LayerVersionView, parse_layer_name, version_number, view};

impl Engine {
    /// GetLayerVersion.
    pub async fn get_layer_version(
        &self,
        scope: &Scope,
        raw_name: &str,
        version: i64,
    ) -> Result<LayerVersionView, EngineError> {
        let name = parse_layer_name(raw_name, scope)?;
        let version = version_number(version)?;
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
        let mut checks = Checks::default();
        match arn {
            None => checks.null("arn"),
            Some(arn) => {
                checks.length(arn, "arn", 1, 140);
                checks.pattern(arn, "arn", &LAYER, LAYER_PATTERN);
            }
        }
        checks.finish()?;
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
