//! Layers: versions of zips published on their own, one operation per file (`publish`, `get`, `list`,
//! `delete`; `permissions`: a layer version's policy), the stored document of a layer version (`record`), and what functions need of layers
//! (`for_functions`: their `Layers` resolved to versions, the code checked, sizes summed).
//!
//! A layer version is a row of the metadata store (its number taken from a per-layer counter, so numbers
//! are never reused) whose zip is a blob of the code store like any function's. A function keeps a copy
//! of what it needs of each of its layers (`FunctionLayer`: ARN, `CodeSha256`, sizes), so it keeps
//! working after a layer version it uses is deleted, as on Lambda; the store counts those blobs as
//! referenced. How layers become `/opt` is modules `opt` and `stacks`.

mod delete;
pub(crate) mod for_functions;
mod get;
mod list;
mod permissions;
mod publish;
pub(crate) mod record;

use std::sync::LazyLock;

use lamina_model::CodeSha256;
use lamina_store::LayerVersionRow;
use regex::Regex;

use crate::EngineError;
use crate::names::Scope;
use crate::not_found::layer_version_not_found;
use crate::rows::parse_layer_version;
use crate::validate;
use crate::wire::{LayerVersionContent, LayerVersionOutput, LayerVersionsListItem};
use record::LayerRecord;

/// Takes apart a `LayerName` the model's pattern accepted: a layer ARN's region, account and name, or
/// a bare name.
static LAYER_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+)|([a-zA-Z0-9_-]+))$",
    )
    .expect("static")
});

/// The largest page of ListLayers / ListLayerVersions (the model's most `MaxItems`).
const MAX_ITEMS: usize = 50;

/// A layer version as Publish/Get answer it, before the control API adds the download URL.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerVersionView {
    /// The answer; `Content.Location` is empty.
    pub layer: LayerVersionOutput,
    /// The zip's digest in hex: the key of the download URL.
    pub code_hex: String,
}

impl LayerVersionView {
    /// The answer with `Content.Location` set to `location`.
    pub fn with_location(mut self, location: String) -> LayerVersionOutput {
        self.layer.content.location = location;
        self.layer
    }
}

pub(super) fn layer_arn(scope: &Scope, name: &str) -> String {
    format!("arn:aws:lambda:{}:{}:layer:{name}", scope.region, scope.account)
}

/// The layer a `LayerName` names (a name, or a layer ARN of this region and account), once the
/// operation's input passed the model's checks.
pub(super) fn parse_layer_name(raw: &str, scope: &Scope) -> Result<String, EngineError> {
    let Some(caps) = LAYER_NAME.captures(raw) else {
        return Err(layer_version_not_found());
    };
    if let Some(name) = caps.get(4) {
        return Ok(name.as_str().to_owned());
    }
    if caps.get(1).is_some_and(|r| r.as_str() != scope.region) {
        return Err(layer_version_not_found());
    }
    if caps.get(2).is_some_and(|a| a.as_str() != scope.account) {
        return Err(EngineError::AccessDenied);
    }
    Ok(caps.get(3).map(|m| m.as_str().to_owned()).unwrap_or_default())
}

/// The layer and version Get/DeleteLayerVersion name, once `operation`'s input passed the model's
/// checks.
pub(super) fn layer_version_target(
    operation: &str,
    raw_name: &str,
    version: i64,
    scope: &Scope,
) -> Result<(String, u64), EngineError> {
    validate::input(
        operation,
        &(),
        &[("LayerName", raw_name.into()), ("VersionNumber", version.into())],
    )?;
    Ok((parse_layer_name(raw_name, scope)?, version_number(version)?))
}

/// AWS's answer for a `VersionNumber` below 1; the number otherwise.
pub(super) fn version_number(n: i64) -> Result<u64, EngineError> {
    u64::try_from(n)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| EngineError::InvalidParameter("Layer Version Cannot be less than 1".into()))
}

/// Checks a list operation's input (the `CompatibleRuntime` / `CompatibleArchitecture` filters,
/// `Marker`, `MaxItems`, and ListLayerVersions' `LayerName`) and returns the page size.
pub(super) fn check_filters(
    operation: &str,
    layer_name: Option<&str>,
    filters: (Option<&str>, Option<&str>),
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<usize, EngineError> {
    let (runtime, arch) = filters;
    validate::input(
        operation,
        &(),
        &[
            ("LayerName", validate::optional(layer_name)),
            ("CompatibleRuntime", validate::optional(runtime)),
            ("CompatibleArchitecture", validate::optional(arch)),
            ("Marker", validate::optional(marker)),
            ("MaxItems", validate::optional(max_items)),
        ],
    )?;
    Ok(max_items
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(MAX_ITEMS))
}

/// Whether a layer version matches the list filters (a filter excludes versions that do not name the
/// value among their compatible ones).
pub(super) fn matches(record: &LayerRecord, runtime: Option<&str>, arch: Option<&str>) -> bool {
    let has = |list: &Option<Vec<String>>, wanted: Option<&str>| {
        wanted.is_none_or(|w| list.as_ref().is_some_and(|l| l.iter().any(|v| v == w)))
    };
    has(&record.compatible_runtimes, runtime) && has(&record.compatible_architectures, arch)
}

pub(super) fn output(scope: &Scope, row: &LayerVersionRow, record: &LayerRecord) -> LayerVersionOutput {
    let layer_arn = layer_arn(scope, &row.name);
    LayerVersionOutput {
        content: LayerVersionContent {
            location: String::new(),
            code_sha256: row.code_sha256.clone(),
            code_size: record.code_size,
        },
        layer_version_arn: format!("{layer_arn}:{}", row.version),
        layer_arn,
        description: record.description.clone(),
        created_date: record.created_date.clone(),
        version: row.version,
        compatible_runtimes: record.compatible_runtimes.clone(),
        license_info: record.license_info.clone(),
        compatible_architectures: record.compatible_architectures.clone(),
    }
}

pub(super) fn list_item(scope: &Scope, row: &LayerVersionRow, record: &LayerRecord) -> LayerVersionsListItem {
    let full = output(scope, row, record);
    LayerVersionsListItem {
        layer_version_arn: full.layer_version_arn,
        version: full.version,
        description: full.description,
        created_date: full.created_date,
        compatible_runtimes: full.compatible_runtimes,
        license_info: full.license_info,
        compatible_architectures: full.compatible_architectures,
    }
}

pub(super) fn view(scope: &Scope, row: &LayerVersionRow) -> Result<LayerVersionView, EngineError> {
    let record = parse_layer_version(row)?;
    Ok(LayerVersionView {
        layer: output(scope, row, &record),
        code_hex: CodeSha256::from_base64(&row.code_sha256)?.hex(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_names_may_be_arns_of_this_region() {
        let scope = Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        };
        assert_eq!(parse_layer_name("my-layer", &scope).expect("name"), "my-layer");
        assert_eq!(
            parse_layer_name("arn:aws:lambda:us-east-1:000000000000:layer:my-layer", &scope).expect("arn"),
            "my-layer"
        );
        assert_eq!(
            version_number(0).expect_err("zero").to_string(),
            "Layer Version Cannot be less than 1"
        );
    }
}
