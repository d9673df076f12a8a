//! `lamina serve`: the Lambda control plane on one port, with its state in a data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use lamina_engine::{Engine, EngineConfig};
use lamina_execution::Isolation;

/// Serve the AWS Lambda API (2015-03-31) for the AWS CLI, the SDKs and SAM.
///
/// State (SQLite metadata, content-addressed code) lives in the data directory and survives
/// restarts and crashes. Every request must be signed (SigV4) by a known access key: the region is
/// the signature's, the account the key's (see --credentials; test/test when none is given).
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:9001")]
    listen: SocketAddr,
    /// Where state is kept [default: $XDG_DATA_HOME/lamina or ~/.local/share/lamina].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The default 12-digit account: of keys that name none, of the development key test/test, and of
    /// functions created before lamina had accounts.
    #[arg(long, default_value = "000000000000")]
    account_id: String,
    /// How requests are authenticated: `sigv4` (AWS Signature Version 4 with a known access key) or
    /// `none` (every request accepted, in the default account).
    #[arg(long, value_enum, default_value_t = AuthArg::Sigv4)]
    auth: AuthArg,
    /// A file of access keys in the AWS shared-credentials format: `[name]` sections with
    /// `aws_access_key_id`, `aws_secret_access_key` and optionally `aws_account_id` (default
    /// --account-id). Keys from LAMINA_ACCESS_KEY_ID/LAMINA_SECRET_ACCESS_KEY/LAMINA_ACCOUNT_ID are
    /// added. With neither, the development pair test/test is accepted.
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// The URL clients reach this server at, for the presigned `Code.Location` and `Content.Location`
    /// URLs [default: http://<listen address>]. Never taken from a request's Host header.
    #[arg(long, value_name = "URL")]
    public_endpoint: Option<String>,
    /// Refuse deployment packages that can never run (no bootstrap, wrong architecture, ...) with 400
    /// InvalidParameterValueException, instead of accepting them with a warning.
    #[arg(long)]
    strict_packages: bool,
    /// Concurrent executions allowed in the account (Lambda's default quota).
    #[arg(long, default_value_t = 1000)]
    account_concurrency: u32,
    /// Seconds an execution environment may stay idle before it is shut down.
    #[arg(long, default_value_t = 600)]
    idle_timeout: u64,
    /// How execution environments are isolated: `sandbox` (namespaces, read-only /var/task, cgroup
    /// limits, a non-root user, qemu-user for the other architecture; needs root), `process` (plain child
    /// processes) or `auto` (sandbox where the host allows it, else process, saying why).
    #[arg(long, value_enum, default_value_t = IsolationArg::Auto)]
    isolation: IsolationArg,
    /// With sandbox isolation, leave the kernel's cgroup locking as it is: by default, on cgroup v1
    /// hosts, the server holds a hidden cgroup hierarchy mounted with `favordynmods` (Linux 6.0 or
    /// later), so that moving a new sandbox into its cgroup does not wait for an RCU grace period (5 to
    /// 15 ms of each cold start), at a small cost to every fork and exit on the host.
    #[arg(long)]
    no_favordynmods: bool,
    /// What a sandboxed function's network reaches: `outbound` (default: a network namespace of its own
    /// with the Runtime API on its loopback at 127.0.0.1:9001, and connections out through slirp4netns,
    /// a user-mode network stack; the host's loopback, the Lambda API and other environments stay out of
    /// reach), `none` (its own loopback only: no way out, no helper process) or `host` (the host's
    /// network: functions reach every service on the host's loopback, the Lambda API and each other's
    /// Runtime API; only for trusted code). Process isolation always shares the host's network.
    #[arg(long, value_enum, default_value_t = FunctionNetworkArg::Outbound)]
    function_network: FunctionNetworkArg,
    /// Let functions call this server's APIs (Lambda, CloudWatch Logs, STS) as their execution role:
    /// each environment's session credentials are accepted, and the APIs are served on its Runtime API's
    /// address (AWS_ENDPOINT_URL is set to it), whatever its network. This trusts functions with their
    /// account's API. Without it, the credentials functions get are accepted nowhere.
    #[arg(long)]
    function_api_access: bool,
    /// An S3-compatible endpoint (for example http://127.0.0.1:9000) to fetch `--code S3Bucket=...,S3Key=...`
    /// packages from, path-style [default: $AWS_ENDPOINT_URL_S3, else the S3 this server embeds, which
    /// `aws s3` on this endpoint talks to]. AWS_ENDPOINT_URL is not used for it: it usually points at
    /// lamina itself, whose embedded store is read directly.
    #[arg(long, value_name = "URL")]
    s3_endpoint_url: Option<String>,
    /// Seconds a client has to send a request's line and headers (also the longest a kept-alive
    /// connection waits for its next request).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    header_timeout: u64,
    /// Seconds a request body may pause between two pieces; after as long, it must also average
    /// --body-min-rate. A slower client is answered 408 and disconnected.
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    body_timeout: u64,
    /// Bytes per second a request body must average once --body-timeout has passed.
    #[arg(long, value_name = "BYTES", default_value_t = 16384)]
    body_min_rate: u64,
    /// MiB of memory all request bodies together may hold (at least the largest body, 67 MiB); bodies
    /// over 1 MiB are written to <data-dir>/spool as they arrive and loaded when their turn comes.
    #[arg(long, value_name = "MIB", default_value_t = 192)]
    upload_memory: u64,
    /// Multiplies the delays between retries of asynchronous invocations: 1 is Lambda's (a function
    /// error is retried after about one minute, then two; throttles from 1 s up to 5 minutes); tests use
    /// a small fraction.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0, value_parser = retry_scale)]
    async_retry_delay_scale: f64,
}

