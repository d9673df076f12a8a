//! Layers: PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers, ListLayerVersions and
//! DeleteLayerVersion; resolving a function's `Layers` to the versions it uses; and the `/opt` a
//! function's environments see.
//!
//! A layer version is a row of the metadata store (its number taken from a per-layer counter, so numbers
//! are never reused) whose zip is a blob of the code store like any function's. A function keeps a copy
//! of what it needs of each of its layers ([`FunctionLayer`]: ARN, `CodeSha256`, sizes), so it keeps
//! working after a layer version it uses is deleted, as on Lambda; the store counts those blobs as
//! referenced.
//!
//! `/opt`: each layer zip is unpacked once, like function code (`unpacked/<sha256>`). A function with one
//! layer sees that directory; with several, a directory that stacks them in order (later layers
//! overwrite earlier files, as on Lambda) is built once per distinct list of layers, of hard links to the
//! unpacked files (copies where the filesystem refuses links), under `<data-dir>/opt/<key>`, via a
//! temporary directory and a rename. Stacks are cheap to rebuild and are cleared when the engine opens.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::code::{self, PackageUse, StagedCode};
use crate::config_rules::{LAYER, LAYER_PATTERN, LayerVersionArn};
use crate::functions::{Deployed, lamina_store_hex, paginate};
use crate::names::Scope;
use crate::record::now_timestamp;
use crate::validation::{Checks, list};
use crate::wire::{
    LayerVersionContent, LayerVersionOutput, LayerVersionsListItem, LayersListItem, ListLayerVersionsOutput,
    ListLayersOutput, PublishLayerVersionInput,
};
use crate::{Engine, EngineError, Inner};

/// AWS's pattern for `LayerName`: a name or a layer ARN.
pub(crate) const LAYER_NAME_PATTERN: &str =
    r"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+";
static LAYER_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+)|([a-zA-Z0-9_-]+))$",
    )
    .expect("static")
});

/// AWS's answer for a layer version that does not exist.
const NOT_FOUND: &str = "The resource you requested does not exist.";
/// Most `CompatibleRuntimes` of a layer version.
const MAX_RUNTIMES: usize = 15;
/// Most `CompatibleArchitectures` of a layer version.
const MAX_ARCHITECTURES: usize = 2;
/// The largest page of ListLayers / ListLayerVersions.
const MAX_ITEMS: i64 = 50;
const ARCHITECTURES: [&str; 2] = ["x86_64", "arm64"];

/// What the engine stores for a layer version: the `document` of its store row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LayerRecord {
    /// As given.
    pub(crate) description: Option<String>,
    /// When it was published.
    pub(crate) created_date: String,
    /// As given.
    pub(crate) compatible_runtimes: Option<Vec<String>>,
    /// As given.
    pub(crate) compatible_architectures: Option<Vec<String>>,
    /// As given.
    pub(crate) license_info: Option<String>,
    /// Zip size.
    pub(crate) code_size: u64,
    /// The bytes the zip unzips to.
    pub(crate) unzipped_size: u64,
    /// Whether the zip has a `bootstrap` at its root (`/opt/bootstrap`).
    pub(crate) has_bootstrap: bool,
}

/// What a function keeps of one of its layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FunctionLayer {
    /// The layer version ARN.
    pub(crate) arn: String,
    /// The layer zip's `CodeSha256`.
    pub(crate) code_sha256: String,
    /// Zip size.
    pub(crate) code_size: u64,
    /// The bytes the zip unzips to.
    pub(crate) unzipped_size: u64,
    /// Whether it provides `/opt/bootstrap`.
    pub(crate) has_bootstrap: bool,
}

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

fn not_found() -> EngineError {
    EngineError::NotFound(NOT_FOUND.into())
}

fn layer_arn(scope: &Scope, name: &str) -> String {
    format!("arn:aws:lambda:{}:{}:layer:{name}", scope.region, scope.account)
}

