//! `lamina build [DIR] --arch x86_64|arm64 [-o function.zip]`: the build AWS documents for Go functions
//! on `provided.al2023`, then `lamina zip`.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use lamina_model::Architecture;
use lamina_package::{InspectOptions, PackageBuilder};

use super::zip::Packaged;
use crate::output::print_written;

/// Environment variable naming the `go` binary to use (default: `go` on `PATH`).
pub const GO_ENV: &str = "LAMINA_GO";

/// Build a Go function for Lambda (provided.al2023) and package it.
///
/// Runs `go build -tags lambda.norpc -trimpath -o bootstrap` with GOOS=linux, the matching GOARCH and
/// CGO_ENABLED=0, then zips the result as `lamina zip` does (exit 1 when the zip is not deployable).
#[derive(Debug, Clone, clap::Args)]
pub struct BuildOptions {
    /// The Go package to build.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The function's architecture.
    #[arg(long, default_value = "x86_64", value_parser = super::architecture_parser())]
    pub arch: Architecture,
    /// Where to write the zip.
    #[arg(short, long, default_value = "function.zip")]
    pub output: PathBuf,
}

/// Runs `go build` with `GOOS=linux`, the matching `GOARCH`, `CGO_ENABLED=0`, `-tags lambda.norpc` and
/// `-trimpath`, writing `bootstrap`, then packages it. Go's own output reaches the user untouched.
pub fn run(options: &BuildOptions, out: &mut impl Write) -> Result<Packaged> {
    let work = tempfile::tempdir().context("creating a build directory")?;
    let bootstrap = work.path().join("bootstrap");
    go_build(&options.dir, options.arch, &bootstrap)?;
    let written = PackageBuilder::with_bootstrap(&bootstrap)?.write_file(&options.output)?;
    print_written(out, &written)?;
    let deployable = super::zip::warn_about_problems(
        &written.path,
        &InspectOptions {
            arch: Some(options.arch),
        },
        out,
    )?;
    Ok(Packaged { written, deployable })
}

/// Builds the Go package in `dir` for `arch` into the executable `bootstrap`, as [`run`] does (also
/// used by `lamina deploy` for `BuildMethod: go1.x`).
pub(crate) fn go_build(dir: &Path, arch: Architecture, bootstrap: &Path) -> Result<()> {
    // Checked first: the build runs in `dir`, and a missing working directory fails the start of `go`
    // with the same error as a missing `go`.
    if !dir.is_dir() {
        bail!(
            "'{}' is not a directory: give the folder of the Go main package to build",
            dir.display()
        );
    }
    let go = std::env::var_os(GO_ENV).unwrap_or_else(|| OsString::from("go"));
    let status = go_build_command(&go, dir, arch, bootstrap).status();
    match status {
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!(
            "the Go toolchain was not found ('{}' is not on PATH). Install Go from https://go.dev/dl/ or \
             set {GO_ENV} to the go binary.",
            go.to_string_lossy()
        ),
        Err(e) => Err(e).with_context(|| format!("running '{}'", go.to_string_lossy())),
        Ok(status) if !status.success() => bail!("go build failed ({status})"),
        Ok(_) => Ok(()),
    }
}

/// The `go build` invocation, exactly as AWS documents it for `provided.al2023`.
fn go_build_command(go: &std::ffi::OsStr, dir: &Path, arch: Architecture, bootstrap: &Path) -> Command {
    let mut command = Command::new(go);
    command
        .current_dir(dir)
        .env("GOOS", "linux")
        .env("GOARCH", arch.go_arch())
        .env("CGO_ENABLED", "0")
        .args(["build", "-tags", "lambda.norpc", "-trimpath", "-o"])
        .arg(bootstrap)
        .arg(".");
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_as_aws_documents() {
        let command = go_build_command(
            "go".as_ref(),
            Path::new("fn"),
            Architecture::Arm64,
            Path::new("/t/bootstrap"),
        );
        let args: Vec<_> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "build",
                "-tags",
                "lambda.norpc",
                "-trimpath",
                "-o",
                "/t/bootstrap",
                "."
            ]
        );
        let envs: Vec<_> = command
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(envs.contains(&("GOOS".into(), Some("linux".into()))));
        assert!(envs.contains(&("GOARCH".into(), Some("arm64".into()))));
        assert!(envs.contains(&("CGO_ENABLED".into(), Some("0".into()))));
        assert_eq!(command.get_current_dir(), Some(Path::new("fn")));
    }
}
