//! UpdateAlias: the members given change (a `RoutingConfig` with no weights removes the routing), under
//! the alias's RevisionId if one is given.

use lamina_store::SubResourceKind;

use super::{AliasRecord, routing_rules};
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::preconditions::check_revision_id;
use crate::sub_resources::{Change, Stored, function_key};
use crate::wire::{AliasConfiguration, UpdateAliasInput};
use crate::{Engine, EngineError, validate};

/// AWS's 404 for an alias UpdateAlias cannot find.
fn alias_not_found(scope: &Scope, function: &str, alias: &str) -> EngineError {
    EngineError::NotFound(format!(
        "Alias not found: {}:{alias}",
        scope.function_arn(function)
    ))
}

impl Engine {
    /// UpdateAlias.
    pub async fn update_alias(
        &self,
        scope: &Scope,
        raw_name: &str,
        alias: &str,
        input: UpdateAliasInput,
    ) -> Result<AliasConfiguration, EngineError> {
        let f = validate::function_input("UpdateAlias", raw_name, &input, &[("Name", alias.into())], scope)?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        let Some(current) = self.alias(scope, &f.name, alias).await? else {
            return Err(alias_not_found(scope, &f.name, alias));
        };
        check_revision_id(&current.revision, input.revision_id.as_deref())?;
        let next = updated(&current.doc, &input)?;
        self.check_alias_targets(scope, &f.name, &next.function_version, next.weights.as_ref())
            .await?;
        let (place, function, name) = (scope.clone(), f.name.clone(), alias.to_owned());
        let (updated_alias, revision) = self
            .change_sub_resource(
                scope,
                function_key(scope, &f.name, SubResourceKind::Alias, alias),
                alias_not_found(scope, &f.name, alias),
                move |current: Option<Stored<AliasRecord>>| {
                    let Some(current) = current else {
                        return Err(alias_not_found(&place, &function, &name));
                    };
                    check_revision_id(&current.revision, input.revision_id.as_deref())?;
                    let next = updated(&current.doc, &input)?;
                    Ok(Change::Write {
                        versions: next.versions(),
                        doc: next.clone(),
                        out: next,
                    })
                },
            )
            .await?;
        tracing::info!(function = %f.name, alias, version = %updated_alias.function_version, "updated alias");
        // Its provisioned concurrency, if any, follows it to its version.
        self.sync_provisioned(scope, &f.name).await?;
        Ok(updated_alias.configuration(scope, &f.name, &revision.unwrap_or_default()))
    }
}

/// `current` with the members of `input` applied, checked against AWS's routing rules.
fn updated(current: &AliasRecord, input: &UpdateAliasInput) -> Result<AliasRecord, EngineError> {
    let function_version = input
        .function_version
        .clone()
        .unwrap_or_else(|| current.function_version.clone());
    let weights = match &input.routing_config {
        Some(routing) => routing_rules(&function_version, Some(routing))?,
        None => {
            let kept = current
                .weights
                .clone()
                .map(|weights| crate::wire::AliasRoutingConfiguration {
                    additional_version_weights: Some(weights),
                });
            routing_rules(&function_version, kept.as_ref())?
        }
    };
    Ok(AliasRecord {
        name: current.name.clone(),
        function_version,
        description: input
            .description
            .clone()
            .unwrap_or_else(|| current.description.clone()),
        weights,
    })
}