/// Checks a `LayerName` (a name or a layer ARN of this region and account) and returns the name.
fn parse_layer_name(raw: &str, scope: &Scope) -> Result<String, EngineError> {
    let mut checks = Checks::default();
    checks.length(raw, "layerName", 1, 140);
    checks.pattern(raw, "layerName", &LAYER_NAME, LAYER_NAME_PATTERN);
    checks.finish()?;
    let caps = LAYER_NAME
        .captures(raw)
        .ok_or_else(|| EngineError::Internal("pattern matched without captures".into()))?;
    if let Some(name) = caps.get(4) {
        return Ok(name.as_str().to_owned());
    }
    if caps.get(1).is_some_and(|r| r.as_str() != scope.region) {
        return Err(not_found());
    }
    if caps.get(2).is_some_and(|a| a.as_str() != scope.account) {
        return Err(EngineError::AccessDenied);
    }
    Ok(caps.get(3).map(|m| m.as_str().to_owned()).unwrap_or_default())
}

/// AWS's answer for a `VersionNumber` below 1; the number otherwise.
fn version_number(n: i64) -> Result<u64, EngineError> {
    u64::try_from(n)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| EngineError::InvalidParameter("Layer Version Cannot be less than 1".into()))
}

fn runtime_set() -> String {
    format!(
        "[{}]",
        crate::runtime::layer_runtimes().collect::<Vec<_>>().join(", ")
    )
}

/// Checks the `CompatibleRuntime` / `CompatibleArchitecture` filters and `MaxItems` of the list
/// operations.
fn check_filters(
    runtime: Option<&str>,
    arch: Option<&str>,
    max_items: Option<i64>,
) -> Result<usize, EngineError> {
    let mut checks = Checks::default();
    if let Some(r) = runtime
        && !crate::runtime::layer_runtimes().any(|known| known == r)
    {
        checks.string(
            r,
            "compatibleRuntime",
            format!("Member must satisfy enum value set: {}", runtime_set()),
        );
    }
    if let Some(a) = arch
        && !ARCHITECTURES.contains(&a)
    {
        checks.string(
            a,
            "compatibleArchitecture",
            "Member must satisfy enum value set: [x86_64, arm64]",
        );
    }
    if let Some(n) = max_items {
        checks.range(n, "maxItems", 1, MAX_ITEMS);
    }
    checks.finish()?;
    Ok(usize::try_from(max_items.unwrap_or(MAX_ITEMS)).unwrap_or(50))
}

/// Whether a layer version matches the list filters (a filter excludes versions that do not name the
/// value among their compatible ones).
fn matches(record: &LayerRecord, runtime: Option<&str>, arch: Option<&str>) -> bool {
    let has = |list: &Option<Vec<String>>, wanted: Option<&str>| {
        wanted.is_none_or(|w| list.as_ref().is_some_and(|l| l.iter().any(|v| v == w)))
    };
    has(&record.compatible_runtimes, runtime) && has(&record.compatible_architectures, arch)
}

fn parse_row(row: &lamina_store::LayerVersionRow) -> Result<LayerRecord, EngineError> {
    Ok(serde_json::from_str(&row.document)?)
}

