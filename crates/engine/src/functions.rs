//! The function operations: create, read, list, update (code and configuration), delete, publish and
//! list versions.

use std::collections::BTreeMap;
use std::sync::Arc;

use lamina_store::{FunctionRow, MetadataStore, StoreError, VersionRow};

use crate::code::{self, Lint, PackageUse, StagedCode};
use crate::config_rules;
use crate::layers;
use crate::names::{self, NameKind, Scope};
use crate::record::{FunctionRecord, State, UpdateStatus, View, fresh_id, now_timestamp};
use crate::s3::{self, S3Location};
use crate::validation::Checks;
use crate::wire::{
    ConfigInput, CreateFunctionInput, FunctionConfiguration, ListFunctionsOutput, ListVersionsOutput,
    PublishVersionInput, UpdateCodeInput, UpdateConfigurationInput,
};
use crate::{Engine, EngineError};

/// A result with the lint warnings of the package it deployed.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployed<T> {
    /// The operation's answer.
    pub value: T,
    /// What `lamina_package::inspect` found wrong with the package (empty when clean).
    pub warnings: Vec<String>,
}

/// GetFunction's answer, before the control API adds the download URL.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionView {
    /// The configuration.
    pub configuration: FunctionConfiguration,
    /// The package's digest in hex: the key of the download URL.
    pub code_hex: String,
    /// Tags (only for an unqualified request, as AWS; empty maps are omitted).
    pub tags: BTreeMap<String, String>,
    /// Reserved concurrency, if set.
    pub reserved_concurrency: Option<u32>,
}

const CREATING_REASON: &str = "The function is being created.";
const CREATING_CODE: &str = "Creating";
const MAX_TAGS: usize = 50;

pub(crate) fn function_not_found(scope: &Scope, name: &str, qualifier: Option<&str>) -> EngineError {
    let arn = scope.function_arn(name);
    EngineError::NotFound(match qualifier {
        Some(q) => format!("Function not found: {arn}:{q}"),
        None => format!("Function not found: {arn}"),
    })
}

pub(crate) fn parse_record(row: &FunctionRow) -> Result<FunctionRecord, EngineError> {
    Ok(serde_json::from_str(&row.document)?)
}

pub(crate) fn function_row(scope: &Scope, record: &FunctionRecord) -> Result<FunctionRow, EngineError> {
    Ok(FunctionRow {
        account: scope.account.clone(),
        region: scope.region.clone(),
        name: record.name.clone(),
        revision: fresh_id(),
        code_sha256: record.code_sha256.clone(),
        layer_code: record.layers.iter().map(|l| l.code_sha256.clone()).collect(),
        document: serde_json::to_string(record)?,
    })
}

pub(crate) fn version_row(scope: &Scope, record: &FunctionRecord) -> Result<VersionRow, EngineError> {
    Ok(VersionRow {
        account: scope.account.clone(),
        region: scope.region.clone(),
        name: record.name.clone(),
        version: record.version.unwrap_or_default(),
        code_sha256: record.code_sha256.clone(),
        layer_code: record.layers.iter().map(|l| l.code_sha256.clone()).collect(),
        document: serde_json::to_string(record)?,
    })
}

/// AWS refuses changes while the function is Pending or an update is in progress.
fn check_settled(scope: &Scope, record: &FunctionRecord) -> Result<(), EngineError> {
    let arn = scope.function_arn(&record.name);
    if record.state == State::Pending {
        return Err(EngineError::Conflict(format!(
            "The operation cannot be performed at this time. The resource {arn} is currently in the following \
             state: 'Pending'. StateReasonCode: '{}'",
            record.state_reason_code.as_deref().unwrap_or(CREATING_CODE)
        )));
    }
    if record.last_update_status == Some(UpdateStatus::InProgress) {
        return Err(EngineError::Conflict(format!(
            "The operation cannot be performed at this time. An update is in progress for resource: {arn}"
        )));
    }
    Ok(())
}

fn check_revision(record: &FunctionRecord, given: Option<&str>) -> Result<(), EngineError> {
    match given {
        Some(rev) if rev != record.revision_id => Err(EngineError::PreconditionFailed(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to \
             retrieve the latest Revision Id"
                .into(),
        )),
        _ => Ok(()),
    }
}

/// The S3 members of a code source (CreateFunction's `Code`, UpdateFunctionCode's body).
#[derive(Debug, Clone, Copy)]
struct S3Members<'a> {
    bucket: Option<&'a str>,
    key: Option<&'a str>,
    version: Option<&'a str>,
}

impl S3Members<'_> {
    fn any(&self) -> bool {
        self.bucket.is_some() || self.key.is_some() || self.version.is_some()
    }
}

fn parse_version_number(q: &str) -> Option<u64> {
    if q.is_empty() || !q.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    q.parse().ok()
}

