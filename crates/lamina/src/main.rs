//! The `lamina` command: argument parsing and dispatch. The work is done by the library crates.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use lamina_cli::commands;
use lamina_model::Architecture;

#[cfg(unix)]
mod serve;

/// A self-hosted, AWS-Lambda-compatible function platform.
#[derive(Debug, Parser)]
#[command(name = "lamina", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Package a bootstrap and other files into a Lambda deployment zip (what build-lambda-zip does).
    ///
    /// The first file is stored as `bootstrap` at the root with mode 0755; other files keep their
    /// relative path, with 0755 if executable and 0644 otherwise; folders are added recursively. The
    /// same inputs always give the same bytes, so CodeSha256 is stable across machines. Exits 1 when
    /// the zip is written but `lamina inspect` finds it not deployable.
    Zip {
        /// Where to write the zip.
        #[arg(short, long, default_value = "function.zip")]
        output: PathBuf,
        /// The executable Lambda starts (stored as `bootstrap`).
        bootstrap: PathBuf,
        /// More files or folders to include.
        paths: Vec<PathBuf>,
    },
    /// Build a Go function for Lambda (provided.al2023) and package it.
    ///
    /// Runs `go build -tags lambda.norpc -trimpath -o bootstrap` with GOOS=linux, the matching GOARCH and
    /// CGO_ENABLED=0, then zips the result as `lamina zip` does (exit 1 when the zip is not deployable).
    Build {
        /// The Go package to build.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The function's architecture.
        #[arg(long, default_value = "x86_64", value_parser = arch_parser())]
        arch: Architecture,
        /// Where to write the zip.
        #[arg(short, long, default_value = "function.zip")]
        output: PathBuf,
    },
    /// Invoke a function synchronously and print its result, with the tail of its log on stderr.
    ///
    /// Talks to the Lambda API at --endpoint-url (else AWS_ENDPOINT_URL, else http://127.0.0.1:9001).
    /// Exits 1 when the function returned an error.
    Invoke {
        /// Function name or ARN (`name:qualifier` works too).
        function: String,
        /// The event as JSON, or @path to read it from a file [default: {}].
        #[arg(long)]
        payload: Option<String>,
        /// A version or alias.
        #[arg(long)]
        qualifier: Option<String>,
        /// The Lambda API endpoint.
        #[arg(long)]
        endpoint_url: Option<String>,
        /// The region to sign for [default: AWS_REGION, else us-east-1].
        #[arg(long)]
        region: Option<String>,
    },
    /// Create or update the functions and layers of a SAM or CloudFormation template.
    ///
    /// Reads YAML or JSON templates (intrinsic functions, Globals, Parameters, Conditions, and what
    /// `sam build` writes in .aws-sam/build/template.yaml), builds `BuildMethod: go1.x` functions with
    /// `lamina build`, zips other code folders, prints the plan (create / update / unchanged /
    /// skipped) and applies it through the Lambda API at --endpoint-url (else AWS_ENDPOINT_URL, else
    /// http://127.0.0.1:9001). Functions and layers are named by their FunctionName / LayerName
    /// property, else by their logical id.
    Deploy {
        /// The template [default: .aws-sam/build/template.yaml when `sam build` wrote one, else
        /// template.yaml, else template.yml].
        #[arg(short, long)]
        template: Option<PathBuf>,
        /// A template parameter, KEY=VALUE (repeatable); overrides its Default.
        #[arg(long = "param", value_name = "KEY=VALUE", value_parser = commands::deploy::parse_parameter)]
        params: Vec<(String, String)>,
        /// The stack name (AWS::StackName) [default: the template's project folder].
        #[arg(long)]
        stack_name: Option<String>,
        /// Print the plan without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// The Lambda API endpoint.
        #[arg(long)]
        endpoint_url: Option<String>,
        /// The region to deploy to [default: AWS_REGION, else us-east-1].
        #[arg(long)]
        region: Option<String>,
    },
    /// Print a function's logs (START/END/REPORT and everything it printed), oldest first.
    Logs {
        /// The function's name.
        function: String,
        /// The function's account (the key's account that created it).
        #[arg(long, default_value = "000000000000")]
        account_id: String,
        /// The function's region.
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Keep printing new lines as they are written.
        #[arg(short, long)]
        follow: bool,
        /// The server's data directory [default: $XDG_DATA_HOME/lamina or ~/.local/share/lamina].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Report every problem a Lambda deploy or first invoke would hit in a deployment zip.
    ///
    /// Exits 0 when the package is deployable, 1 when problems were found, 2 when it cannot be read.
    Inspect {
        /// The deployment zip.
        zip: PathBuf,
        /// The function's architecture: a bootstrap built for another one is a problem.
        #[arg(long, value_parser = arch_parser())]
        arch: Option<Architecture>,
        /// Print a machine-readable report.
        #[arg(long)]
        json: bool,
    },
    /// Serve the AWS Lambda API (2015-03-31) for the AWS CLI, the SDKs and SAM.
    ///
    /// State (SQLite metadata, content-addressed code) lives in the data directory and survives
    /// restarts and crashes. Every request must be signed (SigV4) by a known access key: the region is
    /// the signature's, the account the key's (see --credentials; test/test when none is given).
    #[cfg(unix)]
    Serve(serve::ServeArgs),
}

