//! One module per user command. Each owns its arguments (a `clap::Args` struct, whose doc comment is the
//! command's help) and a `run` that takes them; the `lamina` binary only dispatches.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use lamina_model::Architecture;

pub mod build;
pub mod deploy;
pub mod inspect;
pub mod invoke;
pub mod logs;
pub mod zip;

/// Parses `--arch`: exactly Lambda's names, listed in `--help` and in the error for anything else.
pub(crate) fn architecture_parser() -> impl TypedValueParser<Value = Architecture> {
    PossibleValuesParser::new(Architecture::ALL.map(Architecture::as_str)).map(|s| {
        s.parse::<Architecture>()
            .expect("restricted to the possible values")
    })
}
