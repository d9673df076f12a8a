//! `lamina inspect function.zip [--arch x86_64|arm64] [--json]`: every problem a Lambda deploy or first
//! invoke would hit, found before deploying.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use lamina_model::Architecture;
use lamina_package::{Report, code_sha256_of_file, inspect_file};
use serde::Serialize;

use crate::output::print_report;

/// Report every problem a Lambda deploy or first invoke would hit in a deployment zip.
///
/// Exits 0 when the package is deployable, 1 when problems were found, 2 when it cannot be read.
#[derive(Debug, Clone, clap::Args)]
pub struct InspectOptions {
    /// The deployment zip.
    pub zip: PathBuf,
    /// The function's architecture: a bootstrap built for another one is a problem.
    #[arg(long, value_parser = super::architecture_parser())]
    pub arch: Option<Architecture>,
    /// Print a machine-readable report.
    #[arg(long)]
    pub json: bool,
}

/// What `--json` prints.
#[derive(Serialize)]
struct JsonReport<'a> {
    path: &'a Path,
    deployable: bool,
    code_sha256: String,
    #[serde(flatten)]
    report: &'a Report,
}

/// Inspects the zip, prints the report (as JSON with `--json`), and returns it.
pub fn run(options: &InspectOptions, out: &mut impl Write) -> Result<Report> {
    let zip = options.zip.as_path();
    let report = inspect_file(zip, &lamina_package::InspectOptions { arch: options.arch })
        .with_context(|| format!("{}", zip.display()))?;
    if options.json {
        let code_sha256 = code_sha256_of_file(zip).with_context(|| format!("{}", zip.display()))?;
        let doc = JsonReport {
            path: zip,
            deployable: report.is_deployable(),
            code_sha256,
            report: &report,
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        print_report(out, zip, &report)?;
    }
    Ok(report)
}
