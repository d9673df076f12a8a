//! lamina's typed core: functions, versions and their states, and every rule of the Lambda API.
//!
//! [`Engine`] is the one entry point. The control API parses a request into the input types of
//! [`wire`], calls one `Engine` method with the caller's [`Scope`] (region from the SigV4 scope, account
//! of the access key that signed), and renders what comes back; it never reaches the stores. Errors are
//! [`EngineError`]s that carry AWS's exact message text (or, for failures inside lamina, their source
//! error); mapping them to HTTP is the control API's job.
//!
//! # Where things are
//!
//! One module per operation, grouped by the resource it acts on. Each operation file reads top to
//! bottom: check the input in AWS's order, build what changes, write it.
//!
//! | Module | What it holds |
//! |---|---|
//! | `functions/` | one file per function operation: `create`, `get` (GetFunction, GetFunctionConfiguration, the code download), `list`, `update_code`, `update_config`, `delete`, `concurrency`, `tags`; `config` (the configuration members shared by create and update), `resolve` (a name and qualifier to a record) |
//! | `versions/` | `publish` (PublishVersion), `list` (ListVersionsByFunction) |
//! | `aliases/` | `create`, `get`, `list`, `update`, `delete`; the alias document, AWS's routing rules, and following an alias (`Engine::alias`) |
//! | `permissions/` | `add`, `remove`, `get`: a function qualifier's resource-based policy (stored and returned, not enforced); the policy document and AWS's rendering of principals, shared with `layers/permissions` |
//! | `event_invoke_configs/` | `put`, `update`, `get`, `delete`, `list`: a qualifier's asynchronous invocation settings (stored and returned) |
//! | `provisioned_concurrency/` | `put`, `get`, `delete`, `list`: a version's or alias's provisioned concurrency, and telling the executor which environments to keep (`sync_provisioned`, `restore_provisioned` at start) |
//! | `url_configs/` | `create`, `get`, `update`, `delete`, `list`: a function's or alias's URL configuration (stored and returned; the URL is made by the control API) |
//! | `function_settings/` | `recursion` (Get/PutFunctionRecursionConfig), `runtime_management` (Get/PutRuntimeManagementConfig): stored and returned |
//! | `code_signing/` | `create`, `get`, `update`, `delete`, `list` (an account's code signing configurations), `functions` (the one a function uses): stored and returned, signatures not checked |
//! | `event_source_mappings` | the mapping operations, answered as for an account without mappings: lamina serves no queues or streams |
//! | `sub_resources` | what belongs to a function qualifier, layer version or account besides its own rows: typed documents in the store's sub-resource rows, the read-modify-write loop every change of one goes through, and `Qualified` (what a qualifier names) |
//! | `layers/` | `publish`, `get`, `list`, `delete`; `record` (a layer version's stored document); `for_functions` (a function's `Layers` resolved and checked) |
//! | `account` | GetAccountSettings |
//! | `invocation` | Invoke, and the cache of resolved versions it answers from (`resolved`) |
//! | `async_invocations/` | `Event` invocations: enqueued durably before the 202 (`mod`), the `worker` that runs them with retries per the event invoke config, `destinations` (the invocation record, OnSuccess/OnFailure) |
//! | `deploy` | what every deploy shares: the package's source (inline or S3), checking and linting it, committing the blob, sweeping code nothing references |
//! | `code`, `s3` | packages on their way in (base64 staging, lint rules, unpacked trees); fetching them from S3 |
//! | `stacks`, `opt` | the `/opt` of a function with layers: hard-link stacks of unpacked layers, and choosing or building one |
//! | `settle` | the background step that ends `Pending`/`InProgress`, and [`Engine::recover`] at start |
//! | `record`, `rows`, `writes` | a function's stored document; reading and (de)serialising store rows; the write path every metadata write goes through (it also forgets cached resolutions) |
//! | `validate` | every operation's first check: its input against the service model (`lamina_model::service_model`) |
//! | `preconditions`, `not_found`, `paging` | AWS's 409/412 checks, not-found answers, marker paging |
//! | [`config_rules`], [`runtime`] | member rules the model cannot state, runtimes; the name and ARN grammar ([`names`]), the `ValidationException` grammar and the wire shapes ([`wire`]) come from `lamina-model` |
//!
//! The next operations go where their resource is, each resource a directory of one file per operation
//! over `sub_resources`.
//!
//! # Backends
//!
//! The engine is given its stores ([`Backends`]): a [`MetadataStore`](lamina_store::MetadataStore) for
//! rows, a [`CodeStore`](lamina_store::CodeStore) for packages, an
//! [`EventQueue`](lamina_store::EventQueue) for accepted asynchronous invocations, and the directory execution environments
//! write their log streams to. [`Engine::open`] builds the local ones from [`EngineConfig::data_dir`]
//! (SQLite, files); [`Engine::with_backends`] takes any others, such as a PostgreSQL metadata store
//! that passes `lamina_store::conformance::run`. Either way the data directory stays the engine's local
//! working space (its lock, unpacked packages, `/opt` stacks).
//!
//! # How a deploy flows through the engine
//!
//! 1. [`Engine::stage_zip_base64`] decodes the request's base64 `ZipFile` into a staging file in
//!    64 KiB steps, computing `CodeSha256` on the way (413 if the decoded size is over 50 MB). A package
//!    given as `S3Bucket`/`S3Key`/`S3ObjectVersion` is streamed from S3 into the same kind of staging
//!    file by [`Engine::stage_s3`] (module `s3`), so everything after this step is shared.
//! 2. [`Engine::create_function`] / [`Engine::update_function_code`] validate the input in AWS's order,
//!    check the package (not a zip, unzipped size) and lint it with `lamina_package::inspect`, then
//!    commit the blob (fsync + rename) *before* committing the metadata row (one transaction), so no
//!    function ever references missing code.
//! 3. The answer says `State: Pending` (create) or `LastUpdateStatus: InProgress` (update). A background
//!    task unpacks the package and *settles* the function (Active / Successful, new RevisionId). At
//!    start, [`Engine::recover`] settles whatever a crash left unsettled.
//!
//! Layers are versions of zips published on their own; a function names up to five, keeps what it needs
//! of each on its record, and sees them stacked at `/opt` in its environments.
//!
//! Concurrent requests on one function are serialised by compare-and-swap on the store row: a request
//! re-reads and re-checks when another one won, so no update is ever lost, and a second update while
//! one is in progress gets AWS's 409.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lamina_engine::EngineError> {
//! use lamina_engine::{Engine, EngineConfig};
//!
//! let engine = Engine::open(EngineConfig {
//!     data_dir: "/var/lib/lamina".into(),
//!     account_id: "000000000000".into(),
//!     strict_packages: false,
//!     ..EngineConfig::new(std::path::PathBuf::new())
//! })?;
//! engine.recover().await?;
//! let scope = engine.scope("us-east-1");
//! let functions = engine.list_functions(&scope, None, None, None).await?;
//! println!("{} functions", functions.functions.len());
//! # Ok(()) }
//! ```

