//! What a function needs of its layers: its `Layers` resolved to the versions it will use (with AWS's
//! messages), their code checked to be still stored, whether one provides `/opt/bootstrap`, and the
//! unzipped size of code and layers together.

use lamina_model::CodeSha256;

use crate::code;
use crate::names::Scope;
use crate::record::FunctionLayer;
use crate::rows::parse_layer_version;
use crate::{Engine, EngineError};

impl Engine {
    /// Resolves a function's `Layers` (already syntax-checked) to the versions it will use, with AWS's
    /// messages for too many, another region, two versions of one layer, and versions that do not exist.
    pub(crate) async fn resolve_function_layers(
        &self,
        scope: &Scope,
        arns: &[String],
    ) -> Result<Vec<FunctionLayer>, EngineError> {
        let parsed = crate::config_rules::layers(arns, &scope.region)?;
        let place = scope.clone();
        let account = scope.account.clone();
        self.blocking(move |inner| {
            let mut out = Vec::with_capacity(parsed.len());
            for layer in parsed {
                let row = match layer.version {
                    Some(v) if layer.account == account => {
                        inner
                            .meta
                            .get_layer_version(&place.account, &place.region, &layer.name, v)?
                    }
                    _ => None,
                };
                let Some(row) = row else {
                    return Err(EngineError::InvalidParameter(format!(
                        "Layer version {} does not exist.",
                        layer.arn
                    )));
                };
                let record = parse_layer_version(&row)?;
                out.push(FunctionLayer {
                    arn: layer.arn,
                    code_sha256: CodeSha256::from_base64(&row.code_sha256)?,
                    code_size: record.code_size,
                    unzipped_size: record.unzipped_size,
                    has_bootstrap: record.has_bootstrap,
                });
            }
            Ok(out)
        })
        .await
    }

    /// Checks that the code of each of `layers` is still stored; the caller holds the code lock, so it
    /// stays until the function's row references it. A layer version deleted (and its code swept) since
    /// it was resolved does not exist any more.
    pub(crate) async fn check_layer_code(&self, layers: &[FunctionLayer]) -> Result<(), EngineError> {
        let layers = layers.to_vec();
        self.blocking(move |inner| {
            for layer in &layers {
                if inner.code.path(&layer.code_sha256)?.is_none() {
                    return Err(EngineError::InvalidParameter(format!(
                        "Layer version {} does not exist.",
                        layer.arn
                    )));
                }
            }
            Ok(())
        })
        .await
    }
}

/// Whether any of `layers` provides `/opt/bootstrap`.
pub(crate) fn provide_bootstrap(layers: &[FunctionLayer]) -> bool {
    layers.iter().any(|l| l.has_bootstrap)
}

/// Checks the unzipped size of a function's code and its layers together.
pub(crate) fn check_total_size(code_unzipped: u64, layers: &[FunctionLayer]) -> Result<(), EngineError> {
    code::check_unzipped_total(std::iter::once(code_unzipped).chain(layers.iter().map(|l| l.unzipped_size)))
}
