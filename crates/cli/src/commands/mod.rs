//! One module per user command.

pub mod build;
pub mod inspect;
pub mod zip;