mod account;
mod aliases;
mod async_invocations;
mod code;
mod code_signing;
pub mod config_rules;
mod deploy;
mod error;
mod event_invoke_configs;
mod event_source_mappings;
mod function_settings;
mod functions;
mod invocation;
mod layers;
/// Function names, ARNs and qualifiers (the vocabulary crate's grammar).
pub use lamina_model::names;
mod not_found;
mod opt;
mod paging;
mod permissions;
mod preconditions;
mod provisioned_concurrency;
mod record;
mod resolved;
mod rows;
pub mod runtime;
pub mod s3;
mod settle;
mod stacks;
mod sub_resources;
mod url_configs;
/// AWS's ValidationException grammar (from the vocabulary crate).
use lamina_model::validation;
mod validate;
mod versions;
pub mod wire;
mod writes;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lamina_store::{CodeStore, EventQueue, FsCodeStore, MetadataStore, SqliteEventQueue, SqliteStore};

pub use code::{REQUEST_MAX_BYTES, StagedCode, is_out_of_space, out_of_space, request_too_large};
pub use deploy::Deployed;
pub use error::EngineError;
pub use functions::FunctionView;
pub use invocation::{InvocationType, InvokeInput, InvokeOutput, ResolvedInvocation};
/// A streamed result's parts and where they go (see [`InvokeInput::stream`]).
pub use lamina_execution::{ResponsePart, ResponseSink};
pub use lamina_store::StoredBlob;
pub use layers::LayerVersionView;
pub use names::Scope;
pub use s3::S3Location;
pub use url_configs::{FunctionUrlTarget, UrlAddresses, UrlConfigPage, UrlConfigView};