fn arch_parser() -> impl TypedValueParser<Value = Architecture> {
    PossibleValuesParser::new(Architecture::ALL.map(Architecture::as_str)).map(|s| {
        s.parse::<Architecture>()
            .expect("restricted to the possible values")
    })
}

/// `lamina zip` and `lamina build` exit 1 when the package they wrote is not deployable.
fn packaged_exit_code(packaged: commands::zip::Packaged) -> ExitCode {
    if packaged.deployable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
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
        Command::Inspect { .. } => 2,
        _ => 1,
    };
    let result = match cli.command {
        Command::Zip {
            output,
            bootstrap,
            paths,
        } => commands::zip::run(&output, &bootstrap, &paths, &mut stdout).map(packaged_exit_code),
        Command::Build { dir, arch, output } => {
            let options = commands::build::BuildOptions { dir, arch, output };
            commands::build::run(&options, &mut stdout).map(packaged_exit_code)
        }
        #[cfg(unix)]
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Invoke {
            function,
            payload,
            qualifier,
            endpoint_url,
            region,
        } => {
            let endpoint = lamina_cli::client::Endpoint::from_env(endpoint_url, region);
            let options = commands::invoke::InvokeOptions {
                function,
                payload,
                qualifier,
            };
            commands::invoke::run(&endpoint, &options, &mut stdout, &mut io::stderr()).map(|function_error| {
                if function_error {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                }
            })
        }
        Command::Deploy {
            template,
            params,
            stack_name,
            dry_run,
            endpoint_url,
            region,
        } => {
            let endpoint = lamina_cli::client::Endpoint::from_env(endpoint_url, region);
            let options = commands::deploy::DeployOptions {
                template: template
                    .unwrap_or_else(|| commands::deploy::default_template(std::path::Path::new(""))),
                parameters: params,
                stack_name,
                dry_run,
            };
            commands::deploy::run(&endpoint, &options, &mut stdout).map(|_| ExitCode::SUCCESS)
        }
        Command::Logs {
            function,
            account_id,
            region,
            follow,
            data_dir,
        } => {
            let data_dir = data_dir.unwrap_or_else(lamina_cli::data_dir::default_data_dir);
            commands::logs::run(&data_dir, &account_id, &region, &function, follow, &mut stdout)
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Inspect { zip, arch, json } => commands::inspect::run(&zip, arch, json, &mut stdout)
            .map(|report| {
                if report.is_deployable() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            })
            .map_err(|e| e.context("cannot inspect")),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(error_code)
        }
    }
}