/// `--async-retry-delay-scale`: a finite factor from 0 to 1000.
fn retry_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && (0.0..=1000.0).contains(&f) => Ok(f),
        _ => Err(format!("'{s}' is not a factor from 0 to 1000")),
    }
}

/// How request bodies are received, from the options.
fn uploads(args: &ServeArgs, data_dir: &std::path::Path) -> lamina_control_api::Uploads {
    let mut uploads =
        lamina_control_api::Uploads::with_budget(data_dir.join("spool"), args.upload_memory * 1024 * 1024);
    uploads.idle_timeout = std::time::Duration::from_secs(args.body_timeout);
    uploads.grace = uploads.idle_timeout;
    uploads.min_rate = args.body_min_rate;
    uploads
}

/// The `--auth` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AuthArg {
    /// AWS Signature Version 4.
    Sigv4,
    /// No authentication at all.
    None,
}

/// The `--isolation` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum IsolationArg {
    /// Sandbox where the host allows it, else process.
    Auto,
    /// Every environment in its own sandbox; refuse to start if the host cannot.
    Sandbox,
    /// Plain child processes.
    Process,
}

/// The `--function-network` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FunctionNetworkArg {
    /// A network namespace of its own, with connections out through a user-mode network stack.
    Outbound,
    /// A network namespace of its own with nothing but its loopback.
    None,
    /// The host's network: no network isolation at all.
    Host,
}

/// The host of a `--public-endpoint` URL (`http://host:port`), whose subdomains name S3 buckets.
fn public_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1.trim_end_matches('/');
    let host = match rest.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => rest,
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// Runs the server until Ctrl-C or SIGTERM.
pub(crate) fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // s3s logs each refused S3 request (a wrong signature, a missing key) as an error of its
                // own; lamina-s3 logs the store's failures itself.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,s3s=off")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if args.account_id.len() != 12 || !args.account_id.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--account-id must be 12 digits, got '{}'", args.account_id);
    }
    if let Some(url) = &args.s3_endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        bail!("--s3-endpoint-url must be an http:// or https:// URL, got '{url}'");
    }
    if let Some(url) = &args.public_endpoint
        && !((url.starts_with("http://") || url.starts_with("https://"))
            && url.split_once("://").is_some_and(|(_, rest)| {
                !rest.trim_end_matches('/').is_empty() && !rest.trim_end_matches('/').contains('/')
            }))
    {
        bail!("--public-endpoint must be an http:// or https:// URL without a path, got '{url}'");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    runtime.block_on(serve(args))
}

