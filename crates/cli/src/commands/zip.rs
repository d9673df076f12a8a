//! `lamina zip -o function.zip bootstrap [FILE|DIR ...]`: what AWS's `build-lambda-zip` does, on every
//! host: `bootstrap` at the root with mode 0755, other files with 0755 or 0644, deterministic bytes.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use lamina_package::{InspectOptions, PackageBuilder, WrittenPackage, inspect_file};

use crate::output::{print_report, print_written};

/// A package written by `lamina zip` or `lamina build`, and whether `lamina inspect` finds it deployable
/// (the commands exit non-zero when it is not, so a script stops before deploying it).
#[derive(Debug)]
pub struct Packaged {
    /// The zip that was written.
    pub written: WrittenPackage,
    /// No problem was found that would stop the function from deploying or starting.
    pub deployable: bool,
}

/// Packages `bootstrap` (stored as `bootstrap` whatever its file name) and `paths` into `output`, prints
/// the package's size and CodeSha256, and any problem `lamina inspect` would report.
pub fn run(
    output: &Path,
    bootstrap: &Path,
    paths: &[impl AsRef<Path>],
    out: &mut impl Write,
) -> Result<Packaged> {
    let mut package = PackageBuilder::with_bootstrap(bootstrap)?;
    for path in paths {
        package.add_path(path.as_ref())?;
    }
    let written = package.write_file(output)?;
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
