//! The operations on published versions: `publish` (PublishVersion) and `list`
//! (ListVersionsByFunction). A version is a frozen copy of `$LATEST`'s record
//! (`FunctionRecord::publish_next`); GetFunction and Invoke read one through `functions::resolve`, and
//! DeleteFunction with a qualifier deletes one.

mod list;
mod publish;
