//! Writing log streams: [`LogStore`] opens one [`LogStream`] per execution environment and keeps each
//! function's streams bounded.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Longest log line kept, in bytes (CloudWatch Logs' event size limit).
pub const MAX_LINE_BYTES: usize = 256 * 1024;
/// Bytes a tail keeps (`X-Amz-Log-Result` is the last 4 KB of the invocation's log).
pub const TAIL_BYTES: usize = 4096;

/// Limits of a [`LogStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// A stream's file rotates past this many bytes.
    pub max_stream_bytes: u64,
    /// Streams kept per function.
    pub max_streams_per_function: usize,
}

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            max_stream_bytes: 8 * 1024 * 1024,
            max_streams_per_function: 64,
        }
    }
}

/// The log directory: `<root>/<function>/<stream file>`.
#[derive(Debug, Clone)]
pub struct LogStore {
    root: PathBuf,
    limits: LogLimits,
}

impl LogStore {
    /// Logs under `root` (created on first use).
    pub fn new(root: PathBuf, limits: LogLimits) -> Self {
        LogStore { root, limits }
    }

    /// The log directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of a group's streams, `folder` as [`crate::group_folder`] names it.
    pub fn function_dir(&self, folder: &str) -> PathBuf {
        self.root.join(folder)
    }

    /// Opens a new stream in `folder` (a log group's, [`crate::group_folder`]) for an environment of a
    /// function at `version`.
    pub fn open_stream(&self, folder: &str, version: &str) -> io::Result<Arc<LogStream>> {
        let dir = self.function_dir(folder);
        fs::create_dir_all(&dir)?;
        self.prune(folder)?;
        let now = chrono::Utc::now();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{}/[{version}]{id}", now.format("%Y/%m/%d"));
        let path = dir.join(file_name(&name));
        let file = OpenOptions::new().create_new(true).append(true).open(&path)?;
        Ok(Arc::new(LogStream {
            name,
            path,
            max_bytes: self.limits.max_stream_bytes,
            state: Mutex::new(StreamState {
                file,
                written: 0,
                capture: None,
            }),
        }))
    }

    /// The stream files in `folder` (rotated parts first), oldest first.
    pub fn stream_files(&self, folder: &str) -> io::Result<Vec<PathBuf>> {
        let dir = self.function_dir(folder);
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = match fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        files.sort();
        Ok(files.into_iter().map(|(_, p)| p).collect())
    }

    /// Removes the oldest streams of `folder` so that one more fits in its bound.
    fn prune(&self, folder: &str) -> io::Result<()> {
        let streams: Vec<PathBuf> = self
            .stream_files(folder)?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        let excess = (streams.len() + 1).saturating_sub(self.limits.max_streams_per_function);
        for old in streams.iter().take(excess) {
            let _ = fs::remove_file(old);
            let _ = fs::remove_file(rotated(old));
        }
        Ok(())
    }
}

/// The file of the stream `2026/11/24/[$LATEST]abc`: `2026-11-24-[$LATEST]abc.log` (a stream name
/// holds slashes; a file name cannot).
fn file_name(stream: &str) -> String {
    match stream.split_once('[') {
        Some((date, rest)) => format!("{}[{rest}.log", date.replace('/', "-")),
        None => format!("{stream}.log"),
    }
}

/// The stream whose current file is `file` (the inverse of [`file_name`]).
pub(crate) fn stream_name(file: &Path) -> String {
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.split_once('[') {
        Some((date, rest)) => format!("{}[{rest}", date.replacen('-', "/", 3)),
        None => name,
    }
}

