//! `lamina-bench`: measures `lamina serve` on an aws-lambda-go function and the Runtime Interface
//! Emulator on the same bootstrap, in one run, and writes `BENCHMARKS.md` and a latency chart.
//!
//! ```sh
//! cargo run --release -p lamina-bench -- run            # full mode (a few minutes), writes the results
//! cargo run --release -p lamina-bench -- run --quick     # under a minute
//! ```

mod load;
mod procs;
mod queue;
mod report;
mod verify;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;

use crate::load::{Connection, Measured, Target};
use crate::procs::{Api, Server};

#[derive(Parser)]
#[command(about = "Benchmarks lamina serve against the AWS Lambda Runtime Interface Emulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Builds lamina, the aws-lambda-go hello fixture and aws-lambda-rie, runs every measurement and
    /// writes BENCHMARKS.md and bench/results/latency.png.
    Run(RunArgs),
    /// Measures the CPU of one SigV4 verification of a typical signed Invoke request (signing key
    /// cached), as `lamina serve` does on every request, and prints it.
    Verify {
        /// How many verifications to time.
        #[arg(long, default_value_t = 200_000)]
        iterations: u64,
    },
    /// Measures the event queue of asynchronous invocations on disk: the durable enqueue rate (each
    /// enqueue after its fsync, as Invoke's 202) and the idle enqueue-to-claim latency, and prints them.
    Queue {
        /// Seconds of each enqueue-rate run.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
    },
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    /// Short runs and small counts (under a minute once built): keeps the harness working.
    #[arg(long)]
    quick: bool,
    /// Print the results only; leave BENCHMARKS.md and the chart alone.
    #[arg(long)]
    no_write: bool,
    /// Use the debug build of lamina (the test suite has it already) instead of building a release.
    #[arg(long)]
    debug_build: bool,
    /// Skip the Runtime Interface Emulator (no Go module proxy at hand).
    #[arg(long)]
    skip_rie: bool,
    /// Environments for the scale-out and memory measurements (default 1,000; 40 with --quick).
    #[arg(long)]
    environments: Option<usize>,
    /// Cold start samples (default 40; 5 with --quick).
    #[arg(long)]
    cold_samples: Option<usize>,
    /// `lamina serve --function-network` of the sandboxed cold starts (`outbound`, `none` or `host`).
    #[arg(long, default_value = "outbound")]
    function_network: String,
}

/// How long and how many, per mode.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Whether this is the quick mode.
    pub(crate) quick: bool,
    /// Warm latency at concurrency 1.
    pub(crate) warm: Duration,
    /// Each throughput run.
    pub(crate) throughput: Duration,
    /// Unrecorded warm-up before each closed-loop run.
    pub(crate) warmup: Duration,
    /// Concurrency levels of the throughput runs.
    pub(crate) levels: Vec<usize>,
    /// Cold start samples (lamina).
    pub(crate) cold_samples: usize,
    /// Cold start samples (RIE: one process start each).
    pub(crate) rie_cold_samples: usize,
    /// Environments for scale-out and memory.
    pub(crate) environments: usize,
    /// How long each scale-out invocation holds its environment.
    pub(crate) hold_ms: u64,
    /// Zip sizes for CreateFunction.
    pub(crate) deploy_sizes: Vec<usize>,
    /// `--function-network` of the sandboxed cold starts.
    pub(crate) function_network: String,
}

impl Plan {
    fn new(args: &RunArgs) -> Plan {
        if args.quick {
            Plan {
                quick: true,
                warm: Duration::from_secs(2),
                throughput: Duration::from_secs(1),
                warmup: Duration::from_millis(200),
                levels: vec![8, 32, 128],
                cold_samples: args.cold_samples.unwrap_or(5),
                rie_cold_samples: 3,
                environments: args.environments.unwrap_or(40),
                hold_ms: 200,
                deploy_sizes: vec![1_000_000],
                function_network: args.function_network.clone(),
            }
        } else {
            Plan {
                quick: false,
                warm: Duration::from_secs(10),
                throughput: Duration::from_secs(5),
                warmup: Duration::from_secs(1),
                levels: vec![8, 32, 128],
                cold_samples: args.cold_samples.unwrap_or(40),
                rie_cold_samples: 20,
                environments: args.environments.unwrap_or(1000),
                hold_ms: 3000,
                deploy_sizes: vec![1_000_000, 50_000_000],
                function_network: args.function_network.clone(),
            }
        }
    }
}