/// How to open an [`Engine`].
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The engine's local working directory (created if missing): its lock, unpacked packages and `/opt`
    /// stacks; with [`Engine::open`], also the local backends' database, blobs and logs.
    pub data_dir: PathBuf,
    /// The default account: of `--auth none` requests, of the development key, and of the rows of data
    /// directories from releases before accounts.
    pub account_id: String,
    /// Refuse packages with lint findings (400) instead of accepting them with warnings.
    pub strict_packages: bool,
    /// Concurrent executions allowed in the account (Lambda's default quota is 1,000).
    pub account_concurrency: u32,
    /// Execution environments idle this long are shut down.
    pub idle_timeout: std::time::Duration,
    /// How execution environments are isolated (default: plain processes; `lamina serve` picks sandboxes
    /// where the host allows them).
    pub isolation: lamina_execution::Isolation,
    /// An S3-compatible endpoint to fetch `S3Bucket`/`S3Key` packages from (path-style); `None` reads
    /// `AWS_ENDPOINT_URL_S3`, and without it AWS S3 itself. `AWS_ENDPOINT_URL` is never used.
    pub s3_endpoint_url: Option<String>,
    /// The S3 store embedded in the server (`lamina-s3`), read directly for `S3Bucket`/`S3Key` packages
    /// when no S3-compatible endpoint is configured (neither `s3_endpoint_url` nor
    /// `AWS_ENDPOINT_URL_S3`).
    pub s3_objects: Option<Arc<dyn lamina_store::ObjectSource>>,
    /// What execution environments get of the platform (session credentials, the platform's API);
    /// default: nothing.
    pub platform: Option<lamina_execution::PlatformAccess>,
    /// Multiplies the delays between retries of asynchronous invocations (1.0: Lambda's, about a minute
    /// after a function error; tests make them short).
    pub async_retry_delay_scale: f64,
}

impl EngineConfig {
    /// Lambda's defaults for an engine keeping its state in `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        EngineConfig {
            data_dir,
            account_id: "000000000000".to_owned(),
            strict_packages: false,
            account_concurrency: account::ACCOUNT_CONCURRENCY,
            idle_timeout: std::time::Duration::from_secs(600),
            isolation: lamina_execution::Isolation::default(),
            platform: None,
            s3_endpoint_url: None,
            s3_objects: None,
            async_retry_delay_scale: 1.0,
        }
    }
}

/// Where the engine keeps what it must not lose: the stores it is given.
#[derive(Clone)]
pub struct Backends {
    /// Functions, versions and layer versions (rows with a JSON document).
    pub metadata: Arc<dyn MetadataStore>,
    /// Deployment packages by `CodeSha256`.
    pub code: Arc<dyn CodeStore>,
    /// Accepted asynchronous invocations until they ran.
    pub events: Arc<dyn EventQueue>,
    /// Where execution environments write their log streams (`<account>/<region>/<function>/...`, read by
    /// `lamina logs`).
    pub log_dir: PathBuf,
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backends")
            .field("code", &self.code)
            .field("log_dir", &self.log_dir)
            .finish_non_exhaustive()
    }
}

impl Backends {
    /// The local backends in `data_dir`: SQLite at `lamina.db` (rows without an account, from releases
    /// before accounts, belong to `default_account`), the event queue in its own SQLite file
    /// `events.db` (its own writer and WAL, so thousands of enqueues a second never wait behind a
    /// metadata write), blobs under `code/`, logs under `logs/`.
    pub fn local(data_dir: &Path, default_account: &str) -> Result<Self, EngineError> {
        Ok(Backends {
            metadata: Arc::new(SqliteStore::open(&data_dir.join("lamina.db"), default_account)?),
            code: Arc::new(FsCodeStore::open(data_dir.join("code"))?),
            events: Arc::new(SqliteEventQueue::open(&data_dir.join("events.db"))?),
            log_dir: data_dir.join(lamina_execution::logs::LOG_DIR),
        })
    }
}

