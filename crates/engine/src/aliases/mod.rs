//! Aliases, one file per operation: `create` (CreateAlias), `get` (GetAlias), `list` (ListAliases),
//! `update` (UpdateAlias), `delete` (DeleteAlias). An alias is a sub-resource of its function (module
//! `sub_resources`, key: its name) whose row names the versions it routes to, so the store refuses to
//! delete a version an alias uses. `functions/resolve` and Invoke follow aliases through
//! [`Engine::alias`]; Invoke picks between the two versions of a weighted alias ([`AliasRecord::routes`]).

mod create;
mod delete;
mod get;
mod list;
mod update;

use std::collections::BTreeMap;

use lamina_store::SubResourceKind;
use serde::{Deserialize, Serialize};

use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::record::FunctionRecord;
use crate::sub_resources::{Stored, function_key};
use crate::wire::{AliasConfiguration, AliasRoutingConfiguration};
use crate::{Engine, EngineError};

/// What the engine stores for an alias (its RevisionId is the row's revision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AliasRecord {
    /// The alias name.
    pub(crate) name: String,
    /// `$LATEST` or a version number.
    pub(crate) function_version: String,
    /// `""` unless given.
    pub(crate) description: String,
    /// The additional version and its weight, as given (never empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) weights: Option<BTreeMap<String, f64>>,
}

impl AliasRecord {
    /// The published versions it routes to (what the store keeps from being deleted).
    pub(crate) fn versions(&self) -> Vec<u64> {
        std::iter::once(&self.function_version)
            .chain(self.weights.iter().flat_map(BTreeMap::keys))
            .filter_map(|v| v.parse().ok())
            .collect()
    }

    /// Where invocations go: the alias's version, and the additional version with its share.
    pub(crate) fn routes(&self) -> (String, Option<(String, f64)>) {
        let additional = self
            .weights
            .iter()
            .flatten()
            .next()
            .map(|(version, weight)| (version.clone(), *weight));
        (self.function_version.clone(), additional)
    }

    /// The answer of every alias operation.
    pub(crate) fn configuration(&self, scope: &Scope, function: &str, revision: &str) -> AliasConfiguration {
        AliasConfiguration {
            alias_arn: format!("{}:{}", scope.function_arn(function), self.name),
            name: self.name.clone(),
            function_version: self.function_version.clone(),
            description: self.description.clone(),
            routing_config: self.weights.clone().map(|weights| AliasRoutingConfiguration {
                additional_version_weights: Some(weights),
            }),
            revision_id: revision.to_owned(),
        }
    }
}

/// AWS's 404 for an alias that GetAlias (and operations on an alias's sub-resources) cannot find.
pub(crate) fn cannot_find_alias(scope: &Scope, function: &str, alias: &str) -> EngineError {
    EngineError::NotFound(format!(
        "Cannot find alias arn: {}:{alias}",
        scope.function_arn(function)
    ))
}

/// AWS's rules for the weights of an alias pointing to `target` (after the model's checks): one
/// additional version, not the alias's own, and never with `$LATEST`. An empty map is no routing.
pub(crate) fn routing_rules(
    target: &str,
    routing: Option<&AliasRoutingConfiguration>,
) -> Result<Option<BTreeMap<String, f64>>, EngineError> {
    let Some(weights) = routing
        .and_then(|r| r.additional_version_weights.clone())
        .filter(|w| !w.is_empty())
    else {
        return Ok(None);
    };
    if weights.len() > 1 {
        return Err(EngineError::InvalidParameter(
            "Number of items in AdditionalVersionWeights cannot be greater than 1".into(),
        ));
    }
    if weights.contains_key(target) {
        return Err(EngineError::InvalidParameter(format!(
            "Invalid function version {target}. Function version {target} is already included in routing \
             configuration."
        )));
    }
    if target == "$LATEST" {
        return Err(EngineError::InvalidParameter(
            "$LATEST is not supported for an alias pointing to more than 1 version".into(),
        ));
    }
    Ok(Some(weights))
}

impl Engine {
    /// Reads an alias of `function`.
    pub(crate) async fn alias(
        &self,
        scope: &Scope,
        function: &str,
        alias: &str,
    ) -> Result<Option<Stored<AliasRecord>>, EngineError> {
        self.sub_resource(function_key(scope, function, SubResourceKind::Alias, alias))
            .await
    }