/// Everything one run measured.
pub(crate) struct Results {
    /// The plan it followed.
    pub(crate) plan: Plan,
    /// Which lamina build ran.
    pub(crate) build: &'static str,
    /// Warm latency at concurrency 1.
    pub(crate) warm: Measured,
    /// The REPORT lines' Duration during the warm run (time inside the runtime), microseconds.
    pub(crate) in_bootstrap: Histogram<u64>,
    /// DryRun invokes at concurrency 1: the API and the resolution without an environment.
    pub(crate) dry_run: Measured,
    /// Closed-loop runs by concurrency.
    pub(crate) levels: Vec<(usize, Measured)>,
    /// The open-loop run: its rate and what it measured.
    pub(crate) open_loop: (f64, Measured),
    /// Cold starts in sandbox isolation, microseconds, or why they were not measured.
    pub(crate) sandbox_cold: Result<Histogram<u64>, String>,
    /// Cold starts (process isolation), microseconds.
    pub(crate) cold: Histogram<u64>,
    /// Scale-out.
    pub(crate) scale_out: ScaleOut,
    /// Memory with many idle environments.
    pub(crate) memory: Memory,
    /// CreateFunction by zip size.
    pub(crate) deploys: Vec<Deploy>,
    /// The emulator's numbers, unless skipped.
    pub(crate) rie: Option<Rie>,
    /// `/proc/loadavg` when the measurements started and when they ended: other work on the machine.
    pub(crate) load: (String, String),
}

/// Scale-out: `environments` concurrent invocations that each hold their environment `hold_ms`.
pub(crate) struct ScaleOut {
    /// Invocations sent at once.
    pub(crate) requested: usize,
    /// Distinct environments that served them (bootstrap processes afterwards).
    pub(crate) environments: usize,
    /// Successful invocations.
    pub(crate) ok: usize,
    /// From sending the first to the last answer.
    pub(crate) elapsed: Duration,
    /// How long each invocation held its environment.
    pub(crate) hold: Duration,
    /// CPU time used from the first request to the last answer.
    pub(crate) cpu: load::CpuUse,
}

/// Memory of the server and its environments.
pub(crate) struct Memory {
    /// Idle environments when measured.
    pub(crate) environments: usize,
    /// Server RSS before the scale-out, KiB, and the environments alive then.
    pub(crate) server_before_kib: u64,
    /// Environments alive before the scale-out.
    pub(crate) environments_before: usize,
    /// Server RSS with `environments` idle, KiB.
    pub(crate) server_after_kib: u64,
    /// Mean RSS of one bootstrap, KiB.
    pub(crate) bootstrap_kib: f64,
}

impl Memory {
    /// The server's own memory per idle environment, KiB.
    pub(crate) fn overhead_kib(&self) -> f64 {
        let added = self.environments.saturating_sub(self.environments_before).max(1);
        self.server_after_kib.saturating_sub(self.server_before_kib) as f64 / added as f64
    }
}

/// One CreateFunction.
pub(crate) struct Deploy {
    /// Zip size, bytes.
    pub(crate) zip_bytes: usize,
    /// Until the 201.
    pub(crate) create: Duration,
    /// Until the function is Active (unpacked).
    pub(crate) active: Duration,
    /// Server VmHWM before and after, KiB.
    pub(crate) hwm_before_kib: u64,
    /// Server VmHWM after.
    pub(crate) hwm_after_kib: u64,
}

/// The Runtime Interface Emulator's numbers.
pub(crate) struct Rie {
    /// Warm latency at concurrency 1.
    pub(crate) warm: Measured,
    /// First invoke after the emulator started (it starts the bootstrap then), microseconds.
    pub(crate) cold: Histogram<u64>,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => {
            // One thread for the load generator: the server gets the other core.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run(args))
        }
        Command::Verify { iterations } => verify::run(iterations),
        Command::Queue { seconds } => queue::run(seconds),
    }
}