/// Where the sandbox cgroups of the server on `data_dir` go: one parent per data directory, so that a
/// server that cleans up what its previous run left behind never touches another server's sandboxes.
#[cfg(target_os = "linux")]
fn cgroup_parent(data_dir: &std::path::Path) -> String {
    use sha2::Digest;

    let digest = sha2::Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("lamina/{short}")
}

/// Chooses the isolation of execution environments and says so loudly: never silently weaker.
#[cfg(target_os = "linux")]
fn isolation(args: &ServeArgs, data_dir: &std::path::Path) -> anyhow::Result<Isolation> {
    use lamina_execution::lamina_sandbox::{
        GroupWatchdog, HelperCommand, IsolationMode, Sandbox, SandboxConfig,
    };

    let mut config = SandboxConfig::new(HelperCommand::current_exe("sandbox-init"));
    config.cgroup_parent = cgroup_parent(data_dir);
    config.fast_cgroup_migrations = !args.no_favordynmods;
    config.tmp_disks = Some(data_dir.join(TMP_DISKS_DIR));
    let (mode, reason) = match args.isolation {
        IsolationArg::Process => (
            IsolationMode::Process,
            "chosen with --isolation process: functions run as plain processes with no filesystem, memory or \
             process-count isolation"
                .to_owned(),
        ),
        IsolationArg::Sandbox => (IsolationMode::Sandbox, String::new()),
        IsolationArg::Auto => {
            let detection = lamina_execution::lamina_sandbox::detect(&config);
            (detection.mode, detection.reason)
        }
    };
    if mode == IsolationMode::Process {
        tracing::warn!("isolation: PROCESS ({reason})");
        tracing::warn!(
            "network: functions share the host's network: each can reach the Lambda API, every service on the \
             host's loopback and the other environments' Runtime APIs (use sandbox isolation, as root, to \
             confine them; --function-network does not apply)"
        );
        let watchdog = match GroupWatchdog::start(&config.helper) {
            Ok(watchdog) => {
                tracing::info!(
                    "functions end with the server, even after kill -9: a watchdog process kills their \
                     process groups"
                );
                Some(watchdog)
            }
            Err(e) => {
                tracing::warn!(
                    "functions may outlive a killed server: no watchdog for their process groups: {e}"
                );
                None
            }
        };
        return Ok(Isolation::Process(watchdog));
    }
    config.spare_network = function_network(args.function_network, &config)?;
    let sandbox = Sandbox::new(mode, config).context("--isolation sandbox")?;
    let reason = if reason.is_empty() {
        format!(
            "chosen with --isolation sandbox; {}",
            sandbox.cgroups().map(|c| c.describe()).unwrap_or_default()
        )
    } else {
        reason
    };
    tracing::info!(
        staging_dir = %sandbox.config().staging_dir.display(),
        "isolation: SANDBOX ({reason}): each execution environment in its own namespaces, read-only /var/task, \
         cgroup limits, a non-root user"
    );
    match sandbox.fast_cgroup_migrations() {
        Ok(()) => tracing::info!(
            "cgroup migrations: without RCU grace periods (a favordynmods hierarchy, name=lamina, held while \
             the server runs; --no-favordynmods leaves the kernel as it is)"
        ),
        Err(why) => tracing::info!(
            "cgroup migrations: each sandbox start may wait for an RCU grace period, 5 to 15 ms (favordynmods: \
             {why})"
        ),
    }
    match sandbox.tmp_on_disk() {
        Ok(()) => tracing::info!(
            dir = %data_dir.join(TMP_DISKS_DIR).display(),
            "/tmp: a disk of its own per environment (ext4 on a loop device), sized by EphemeralStorage and not \
             charged to MemorySize"
        ),
        Err(why) => tracing::warn!(
            "/tmp: a tmpfs charged to the function's MemorySize, unlike on Lambda, because a disk per \
             environment cannot be made here: {why}"
        ),
    }
    Ok(Isolation::Sandbox(std::sync::Arc::new(sandbox)))
}