/// Applies the members of `config` that are present; validation has already passed.
fn apply_config(
    record: &mut FunctionRecord,
    config: &ConfigInput,
    env: Option<serde_json::Map<String, serde_json::Value>>,
) {
    if let Some(role) = &config.role {
        record.role = role.clone();
    }
    if let Some(runtime) = &config.runtime {
        record.runtime = Some(runtime.clone());
    }
    if let Some(handler) = &config.handler {
        record.handler = Some(handler.clone());
    }
    if let Some(description) = &config.description {
        record.description = description.clone();
    }
    if let Some(timeout) = config.timeout {
        record.timeout = u32::try_from(timeout).unwrap_or(3);
    }
    if let Some(memory) = config.memory_size {
        record.memory_size = u32::try_from(memory).unwrap_or(128);
    }
    if let Some(size) = config.ephemeral_storage.as_ref().and_then(|e| e.size) {
        record.ephemeral_storage = u32::try_from(size).unwrap_or(512);
    }
    if config.environment.is_some() {
        record.environment = Some(env.unwrap_or_default());
    }
    if let Some(mode) = config.tracing_config.as_ref().and_then(|t| t.mode.clone()) {
        record.tracing_mode = mode;
    }
    if let Some(logging) = &config.logging_config {
        record.logging_config = Some(logging.clone());
    }
    if let Some(snap) = &config.snap_start {
        record.snap_start = Some(snap.clone());
    }
    let echoed = [
        (
            "KMSKeyArn",
            config.kms_key_arn.clone().map(serde_json::Value::from),
        ),
        ("VpcConfig", config.vpc_config.clone()),
        ("DeadLetterConfig", config.dead_letter_config.clone()),
        ("FileSystemConfigs", config.file_system_configs.clone()),
        (
            "ImageConfigResponse",
            config
                .image_config
                .clone()
                .map(|c| serde_json::json!({"ImageConfig": c})),
        ),
    ];
    for (key, value) in echoed {
        if let Some(value) = value {
            record.echoed.insert(key.to_owned(), value);
        }
    }
}

/// Validates the configuration members in AWS's order; returns checked environment variables.
fn validate_config(config: &ConfigInput, mut checks: Checks) -> Result<(), EngineError> {
    config_rules::syntax(config, &mut checks);
    checks.finish()?;
    if let Some(runtime) = &config.runtime {
        crate::runtime::check(runtime)?;
    }
    Ok(())
}

