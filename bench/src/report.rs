//! Results as Markdown (written into `BENCHMARKS.md` between markers, so the analysis around them is
//! kept) and the latency chart (PNG, with `plotters`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use plotters::prelude::*;

use crate::Results;
use crate::load::Measured;

const BEGIN: &str = "<!-- lamina-bench results: begin (written by `lamina-bench run`) -->";
const END: &str = "<!-- lamina-bench results: end -->";

/// Issue 6's targets.
const WARM_P50_US: u64 = 250;
const RIE_SPEEDUP: f64 = 1.5;
const C32_THROUGHPUT: f64 = 15_000.0;
const SCALE_OUT_ENVS: usize = 1000;
const SCALE_OUT_S: f64 = 2.0;
const OVERHEAD_KIB: f64 = 1024.0;

fn us(v: u64) -> String {
    if v >= 10_000 {
        format!("{:.1} ms", v as f64 / 1000.0)
    } else {
        format!("{v} µs")
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

/// The machine: cores, memory, CPU model, kernel.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split(':').nth(1)))
        .map_or_else(|| "unknown CPU".to_owned(), |m| m.trim().to_owned());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        );
    let cores = cores();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores (`nproc`), {memory}, {model}, Linux {}{}",
        kernel.trim(),
        idle_policy()
    )
}

/// How idle CPUs wait (", cpuidle haltpoll, guest_halt_poll_ns 0"): in a VM, what every wake-up of an
/// idle vCPU costs depends on it, and a warm invoke wakes several processes in turn.
fn idle_policy() -> String {
    let read = |path: &str| std::fs::read_to_string(path).ok().map(|s| s.trim().to_owned());
    let Some(driver) = read("/sys/devices/system/cpu/cpuidle/current_driver") else {
        return String::new();
    };
    match read("/sys/module/haltpoll/parameters/guest_halt_poll_ns") {
        Some(ns) if driver == "haltpoll" => format!(", cpuidle {driver}, guest_halt_poll_ns {ns}"),
        _ => format!(", cpuidle {driver}"),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, usize::from)
}