/// Where sandboxed environments' `/tmp` disks are made, in the data directory.
#[cfg(target_os = "linux")]
const TMP_DISKS_DIR: &str = "tmp-disks";

/// The network of sandboxed functions, refused rather than made weaker when the host lacks its stack.
#[cfg(target_os = "linux")]
fn function_network(
    arg: FunctionNetworkArg,
    config: &lamina_execution::lamina_sandbox::SandboxConfig,
) -> anyhow::Result<lamina_execution::lamina_sandbox::NetworkPlan> {
    use lamina_execution::lamina_sandbox::{Network, NetworkPlan};

    let network = match arg {
        FunctionNetworkArg::Outbound => match &config.slirp4netns {
            Some(stack) => {
                tracing::info!(
                    stack = %stack.display(),
                    "network: OUTBOUND: each environment in a network namespace of its own, the Runtime API at \
                     127.0.0.1:9001 inside it, connections out through slirp4netns; the host's loopback (the \
                     Lambda API, other environments, local services) is out of reach"
                );
                Network::Outbound
            }
            None => bail!(
                "--function-network outbound needs slirp4netns, a user-mode network stack, which is not installed \
                 (Debian/Ubuntu: apt-get install slirp4netns); or start with --function-network none (functions \
                 get no network beyond their own loopback)"
            ),
        },
        FunctionNetworkArg::None => {
            tracing::info!(
                "network: NONE (--function-network none): each environment in a network namespace of its own \
                 with only its loopback, where the Runtime API listens at 127.0.0.1:9001; no connection out"
            );
            Network::Isolated
        }
        FunctionNetworkArg::Host => {
            tracing::warn!(
                "network: HOST (--function-network host): functions share the host's network and can reach the \
                 Lambda API, every service on the host's loopback and each other's Runtime API; only for \
                 trusted code"
            );
            return Ok(NetworkPlan::default());
        }
    };
    Ok(NetworkPlan {
        network,
        listen: Some(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9001)),
    })
}