fn checked_environment(
    config: &ConfigInput,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, EngineError> {
    match config.environment.as_ref().and_then(|e| e.variables.as_ref()) {
        Some(vars) => config_rules::environment(vars).map(Some),
        None => Ok(None),
    }
}

impl Engine {
    /// Reads a function's row and record.
    pub(crate) async fn load(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<(FunctionRow, FunctionRecord)>, EngineError> {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(
            move |inner| match inner.meta.get_function(&place.account, &place.region, &name)? {
                Some(row) => {
                    let record = parse_record(&row)?;
                    Ok(Some((row, record)))
                }
                None => Ok(None),
            },
        )
        .await
    }

    /// Read-modify-write of one function with compare-and-swap retries. `change` runs on the freshly
    /// read record each time; it may also return a version row to insert in the same transaction.
    pub(crate) async fn mutate<T, F>(
        &self,
        scope: &Scope,
        name: &str,
        missing: EngineError,
        change: F,
    ) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: Fn(&mut FunctionRecord) -> Result<(T, Option<FunctionRecord>), EngineError> + Send + 'static,
    {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(move |inner| {
            loop {
                let Some(row) = inner.meta.get_function(&place.account, &place.region, &name)? else {
                    return Err(missing.clone());
                };
                let mut record = parse_record(&row)?;
                let (out, version) = change(&mut record)?;
                let next = function_row(&place, &record)?;
                let version = version.map(|v| version_row(&place, &v)).transpose()?;
                match inner
                    .meta
                    .replace_function(&next, &row.revision, version.as_ref())
                {
                    Ok(()) => return Ok(out),
                    Err(StoreError::RevisionMismatch(_)) => continue,
                    Err(StoreError::NotFound(_)) => return Err(missing.clone()),
                    Err(e) => return Err(e.into()),
                }
            }
        })
        .await
    }
    /// The package of a CreateFunction / UpdateFunctionCode: the inline `ZipFile` (staged already), or
    /// the S3 object, fetched now for the caller's region. Both, or neither, is AWS's error.
    async fn resolve_code(
        &self,
        scope: &Scope,
        staged: Option<StagedCode>,
        s3: S3Members<'_>,
    ) -> Result<StagedCode, EngineError> {
        match (staged, S3Location::from_members(s3.bucket, s3.key, s3.version)) {
            (Some(_), _) if s3.any() => Err(EngineError::InvalidParameter(
                "Please do not provide other FunctionCode parameters when providing a ZipFile.".into(),
            )),
            (Some(staged), _) => Ok(staged),
            (None, Some(location)) => self.stage_s3(&scope.region, &location).await,
            (None, None) => Err(EngineError::InvalidParameter(
                "Please provide a source for function code.".into(),
            )),
        }
    }

    /// Checks and lints a staged package (blocking work, off the runtime).
    /// `subject` names what is deployed in the server's log (`CreateFunction hello`).
    pub(crate) async fn check_package(
        &self,
        subject: &str,
        staged: StagedCode,
        arch: Option<String>,
        usage: PackageUse,
    ) -> Result<(StagedCode, Lint), EngineError> {
        let strict = self.inner.strict;
        let usage_kind = usage.clone();
        let arch_for_support = arch
            .as_deref()
            .and_then(|a| a.parse::<lamina_model::Architecture>().ok());
        let (staged, lint) = tokio::task::spawn_blocking(move || {
            let lint = code::check_package(staged.blob.path(), arch.as_deref(), &usage);
            (staged, lint)
        })
        .await
        .map_err(|e| EngineError::Internal(format!("package check failed: {e}")))?;
        let mut lint = lint?;
        // Lambda takes a function of either architecture; one this server cannot run is said at deploy,
        // not first at invoke.
        if let PackageUse::Function {
            runtime: Some(runtime),
            ..
        } = &usage_kind
            && !runtime.starts_with("provided")
        {
            lint.warnings.push(format!(
                "lamina runs only the OS-only runtimes (provided.al2023, provided.al2), which start the package's \
                 bootstrap: this {runtime} function is created, as Lambda would, but every invoke will answer \
                 Runtime.Unsupported. Deploy it as provided.al2023 with a bootstrap instead."
            ));
        }
        if let (PackageUse::Function { .. }, Some(arch)) = (&usage_kind, arch_for_support)
            && let lamina_execution::ArchitectureSupport::Unavailable(why) =
                self.inner.executor.isolation().runs(arch)
        {
            lint.warnings.push(format!(
                "this server cannot run {arch} functions: {why}. The function is created, as Lambda would, \
                 but every invoke will fail with exec format error."
            ));
        }
        // One line per problem, each naming the deploy: what a user watching the server's terminal reads.
        for warning in &lint.warnings {
            tracing::warn!(code_sha256 = %staged.code_sha256(), "{subject}: accepted, but: {warning}");
        }
        if strict && !lint.warnings.is_empty() {
            return Err(EngineError::InvalidParameter(lint.warnings.join(" ")));
        }
        Ok((staged, lint))
    }

    /// The unzipped size of a record's code (kept since layers; read from the blob for older records).
    async fn code_unzipped_size(&self, record: &FunctionRecord) -> Result<u64, EngineError> {
        if let Some(n) = record.code_unzipped_size {
            return Ok(n);
        }
        let sha = record.code_sha256.clone();
        self.blocking(move |inner| match inner.code.path(&sha)? {
            Some(path) => code::unzipped_size(&path),
            None => Ok(0),
        })
        .await
    }

    /// Commits a staged blob to the store (fsync + rename); the caller holds the code lock.
    async fn commit_blob(&self, staged: StagedCode) -> Result<String, EngineError> {
        self.blocking(move |inner| Ok(inner.code.commit(staged.blob)?.code_sha256()))
            .await
    }

    /// CreateFunction.
    pub async fn create_function(
        &self,
        scope: &Scope,
        input: CreateFunctionInput,
        staged: Option<StagedCode>,
    ) -> Result<Deployed<FunctionConfiguration>, EngineError> {
        // Pattern errors of the name are reported together with the other members' (one
        // ValidationException); region/account mismatches and the 64-character rule stand alone.
        let mut checks = Checks::default();
        let parsed = match &input.function_name {
            Some(raw) => match names::parse_function_name(raw, NameKind::Plain, 140, scope) {
                Ok(parsed) => Some(parsed),
                Err(EngineError::Validation(items)) => {
                    checks.extend(items);
                    None
                }
                Err(other) => return Err(other),
            },
            None => {
                checks.null("functionName");
                None
            }
        };
        if input.config.role.is_none() {
            checks.null("role");
        }
        let arch = config_rules::architectures(input.architectures.as_ref(), &mut checks);
        if let Some(pt) = &input.package_type
            && pt != "Zip"
            && pt != "Image"
        {
            checks.string(
                pt,
                "packageType",
                "Member must satisfy enum value set: [Zip, Image]",
            );
        }
        if let Some(tags) = &input.tags {
            config_rules::tags(tags, &mut checks);
        }
        if let Some(code) = &input.code {
            s3::check_members(
                code.s3_bucket.as_deref(),
                code.s3_key.as_deref(),
                code.s3_object_version.as_deref(),
                "code.",
                &mut checks,
            );
        }
        if let Some(parsed) = &parsed
            && parsed.name.chars().count() > 64
        {
            return Err(EngineError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'functionName' failed to satisfy constraint: Member \
                 must have length less than or equal to 64",
                parsed.name
            )));
        }
        validate_config(&input.config, checks)?;
        let Some(function) = parsed else {
            return Err(EngineError::Internal(
                "a function name without validation errors did not parse".into(),
            ));
        };
        let config = &input.config;
        if input.package_type.as_deref() == Some("Image") {
            if config.handler.is_some() || config.runtime.is_some() || config.layers.is_some() {
                return Err(EngineError::InvalidParameter(
                    "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image."
                        .into(),
                ));
            }
            return Err(EngineError::InvalidParameter(
                "lamina runs .zip deployment packages only; PackageType Image (container images) is not supported. \
                 Deploy the function as a .zip with a bootstrap, for example with `lamina zip`."
                    .into(),
            ));
        }
        let code_input = input.code.as_ref();
        if code_input.is_some_and(|c| c.image_uri.is_some()) {
            return Err(EngineError::InvalidParameter(
                "Please don't provide ImageUri when the intended function PackageType is Zip.".into(),
            ));
        }
        if config.runtime.is_none() || config.handler.is_none() {
            return Err(EngineError::InvalidParameter(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages.".into(),
            ));
        }
        let s3 = S3Members {
            bucket: code_input.and_then(|c| c.s3_bucket.as_deref()),
            key: code_input.and_then(|c| c.s3_key.as_deref()),
            version: code_input.and_then(|c| c.s3_object_version.as_deref()),
        };
        let staged = self.resolve_code(scope, staged, s3).await?;
        let architecture = arch.unwrap_or_else(|| "x86_64".to_owned());
        let layers = match &config.layers {
            Some(arns) => self.resolve_function_layers(scope, arns).await?,
            None => Vec::new(),
        };
        let usage = PackageUse::Function {
            runtime: config.runtime.clone(),
            layer_bootstrap: layers::provide_bootstrap(&layers),
        };
        let subject = format!("CreateFunction {}", function.name);
        let (staged, lint) = self
            .check_package(&subject, staged, Some(architecture.clone()), usage)
            .await?;
        layers::check_total_size(lint.unzipped_size, &layers)?;
        let warnings = lint.warnings;
        let env = checked_environment(config)?;
        let tags = input.tags.clone().unwrap_or_default();
        if tags.len() > MAX_TAGS {
            return Err(EngineError::InvalidParameter(
                "Number of tags exceeds resource tag limit.".into(),
            ));
        }

        let mut record = FunctionRecord {
            name: function.name.clone(),
            version: None,
            runtime: None,
            handler: None,
            role: String::new(),
            description: String::new(),
            timeout: 3,
            memory_size: 128,
            architecture,
            ephemeral_storage: 512,
            environment: None,
            tracing_mode: "PassThrough".into(),
            logging_config: None,
            snap_start: None,
            echoed: BTreeMap::new(),
            code_sha256: staged.code_sha256(),
            code_size: staged.size(),
            code_unzipped_size: Some(lint.unzipped_size),
            package_warnings: warnings.clone(),
            layers,
            last_modified: now_timestamp(),
            revision_id: fresh_id(),
            state: State::Pending,
            state_reason: Some(CREATING_REASON.into()),
            state_reason_code: Some(CREATING_CODE.into()),
            last_update_status: None,
            last_update_status_reason: None,
            last_update_status_reason_code: None,
            settle_token: Some(fresh_id()),
            tags,
            reserved_concurrency: None,
            last_version: 0,
            last_published_fingerprint: None,
        };
        apply_config(&mut record, config, env);
        let version = if input.publish == Some(true) {
            let mut v = record.clone();
            v.version = Some(1);
            v.tags.clear();
            v.revision_id = fresh_id();
            v.settle_token = None;
            record.last_version = 1;
            record.last_published_fingerprint = Some(record.fingerprint());
            Some(v)
        } else {
            None
        };
        let place = scope.clone();
        let token = record.settle_token.clone().unwrap_or_default();
        {
            let _guard = self.inner.code_lock.lock().await;
            self.check_layer_code(&record.layers).await?;
            self.commit_blob(staged).await?;
            let (row_record, version_record) = (record.clone(), version.clone());
            let name = function.name.clone();
            self.blocking(move |inner| {
                let row = function_row(&place, &row_record)?;
                let v = version_record.map(|v| version_row(&place, &v)).transpose()?;
                match inner.meta.insert_function(&row, v.as_ref()) {
                    Err(StoreError::AlreadyExists(_)) => {
                        Err(EngineError::Conflict(format!("Function already exist: {name}")))
                    }
                    other => Ok(other?),
                }
            })
            .await?;
        }
        tracing::info!(function = %record.name, region = %scope.region, code_sha256 = %record.code_sha256, "created function");
        self.spawn_settle(scope.clone(), record.name.clone(), token);
        let shown = version.as_ref().unwrap_or(&record);
        Ok(Deployed {
            value: shown.configuration(scope, None, View::Full),
            warnings,
        })
    }

    /// Reads one published version by its qualifier (digits), or answers AWS's not-found.
    pub(crate) async fn resolve_version(
        &self,
        scope: &Scope,
        name: &str,
        q: &str,
    ) -> Result<FunctionRecord, EngineError> {
        let Some(n) = parse_version_number(q) else {
            return Err(function_not_found(scope, name, Some(q)));
        };
        let (place, fname) = (scope.clone(), name.to_owned());
        let row = self
            .blocking(move |inner| Ok(inner.meta.get_version(&place.account, &place.region, &fname, n)?))
            .await?;
        match row {
            Some(row) => Ok(serde_json::from_str(&row.document)?),
            None => Err(function_not_found(scope, name, Some(q))),
        }
    }

    /// Resolves a qualifier to the record it names.
    async fn resolve(
        &self,
        scope: &Scope,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionRecord, EngineError> {
        let Some((_, latest)) = self.load(scope, name).await? else {
            return Err(function_not_found(scope, name, qualifier));
        };
        match qualifier {
            None | Some("$LATEST") => Ok(latest),
            Some(q) => self.resolve_version(scope, name, q).await,
        }
    }

    fn parse_read_name(
        scope: &Scope,
        raw: &str,
        qualifier: Option<&str>,
    ) -> Result<(String, Option<String>), EngineError> {
        let f = names::parse_function_name(raw, NameKind::Namespaced, 256, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        Ok((f.name, q))
    }

    /// GetFunctionConfiguration.
    pub async fn get_function_configuration(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionConfiguration, EngineError> {
        let (name, q) = Self::parse_read_name(scope, raw_name, qualifier)?;
        let record = self.resolve(scope, &name, q.as_deref()).await?;
        Ok(record.configuration(scope, q.as_deref(), View::Full))
    }

    /// GetFunction.
    pub async fn get_function(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionView, EngineError> {
        let (name, q) = Self::parse_read_name(scope, raw_name, qualifier)?;
        let record = self.resolve(scope, &name, q.as_deref()).await?;
        let (tags, reserved) = if record.version.is_none() {
            (record.tags.clone(), record.reserved_concurrency)
        } else {
            let latest = self.load(scope, &name).await?.map(|(_, r)| r);
            (
                latest.as_ref().map(|r| r.tags.clone()).unwrap_or_default(),
                latest.and_then(|r| r.reserved_concurrency),
            )
        };
        let code_hex = lamina_store_hex(&record.code_sha256)?;
        Ok(FunctionView {
            configuration: record.configuration(scope, q.as_deref(), View::Full),
            code_hex,
            tags,
            reserved_concurrency: reserved,
        })
    }

    /// The path of a stored package by its hex digest (for the download URL), if a function, version or
    /// layer version of the scope's account uses it: an account never downloads another's package.
    pub async fn code_blob_path(
        &self,
        scope: &Scope,
        hex: &str,
    ) -> Result<Option<std::path::PathBuf>, EngineError> {
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let raw: Vec<u8> = (0..32)
            .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect();
        use base64::Engine as _;
        let sha = base64::engine::general_purpose::STANDARD.encode(raw);
        let account = scope.account.clone();
        self.blocking(move |inner| {
            if !inner.meta.account_references_code(&account, &sha)? {
                return Ok(None);
            }
            Ok(inner.code.path(&sha)?)
        })
        .await
    }

    /// ListFunctions.
    pub async fn list_functions(
        &self,
        scope: &Scope,
        function_version: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListFunctionsOutput, EngineError> {
        let mut checks = Checks::default();
        if let Some(fv) = function_version
            && fv != "ALL"
        {
            checks.string(fv, "functionVersion", "Member must satisfy enum value set: [ALL]");
        }
        if let Some(n) = max_items {
            checks.range(n, "maxItems", 1, 10_000);
        }
        checks.finish()?;
        let limit = usize::try_from(max_items.unwrap_or(50).min(50)).unwrap_or(50);
        let place = scope.clone();
        let all_versions = function_version == Some("ALL");
        let rows = self
            .blocking(move |inner| {
                Ok(inner
                    .meta
                    .list_functions(&place.account, &place.region, None, usize::MAX)?)
            })
            .await?;
        let mut items: Vec<(String, FunctionConfiguration)> = Vec::new();
        for row in rows {
            let record = parse_record(&row)?;
            items.push((
                record.name.clone(),
                record.configuration(scope, None, View::ListItem),
            ));
            if all_versions {
                let versions = self.version_rows(scope, &record.name).await?;
                for v in versions {
                    let vr: FunctionRecord = serde_json::from_str(&v.document)?;
                    let label = vr.version_label();
                    items.push((
                        format!("{}:{label}", vr.name),
                        vr.configuration(scope, Some(&label), View::ListItem),
                    ));
                }
            }
        }
        let (page, next_marker) = paginate(items, marker, limit);
        Ok(ListFunctionsOutput {
            functions: page,
            next_marker,
        })
    }

    /// Every published version of a function in `scope`, oldest first, as stored.
    async fn version_rows(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Vec<lamina_store::VersionRow>, EngineError> {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(move |inner| {
            Ok(inner
                .meta
                .list_versions(&place.account, &place.region, &name, None, usize::MAX)?)
        })
        .await
    }

    /// ListVersionsByFunction.
    pub async fn list_versions(
        &self,
        scope: &Scope,
        raw_name: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListVersionsOutput, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Namespaced, 256, scope)?;
        let mut checks = Checks::default();
        if let Some(n) = max_items {
            checks.range(n, "maxItems", 1, 10_000);
        }
        checks.finish()?;
        let limit = usize::try_from(max_items.unwrap_or(50)).unwrap_or(50);
        let Some((_, latest)) = self.load(scope, &f.name).await? else {
            return Err(function_not_found(scope, &f.name, None));
        };
        let versions = self.version_rows(scope, &f.name).await?;
        let mut items = vec![(
            "$LATEST".to_owned(),
            latest.configuration(scope, Some("$LATEST"), View::ListItem),
        )];
        for v in versions {
            let vr: FunctionRecord = serde_json::from_str(&v.document)?;
            let label = vr.version_label();
            items.push((
                label.clone(),
                vr.configuration(scope, Some(&label), View::ListItem),
            ));
        }
        let (page, next_marker) = paginate(items, marker, limit);
        Ok(ListVersionsOutput {
            versions: page,
            next_marker,
        })
    }

    /// UpdateFunctionCode.
    pub async fn update_function_code(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: UpdateCodeInput,
        staged: Option<StagedCode>,
    ) -> Result<Deployed<FunctionConfiguration>, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, 140, scope)?;
        let mut checks = Checks::default();
        let new_arch = config_rules::architectures(input.architectures.as_ref(), &mut checks);
        let s3 = S3Members {
            bucket: input.s3_bucket.as_deref(),
            key: input.s3_key.as_deref(),
            version: input.s3_object_version.as_deref(),
        };
        s3::check_members(s3.bucket, s3.key, s3.version, "", &mut checks);
        checks.finish()?;
        if input.image_uri.is_some() {
            return Err(EngineError::InvalidParameter(
                "Please don't provide ImageUri when updating a function with packageType Zip.".into(),
            ));
        }
        if staged.is_none() && !s3.any() {
            return Err(EngineError::InvalidParameter(
                "Please provide a source for function code.".into(),
            ));
        }
        let Some((_, current)) = self.load(scope, &f.name).await? else {
            return Err(function_not_found(scope, &f.name, None));
        };
        check_revision(&current, input.revision_id.as_deref())?;
        check_settled(scope, &current)?;
        let staged = self.resolve_code(scope, staged, s3).await?;
        let arch = new_arch.clone().unwrap_or_else(|| current.architecture.clone());
        let usage = PackageUse::Function {
            runtime: current.runtime.clone(),
            layer_bootstrap: layers::provide_bootstrap(&current.layers),
        };
        let subject = format!("UpdateFunctionCode {}", f.name);
        let (staged, lint) = self
            .check_package(&subject, staged, Some(arch.clone()), usage)
            .await?;
        layers::check_total_size(lint.unzipped_size, &current.layers)?;
        let (warnings, unzipped) = (lint.warnings, lint.unzipped_size);
        let (sha, size) = (staged.code_sha256(), staged.size());
        let publish = input.publish == Some(true);
        let change = {
            let (sha, arch, revision) = (sha.clone(), arch.clone(), input.revision_id.clone());
            let package_warnings = warnings.clone();
            let scope = scope.clone();
            move |record: &mut FunctionRecord| -> Result<(FunctionRecord, Option<FunctionRecord>), EngineError> {
                check_revision(record, revision.as_deref())?;
                check_settled(&scope, record)?;
                record.code_sha256 = sha.clone();
                record.code_size = size;
                record.code_unzipped_size = Some(unzipped);
                record.package_warnings = package_warnings.clone();
                record.architecture = arch.clone();
                record.last_modified = now_timestamp();
                record.revision_id = fresh_id();
                record.last_update_status = Some(UpdateStatus::InProgress);
                record.last_update_status_reason = Some(CREATING_REASON.into());
                record.last_update_status_reason_code = Some(CREATING_CODE.into());
                record.settle_token = Some(fresh_id());
                let version = if publish { Some(new_version(record, None, true)) } else { None };
                Ok((record.clone(), version))
            }
        };
        if input.dry_run == Some(true) {
            let mut preview = current.clone();
            let (updated, _) = change(&mut preview)?;
            let mut shown = updated;
            shown.revision_id = current.revision_id.clone();
            shown.last_update_status = current.last_update_status;
            shown.last_update_status_reason = None;
            shown.last_update_status_reason_code = None;
            return Ok(Deployed {
                value: shown.configuration(scope, None, View::Full),
                warnings,
            });
        }
        let guard = self.inner.code_lock.lock().await;
        self.commit_blob(staged).await?;
        let result = self
            .mutate(
                scope,
                &f.name,
                function_not_found(scope, &f.name, None),
                move |record| {
                    let (updated, version) = change(record)?;
                    Ok(((updated, version.clone()), version))
                },
            )
            .await;
        if result.is_err() {
            self.sweep_unreferenced(vec![sha.clone()]).await;
        }
        drop(guard);
        let (updated, version) = result?;
        tracing::info!(function = %updated.name, code_sha256 = %sha, "updated function code");
        self.spawn_settle(
            scope.clone(),
            updated.name.clone(),
            updated.settle_token.clone().unwrap_or_default(),
        );
        let value = match version {
            Some(v) => {
                let label = v.version_label();
                v.configuration(scope, Some(&label), View::Full)
            }
            None => updated.configuration(scope, None, View::Full),
        };
        Ok(Deployed { value, warnings })
    }

    /// UpdateFunctionConfiguration.
    pub async fn update_function_configuration(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: UpdateConfigurationInput,
    ) -> Result<FunctionConfiguration, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, 140, scope)?;
        validate_config(&input.config, Checks::default())?;
        let env = checked_environment(&input.config)?;
        let new_layers = match &input.config.layers {
            Some(arns) => {
                let resolved = self.resolve_function_layers(scope, arns).await?;
                let Some((_, current)) = self.load(scope, &f.name).await? else {
                    return Err(function_not_found(scope, &f.name, None));
                };
                layers::check_total_size(self.code_unzipped_size(&current).await?, &resolved)?;
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
        let (updated, old_layers) = self
            .mutate(
                scope,
                &f.name,
                function_not_found(scope, &f.name, None),
                move |record| {
                    check_revision(record, input.revision_id.as_deref())?;
                    check_settled(&scope_c, record)?;
                    let old_layers: Vec<String> =
                        record.layers.iter().map(|l| l.code_sha256.clone()).collect();
                    apply_config(record, &input.config, env.clone());
                    if let Some(layers) = &new_layers {
                        record.layers = layers.clone();
                    }
                    record.last_modified = now_timestamp();
                    record.revision_id = fresh_id();
                    record.last_update_status = Some(UpdateStatus::InProgress);
                    record.last_update_status_reason = Some(CREATING_REASON.into());
                    record.last_update_status_reason_code = Some(CREATING_CODE.into());
                    record.settle_token = Some(fresh_id());
                    Ok(((record.clone(), old_layers), None))
                },
            )
            .await?;
        drop(guard);
        tracing::info!(function = %updated.name, "updated function configuration");
        if !old_layers.is_empty() {
            // Layers the function no longer uses may have been deleted since: their code can go.
            let _guard = self.inner.code_lock.lock().await;
            self.sweep_unreferenced(old_layers).await;
        }
        self.spawn_settle(
            scope.clone(),
            updated.name.clone(),
            updated.settle_token.clone().unwrap_or_default(),
        );
        Ok(updated.configuration(scope, None, View::Full))
    }

    /// DeleteFunction (the whole function, or one version with `Qualifier`).
    pub async fn delete_function(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<(), EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, 140, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        let (place, name) = (scope.clone(), f.name.clone());
        let shas: Vec<String> = match q.as_deref() {
            None => {
                let versions = self.version_rows(&place, &name).await?;
                let current = self.load(&place, &name).await?;
                let deleted = self
                    .blocking(move |inner| {
                        Ok(inner.meta.delete_function(&place.account, &place.region, &name)?)
                    })
                    .await?;
                if !deleted {
                    return Err(function_not_found(scope, &f.name, None));
                }
                tracing::info!(function = %f.name, "deleted function");
                versions
                    .into_iter()
                    .flat_map(|v| std::iter::once(v.code_sha256).chain(v.layer_code))
                    .chain(
                        current
                            .into_iter()
                            .flat_map(|(row, _)| std::iter::once(row.code_sha256).chain(row.layer_code)),
                    )
                    .collect()
            }
            Some("$LATEST") => {
                return Err(EngineError::InvalidParameter(
                    "$LATEST version cannot be deleted without deleting the function.".into(),
                ));
            }
            Some(q) => {
                let Some(n) = parse_version_number(q) else {
                    return Err(function_not_found(scope, &f.name, None));
                };
                let row = {
                    let (place, name) = (place.clone(), name.clone());
                    self.blocking(move |inner| {
                        Ok(inner.meta.get_version(&place.account, &place.region, &name, n)?)
                    })
                    .await?
                };
                let Some(row) = row else {
                    return Err(function_not_found(scope, &f.name, None));
                };
                self.blocking(move |inner| {
                    Ok(inner
                        .meta
                        .delete_version(&place.account, &place.region, &name, n)?)
                })
                .await?;
                std::iter::once(row.code_sha256).chain(row.layer_code).collect()
            }
        };
        // Environments of the deleted function (or version) must not outlive its code.
        let arn = scope.function_arn(&f.name);
        match q.as_deref() {
            None => {
                self.inner.executor.set_reserved_concurrency(&arn, None);
                self.inner.executor.retire(&arn).await;
            }
            Some(version) => self.inner.executor.retire(&format!("{arn}:{version}")).await,
        }
        let _guard = self.inner.code_lock.lock().await;
        self.sweep_unreferenced(shas).await;
        Ok(())
    }

    /// Deletes blobs (and their unpacked trees) that nothing references any more. The caller holds
    /// the code lock. Failures are logged: an orphan blob is harmless and swept at the next start.
    pub(crate) async fn sweep_unreferenced(&self, candidates: Vec<String>) {
        let result = self
            .blocking(move |inner| {
                let referenced = inner.meta.referenced_code()?;
                for sha in candidates.iter().filter(|s| !referenced.contains(*s)) {
                    inner.code.remove(sha)?;
                    inner.unpacked.remove(&lamina_store_hex(sha)?);
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::warn!("could not remove unreferenced code: {e}");
        }
    }

    /// PublishVersion.
    pub async fn publish_version(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: PublishVersionInput,
    ) -> Result<FunctionConfiguration, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, 140, scope)?;
        let mut checks = Checks::default();
        if let Some(d) = &input.description {
            checks.length(d, "description", 0, 256);
        }
        checks.finish()?;
        let scope_c = scope.clone();
        let meta: Arc<dyn MetadataStore> = Arc::clone(&self.inner.meta);
        let place = scope.clone();
        let published = self
            .mutate(scope, &f.name, function_not_found(scope, &f.name, None), move |record| {
                check_revision(record, input.revision_id.as_deref())?;
                check_settled(&scope_c, record)?;
                if let Some(sha) = &input.code_sha256
                    && *sha != record.code_sha256
                {
                    return Err(EngineError::InvalidParameter(format!(
                        "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again \
                         with the CodeSHA256 in $LATEST.",
                        record.code_sha256
                    )));
                }
                let unchanged = record.last_version > 0
                    && record.last_published_fingerprint.as_deref() == Some(&record.fingerprint());
                if unchanged && let Some(row) = meta.get_version(&place.account, &place.region, &record.name, record.last_version)? {
                    let existing: FunctionRecord = serde_json::from_str(&row.document)?;
                    return Ok((existing, None));
                }
                let version = new_version(record, input.description.clone(), false);
                Ok((version.clone(), Some(version)))
            })
            .await?;
        let label = published.version_label();
        tracing::info!(function = %published.name, version = %label, "published version");
        Ok(published.configuration(scope, Some(&label), View::Full))
    }
}

/// Freezes `$LATEST` into the next version and advances the function's counters. A version published
/// with a code update is Pending until the update settles.
fn new_version(record: &mut FunctionRecord, description: Option<String>, pending: bool) -> FunctionRecord {
    record.last_version += 1;
    record.last_published_fingerprint = Some(record.fingerprint());
    let mut v = record.clone();
    v.version = Some(record.last_version);
    if let Some(d) = description {
        v.description = d;
    }
    v.tags.clear();
    v.reserved_concurrency = None;
    v.revision_id = fresh_id();
    v.last_modified = now_timestamp();
    v.settle_token = None;
    v.last_update_status_reason = None;
    v.last_update_status_reason_code = None;
    if pending {
        v.state = State::Pending;
        v.state_reason = Some(CREATING_REASON.into());
        v.state_reason_code = Some(CREATING_CODE.into());
        v.last_update_status = None;
    } else {
        v.state = State::Active;
        v.state_reason = None;
        v.state_reason_code = None;
        v.last_update_status = Some(UpdateStatus::Successful);
    }
    v
}

/// Hex file name of a `CodeSha256`.
pub(crate) fn lamina_store_hex(code_sha256: &str) -> Result<String, EngineError> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(code_sha256)
        .map_err(|_| EngineError::Internal(format!("stored CodeSha256 '{code_sha256}' is not base64")))?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// One page of `items` (key, value) after the item whose key is `marker`.
pub(crate) fn paginate<T>(
    items: Vec<(String, T)>,
    marker: Option<&str>,
    limit: usize,
) -> (Vec<T>, Option<String>) {
    let start = match marker {
        Some(m) => items
            .iter()
            .position(|(k, _)| k == m)
            .map_or(items.len(), |i| i + 1),
        None => 0,
    };
    let total = items.len();
    let end = start.saturating_add(limit).min(total);
    let next = (end < total && end > start).then(|| items[end - 1].0.clone());
    let page = items
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(|(_, v)| v)
        .collect();
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_markers() {
        let items: Vec<(String, u32)> = (1..=5).map(|i| (format!("k{i}"), i)).collect();
        assert_eq!(paginate(items.clone(), None, 2), (vec![1, 2], Some("k2".into())));
        assert_eq!(
            paginate(items.clone(), Some("k2"), 2),
            (vec![3, 4], Some("k4".into()))
        );
        assert_eq!(paginate(items.clone(), Some("k4"), 2), (vec![5], None));
        assert_eq!(paginate(items, Some("zzz"), 2), (vec![], None));
    }

    #[test]
    fn version_numbers_are_digits_only() {
        assert_eq!(parse_version_number("12"), Some(12));
        assert_eq!(parse_version_number("prod"), None);
        assert_eq!(parse_version_number("+1"), None);
    }
}
