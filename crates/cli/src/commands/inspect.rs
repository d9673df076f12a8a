//! `lamina inspect function.zip [--arch x86_64|arm64] [--json]`: every problem a Lambda deploy or first
//! invoke would hit, found before deploying.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use lamina_model::Architecture;
use lamina_package::{InspectOptions, Report, code_sha256_of_file, inspect_file};
use serde::Serialize;

use crate::output::print_report;

/// What `--json` prints.
#[derive(Serialize)]
struct JsonReport<'a> {
    path: &'a Path,
    deployable: bool,
    code_sha256: String,
    #[serde(flatten)]
    report: &'a Report,
}

/// Inspects `zip`, prints the report (as JSON with `json`), and returns it.
pub fn run(zip: &Path, arch: Option<Architecture>, json: bool, out: &mut impl Write) -> Result<Report> {
    let report = inspect_file(zip, &InspectOptions { arch }).with_context(|| format!("{}", zip.display()))?;
    if json {
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