fn output(scope: &Scope, row: &lamina_store::LayerVersionRow, record: &LayerRecord) -> LayerVersionOutput {
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

fn list_item(
    scope: &Scope,
    row: &lamina_store::LayerVersionRow,
    record: &LayerRecord,
) -> LayerVersionsListItem {
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

fn view(scope: &Scope, row: &lamina_store::LayerVersionRow) -> Result<LayerVersionView, EngineError> {
    let record = parse_row(row)?;
    Ok(LayerVersionView {
        layer: output(scope, row, &record),
        code_hex: lamina_store_hex(&row.code_sha256)?,
    })
}

impl Engine {
    /// PublishLayerVersion.
    pub async fn publish_layer_version(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: PublishLayerVersionInput,
        staged: Option<StagedCode>,
    ) -> Result<Deployed<LayerVersionView>, EngineError> {
        let name = parse_layer_name(raw_name, scope)?;
        let mut checks = Checks::default();
        if input.content.is_none() {
            checks.null("content");
        }
        if let Some(d) = &input.description {
            checks.length(d, "description", 0, 256);
        }
        if let Some(l) = &input.license_info {
            checks.length(l, "licenseInfo", 0, 512);
        }
        if let Some(runtimes) = &input.compatible_runtimes {
            if runtimes.len() > MAX_RUNTIMES {
                checks.string(
                    &list(runtimes),
                    "compatibleRuntimes",
                    format!("Member must have length less than or equal to {MAX_RUNTIMES}"),
                );
            }
            if runtimes
                .iter()
                .any(|r| !crate::runtime::layer_runtimes().any(|known| known == r))
            {
                checks.string(
                    &list(runtimes),
                    "compatibleRuntimes",
                    format!("Member must satisfy enum value set: {}", runtime_set()),
                );
            }
        }
        if let Some(archs) = &input.compatible_architectures {
            if archs.len() > MAX_ARCHITECTURES {
                checks.string(
                    &list(archs),
                    "compatibleArchitectures",
                    format!("Member must have length less than or equal to {MAX_ARCHITECTURES}"),
                );
            }
            if archs.iter().any(|a| !ARCHITECTURES.contains(&a.as_str())) {
                checks.string(
                    &list(archs),
                    "compatibleArchitectures",
                    "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]",
                );
            }
        }
        if let Some(c) = &input.content {
            crate::s3::check_members(
                c.s3_bucket.as_deref(),
                c.s3_key.as_deref(),
                c.s3_object_version.as_deref(),
                "content.",
                &mut checks,
            );
        }
        checks.finish()?;
        let from_s3 = input.content.as_ref().and_then(|c| {
            crate::s3::S3Location::from_members(
                c.s3_bucket.as_deref(),
                c.s3_key.as_deref(),
                c.s3_object_version.as_deref(),
            )
        });
        let staged = match (staged, from_s3) {
            (Some(staged), _) => staged,
            (None, Some(location)) => self.stage_s3(&scope.region, &location).await?,
            (None, None) => {
                return Err(EngineError::InvalidParameter(
                    "Please provide a source for layer content.".into(),
                ));
            }
        };
        // The package is checked for the architecture it must run on when that is one.
        let arch = match input.compatible_architectures.as_deref() {
            Some([one]) => Some(one.clone()),
            _ => None,
        };
        let subject = format!("PublishLayerVersion {name}");
        let (staged, lint) = self
            .check_package(&subject, staged, arch, PackageUse::Layer)
            .await?;
        let record = LayerRecord {
            description: input.description.clone(),
            created_date: now_timestamp(),
            compatible_runtimes: input.compatible_runtimes.clone(),
            compatible_architectures: input.compatible_architectures.clone(),
            license_info: input.license_info.clone(),
            code_size: staged.size(),
            unzipped_size: lint.unzipped_size,
            has_bootstrap: lint.has_bootstrap,
        };
        let document = serde_json::to_string(&record)?;
        let row = {
            let _guard = self.inner.code_lock.lock().await;
            let place = scope.clone();
            let name = name.clone();
            self.blocking(move |inner| {
                let sha = inner.code.commit(staged.blob)?.code_sha256();
                Ok(inner
                    .meta
                    .publish_layer_version(&place.account, &place.region, &name, &sha, &|_| {
                        document.clone()
                    })?)
            })
            .await?
        };
        tracing::info!(layer = %name, version = row.version, code_sha256 = %row.code_sha256, "published layer version");
        Ok(Deployed {
            value: view(scope, &row)?,
            warnings: lint.warnings,
        })
    }

    async fn layer_row(
        &self,
        scope: &Scope,
        name: &str,
        version: u64,
    ) -> Result<Option<lamina_store::LayerVersionRow>, EngineError> {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(move |inner| {
            Ok(inner
                .meta
                .get_layer_version(&place.account, &place.region, &name, version)?)
        })
        .await
    }

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
            None => Err(not_found()),
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
        let parsed = arn.and_then(LayerVersionArn::parse).ok_or_else(not_found)?;
        if parsed.region != scope.region {
            return Err(not_found());
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
            None => Err(not_found()),
        }
    }

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
        let name = parse_layer_name(raw_name, scope)?;
        let limit = check_filters(runtime, arch, max_items)?;
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
            let record = parse_row(row)?;
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
        let limit = check_filters(runtime, arch, max_items)?;
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
            let record = parse_row(row)?;
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

    /// DeleteLayerVersion (idempotent). Functions that use the version keep its code.
    pub async fn delete_layer_version(
        &self,
        scope: &Scope,
        raw_name: &str,
        version: i64,
    ) -> Result<(), EngineError> {
        let name = parse_layer_name(raw_name, scope)?;
        let version = version_number(version)?;
        let Some(row) = self.layer_row(scope, &name, version).await? else {
            return Ok(());
        };
        let place = scope.clone();
        let deleted = self
            .blocking(move |inner| {
                Ok(inner
                    .meta
                    .delete_layer_version(&place.account, &place.region, &name, version)?)
            })
            .await?;
        if deleted {
            tracing::info!(layer = %row.name, version, "deleted layer version");
            let _guard = self.inner.code_lock.lock().await;
            self.sweep_unreferenced(vec![row.code_sha256]).await;
        }
        Ok(())
    }

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
                let record = parse_row(&row)?;
                out.push(FunctionLayer {
                    arn: layer.arn,
                    code_sha256: row.code_sha256,
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

    /// The directory a function with `layers` sees as `/opt`: built (unpacked, stacked) if needed.
    pub(crate) async fn opt_dir(&self, layers: &[FunctionLayer]) -> Result<Option<PathBuf>, EngineError> {
        if layers.is_empty() {
            return Ok(None);
        }
        // Every invocation asks: once built, the directory is found without leaving the runtime.
        let hexes = layers
            .iter()
            .map(|l| lamina_store_hex(&l.code_sha256))
            .collect::<Result<Vec<_>, _>>()?;
        let built = match hexes.as_slice() {
            [one] => self.inner.unpacked.dir(one),
            _ => self.inner.stacks.path(&hexes),
        };
        if built.is_dir() {
            return Ok(Some(built));
        }
        let layers = layers.to_vec();
        self.blocking(move |inner| opt_dir(inner, &layers).map_err(EngineError::Internal))
            .await
    }
}

/// Unpacks each layer (once per zip) and returns the directory that is `/opt` for `layers`: the one
/// layer's unpacked directory, or the stack of several.
pub(crate) fn opt_dir(inner: &Inner, layers: &[FunctionLayer]) -> Result<Option<PathBuf>, String> {
    let mut dirs = Vec::with_capacity(layers.len());
    for layer in layers {
        crate::settle::unpack(inner, &layer.code_sha256)?;
        let hex = lamina_store_hex(&layer.code_sha256).map_err(|e| e.to_string())?;
        dirs.push((hex.clone(), inner.unpacked.dir(&hex)));
    }
    match dirs.as_slice() {
        [] => Ok(None),
        [(_, one)] => Ok(Some(one.clone())),
        _ => inner.stacks.ensure(&dirs).map(Some),
    }
}

/// The combined `/opt` directories of functions with several layers, one per distinct list of layers.
#[derive(Debug, Clone)]
pub(crate) struct Stacks {
    root: PathBuf,
}

impl Stacks {
    /// Opens the directory of stacks, removing what a previous run left (stacks are rebuilt on demand).
    pub(crate) fn open(root: PathBuf) -> Result<Self, EngineError> {
        if root.exists() {
            fs::remove_dir_all(&root)?;
        }
        fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// Where the stack of the layers with these hex digests (in order) is, or will be.
    pub(crate) fn path(&self, hexes: &[String]) -> PathBuf {
        let mut key = Sha256::new();
        for hex in hexes {
            key.update(hex.as_bytes());
            key.update(b"\n");
        }
        let key: String = key.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.root.join(key)
    }

    /// The stack of `layers` (hex digest, unpacked directory), in order, built unless it exists.
    pub(crate) fn ensure(&self, layers: &[(String, PathBuf)]) -> Result<PathBuf, String> {
        let hexes: Vec<String> = layers.iter().map(|(hex, _)| hex.clone()).collect();
        let target = self.path(&hexes);
        if target.is_dir() {
            return Ok(target);
        }
        let tmp = self.root.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
        let built = fs::create_dir(&tmp)
            .and_then(|()| layers.iter().try_for_each(|(_, dir)| overlay(dir, &tmp)))
            .map_err(|e| format!("cannot combine the layers for /opt: {e}"))
            .and_then(|()| match fs::rename(&tmp, &target) {
                Ok(()) => Ok(()),
                // Another environment built the same stack first: theirs is as good.
                Err(_) if target.is_dir() => {
                    let _ = fs::remove_dir_all(&tmp);
                    Ok(())
                }
                Err(e) => Err(format!("cannot move the combined layers: {e}")),
            });
        if built.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        built.map(|()| target)
    }
}

/// Lays `src`'s tree over `dst`: files and symlinks of `src` replace whatever `dst` has at their path
/// (a later layer wins, as on Lambda); directories merge.
fn overlay(src: &Path, dst: &Path) -> io::Result<()> {
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let kind = entry.file_type()?;
        let existing = fs::symlink_metadata(&to).ok();
        if kind.is_dir() {
            match existing {
                Some(m) if m.is_dir() => {}
                Some(_) => {
                    fs::remove_file(&to)?;
                    fs::create_dir(&to)?;
                }
                None => fs::create_dir(&to)?,
            }
            overlay(&from, &to)?;
            continue;
        }
        match existing {
            Some(m) if m.is_dir() => fs::remove_dir_all(&to)?,
            Some(_) => fs::remove_file(&to)?,
            None => {}
        }
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&from)?, &to)?;
        } else if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to)?;
        }
    }
    Ok(())
}

