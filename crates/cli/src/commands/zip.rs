//! `lamina zip -o function.zip bootstrap [FILE|DIR ...]`: what AWS's `build-lambda-zip` does, on every
//! host: `bootstrap` at the root with mode 0755, other files with 0755 or 0644, deterministic bytes.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use lamina_package::{InspectOptions, PackageBuilder, WrittenPackage, inspect_file};

use crate::output::{print_report, print_written};

/// Packages `bootstrap` (stored as `bootstrap` whatever its file name) and `paths` into `output`, prints
/// the package's size and CodeSha256, and any problem `lamina inspect` would report.
pub fn run(
    output: &Path,
    bootstrap: &Path,
    paths: &[impl AsRef<Path>],
    out: &mut impl Write,
) -> Result<WrittenPackage> {
    let mut package = PackageBuilder::with_bootstrap(bootstrap)?;
    for path in paths {
        package.add_path(path.as_ref())?;
    }
    let written = package.write_file(output)?;
    print_written(out, &written)?;
    warn_about_problems(&written.path, &InspectOptions::default(), out)?;
    Ok(written)
}

/// Prints the findings of an inspection of a package just written, if there are any.
pub(crate) fn warn_about_problems(path: &Path, options: &InspectOptions, out: &mut impl Write) -> Result<()> {
    let report = inspect_file(path, options).with_context(|| format!("inspecting {}", path.display()))?;
    if !report.is_deployable() {
        writeln!(out)?;
        print_report(out, path, &report)?;
    }
    Ok(())
}
