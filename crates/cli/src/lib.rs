//! lamina's user commands as a library, one module per command, each with its arguments as a `clap::Args`
//! struct (whose doc comment is the command's `--help`) and a `run` that takes them; the `lamina` binary
//! only lists the commands and dispatches.
//!
//! - [`commands::zip`]: package a `bootstrap` and other files into a deterministic deployment zip.
//! - [`commands::build`]: `go build` a function for Lambda and package it.
//! - [`commands::inspect`]: report what a Lambda deploy or first invoke would trip over in a zip.
//! - [`commands::invoke`]: invoke a function through the Lambda API and print its result and log tail.
//! - [`commands::logs`]: print (and follow) a function's log streams.
//! - [`commands::deploy`]: create or update the functions and layers of a SAM or CloudFormation template.
//!
//! `lamina-template` reads SAM and CloudFormation templates (with positions for errors) and translates
//! them into Lambda API terms; [`client`] talks to the Lambda API.

pub mod client;
pub mod commands;
pub mod data_dir;
mod output;