async fn run(args: RunArgs) -> Result<()> {
    let plan = Plan::new(&args);
    let started = Instant::now();
    let work = tempfile::Builder::new().prefix("lamina-bench-").tempdir()?;
    step("building lamina, the hello and sleep fixtures and aws-lambda-rie");
    let lamina = procs::build_lamina(args.debug_build)?;
    let (hello_zip, hello_bootstrap) = procs::build_fixture(&lamina, "hello", work.path())?;
    let (sleep_zip, _) = procs::build_fixture(&lamina, "sleep", work.path())?;
    let rie_binary = if args.skip_rie {
        None
    } else {
        Some(procs::build_rie()?)
    };
    let built = Instant::now();
    let load_before = loadavg();

    step("lamina serve: warm invokes, throughput, cold starts");
    let log = work.path().join("lamina.log");
    let mut server = Server::lamina(&lamina, &work.path().join("data"), &log).await?;
    let measured = measure_lamina(&plan, &server, &work.path().join("data"), &hello_zip).await;
    server.stop();
    let (warm, in_bootstrap, dry_run, levels, open_loop, cold) =
        measured.with_context(|| format!("see {}", log.display()))?;

    step("lamina serve --isolation sandbox: cold starts");
    let sandbox_cold = sandbox_cold_starts(&plan, &lamina, &hello_zip, work.path()).await;
    if let Err(reason) = &sandbox_cold {
        eprintln!("    not measured: {reason}");
    }

    step("lamina serve: scale-out and memory, on a fresh server");
    let log = work.path().join("lamina-scale.log");
    let mut server = Server::lamina(&lamina, &work.path().join("data-scale"), &log).await?;
    let measured = measure_scale_out(&plan, &server, &sleep_zip).await;
    server.stop();
    let (scale_out, memory) = measured.with_context(|| format!("see {}", log.display()))?;

    let rie = match &rie_binary {
        Some(rie) => {
            step("aws-lambda-rie: cold and warm invokes");
            Some(measure_rie(&plan, rie, &hello_bootstrap, work.path()).await?)
        }
        None => None,
    };

    step("CreateFunction memory and time, on a fresh server");
    let deploys = measure_deploys(&plan, &lamina, work.path()).await?;

    let results = Results {
        plan: plan.clone(),
        build: if args.debug_build { "debug" } else { "release" },
        warm,
        in_bootstrap,
        dry_run,
        levels,
        open_loop,
        cold,
        scale_out,
        memory,
        deploys,
        rie,
        load: (load_before, loadavg()),
        sandbox_cold,
    };
    let table = report::results_markdown(&results)?;
    println!("\n{table}");
    if !args.no_write {
        let root = procs::repo_root();
        let chart = root.join("bench/results/latency.png");
        report::chart(&results, &chart)?;
        report::write_benchmarks_md(&root.join("BENCHMARKS.md"), &table)?;
        println!(
            "wrote {} and {}",
            root.join("BENCHMARKS.md").display(),
            chart.display()
        );
    }
    println!(
        "built in {:.1} s, measured in {:.1} s",
        (built - started).as_secs_f64(),
        built.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The 1, 5 and 15 minute load averages.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn step(what: &str) {
    eprintln!("==> {what}");
}

type LaminaResults = (
    Measured,
    Histogram<u64>,
    Measured,
    Vec<(usize, Measured)>,
    (f64, Measured),
    Histogram<u64>,
);

/// The `Duration` of every REPORT line in the log streams under `dir` (the time from handing the event
/// to the runtime until its response arrived), in microseconds.
fn report_durations(dir: &std::path::Path) -> Result<Histogram<u64>> {
    let mut histogram = load::new_histogram()?;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines().filter(|l| l.contains("\tREPORT RequestId")) {
            let ms = line
                .split('\t')
                .find_map(|field| field.strip_prefix("Duration: "))
                .and_then(|v| v.trim_end_matches(" ms").parse::<f64>().ok());
            if let Some(ms) = ms {
                load::record(&mut histogram, Duration::from_secs_f64(ms / 1000.0));
            }
        }
    }
    Ok(histogram)
}

async fn measure_lamina(
    plan: &Plan,
    server: &Server,
    data_dir: &std::path::Path,
    hello_zip: &[u8],
) -> Result<LaminaResults> {
    let api = Api::new(server.addr);
    api.create_function("hello", hello_zip, serde_json::json!({}))
        .await?;
    api.wait_active("hello").await?;
    let hello = Target::post(
        server.addr,
        "/2015-03-31/functions/hello/invocations",
        &br#"{"name":"lamina"}"#[..],
    )
    .measuring_cpu_of(server.pid());

    eprintln!("    warm latency, concurrency 1");
    let warm = load::closed_loop(&hello, 1, plan.warmup, plan.warm).await?;
    let in_bootstrap = report_durations(&data_dir.join("logs/000000000000/us-east-1/hello"))?;
    eprintln!("    DryRun (the API and the function's resolution, no environment), concurrency 1");
    let mut dry = hello.clone();
    dry.invocation_type = Some("DryRun");
    let dry_run = load::closed_loop(&dry, 1, plan.warmup, plan.throughput).await?;
    let mut levels = Vec::new();
    for &concurrency in &plan.levels {
        eprintln!("    closed loop, concurrency {concurrency}");
        levels.push((
            concurrency,
            load::closed_loop(&hello, concurrency, plan.warmup, plan.throughput).await?,
        ));
    }
    // Open loop at half of what concurrency 32 sustained: the latency a steady stream of clients sees.
    let c32 = levels
        .iter()
        .find(|(c, _)| *c == 32)
        .map_or(1000.0, |(_, m)| m.throughput());
    let rate = (c32 / 2.0).max(10.0).round();
    eprintln!("    open loop, {rate} invokes/s");
    let open = load::open_loop(&hello, rate, plan.throughput, 256).await?;

    eprintln!("    cold starts ({} functions)", plan.cold_samples);
    let cold = cold_starts(plan, server, hello_zip).await?;
    Ok((warm, in_bootstrap, dry_run, levels, (rate, open), cold))
}

/// The first invoke of `plan.cold_samples` freshly created functions (each deleted after its sample).
async fn cold_starts(plan: &Plan, server: &Server, hello_zip: &[u8]) -> Result<Histogram<u64>> {
    let api = Api::new(server.addr);
    let mut cold = load::new_histogram()?;
    for i in 0..plan.cold_samples {
        let name = format!("cold-{i}");
        api.create_function(&name, hello_zip, serde_json::json!({}))
            .await?;
        api.wait_active(&name).await?;
        let target = Target::post(
            server.addr,
            format!("/2015-03-31/functions/{name}/invocations"),
            &br#"{"name":"cold"}"#[..],
        );
        let mut connection = Connection::open(server.addr).await?;
        let sent = Instant::now();
        if !connection.send(&target).await? {
            bail!("the cold invoke of {name} failed");
        }
        load::record(&mut cold, sent.elapsed());
        api.delete_function(&name).await?;
    }
    Ok(cold)
}

/// Cold starts with `--isolation sandbox`, or why they could not be measured (not root, no cgroups).
async fn sandbox_cold_starts(
    plan: &Plan,
    lamina: &std::path::Path,
    hello_zip: &[u8],
    work: &std::path::Path,
) -> Result<Histogram<u64>, String> {
    let log = work.join("lamina-sandbox.log");
    let server = Server::lamina_isolated(
        lamina,
        &work.join("data-sandbox"),
        &log,
        &[
            "--isolation",
            "sandbox",
            "--function-network",
            &plan.function_network,
        ],
    )
    .await
    .map_err(|e| {
        let reason = std::fs::read_to_string(&log).unwrap_or_default();
        let last = reason.lines().last().unwrap_or_default().to_owned();
        format!("lamina serve --isolation sandbox did not start: {e} {last}")
    })?;
    cold_starts(plan, &server, hello_zip)
        .await
        .map_err(|e| format!("{e:#}"))
}

/// Scale-out and memory, on a server of their own so that earlier runs' environments and allocations
/// do not blur the per-environment memory.
async fn measure_scale_out(plan: &Plan, server: &Server, sleep_zip: &[u8]) -> Result<(ScaleOut, Memory)> {
    let api = Api::new(server.addr);
    eprintln!("    scale-out to {} environments", plan.environments);
    api.create_function("sleep", sleep_zip, serde_json::json!({ "Timeout": 60 }))
        .await?;
    api.wait_active("sleep").await?;
    let environments_before = procs::children(server.pid())?.len();
    let server_before_kib = procs::status_kib(server.pid(), "VmRSS")?;
    let scale_out = scale_out(plan, server).await?;

    eprintln!("    memory with the environments idle");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let children = procs::children(server.pid())?;
    let mut bootstrap_total = 0u64;
    let mut counted = 0u64;
    for child in &children {
        if let Ok(kib) = procs::status_kib(*child, "VmRSS") {
            bootstrap_total += kib;
            counted += 1;
        }
    }
    let memory = Memory {
        environments: children.len(),
        server_before_kib,
        environments_before,
        server_after_kib: procs::status_kib(server.pid(), "VmRSS")?,
        bootstrap_kib: bootstrap_total as f64 / counted.max(1) as f64,
    };
    Ok((scale_out, memory))
}

/// Sends `plan.environments` invocations of the sleep function at once, each holding its environment
/// `plan.hold_ms`, on connections opened beforehand.
async fn scale_out(plan: &Plan, server: &Server) -> Result<ScaleOut> {
    let body = format!(r#"{{"ms":{}}}"#, plan.hold_ms).into_bytes();
    let target = Target::post(server.addr, "/2015-03-31/functions/sleep/invocations", body);
    let mut connections = Vec::with_capacity(plan.environments);
    for _ in 0..plan.environments {
        connections.push(Connection::open(server.addr).await?);
    }
    let go = std::sync::Arc::new(tokio::sync::Barrier::new(plan.environments + 1));
    let mut tasks = Vec::new();
    for mut connection in connections {
        let (go, target) = (go.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            go.wait().await;
            connection.send(&target).await
        }));
    }
    let before = load::CpuUse::sample(server.pid())?;
    go.wait().await;
    let sent = Instant::now();
    let mut ok = 0;
    for task in tasks {
        if matches!(task.await?, Ok(true)) {
            ok += 1;
        }
    }
    let elapsed = sent.elapsed();
    let cpu = load::CpuUse::between(&before, &load::CpuUse::sample(server.pid())?);
    Ok(ScaleOut {
        requested: plan.environments,
        environments: procs::children(server.pid())?.len(),
        ok,
        elapsed,
        hold: Duration::from_millis(plan.hold_ms),
        cpu,
    })
}

