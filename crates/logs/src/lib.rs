//! Functions' log streams: what each execution environment's bootstrap prints, line by line, with the
//! platform's START, END and REPORT lines, one stream per environment, grouped per function as
//! CloudWatch Logs groups them (`/aws/lambda/<name>`, stream `2026/11/24/[$LATEST]<32 hex>`).
//!
//! The layout is this crate's alone: a log root (`<data-dir>/logs`, [`LOG_DIR`]) holds one folder per
//! function, `<account>/<region>/<function>`, and in it one file per stream, `<date>-[<version>]<id>.log`,
//! of lines `<RFC 3339 time>\t<message>`. The execution environments write through [`LogStore`] and
//! [`LogStream`]; `lamina logs` (and whatever else shows logs) reads through [`LogStore::streams`] and
//! [`LogReader`], never through paths of its own.
//!
//! Streams are bounded: a stream's file rotates to `<file>.1` past a size limit (so a stream never
//! takes more than twice that), lines are cut at 256 KiB (CloudWatch's event limit), and a function
//! keeps a bounded number of streams, the oldest removed first. So a chatty function cannot fill the disk.
//!
//! ```
//! use lamina_logs::{LogLimits, LogStore};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = LogStore::new(dir.path().into(), LogLimits::default());
//! let folder = lamina_logs::function_folder("000000000000", "us-east-1", "hello");
//! let stream = store.open_stream(&folder, "$LATEST").unwrap();
//! stream.line("START RequestId: 1 Version: $LATEST");
//!
//! let mut reader = store.reader(&folder);
//! let events = reader.read_new().unwrap();
//! assert_eq!(events[0].message, "START RequestId: 1 Version: $LATEST");
//! assert_eq!(events[0].stream, stream.name());
//! ```

mod reader;
mod store;

pub use reader::{LogEvent, LogReader, StreamFiles};
pub use store::{LogLimits, LogStore, LogStream, MAX_LINE_BYTES, TAIL_BYTES};

/// The log root's folder in a data directory.
pub const LOG_DIR: &str = "logs";

/// The folder of a function's streams under the log root: `<account>/<region>/<function>`, so
/// functions of one name in two accounts (or regions) never share streams.
pub fn function_folder(account: &str, region: &str, function: &str) -> String {
    format!("{account}/{region}/{function}")
}