    /// The record an alias points to (its own version, not the additional one): what GetFunction and
    /// GetFunctionConfiguration show for an alias qualifier. `latest` is the function's record.
    pub(crate) async fn resolve_alias(
        &self,
        scope: &Scope,
        function: &str,
        alias: &str,
        latest: FunctionRecord,
    ) -> Result<FunctionRecord, EngineError> {
        let Some(stored) = self.alias(scope, function, alias).await? else {
            return Err(function_not_found(scope, function, Some(alias)));
        };
        match stored.doc.function_version.as_str() {
            "$LATEST" => Ok(latest),
            version => self.resolve_version(scope, function, version).await,
        }
    }

    /// Checks that the versions an alias would point to exist (AWS's 404 names the first missing one).
    async fn check_alias_targets(
        &self,
        scope: &Scope,
        function: &str,
        target: &str,
        weights: Option<&BTreeMap<String, f64>>,
    ) -> Result<(), EngineError> {
        for version in
            std::iter::once(target).chain(weights.into_iter().flat_map(|w| w.keys().map(String::as_str)))
        {
            if version != "$LATEST" {
                self.resolve_version(scope, function, version).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(pairs: &[(&str, f64)]) -> AliasRoutingConfiguration {
        AliasRoutingConfiguration {
            additional_version_weights: Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()),
        }
    }

    fn create(name: &str, routing: Option<AliasRoutingConfiguration>) -> Result<(), String> {
        let input = crate::wire::CreateAliasInput {
            name: Some(name.into()),
            function_version: Some("1".into()),
            routing_config: routing,
            ..Default::default()
        };
        crate::validate::input("CreateAlias", &input, &[("FunctionName", "f".into())])
            .map_err(|e| e.to_string())
    }

    #[test]
    fn alias_names_are_not_all_digits() {
        for (name, ok) in [
            ("live", true),
            ("v1", true),
            ("1-a", true),
            ("2024", false),
            ("a b", false),
        ] {
            assert_eq!(create(name, None).is_ok(), ok, "{name}");
        }
        assert_eq!(
            create("2024", None).expect_err("digits"),
            "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        );
    }

    #[test]
    fn weights_are_checked_as_aws_checks_them() {
        assert_eq!(
            create("live", Some(weights(&[("2", 2.0)]))).expect_err("too heavy"),
            "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to \
             satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to \
             1.0, Member must have value greater than or equal to 0.0, Member must not be null]"
        );
        let message = create("live", Some(weights(&[("$LATEST", 0.5)]))).expect_err("not a version");
        assert!(
            message.contains(
                "Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map \
                 keys must satisfy constraint"
            ),
            "{message}"
        );
        assert_eq!(create("live", Some(weights(&[("2", 0.0), ("3", 1.0)]))), Ok(()));
        assert_eq!(create("live", Some(weights(&[("2", 0.25)]))), Ok(()));
    }

    #[test]
    fn routing_rules_are_awss() {
        let rule = |target: &str, pairs: &[(&str, f64)]| {
            routing_rules(target, Some(&weights(pairs)))
                .map_err(|e| e.to_string())
                .map(|w| w.map(|w| w.len()))
        };
        assert_eq!(rule("1", &[("2", 0.1)]), Ok(Some(1)));
        assert_eq!(rule("1", &[]), Ok(None));
        assert_eq!(
            rule("1", &[("2", 0.1), ("3", 0.1)]),
            Err("Number of items in AdditionalVersionWeights cannot be greater than 1".into())
        );
        assert_eq!(
            rule("1", &[("1", 0.1)]),
            Err("Invalid function version 1. Function version 1 is already included in routing configuration.".into())
        );
        assert_eq!(
            rule("$LATEST", &[("1", 0.1)]),
            Err("$LATEST is not supported for an alias pointing to more than 1 version".into())
        );
    }

    #[test]
    fn an_alias_routes_to_its_versions() {
        let alias = AliasRecord {
            name: "live".into(),
            function_version: "3".into(),
            description: String::new(),
            weights: Some([("4".to_owned(), 0.25)].into()),
        };
        assert_eq!(alias.versions(), [3, 4]);
        assert_eq!(alias.routes(), ("3".to_owned(), Some(("4".to_owned(), 0.25))));
        let latest = AliasRecord {
            function_version: "$LATEST".into(),
            weights: None,
            ..alias
        };
        assert!(latest.versions().is_empty());
    }
}