fn commit() -> String {
    let root = crate::procs::repo_root();
    let out = |args: &[&str]| {
        Command::new("git")
            .current_dir(&root)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let head = out(&["rev-parse", "--short=10", "HEAD"]);
    let dirty = !out(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
    if dirty {
        format!("{head} (with uncommitted changes)")
    } else {
        head
    }
}

fn latency_row(out: &mut String, what: &str, m: &Measured) -> Result<()> {
    writeln!(
        out,
        "| {what} | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
        m.throughput(),
        m.cpu_per_invoke().map_or_else(
            || "-".to_owned(),
            |[server, children, load]| format!("{server:.0} / {children:.0} / {load:.0} µs")
        ),
        us(m.at(0.5)),
        us(m.at(0.9)),
        us(m.at(0.99)),
        us(m.latency.max()),
        m.ok,
        m.errors
    )?;
    Ok(())
}

/// The results section: the machine, every measurement, lamina/RIE ratios, targets met or missed.
pub(crate) fn results_markdown(r: &Results) -> Result<String> {
    let mut out = String::new();
    let mode = if r.plan.quick { "quick" } else { "full" };
    writeln!(out, "| | |\n|---|---|")?;
    writeln!(out, "| machine | {} |", machine())?;
    writeln!(
        out,
        "| date | {} |",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    )?;
    writeln!(out, "| commit | `{}` |", commit())?;
    writeln!(
        out,
        "| run | `lamina-bench run` ({mode} mode), lamina {} build, `--isolation process` except the sandbox cold start line; the load generator (one thread) runs on the same machine |",
        r.build
    )?;
    writeln!(
        out,
        "| load average (1, 5, 15 min) | {} at the start, {} at the end (other work on the machine competes for the cores) |",
        r.load.0, r.load.1
    )?;
    writeln!(
        out,
        "| function | `tests/fixtures/go/hello` (aws-lambda-go), event `{{\"name\":\"lamina\"}}`, 128 MB |"
    )?;

    writeln!(
        out,
        "\n### Invoke latency and throughput (keep-alive connections)\n"
    )?;
    writeln!(
        out,
        "| server, load | invokes/s | CPU per invoke: server / bootstrap / load generator | p50 | p90 | p99 | max | ok | errors |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    latency_row(&mut out, "lamina, closed loop, concurrency 1", &r.warm)?;
    if let Some(rie) = &r.rie {
        latency_row(&mut out, "RIE, closed loop, concurrency 1", &rie.warm)?;
    }
    for (c, m) in &r.levels {
        latency_row(&mut out, &format!("lamina, closed loop, concurrency {c}"), m)?;
    }
    latency_row(
        &mut out,
        "lamina, DryRun (no environment), concurrency 1",
        &r.dry_run,
    )?;
    let (rate, open) = &r.open_loop;
    latency_row(&mut out, &format!("lamina, open loop at {rate:.0}/s"), open)?;

    writeln!(out, "\n### Cold start, scale-out, memory, deploy\n")?;
    writeln!(out, "| measurement | lamina | RIE | lamina/RIE |")?;
    writeln!(out, "|---|---:|---:|---:|")?;
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.2}", a / b)
        } else {
            "-".into()
        }
    };
    if let Some(rie) = &r.rie {
        writeln!(
            out,
            "| warm invoke p50, concurrency 1 | {} | {} | {} |",
            us(r.warm.at(0.5)),
            us(rie.warm.at(0.5)),
            ratio(r.warm.at(0.5) as f64, rie.warm.at(0.5) as f64)
        )?;
        writeln!(
            out,
            "| warm invoke p99, concurrency 1 | {} | {} | {} |",
            us(r.warm.at(0.99)),
            us(rie.warm.at(0.99)),
            ratio(r.warm.at(0.99) as f64, rie.warm.at(0.99) as f64)
        )?;
    }
    writeln!(
        out,
        "| of which between the event handed to the runtime and its response (REPORT `Duration`), p50, concurrency 1 | {} | - | |",
        us(r.in_bootstrap.value_at_quantile(0.5))
    )?;
    let cold_row = |out: &mut String, q: f64, label: &str| -> Result<()> {
        let lamina = r.cold.value_at_quantile(q);
        match &r.rie {
            Some(rie) => {
                let emulator = rie.cold.value_at_quantile(q);
                writeln!(
                    out,
                    "| cold start {label} (process mode; RIE: first invoke after start) | {} | {} | {} |",
                    us(lamina),
                    us(emulator),
                    ratio(lamina as f64, emulator as f64)
                )?;
            }
            None => writeln!(
                out,
                "| cold start {label} (process mode) | {} | - | - |",
                us(lamina)
            )?,
        }
        Ok(())
    };
    cold_row(&mut out, 0.5, "p50")?;
    cold_row(&mut out, 0.99, "p99")?;
    match &r.sandbox_cold {
        Ok(h) => writeln!(
            out,
            "| cold start p50 / p99, `--isolation sandbox --function-network {}` ({} samples) | {} / {} | - | |",
            r.plan.function_network,
            h.len(),
            us(h.value_at_quantile(0.5)),
            us(h.value_at_quantile(0.99))
        )?,
        Err(reason) => writeln!(
            out,
            "| cold start, `--isolation sandbox` | not measured: {reason} | - | |"
        )?,
    }
    writeln!(
        out,
        "| cold start samples | {} | {} | |",
        r.cold.len(),
        r.rie.as_ref().map_or(0, |x| x.cold.len())
    )?;
    let s = &r.scale_out;
    writeln!(
        out,
        "| scale-out: {} invokes sent at once, each holding its environment {} ms: all answered after | {:.2} s ({:.2} s beyond the hold) | - | |",
        s.requested,
        s.hold.as_millis(),
        s.elapsed.as_secs_f64(),
        s.elapsed.saturating_sub(s.hold).as_secs_f64()
    )?;
    writeln!(
        out,
        "| scale-out: environments alive after it, invokes ok | {} environments, {} ok | - (one at a time) | |",
        s.environments, s.ok
    )?;
    writeln!(
        out,
        "| scale-out: CPU time used until the last answer: server / bootstraps / load generator ({} cores give {:.2} s in that time) | {:.2} s / {:.2} s / {:.2} s | - | |",
        cores(),
        cores() as f64 * s.elapsed.as_secs_f64(),
        s.cpu.server.as_secs_f64(),
        s.cpu.children.as_secs_f64(),
        s.cpu.load_generator.as_secs_f64()
    )?;
    let m = &r.memory;
    writeln!(
        out,
        "| server RSS: {} environments before, {} idle after | {} → {} | - | |",
        m.environments_before,
        m.environments,
        mib(m.server_before_kib as f64),
        mib(m.server_after_kib as f64)
    )?;
    writeln!(
        out,
        "| server memory per idle environment (beyond the bootstrap's own) | {:.0} KiB | - | |",
        m.overhead_kib()
    )?;
    writeln!(
        out,
        "| bootstrap RSS (mean over the idle environments) | {} | - | |",
        mib(m.bootstrap_kib)
    )?;
    for d in &r.deploys {
        writeln!(
            out,
            "| CreateFunction, {:.1} MB zip: 201 after / Active after / server VmHWM before → after | {:.0} ms / {:.0} ms / {} → {} | - | |",
            d.zip_bytes as f64 / 1e6,
            d.create.as_secs_f64() * 1000.0,
            d.active.as_secs_f64() * 1000.0,
            mib(d.hwm_before_kib as f64),
            mib(d.hwm_after_kib as f64)
        )?;
    }

    writeln!(out, "\n### Targets (issue 6)\n")?;
    writeln!(out, "| target | result | |")?;
    writeln!(out, "|---|---:|---|")?;
    let p50 = r.warm.at(0.5);
    writeln!(
        out,
        "| warm p50 ≤ {WARM_P50_US} µs | {} | {} |",
        us(p50),
        met(p50 <= WARM_P50_US)
    )?;
    match &r.rie {
        Some(rie) => {
            let speedup = rie.warm.at(0.5) as f64 / p50.max(1) as f64;
            writeln!(
                out,
                "| warm p50 ≥ {RIE_SPEEDUP}x faster than RIE | {speedup:.2}x | {} |",
                met(speedup >= RIE_SPEEDUP)
            )?;
        }
        None => writeln!(
            out,
            "| warm p50 ≥ {RIE_SPEEDUP}x faster than RIE | RIE skipped | not measured |"
        )?,
    }
    if let Some((_, c32)) = r.levels.iter().find(|(c, _)| *c == 32) {
        let t = c32.throughput();
        writeln!(
            out,
            "| ≥ {C32_THROUGHPUT:.0} invokes/s at concurrency 32 | {t:.0}/s | {} |",
            met(t >= C32_THROUGHPUT)
        )?;
    }
    if s.requested >= SCALE_OUT_ENVS {
        let t = s.elapsed.saturating_sub(s.hold).as_secs_f64();
        let ok = s.environments >= SCALE_OUT_ENVS && s.ok >= SCALE_OUT_ENVS && t <= SCALE_OUT_S;
        writeln!(
            out,
            "| {SCALE_OUT_ENVS} environments in ≤ {SCALE_OUT_S} s | {t:.2} s ({} environments) | {} |",
            s.environments,
            met(ok)
        )?;
    } else {
        writeln!(
            out,
            "| {SCALE_OUT_ENVS} environments in ≤ {SCALE_OUT_S} s | {} environments only | not measured in this mode |",
            s.requested
        )?;
    }
    let overhead = m.overhead_kib();
    writeln!(
        out,
        "| ≤ 1 MiB per idle environment | {overhead:.0} KiB | {} |",
        met(overhead <= OVERHEAD_KIB)
    )?;
    match &r.sandbox_cold {
        Ok(h) => {
            let p50 = h.value_at_quantile(0.5);
            writeln!(
                out,
                "| sandboxed cold start p50 ≤ 8 ms | {} | {} |",
                us(p50),
                met(p50 <= 8000)
            )?;
        }
        Err(_) => writeln!(
            out,
            "| sandboxed cold start p50 ≤ 8 ms | - | not measured (see above) |"
        )?,
    }
    writeln!(
        out,
        "\n![Latency distributions, lamina against RIE](bench/results/latency.png)"
    )?;
    Ok(out)
}

