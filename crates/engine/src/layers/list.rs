//! ListLayerVersions and ListLayers.

use crate::names::Scope;
use crate::paging::paginate;
use crate::rows::parse_layer_version;
use crate::wire::{LayersListItem, ListLayerVersionsOutput, ListLayersOutput};
use crate::{Engine, EngineError};

use super::{check_filters, layer_arn, list_item, matches, parse_layer_name};

impl Engine {
    /// ListLayerVersions (an unknown layer has no versions: an empty list, not an error).
    pub async fn list_layer_versions(
        &self,
        scope: &Scope,
        raw_name: &str,
        runtime: Option<&str>,
        arch: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListLayerVersionsOutput, EngineError> {
        let limit = check_filters(
            "ListLayerVersions",
            Some(raw_name),
            (runtime, arch),
            marker,
            max_items,
        )?;
        let name = parse_layer_name(raw_name, scope)?;
        let place = scope.clone();
        let rows = self
            .blocking(move |inner| {
                Ok(inner
                    .meta
                    .list_layer_versions(&place.account, &place.region, Some(&name))?)
            })
            .await?;
        let mut items = Vec::new();
        for row in rows.iter().rev() {
            let record = parse_layer_version(row)?;
            if matches(&record, runtime, arch) {
                items.push((row.version.to_string(), list_item(scope, row, &record)));
            }
        }
        let (layer_versions, next_marker) = paginate(items, marker, limit);
        Ok(ListLayerVersionsOutput {
            layer_versions,
            next_marker,
        })
    }

    /// ListLayers: each layer with its newest version that matches the filters.
    pub async fn list_layers(
        &self,
        scope: &Scope,
        runtime: Option<&str>,
        arch: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListLayersOutput, EngineError> {
        let limit = check_filters("ListLayers", None, (runtime, arch), marker, max_items)?;
        let place = scope.clone();
        let rows = self
            .blocking(move |inner| {
                Ok(inner
                    .meta
                    .list_layer_versions(&place.account, &place.region, None)?)
            })
            .await?;
        // Rows come by name, then version: the last match of each name is its newest.
        let mut items: Vec<(String, LayersListItem)> = Vec::new();
        for row in &rows {
            let record = parse_layer_version(row)?;
            if !matches(&record, runtime, arch) {
                continue;
            }
            let item = LayersListItem {
                layer_name: row.name.clone(),
                layer_arn: layer_arn(scope, &row.name),
                latest_matching_version: list_item(scope, row, &record),
            };
            match items.last_mut() {
                Some((name, last)) if *name == row.name => *last = item,
                _ => items.push((row.name.clone(), item)),
            }
        }
        let (layers, next_marker) = paginate(items, marker, limit);
        Ok(ListLayersOutput { layers, next_marker })
    }
}
