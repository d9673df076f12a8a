//! UpdateFunctionConfiguration: the configuration members given (and the layers) applied to
//! `$LATEST`; InProgress until it settles.

use crate::layers::for_functions::check_total_size;
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::preconditions::{check_revision, check_settled};
use crate::record::View;
use crate::validate;
use crate::wire::{FunctionConfiguration, UpdateConfigurationInput};
use crate::{Engine, EngineError};

use super::config::{apply_config, checked_environment, validate_config};

impl Engine {
    /// UpdateFunctionConfiguration.
    pub async fn update_function_configuration(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: UpdateConfigurationInput,
    ) -> Result<FunctionConfiguration, EngineError> {
        let f = validate::function_input("UpdateFunctionConfiguration", raw_name, &input, &[], scope)?;
        validate_config(&input.config)?;
        let env = checked_environment(&input.config)?;
        let new_layers = match &input.config.layers {
            Some(arns) => {
                let resolved = self.resolve_function_layers(scope, arns).await?;
                let Some((_, current)) = self.load(scope, &f.name).await? else {
                    return Err(function_not_found(scope, &f.name, None));
                };
                check_total_size(self.code_unzipped_size(&current).await?, &resolved)?;
                Some(resolved)
            }
            None => None,
        };
        // Held while the function starts to reference its layers' code, so that a DeleteLayerVersion in
        // between cannot sweep it.
        let guard = match &new_layers {
            Some(layers) if !layers.is_empty() => {
                let guard = self.inner.code_lock.lock().await;
                self.check_layer_code(layers).await?;
                Some(guard)
            }
            _ => None,
        };
        let scope_c = scope.clone();
        let updated = self
            .mutate(
                scope,
                &f.name,
                function_not_found(scope, &f.name, None),
                move |record| {
                    check_revision(record, input.revision_id.as_deref())?;
                    check_settled(&scope_c, record)?;
                    // The layers (and code) run so far stay until the change settles, and come back
                    // if a new layer cannot be unpacked; settling removes what it replaced.
                    record.keep_code_before_update();
                    apply_config(record, &input.config, env.clone());
                    if let Some(layers) = &new_layers {
                        record.layers = layers.clone();
                    }
                    record.begin_update();
                    Ok((record.clone(), None))
                },
            )
            .await?;
        drop(guard);
        tracing::info!(function = %updated.name, "updated function configuration");
        self.spawn_settle(
            scope.clone(),
            updated.name.clone(),
            updated.settle_token.clone().unwrap_or_default(),
        );
        Ok(updated.configuration(scope, None, View::Full))
    }
}
