//! `lamina zip -o function.zip bootstrap [FILE|DIR ...]`: what AWS's `build-lambda-zip` does, on every
//! host: `bootstrap` at the root with mode 0755, other files with 0755 or 0644, deterministic bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use lamina_package::{InspectOptions, PackageBuilder, WrittenPackage, inspect_file};

use crate::output::{print_report, print_written};

/// Package a bootstrap and other files into a Lambda deployment zip (what build-lambda-zip does).
///
/// The first file is stored as `bootstrap` at the root with mode 0755; other files keep their
/// relative path, with 0755 if executable and 0644 otherwise; folders are added recursively. The
/// same inputs always give the same bytes, so CodeSha256 is stable across machines. Exits 1 when
/// the zip is written but `lamina inspect` finds it not deployable.
#[derive(Debug, Clone, clap::Args)]
pub struct ZipOptions {
    /// Where to write the zip.
    #[arg(short, long, default_value = "function.zip")]
    pub output: PathBuf,
    /// The executable Lambda starts (stored as `bootstrap`).
    pub bootstrap: PathBuf,
    /// More files or folders to include.
    pub paths: Vec<PathBuf>,
}

/// A package written by `lamina zip` or `lamina build`, and whether `lamina inspect` finds it deployable
/// (the commands exit non-zero when it is not, so a script stops before deploying it).
#[derive(Debug)]
pub struct Packaged {
    /// The zip that was written.
    pub written: WrittenPackage,
    /// No problem was found that would stop the function from deploying or starting.
    pub deployable: bool,
}

/// Packages the bootstrap (stored as `bootstrap` whatever its file name) and the other paths into the
/// output zip, prints the package's size and CodeSha256, and any problem `lamina inspect` would report.
pub fn run(options: &ZipOptions, out: &mut impl Write) -> Result<Packaged> {
    let mut package = PackageBuilder::with_bootstrap(&options.bootstrap)?;
    for path in &options.paths {
        package.add_path(path)?;
    }
    let written = package.write_file(&options.output)?;
    print_written(out, &written)?;
    let deployable = warn_about_problems(&written.path, &InspectOptions::default(), out)?;
    Ok(Packaged { written, deployable })
}

/// Prints the findings of an inspection of a package just written, if there are any, and says whether
/// it is deployable.
pub(crate) fn warn_about_problems(
    path: &Path,
    options: &InspectOptions,
    out: &mut impl Write,
) -> Result<bool> {
    let report = inspect_file(path, options).with_context(|| format!("inspecting {}", path.display()))?;
    if !report.is_deployable() {
        writeln!(out)?;
        print_report(out, path, &report)?;
    }
    Ok(report.is_deployable())
}
