//! Aliases: CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `RoutingConfig`: the one additional version an alias sends a share of its invocations to.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasRoutingConfiguration {
    /// Version number to weight (0.0 to 1.0); the alias's own version gets the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_version_weights: Option<BTreeMap<String, f64>>,
}

/// CreateAlias's body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAliasInput {
    /// The alias name (not all digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The version it points to (`$LATEST` or a number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_version: Option<String>,
    /// Free text, up to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Weighted routing to a second version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_config: Option<AliasRoutingConfiguration>,
}

/// UpdateAlias's body: the members given change.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAliasInput {
    /// The version it points to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_version: Option<String>,
    /// Free text, up to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Weighted routing to a second version (empty weights remove it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_config: Option<AliasRoutingConfiguration>,
    /// Only apply if the alias's RevisionId is still this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<String>,
}

/// An alias as every alias operation answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasConfiguration {
    /// `arn:aws:lambda:<region>:<account>:function:<name>:<alias>`.
    pub alias_arn: String,
    /// The alias name.
    pub name: String,
    /// The version it points to.
    pub function_version: String,
    /// `""` unless given.
    pub description: String,
    /// Only when it routes to a second version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_config: Option<AliasRoutingConfiguration>,
    /// Changes with every change of the alias.
    pub revision_id: String,
}

/// ListAliases' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesOutput {
    /// One page, by name.
    pub aliases: Vec<AliasConfiguration>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