/// Replaces the results section of `BENCHMARKS.md` (between the markers), keeping the rest; creates the
/// file when missing.
pub(crate) fn write_benchmarks_md(path: &Path, section: &str) -> Result<()> {
    let block = format!("{BEGIN}\n{section}{END}");
    let text = match std::fs::read_to_string(path) {
        Ok(existing) => match (existing.find(BEGIN), existing.find(END)) {
            (Some(b), Some(e)) if e > b => {
                format!("{}{block}{}", &existing[..b], &existing[e + END.len()..])
            }
            _ => format!("{existing}\n{block}\n"),
        },
        Err(_) => format!("# Benchmarks\n\n{block}\n"),
    };
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// A TrueType font for the chart's text (ab_glyph needs one registered; DejaVu ships with Debian).
fn register_font() -> Result<()> {
    let candidates = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ];
    let Some(bytes) = candidates.iter().find_map(|p| std::fs::read(p).ok()) else {
        bail!("no TrueType font found for the chart (install fonts-dejavu-core)");
    };
    // Registered once per process and used until it exits.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow::anyhow!("the font could not be read"))
}

/// Percentile curve points: (percentile as "nines" x, latency in µs).
fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    // x = -log10(1 - q): 0 at p0, 1 at p90, 2 at p99, 3 at p99.9.
    let mut points = Vec::new();
    let mut q = 0.0f64;
    while q <= 0.9999 {
        points.push((-(1.0 - q).log10(), h.value_at_quantile(q).max(1) as f64));
        q = 1.0 - (1.0 - q) * 0.95;
        if q > 0.0 && q < 0.01 {
            q = 0.01;
        }
    }
    points.push((4.0, h.max().max(1) as f64));
    points
}