/// Whether any of `layers` provides `/opt/bootstrap`.
pub(crate) fn provide_bootstrap(layers: &[FunctionLayer]) -> bool {
    layers.iter().any(|l| l.has_bootstrap)
}

/// Checks the unzipped size of a function's code and its layers together.
pub(crate) fn check_total_size(code_unzipped: u64, layers: &[FunctionLayer]) -> Result<(), EngineError> {
    code::check_unzipped_total(std::iter::once(code_unzipped).chain(layers.iter().map(|l| l.unzipped_size)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    #[test]
    fn later_layers_overwrite_earlier_files_and_stacks_are_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        write(&a.join("data.txt"), "from a");
        write(&a.join("lib/only-a.so"), "a");
        write(&a.join("bin"), "a file where b has a directory");
        write(&b.join("data.txt"), "from b");
        write(&b.join("bin/tool"), "b");
        std::os::unix::fs::symlink("data.txt", b.join("link")).expect("symlink");
        let stacks = Stacks::open(dir.path().join("opt")).expect("open");
        let layers = [("aa".to_owned(), a.clone()), ("bb".to_owned(), b.clone())];
        let stack = stacks.ensure(&layers).expect("stack");
        assert_eq!(
            fs::read_to_string(stack.join("data.txt")).expect("read"),
            "from b"
        );
        assert_eq!(
            fs::read_to_string(stack.join("lib/only-a.so")).expect("read"),
            "a"
        );
        assert_eq!(fs::read_to_string(stack.join("bin/tool")).expect("read"), "b");
        assert_eq!(
            fs::read_link(stack.join("link")).expect("link"),
            Path::new("data.txt")
        );
        assert_eq!(
            stacks.ensure(&layers).expect("again"),
            stack,
            "one stack per list"
        );
        let reversed = [layers[1].clone(), layers[0].clone()];
        let other = stacks.ensure(&reversed).expect("reversed");
        assert_ne!(other, stack);
        assert_eq!(
            fs::read_to_string(other.join("data.txt")).expect("read"),
            "from a"
        );
        assert!(other.join("bin").is_file(), "a's file replaced b's directory");
        let left: Vec<_> = fs::read_dir(dir.path().join("opt"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(left.iter().all(|n| !n.starts_with(".tmp-")), "{left:?}");
        drop(stacks);
        Stacks::open(dir.path().join("opt")).expect("reopen");
        assert!(!stack.exists(), "stacks are cleared at open");
    }

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
            parse_layer_name("bad name", &scope)
                .expect_err("pattern")
                .to_string(),
            format!(
                "1 validation error detected: Value 'bad name' at 'layerName' failed to satisfy constraint: Member \
                 must satisfy regular expression pattern: {LAYER_NAME_PATTERN}"
            )
        );
        assert_eq!(
            version_number(0).expect_err("zero").to_string(),
            "Layer Version Cannot be less than 1"
        );
    }
}
