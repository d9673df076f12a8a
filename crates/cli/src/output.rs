//! How commands print packages and findings, shared by `zip`, `build` and `inspect`.

use std::io::{self, Write};
use std::path::Path;

use lamina_package::{Report, WrittenPackage};

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `6.1 MiB`.
pub(crate) fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The lines printed after writing a package: where, how big, and its CodeSha256.
pub(crate) fn print_written(out: &mut impl Write, package: &WrittenPackage) -> io::Result<()> {
    writeln!(
        out,
        "wrote {} ({}, {} bytes)\nCodeSha256: {}",
        package.path.display(),
        human_size(package.size),
        thousands(package.size),
        package.code_sha256
    )
}

/// A report for people: a summary line, what bootstrap is, each finding and note.
pub(crate) fn print_report(out: &mut impl Write, path: &Path, report: &Report) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} bytes zipped, {} bytes unzipped, {} entr{}",
        path.display(),
        thousands(report.zipped_size),
        thousands(report.unzipped_size),
        report.entries,
        if report.entries == 1 { "y" } else { "ies" }
    )?;
    if let Some(bootstrap) = &report.bootstrap {
        writeln!(out, "bootstrap: {bootstrap}")?;
    }
    for finding in &report.findings {
        writeln!(out, "problem [{}]: {}", serde_kind(finding), finding.message)?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    match report.findings.len() {
        0 => writeln!(out, "deployable: no problems found"),
        1 => writeln!(out, "not deployable: 1 problem found"),
        n => writeln!(out, "not deployable: {n} problems found"),
    }
}

fn serde_kind(finding: &lamina_package::Finding) -> String {
    serde_json::to_value(finding.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(52_428_800), "52,428,800");
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(6 * 1024 * 1024 + 100 * 1024), "6.1 MiB");
    }
}