/// The control plane's core. Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("account", &self.inner.account)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    /// Read it directly; write it only through `writes` (which keeps `resolved` true).
    pub(crate) meta: Arc<dyn MetadataStore>,
    pub(crate) code: Arc<dyn CodeStore>,
    /// Accepted asynchronous invocations (`async_invocations`).
    pub(crate) events: Arc<dyn EventQueue>,
    /// Wakes the event worker when an event is queued.
    pub(crate) event_wakeup: tokio::sync::Notify,
    pub(crate) async_retry_delay_scale: f64,
    pub(crate) unpacked: code::Unpacked,
    /// The combined `/opt` of functions with several layers.
    pub(crate) stacks: stacks::Stacks,
    pub(crate) account: String,
    pub(crate) strict: bool,
    pub(crate) account_concurrency: u32,
    /// Runs invocations in execution environments.
    pub(crate) executor: lamina_execution::Executor,
    /// Reads deployment packages from S3.
    pub(crate) s3: s3::S3Fetcher,
    /// An exclusive lock on `<data_dir>/lock` for the engine's lifetime: two servers on one data
    /// directory would settle each other's changes. The kernel drops it when the process dies.
    _lock: std::fs::File,
    /// Held while committing a blob together with the row that references it, and while sweeping
    /// unreferenced blobs, so a sweep never deletes a blob a commit is about to reference.
    pub(crate) code_lock: tokio::sync::Mutex<()>,
    /// Function versions resolved for Invoke, kept until the function changes.
    pub(crate) resolved: resolved::ResolvedCache,
    /// Held while telling the executor a function's provisioned concurrency, so that an older reading
    /// of the configurations never follows a newer one.
    pub(crate) provisioning: tokio::sync::Mutex<()>,
}

impl Engine {
    /// Opens (creating if needed) the state in `config.data_dir`, with the local backends
    /// ([`Backends::local`]).
    pub fn open(config: EngineConfig) -> Result<Self, EngineError> {
        let lock = lock_data_dir(&config.data_dir)?;
        let backends = Backends::local(&config.data_dir, &config.account_id)?;
        Self::start(config, lock, backends)
    }

    /// Opens an engine on `backends`, with `config.data_dir` as its local working directory.
    pub fn with_backends(config: EngineConfig, backends: Backends) -> Result<Self, EngineError> {
        let lock = lock_data_dir(&config.data_dir)?;
        Self::start(config, lock, backends)
    }

    fn start(config: EngineConfig, lock: std::fs::File, backends: Backends) -> Result<Self, EngineError> {
        let unpacked = code::Unpacked::open(config.data_dir.join("unpacked"))?;
        let stacks = stacks::Stacks::open(config.data_dir.join("opt"))?;
        let mut execution = lamina_execution::ExecutorConfig::new(backends.log_dir);
        execution.account_concurrency = config.account_concurrency;
        execution.idle_timeout = config.idle_timeout;
        execution.isolation = config.isolation.clone();
        execution.platform = config.platform.clone();
        Ok(Self {
            inner: Arc::new(Inner {
                meta: backends.metadata,
                code: backends.code,
                events: backends.events,
                event_wakeup: tokio::sync::Notify::new(),
                async_retry_delay_scale: config.async_retry_delay_scale,
                unpacked,
                stacks,
                account: config.account_id,
                strict: config.strict_packages,
                account_concurrency: config.account_concurrency,
                executor: lamina_execution::Executor::new(execution),
                s3: s3::S3Fetcher::new(config.s3_endpoint_url, config.s3_objects),
                code_lock: tokio::sync::Mutex::new(()),
                resolved: resolved::ResolvedCache::default(),
                provisioning: tokio::sync::Mutex::new(()),
                _lock: lock,
            }),
        })
    }

    /// Where execution environments write their log streams (`lamina logs` reads them).
    pub fn log_dir(&self) -> PathBuf {
        self.inner.executor.logs().root().to_path_buf()
    }

    /// Shuts down every idle execution environment (at server shutdown).
    pub async fn shut_down_environments(&self) {
        self.inner.executor.shut_down_all().await;
    }

    /// The account id in every ARN.
    pub fn account_id(&self) -> &str {
        &self.inner.account
    }

    /// The scope of a request signed for `region` in the server's default account (`--account-id`).
    pub fn scope(&self, region: &str) -> Scope {
        Scope {
            region: region.to_owned(),
            account: self.inner.account.clone(),
        }
    }