/// One line of the chart: its label, its points, its colour.
type Series = (String, Vec<(f64, f64)>, RGBColor);

/// The latency distributions as percentile curves: lamina and RIE at concurrency 1, lamina at the
/// other concurrencies, cold starts.
pub(crate) fn chart(r: &Results, path: &Path) -> Result<()> {
    register_font()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut series: Vec<Series> = vec![(
        "lamina, concurrency 1".into(),
        curve(&r.warm.latency),
        RGBColor(31, 119, 180),
    )];
    if let Some(rie) = &r.rie {
        series.push((
            "RIE, concurrency 1".into(),
            curve(&rie.warm.latency),
            RGBColor(214, 39, 40),
        ));
    }
    let palette = [
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(255, 127, 14),
    ];
    for ((c, m), color) in r.levels.iter().zip(palette) {
        series.push((format!("lamina, concurrency {c}"), curve(&m.latency), color));
    }
    let y_max = series
        .iter()
        .flat_map(|(_, points, _)| points.iter().map(|p| p.1))
        .fold(10.0f64, f64::max)
        * 1.5;
    let root = BitMapBackend::new(path, (1100, 650)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Warm invoke latency by percentile: lamina vs RIE (aws-lambda-go hello)",
            ("sans-serif", 24),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..4f64, (5f64..y_max).log_scale())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("latency (µs, log scale)")
        .x_labels(5)
        .x_label_formatter(&|x| match x.round() as i64 {
            0 => "p0".into(),
            1 => "p90".into(),
            2 => "p99".into(),
            3 => "p99.9".into(),
            _ => "max".into(),
        })
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (name, points, color) in series {
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(3)))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
