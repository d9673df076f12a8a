//! Functions' log streams: what each execution environment's bootstrap prints, line by line, with the
//! platform's START, END and REPORT lines, one stream per environment, grouped per function as
//! CloudWatch Logs groups them (`/aws/lambda/<name>`, stream `2026/11/24/[$LATEST]<32 hex>`).
//!
//! The layout is this crate's alone: a log root (`<data-dir>/logs`, [`LOG_DIR`]) holds one folder per
//! log group, `<account>/<region>/<group folder>` ([`group_folder`]: a function's own group
//! `/aws/lambda/<function>` is the folder `<function>`; any other group, as a function's
//! `LoggingConfig.LogGroup` names it, is `%` and its name percent-encoded), and in it one file per stream,
//! `<date>-[<version>]<id>.log`, of lines `<RFC 3339 time>\t<message>`. The execution environments write
//! through [`LogStore`] and [`LogStream`]; `lamina logs` (and whatever else shows logs) reads through
//! [`LogStore::groups`], [`LogStore::streams`] and [`LogReader`], never through paths of its own.
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

pub use reader::{GroupFolder, LogEvent, LogReader, StreamFiles};
pub use store::{LogLimits, LogStore, LogStream, MAX_LINE_BYTES, TAIL_BYTES};

/// The log root's folder in a data directory.
pub const LOG_DIR: &str = "logs";

/// The prefix of a function's own log group (`/aws/lambda/<function>`).
pub const FUNCTION_GROUP_PREFIX: &str = "/aws/lambda/";

/// The folder of a function's own group's streams under the log root: `<account>/<region>/<function>`,
/// so functions of one name in two accounts (or regions) never share streams.
pub fn function_folder(account: &str, region: &str, function: &str) -> String {
    format!("{account}/{region}/{function}")
}

/// The folder of the log group `group`'s streams under the log root. A function's own group
/// (`/aws/lambda/<function>`) is [`function_folder`]; any other name is one folder `%<name>`, the name
/// percent-encoded (`/` as `%2F`), which no function name can be (they hold no `%`), so each group has
/// exactly one folder and [`LogStore::groups`] reads the name back from it.
pub fn group_folder(account: &str, region: &str, group: &str) -> String {
    match group.strip_prefix(FUNCTION_GROUP_PREFIX) {
        Some(function) if is_plain_folder(function) => function_folder(account, region, function),
        _ => format!("{account}/{region}/%{}", encode(group)),
    }
}

/// The group whose folder (its last component) is `folder`: the inverse of [`group_folder`].
pub(crate) fn group_of_folder(folder: &str) -> Option<String> {
    match folder.strip_prefix('%') {
        Some(encoded) => decode(encoded),
        None => Some(format!("{FUNCTION_GROUP_PREFIX}{folder}")),
    }
}

/// Whether `name` can be a folder of its own as it is: a function's name (no `/`, no `%`, not `.` or
/// `..`, not empty).
fn is_plain_folder(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '%'])
}

/// What [`encode`] leaves as it is: `[A-Za-z0-9._#-]`; every other byte becomes `%XX`.
const KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'_')
    .remove(b'#')
    .remove(b'-');

/// `name` with every byte but `[A-Za-z0-9._#-]` as `%XX`.
fn encode(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, KEPT).to_string()
}

/// The inverse of [`encode`]; `None` for text it cannot have made.
fn decode(encoded: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8().ok()?;
    (encode(&decoded) == encoded).then(|| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_group_has_one_folder_and_its_name_comes_back() {
        assert_eq!(group_folder("a", "r", "/aws/lambda/f"), "a/r/f");
        assert_eq!(
            group_folder("a", "r", "/aws/lambda/f"),
            function_folder("a", "r", "f")
        );
        assert_eq!(
            group_folder("a", "r", "/custom/app-logs"),
            "a/r/%%2Fcustom%2Fapp-logs"
        );
        for group in [
            "/aws/lambda/f",
            "/custom/app-logs",
            "plain",
            "/aws/lambda/..",
            "/aws/lambda/",
            "/aws/lambda/a/b",
            "x.#_-%",
        ] {
            let folder = group_folder("a", "r", group);
            let last = folder.rsplit('/').next().expect("a component");
            assert!(!last.is_empty() && last != "." && last != "..", "{folder}");
            assert_eq!(folder.matches('/').count(), 2, "{folder}");
            assert_eq!(group_of_folder(last).as_deref(), Some(group), "{folder}");
        }
        assert_eq!(group_of_folder("%%zz"), None);
    }
}