/// Without Linux there is nothing but process isolation.
#[cfg(not(target_os = "linux"))]
fn isolation(args: &ServeArgs, _data_dir: &std::path::Path) -> anyhow::Result<Isolation> {
    if args.isolation == IsolationArg::Sandbox {
        bail!("--isolation sandbox needs Linux");
    }
    tracing::warn!(
        "isolation: PROCESS (sandboxing needs Linux): functions run as plain processes with no filesystem, \
         memory or process-count isolation"
    );
    Ok(Isolation::default())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(lamina_cli::data_dir::default_data_dir);
    std::fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let data_dir = data_dir
        .canonicalize()
        .with_context(|| format!("resolving {}", data_dir.display()))?;
    let isolation = isolation(&args, &data_dir)?;
    let (authentication, keys_line) = authentication(&args)?;
    let keys = match &authentication {
        lamina_control_api::Authentication::SigV4(keys) => Some(keys.clone()),
        lamina_control_api::Authentication::None => None,
    };
    let (platform, offered_api) = platform_access(&args, keys.as_ref());
    let s3 = lamina_s3::EmbeddedS3::open(lamina_s3::S3Config {
        root: data_dir.join(lamina_s3::S3_DIR),
        credentials: keys.clone(),
        default_account: args.account_id.clone(),
        virtual_host_domains: args
            .public_endpoint
            .iter()
            .filter_map(|url| public_host(url))
            .collect(),
    })
    .context("opening the embedded S3 store")?;
    // Opening the engine locks the data directory; only then is what a previous run left behind ours to
    // remove.
    let engine = open_engine(&args, &data_dir, &isolation, platform, s3.storage())?;
    s3.remove_leftovers()
        .context("removing the S3 blobs a previous run left half-written")?;
    #[cfg(target_os = "linux")]
    if let Isolation::Sandbox(sandbox) = &isolation
        && let Some(cgroups) = sandbox.cgroups()
    {
        let removed = cgroups
            .remove_stale()
            .context("removing the sandboxes a previous run left behind")?;
        if removed > 0 {
            tracing::info!(count = removed, "removed stale sandbox cgroups of a previous run");
        }
    }
    // The service model every request is validated against: parsed now (a few milliseconds), so that no
    // request waits for it.
    let parsing = std::time::Instant::now();
    lamina_model::service_model::ServiceModel::get();
    tracing::debug!(elapsed = ?parsing.elapsed(), "service model parsed");
    let settled = engine.recover().await.context("recovering unsettled functions")?;
    if settled > 0 {
        tracing::info!(
            count = settled,
            "settled functions left unsettled by the last run"
        );
    }
    let server_key = lamina_auth::ServerKey::load_or_create(&data_dir.join("server-key"))
        .context("the key that signs code download URLs")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let public_endpoint = args
        .public_endpoint
        .clone()
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{addr}"));
    let url_verifier = keys
        .clone()
        .map(|keys| lamina_auth::Verifier::new(keys, "lambda"));
    let services = crate::gateway::Services {
        sts: lamina_sts::router(lamina_sts::StsConfig {
            credentials: keys.clone(),
            default_account: args.account_id.clone(),
        }),
        logs: lamina_logs_api::router(lamina_logs_api::LogsConfig {
            log_root: data_dir.join(lamina_logs::LOG_DIR),
            credentials: keys.clone(),
            default_account: args.account_id.clone(),
        })
        .context("the CloudWatch Logs API")?,
        cloudformation: lamina_cloudformation::router(lamina_cloudformation::CloudFormationConfig {
            credentials: keys,
            default_account: args.account_id.clone(),
            engine: engine.clone(),
            public_endpoint: public_endpoint.clone(),
            dir: data_dir.join("cloudformation"),
            objects: Some(s3.storage()),
            buckets: Some(Arc::new(StackBuckets(s3.storage()))),
        })
        .await
        .context("the CloudFormation API")?,
        s3: s3.router(),
    };
    let config = lamina_control_api::ApiConfig {
        authentication,
        default_account: args.account_id.clone(),
        public_endpoint: public_endpoint.clone(),
        server_key,
        uploads: uploads(&args, &data_dir),
    };
    tracing::info!(
        data_dir = %data_dir.display(),
        account = %args.account_id,
        strict_packages = args.strict_packages,
        s3_code = engine.s3_source(),
        public_endpoint = %public_endpoint,
        "lamina serves the Lambda API on http://{addr}"
    );
    eprintln!("{}", banner(addr, &keys_line, &isolation));
    let limits = crate::http::ConnectionLimits {
        header_read_timeout: std::time::Duration::from_secs(args.header_timeout),
    };
    let app = lamina_function_urls::in_front_of(
        crate::gateway::router(lamina_control_api::router(engine.clone(), config), services),
        lamina_function_urls::FunctionUrls::new(engine.clone(), url_verifier),
    );
    if let Some(offered) = &offered_api {
        // The environments started from now on serve it on their Runtime API's address.
        let _ = offered.set(app.clone());
    }
    // Started once the environments it starts get everything the others do.
    let waiting = engine
        .start_event_worker()
        .await
        .context("starting the worker of asynchronous invocations")?;
    if waiting > 0 {
        tracing::info!(
            count = waiting,
            "asynchronous invocations accepted by the last run are queued"
        );
    }
    crate::http::serve(listener, app, limits, shutdown()).await;
    engine.shut_down_environments().await;
    // The data directory's cgroup parents, now empty (a crash leaves them for the next start to reuse).
    #[cfg(target_os = "linux")]
    if let Isolation::Sandbox(sandbox) = &isolation
        && let Some(cgroups) = sandbox.cgroups()
    {
        for dir in cgroups.parent_dirs() {
            let _ = std::fs::remove_dir(dir);
        }
    }
    tracing::info!("lamina stopped");
    Ok(())
}

