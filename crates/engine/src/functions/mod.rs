//! The function operations, one file each: `create` (CreateFunction), `get` (GetFunction,
//! GetFunctionConfiguration, the package download), `list` (ListFunctions), `update_code`
//! (UpdateFunctionCode), `update_config` (UpdateFunctionConfiguration), `delete` (DeleteFunction),
//! `concurrency` (Put/Get/DeleteFunctionConcurrency), `tags` (TagResource, UntagResource, ListTags).
//! `config` holds the configuration members create and update share; `resolve` finds the record a
//! name and qualifier name.
//!
//! A new operation on functions is a new file here, an `impl Engine` block with one public method that
//! checks its input (`validation`, `config_rules`, `names`), reads through `rows`, and writes through
//! `writes` (`Engine::mutate` for a change of `$LATEST`).

mod concurrency;
mod config;
mod create;
mod delete;
mod get;
mod list;
pub(crate) mod resolve;
mod tags;
mod update_code;
mod update_config;

pub use get::FunctionView;