    /// Decodes a base64 `ZipFile` into a staging file (blocking: call it off the async runtime).
    pub fn stage_zip_base64(&self, b64: &str) -> Result<StagedCode, EngineError> {
        code::stage_base64(self.inner.code.as_ref(), b64)
    }

    /// Fetches a deployment package from S3 into a staging file: the S3 counterpart of
    /// [`Engine::stage_zip_base64`], and the single entry point for every `S3Bucket`/`S3Key`/
    /// `S3ObjectVersion` source (a function's `Code`, UpdateFunctionCode, a layer's `Content`).
    ///
    /// The object is read in the caller's `scope`: the embedded store checks the bucket's account and
    /// region; an external store gets a request signed for the scope's region. A bucket elsewhere is
    /// refused as Lambda refuses it. Errors are AWS's: InvalidParameterValueException `Error occurred while
    /// GetObject. S3 Error Code: NoSuchBucket|NoSuchKey|NoSuchVersion|PermanentRedirect|...`, an unzipped
    /// size error for an object that cannot be a valid package, and [`EngineError::Unavailable`] when
    /// the endpoint cannot be reached (bounded by connect and read timeouts). The staged package is
    /// not checked yet: callers check it (zip validity, unzipped size) as they do an inline one.
    pub async fn stage_s3(&self, scope: &Scope, location: &S3Location) -> Result<StagedCode, EngineError> {
        let store = Arc::clone(&self.inner.code);
        self.inner.s3.stage(store, scope, location).await
    }

    /// The S3-compatible endpoint packages are fetched from (`None`: the embedded store if there is
    /// one, else AWS S3).
    pub fn s3_endpoint_url(&self) -> Option<&str> {
        self.inner.s3.endpoint()
    }

    /// Where `S3Bucket`/`S3Key` packages are read from, for the server's log.
    pub fn s3_source(&self) -> &str {
        self.inner.s3.source()
    }

    /// Runs blocking store work on the blocking pool.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, EngineError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(EngineError::task("blocking store work"))?
    }
}

/// Creates `data_dir` and takes the exclusive lock on `<data_dir>/lock`, writing this process's id into
/// it so that a refused second server can say who holds it.
/// The longest directory under the data directory that packages are unpacked or stacked in:
/// `opt/<64 hex digits>` (`unpacked/.tmp-<uuid>` is shorter).
const LONGEST_UNPACK_SUBDIR: usize = "/opt/".len() + 64;

/// Refuses a data directory so deep that a package's longest accepted name
/// ([`lamina_package::MAX_PATH_BYTES`]) would not fit in `PATH_MAX` under it.
fn check_unpack_room(data_dir: &Path) -> Result<(), EngineError> {
    let longest = lamina_package::MAX_UNPACK_DIR_BYTES - LONGEST_UNPACK_SUBDIR;
    if data_dir.as_os_str().len() > longest {
        return Err(EngineError::Internal(format!(
            "the data directory's path ({}) is longer than {longest} bytes: packages unpacked under it could \
             pass PATH_MAX; choose a shorter --data-dir",
            data_dir.display()
        )));
    }
    Ok(())
}

fn lock_data_dir(data_dir: &Path) -> Result<std::fs::File, EngineError> {
    use std::io::{Read, Seek, Write};
    check_unpack_room(data_dir)?;
    std::fs::create_dir_all(data_dir).map_err(EngineError::io("create", data_dir))?;
    let lock_path = data_dir.join("lock");
    let mut lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .map_err(EngineError::io("open", &lock_path))?;
    if let Err(e) = lock.try_lock() {
        let mut holder = String::new();
        let _ = lock.read_to_string(&mut holder);
        let holder = match holder.trim() {
            "" => e.to_string(),
            pid => format!("pid {pid}"),
        };
        return Err(EngineError::Internal(format!(
            "{} is in use by another lamina process ({holder}); give each server its own --data-dir",
            data_dir.display()
        )));
    }
    lock.set_len(0)
        .and_then(|()| lock.rewind())
        .and_then(|()| writeln!(lock, "{}", std::process::id()))
        .map_err(EngineError::io("write", &lock_path))?;
    Ok(lock)
}
