//! One module per user command.

pub mod build;
pub mod deploy;
pub mod inspect;
pub mod invoke;
pub mod logs;
pub mod zip;