/// The engine over the state in `data_dir`, configured from the command line. Opening it locks the data
/// directory.
fn open_engine(
    args: &ServeArgs,
    data_dir: &std::path::Path,
    isolation: &Isolation,
    platform: lamina_execution::PlatformAccess,
    s3_objects: Arc<lamina_s3::Storage>,
) -> anyhow::Result<Engine> {
    Engine::open(EngineConfig {
        data_dir: data_dir.to_path_buf(),
        account_id: args.account_id.clone(),
        strict_packages: args.strict_packages,
        account_concurrency: args.account_concurrency,
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        isolation: isolation.clone(),
        s3_endpoint_url: args.s3_endpoint_url.clone(),
        s3_objects: Some(s3_objects),
        platform: Some(platform),
        async_retry_delay_scale: args.async_retry_delay_scale,
    })
    .with_context(|| format!("opening the state in {}", data_dir.display()))
}

/// The embedded S3 as CloudFormation makes and removes its stacks' buckets.
struct StackBuckets(Arc<lamina_s3::Storage>);

impl lamina_cloudformation::Buckets for StackBuckets {
    fn create(&self, account: &str, region: &str, name: &str, versioned: bool) -> Result<(), String> {
        match self.0.create_bucket(account, region, name) {
            Ok(_) | Err(lamina_s3::StorageError::BucketAlreadyOwnedByYou) => {}
            Err(e) => return Err(e.to_string()),
        }
        if versioned {
            self.0
                .set_versioning(account, name, "Enabled")
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn delete(&self, account: &str, name: &str) -> Result<(), String> {
        match self.0.delete_bucket(account, name) {
            Ok(()) | Err(lamina_s3::StorageError::NoSuchBucket) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// What environments get of the platform: session credentials for their role, issued into the server's
/// keys with `--function-api-access` (and the APIs offered on their Runtime API's address, filled in
/// once the router exists), else into a set nothing verifies against.
fn platform_access(
    args: &ServeArgs,
    keys: Option<&lamina_auth::CredentialSet>,
) -> (
    lamina_execution::PlatformAccess,
    Option<Arc<std::sync::OnceLock<axum::Router>>>,
) {
    let accepted = match keys {
        Some(keys) if args.function_api_access => keys.clone(),
        _ => lamina_auth::CredentialSet::new(),
    };
    let offered = args
        .function_api_access
        .then(|| Arc::new(std::sync::OnceLock::new()));
    if args.function_api_access {
        tracing::warn!(
            "function API access: functions can call this server's APIs as their execution role \
             (--function-api-access)"
        );
    }
    let access = lamina_execution::PlatformAccess {
        credentials: Arc::new(RoleCredentials { keys: accepted }),
        api: offered.clone(),
    };
    (access, offered)
}

/// Issues each environment's credentials as its execution role's session: `arn:aws:sts::<account>:
/// assumed-role/<role>/<function>`, in the function's account, revoked when the environment ends (and
/// expiring after a week at the latest).
#[derive(Debug)]
struct RoleCredentials {
    keys: lamina_auth::CredentialSet,
}

impl lamina_execution::CredentialIssuer for RoleCredentials {
    fn issue(&self, version: &lamina_execution::FunctionVersion) -> Option<lamina_execution::SessionKeys> {
        // arn:aws:lambda:<region>:<account>:function:<name>
        let account = version.function_arn.split(':').nth(4)?.to_owned();
        let role = version.role.rsplit('/').next().unwrap_or("lambda-role");
        let principal = lamina_auth::SessionPrincipal {
            arn: format!(
                "arn:aws:sts::{account}:assumed-role/{role}/{}",
                version.function_name
            ),
            user_id: format!("AROALAMINA{}:{}", account, version.function_name),
            account_id: account,
        };
        let session = self
            .keys
            .issue_session(principal, chrono::Duration::days(7))
            .map_err(|e| tracing::warn!("cannot make a function's credentials: {e}"))
            .ok()?;
        Some(lamina_execution::SessionKeys {
            access_key_id: session.credential.access_key_id,
            secret_access_key: session.credential.secret_access_key,
            session_token: session.session_token,
        })
    }

    fn revoke(&self, access_key_id: &str) {
        self.keys.revoke_session(access_key_id);
    }
}

/// What a user pastes into a shell to point the AWS CLI and SDKs at this server (the JavaScript SDK reads
/// only `AWS_REGION`, the CLI `AWS_DEFAULT_REGION`), and which architectures its functions may have.
fn banner(addr: SocketAddr, keys_line: &str, isolation: &Isolation) -> String {
    use lamina_execution::ArchitectureSupport;

    let mut out = format!(
        "\nPoint the AWS CLI and SDKs at lamina (paste into a shell):\n\n    \
         export AWS_ENDPOINT_URL=http://{addr}\n    export {keys_line}\n    \
         export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1\n\n\
         This endpoint serves Lambda (and function URLs), S3, CloudWatch Logs, STS and CloudFormation; other services answer an error naming them.\n"
    );
    for arch in lamina_model::Architecture::ALL {
        let line = match isolation.runs(arch) {
            ArchitectureSupport::Native => format!("{arch} functions: run natively"),
            ArchitectureSupport::Emulated(emulator) => {
                format!("{arch} functions: run under qemu-user ({})", emulator.display())
            }
            ArchitectureSupport::Unavailable(why) => format!("{arch} functions: CANNOT RUN HERE: {why}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The keys the server accepts, said at start (ids and accounts, never secrets), and the banner's line
/// of credentials to export.
fn authentication(args: &ServeArgs) -> anyhow::Result<(lamina_control_api::Authentication, String)> {
    use lamina_auth::CredentialSet;

    if args.auth == AuthArg::None {
        if args.credentials.is_some() {
            bail!("--credentials has no use with --auth none");
        }
        tracing::warn!(
            "authentication: NONE (chosen with --auth none): every request is accepted without a signature, \
             in account {}; anyone who reaches this port can deploy and run code",
            args.account_id
        );
        return Ok((
            lamina_control_api::Authentication::None,
            "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test".to_owned(),
        ));
    }
    let mut keys = CredentialSet::new();
    if let Some(path) = &args.credentials {
        keys.load_file(path, &args.account_id)?;
        if keys.is_empty() {
            bail!("{} holds no aws_access_key_id", path.display());
        }
    }
    keys.load_environment(|name| std::env::var(name).ok(), &args.account_id)?;
    let source = if keys.is_empty() {
        keys = CredentialSet::development(&args.account_id);
        "the development key (no --credentials, no LAMINA_ACCESS_KEY_ID)"
    } else {
        "--credentials and the environment"
    };
    for key in keys.iter() {
        tracing::info!(access_key_id = %key.access_key_id, account = %key.account_id, "authentication: SigV4 accepts this key ({source})");
    }
    let keys_line = match keys.iter().next() {
        Some(key) if key.access_key_id == "test" && key.secret_access_key == "test" => {
            "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test".to_owned()
        }
        Some(key) => format!(
            "AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY=<its secret, from {source}>",
            key.access_key_id
        ),
        None => String::new(),
    };
    Ok((lamina_control_api::Authentication::SigV4(keys), keys_line))
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