/// The part a stream's file rotated to: `<file>.1`.
pub(crate) fn rotated(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

/// One environment's log stream. Lines are written as `<RFC 3339 time>\t<message>`.
#[derive(Debug)]
pub struct LogStream {
    name: String,
    path: PathBuf,
    max_bytes: u64,
    state: Mutex<StreamState>,
}

#[derive(Debug)]
struct StreamState {
    file: File,
    written: u64,
    /// The lines of the invocation in progress, while a tail is wanted.
    capture: Option<Vec<u8>>,
}

impl LogStream {
    /// The stream's name (`AWS_LAMBDA_LOG_STREAM_NAME`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file it is written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line. Write failures are logged and otherwise ignored: a full disk must not fail
    /// invocations.
    pub fn line(&self, message: &str) {
        self.lines(&[message]);
    }

    /// Appends lines, with one time and in one write.
    pub fn lines(&self, messages: &[&str]) {
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut record = Vec::new();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for message in messages {
            let message = cut(message, MAX_LINE_BYTES);
            if let Some(capture) = &mut state.capture {
                capture.extend_from_slice(message.as_bytes());
                capture.push(b'\n');
                if capture.len() > 2 * TAIL_BYTES {
                    capture.drain(..capture.len() - TAIL_BYTES);
                }
            }
            record.extend_from_slice(time.as_bytes());
            record.push(b'\t');
            record.extend_from_slice(message.as_bytes());
            record.push(b'\n');
        }
        if let Err(e) = self.write(&mut state, &record) {
            tracing::warn!(stream = %self.name, "cannot write the log stream: {e}");
        }
    }

    fn write(&self, state: &mut StreamState, record: &[u8]) -> io::Result<()> {
        if state.written + record.len() as u64 > self.max_bytes {
            fs::rename(&self.path, rotated(&self.path))?;
            state.file = OpenOptions::new().create(true).append(true).open(&self.path)?;
            state.written = 0;
        }
        state.file.write_all(record)?;
        state.written += record.len() as u64;
        Ok(())
    }

    /// Starts keeping the lines of an invocation for its tail.
    pub fn begin_capture(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).capture = Some(Vec::new());
    }

    /// Stops keeping lines and returns the last [`TAIL_BYTES`] of those kept.
    pub fn end_capture(&self) -> Vec<u8> {
        let captured = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .capture
            .take()
            .unwrap_or_default();
        let start = captured.len().saturating_sub(TAIL_BYTES);
        captured[start..].to_vec()
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_and_keeps_a_bounded_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LogStore::new(
            dir.path().into(),
            LogLimits {
                max_stream_bytes: 10_000,
                max_streams_per_function: 3,
            },
        );
        let stream = store.open_stream("f", "$LATEST").expect("open");
        assert!(stream.name().contains("/[$LATEST]"), "{}", stream.name());
        stream.begin_capture();
        for i in 0..1000 {
            stream.line(&format!("line {i:04} {}", "x".repeat(40)));
        }
        let tail = stream.end_capture();
        assert!(tail.len() <= TAIL_BYTES);
        assert!(String::from_utf8_lossy(&tail).ends_with(&format!("line 0999 {}\n", "x".repeat(40))));
        let current = fs::metadata(stream.path()).expect("stat").len();
        let old = fs::metadata(rotated(stream.path())).expect("rotated").len();
        assert!(current <= 10_000 && old <= 10_000, "{current} {old}");
    }

    #[test]
    fn keeps_a_bounded_number_of_streams() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LogStore::new(
            dir.path().into(),
            LogLimits {
                max_stream_bytes: 1000,
                max_streams_per_function: 3,
            },
        );
        for folder in ["f", "a/r/f", "a/r/%2Fshared"] {
            for _ in 0..5 {
                store.open_stream(folder, "1").expect("open").line("hello");
            }
            assert_eq!(store.stream_files(folder).expect("list").len(), 3, "{folder}");
        }
    }

    #[test]
    fn stream_names_and_file_names_correspond() {
        let name = "2026/11/24/[$LATEST]abc";
        assert_eq!(file_name(name), "2026-11-24-[$LATEST]abc.log");
        assert_eq!(stream_name(Path::new("/x").join(file_name(name)).as_path()), name);
    }

    #[test]
    fn cuts_long_lines_on_character_boundaries() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("héllo", 3), "hé");
        assert_eq!(cut("abc", 10), "abc");
    }
}