async fn measure_rie(
    plan: &Plan,
    rie: &std::path::Path,
    bootstrap: &std::path::Path,
    work: &std::path::Path,
) -> Result<Rie> {
    let log = work.join("rie.log");
    let mut cold = load::new_histogram()?;
    let mut last = None;
    for _ in 0..plan.rie_cold_samples.max(1) {
        drop(last.take());
        let server = Server::rie(rie, bootstrap, &log).await?;
        let target = Target::post(
            server.addr,
            "/2015-03-31/functions/function/invocations",
            &br#"{"name":"cold"}"#[..],
        );
        let mut connection = Connection::open(server.addr).await?;
        let sent = Instant::now();
        if !connection.send(&target).await? {
            bail!("the first invoke of the emulator failed; see {}", log.display());
        }
        load::record(&mut cold, sent.elapsed());
        last = Some(server);
    }
    let server = last.context("no emulator")?;
    let target = Target::post(
        server.addr,
        "/2015-03-31/functions/function/invocations",
        &br#"{"name":"lamina"}"#[..],
    )
    .measuring_cpu_of(server.pid());
    eprintln!("    warm latency, concurrency 1");
    let warm = load::closed_loop(&target, 1, plan.warmup, plan.warm).await?;
    drop(server);
    Ok(Rie { warm, cold })
}

async fn measure_deploys(
    plan: &Plan,
    lamina: &std::path::Path,
    work: &std::path::Path,
) -> Result<Vec<Deploy>> {
    let data: PathBuf = work.join("deploy-data");
    let server = Server::lamina(lamina, &data, &work.join("deploy.log")).await?;
    let api = Api::new(server.addr);
    let mut out = Vec::new();
    for (i, &size) in plan.deploy_sizes.iter().enumerate() {
        let zip = procs::padded_zip(size)?;
        let name = format!("deploy-{i}");
        let hwm_before_kib = procs::status_kib(server.pid(), "VmHWM")?;
        let sent = Instant::now();
        api.create_function(&name, &zip, serde_json::json!({})).await?;
        let create = sent.elapsed();
        api.wait_active(&name).await?;
        let active = sent.elapsed();
        out.push(Deploy {
            zip_bytes: zip.len(),
            create,
            active,
            hwm_before_kib,
            hwm_after_kib: procs::status_kib(server.pid(), "VmHWM")?,
        });
    }
    Ok(out)
}
