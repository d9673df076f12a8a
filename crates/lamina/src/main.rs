//! The `lamina` command: the subcommands and dispatch. Each command owns its arguments (a `clap::Args`
//! struct in `lamina_cli::commands`, or `serve::ServeArgs`) and does its work in a library crate; this file
//! only maps results to exit codes.

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lamina_cli::commands;

#[cfg(unix)]
mod gateway;
#[cfg(unix)]
mod http;
#[cfg(unix)]
mod serve;

/// A self-hosted, AWS-Lambda-compatible function platform.
#[derive(Debug, Parser)]
#[command(name = "lamina", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands, in the order `lamina --help` lists them; each one's help is its arguments' doc comment.
#[derive(Debug, Subcommand)]
enum Command {
    Zip(commands::zip::ZipOptions),
    Build(commands::build::BuildOptions),
    Invoke(commands::invoke::InvokeOptions),
    Deploy(commands::deploy::DeployOptions),
    Logs(commands::logs::LogsOptions),
    Inspect(commands::inspect::InspectOptions),
    #[cfg(unix)]
    Serve(serve::ServeArgs),
}

/// Exit 1 when `failed` (a package not deployable, a function error, problems found), else 0.
fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    // `lamina sandbox-init` is the freshly exec'd helper that isolates one execution environment and
    // then execs its bootstrap. It runs before clap, threads or an async runtime exist.
    #[cfg(target_os = "linux")]
    if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new("sandbox-init")) {
        lamina_sandbox::init::run_from_args(std::env::args_os().skip(2));
    }
    let cli = Cli::parse();
    let mut stdout = io::stdout().lock();
    // Errors exit 1, except for `inspect`, where 1 means "problems found" and errors exit 2.
    let error_code = match cli.command {
        Command::Inspect(_) => 2,
        _ => 1,
    };
    let result = match cli.command {
        Command::Zip(options) => {
            commands::zip::run(&options, &mut stdout).map(|packaged| exit_code(!packaged.deployable))
        }
        Command::Build(options) => {
            commands::build::run(&options, &mut stdout).map(|packaged| exit_code(!packaged.deployable))
        }
        Command::Invoke(options) => {
            commands::invoke::run(&options, &mut stdout, &mut io::stderr()).map(exit_code)
        }
        Command::Deploy(options) => commands::deploy::run(&options, &mut stdout).map(|_| ExitCode::SUCCESS),
        Command::Logs(options) => commands::logs::run(&options, &mut stdout).map(|()| ExitCode::SUCCESS),
        Command::Inspect(options) => commands::inspect::run(&options, &mut stdout)
            .map(|report| exit_code(!report.is_deployable()))
            .map_err(|e| e.context("cannot inspect")),
        #[cfg(unix)]
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(error_code)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn each_command_parses_its_own_arguments() {
        let cli = Cli::try_parse_from([
            "lamina",
            "deploy",
            "--param",
            "A=1",
            "--param",
            "B=x=y",
            "--dry-run",
        ])
        .expect("deploy");
        let Command::Deploy(options) = cli.command else {
            panic!("not deploy: {cli:?}");
        };
        assert_eq!(
            options.parameters,
            [
                ("A".to_owned(), "1".to_owned()),
                ("B".to_owned(), "x=y".to_owned())
            ]
        );
        assert!(options.dry_run && options.template.is_none());
        let cli = Cli::try_parse_from(["lamina", "build", "--arch", "arm64"]).expect("build");
        let Command::Build(options) = cli.command else {
            panic!("not build: {cli:?}");
        };
        assert_eq!(options.arch, lamina_model::Architecture::Arm64);
        assert_eq!(options.output, std::path::Path::new("function.zip"));
        assert!(Cli::try_parse_from(["lamina", "inspect", "f.zip", "--arch", "X86_64"]).is_err());
    }
}
