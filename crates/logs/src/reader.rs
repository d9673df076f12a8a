//! Reading log streams: the one reader of what [`crate::LogStore`] writes, for `lamina logs` (and the
//! CloudWatch Logs API and the console when the server offers them).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::SystemTime;

use crate::store::{LogStore, rotated, stream_name};

/// One stream's files, in the order they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFiles {
    /// The stream's name (`2026/11/24/[$LATEST]<32 hex>`).
    pub name: String,
    /// Its rotated part (if any), then its current file.
    pub files: Vec<PathBuf>,
}

impl StreamFiles {
    /// Every line of the stream, in order (its rotated part first).
    pub fn events(&self) -> io::Result<Vec<LogEvent>> {
        let mut events = Vec::new();
        for path in &self.files {
            let text = match fs::read(path) {
                Ok(text) => text,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            events.extend(
                String::from_utf8_lossy(&text[..complete])
                    .lines()
                    .map(|line| parse_line(&self.name, line)),
            );
        }
        Ok(events)
    }

    /// The time of the first and of the last complete line (RFC 3339), read from the ends of the files
    /// only; `None` for an empty stream.
    pub fn bounds(&self) -> io::Result<Option<(String, String)>> {
        let mut first = None;
        let mut last = None;
        for path in &self.files {
            let Some((head, tail)) = file_bounds(path)? else {
                continue;
            };
            first.get_or_insert(head);
            last = Some(tail);
        }
        Ok(first.zip(last))
    }
}

/// A log group that has streams, and the folder they are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFolder {
    /// The group's name (`/aws/lambda/<function>`, or a function's `LoggingConfig.LogGroup`).
    pub name: String,
    /// Its folder under the log root ([`crate::group_folder`]).
    pub folder: String,
}

/// One line of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When it was written (RFC 3339, milliseconds, UTC).
    pub timestamp: String,
    /// The stream it belongs to.
    pub stream: String,
    /// The line, without its newline.
    pub message: String,
}

impl LogStore {
    /// The streams in `folder` (`<account>/<region>/<function>`), oldest first (by when each began).
    pub fn streams(&self, folder: &str) -> io::Result<Vec<StreamFiles>> {
        let dir = self.function_dir(folder);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut streams: Vec<(SystemTime, StreamFiles)> = Vec::new();
        for entry in entries {
            let current = entry?.path();
            if current.extension().is_none_or(|e| e != "log") {
                continue;
            }
            let part = rotated(&current);
            // A stream began when its oldest file was created; a rotated part is that file, renamed.
            let oldest = if part.exists() { &part } else { &current };
            let Ok(meta) = fs::metadata(oldest) else { continue };
            let began = meta.created().or_else(|_| meta.modified())?;
            let mut files = Vec::with_capacity(2);
            if part.exists() {
                files.push(part);
            }
            let name = stream_name(&current);
            files.push(current);
            streams.push((began, StreamFiles { name, files }));
        }
        streams.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.name.cmp(&y.name)));
        Ok(streams.into_iter().map(|(_, s)| s).collect())
    }

    /// The log groups of `account` in `region` that have a folder of streams, by name.
    pub fn groups(&self, account: &str, region: &str) -> io::Result<Vec<GroupFolder>> {
        let dir = self.root().join(account).join(region);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut groups = Vec::new();
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir()
                && let Some(name) = entry.file_name().to_str()
                && let Some(group) = crate::group_of_folder(name)
            {
                groups.push(GroupFolder {
                    folder: format!("{account}/{region}/{name}"),
                    name: group,
                });
            }
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(groups)
    }

    /// Every line of the stream `name` in `folder`, in order (its rotated part first); `None` when
    /// there is no such stream.
    pub fn stream_events(&self, folder: &str, name: &str) -> io::Result<Option<Vec<LogEvent>>> {
        match self.streams(folder)?.into_iter().find(|s| s.name == name) {
            Some(stream) => stream.events().map(Some),
            None => Ok(None),
        }
    }

    /// Removes every stream in `folder` (a deleted log group).
    pub fn remove_streams(&self, folder: &str) -> io::Result<()> {
        match fs::remove_dir_all(self.function_dir(folder)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// A reader of the lines in `folder`'s streams, from the first.
    pub fn reader(&self, folder: &str) -> LogReader {
        LogReader {
            store: self.clone(),
            folder: folder.to_owned(),
            offsets: HashMap::new(),
        }
    }
}

/// Reads a function's streams as they grow: each call returns the complete lines written since the
/// previous one. Positions are kept per file identity (device and inode), not per path, so a file that
/// rotates (renamed to `.1`) is read on from where it was, and its successor from its start.
#[derive(Debug)]
pub struct LogReader {
    store: LogStore,
    folder: String,
    offsets: HashMap<FileId, u64>,
}

impl LogReader {
    /// The complete lines written since the last call (every line at the first), stream by stream,
    /// oldest stream first. A line still being written is returned once it is complete.
    pub fn read_new(&mut self) -> io::Result<Vec<LogEvent>> {
        let mut events = Vec::new();
        for stream in self.store.streams(&self.folder)? {
            for path in &stream.files {
                let mut file = match File::open(path) {
                    Ok(f) => f,
                    // Pruned or rotated away since it was listed.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                let meta = file.metadata()?;
                let offset = self.offsets.entry(FileId::of(&meta)).or_insert(0);
                if meta.len() <= *offset {
                    continue;
                }
                file.seek(SeekFrom::Start(*offset))?;
                let mut text = Vec::new();
                file.read_to_end(&mut text)?;
                let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                *offset += complete as u64;
                events.extend(
                    String::from_utf8_lossy(&text[..complete])
                        .lines()
                        .map(|line| parse_line(&stream.name, line)),
                );
            }
        }
        Ok(events)
    }
}

/// A file's identity, which survives a rename: device and inode (elsewhere than Unix, the creation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FileId(u64, u64);

impl FileId {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId(meta.dev(), meta.ino())
    }

    #[cfg(not(unix))]
    fn of(meta: &fs::Metadata) -> FileId {
        let created = meta
            .created()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .unwrap_or_default();
        FileId(created.as_secs(), u64::from(created.subsec_nanos()))
    }
}

/// The times of the first and last complete lines of one file, reading at most a few KiB from each
/// end (a line's time is its first 24 bytes or so; the whole line need not be read).
fn file_bounds(path: &std::path::Path) -> io::Result<Option<(String, String)>> {
    const WINDOW: u64 = 4096;
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let mut head = vec![0u8; WINDOW.min(len) as usize];
    file.read_exact(&mut head)?;
    let time_of = |line: &[u8]| {
        let line = String::from_utf8_lossy(line);
        line.split_once('\t').map(|(time, _)| time.to_owned())
    };
    // A line's time is at its start, so the window holds the first line's even when the line is
    // longer than the window; the line counts once a newline ends it, which the search for the last
    // complete line below finds (or finds that there is none).
    let first_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let first = time_of(&head[..first_end]);
    // The last complete line ends at the last newline; it starts after the newline before it. A last
    // line longer than the window is read from its start, found by going back window by window.
    let mut end = len;
    let mut tail = Vec::new();
    loop {
        let start = end.saturating_sub(WINDOW);
        file.seek(SeekFrom::Start(start))?;
        let mut window = vec![0u8; (end - start) as usize];
        file.read_exact(&mut window)?;
        window.extend_from_slice(&tail);
        tail = window;
        let complete = tail.iter().rposition(|&b| b == b'\n').unwrap_or(0);
        if let Some(line_start) = tail[..complete].iter().rposition(|&b| b == b'\n') {
            return Ok(first.zip(time_of(&tail[line_start + 1..complete])));
        }
        if start == 0 {
            return Ok(first.zip(time_of(&tail[..complete])));
        }
        end = start;
    }
}

/// A stored line, `<time>\t<message>`, as an event of `stream`.
fn parse_line(stream: &str, line: &str) -> LogEvent {
    let (timestamp, message) = line.split_once('\t').unwrap_or(("", line));
    LogEvent {
        timestamp: timestamp.to_owned(),
        stream: stream.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogLimits;

    fn store(dir: &std::path::Path, max_stream_bytes: u64) -> LogStore {
        LogStore::new(
            dir.into(),
            LogLimits {
                max_stream_bytes,
                max_streams_per_function: 8,
            },
        )
    }

    #[test]
    fn reads_what_the_writer_wrote_in_order_across_rotation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 400);
        let stream = store.open_stream("acct/us-east-1/f", "$LATEST").expect("open");
        let mut reader = store.reader("acct/us-east-1/f");
        for i in 0..10 {
            stream.line(&format!("line {i}"));
        }
        let first: Vec<String> = reader
            .read_new()
            .expect("read")
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(first, (0..10).map(|i| format!("line {i}")).collect::<Vec<_>>());
        // Enough to rotate the file (400 bytes) at least once: every line is read exactly once.
        for i in 10..20 {
            stream.line(&format!("line {i}"));
        }
        assert!(rotated(stream.path()).exists());
        let events = reader.read_new().expect("read");
        let second: Vec<String> = events.iter().map(|e| e.message.clone()).collect();
        assert_eq!(second, (10..20).map(|i| format!("line {i}")).collect::<Vec<_>>());
        assert!(
            events
                .iter()
                .all(|e| e.stream == stream.name() && e.timestamp.ends_with('Z'))
        );
        assert!(reader.read_new().expect("read").is_empty());
    }

    #[test]
    fn streams_are_read_whole_and_by_their_ends_and_functions_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 300);
        let stream = store.open_stream("acct/us-east-1/f", "$LATEST").expect("open");
        store.open_stream("acct/us-east-1/g", "1").expect("open");
        for i in 0..20 {
            stream.line(&format!("line {i}"));
        }
        let events = store
            .stream_events("acct/us-east-1/f", stream.name())
            .expect("read")
            .expect("the stream");
        // The rotated part (if it kept every line) then the current file: in order, none twice.
        let numbers: Vec<usize> = events
            .iter()
            .map(|e| e.message.trim_start_matches("line ").parse().expect("number"))
            .collect();
        assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
        assert_eq!(numbers.last(), Some(&19));
        assert_eq!(
            store
                .stream_events("acct/us-east-1/f", "2026/01/01/[$LATEST]none")
                .expect("read"),
            None
        );
        let files = |store: &LogStore| {
            store
                .streams("acct/us-east-1/f")
                .expect("list")
                .into_iter()
                .find(|s| s.name == stream.name())
                .expect("the stream")
        };
        assert_eq!(files(&store).events().expect("read"), events);
        let (first, last) = files(&store).bounds().expect("read").expect("bounds");
        assert_eq!(
            (first.as_str(), last.as_str()),
            (
                events[0].timestamp.as_str(),
                events[events.len() - 1].timestamp.as_str()
            )
        );
        // A last line longer than the window the bounds are read in.
        stream.line(&"x".repeat(10_000));
        let (_, last) = files(&store).bounds().expect("read").expect("bounds");
        let events = files(&store).events().expect("read");
        let newest = events.last().expect("an event");
        assert_eq!((&newest.timestamp, newest.message.len()), (&last, 10_000));
        let names = |store: &LogStore| -> Vec<String> {
            let groups = store.groups("acct", "us-east-1").expect("list");
            groups.into_iter().map(|g| g.name).collect()
        };
        assert_eq!(names(&store), ["/aws/lambda/f", "/aws/lambda/g"]);
        assert!(store.groups("acct", "eu-west-1").expect("list").is_empty());
        store.remove_streams("acct/us-east-1/g").expect("remove");
        assert_eq!(names(&store), ["/aws/lambda/f"]);
        let custom = crate::group_folder("acct", "us-east-1", "/shared/app");
        store.open_stream(&custom, "1").expect("open").line("hello");
        assert_eq!(
            store.groups("acct", "us-east-1").expect("list"),
            [
                GroupFolder {
                    name: "/aws/lambda/f".into(),
                    folder: "acct/us-east-1/f".into()
                },
                GroupFolder {
                    name: "/shared/app".into(),
                    folder: custom.clone()
                },
            ]
        );
        assert_eq!(store.streams(&custom).expect("list").len(), 1);
    }

    #[test]
    fn bounds_hold_lines_longer_than_the_window_and_skip_a_partial_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.log");
        let long = "x".repeat(10_000);
        fs::write(&path, "2026-11-24T00:00:00.000Z\tpar").expect("write");
        assert_eq!(file_bounds(&path).expect("read"), None);
        fs::write(
            &path,
            format!("2026-11-24T00:00:00.000Z\t{long}\n2026-11-24T00:00:01.000Z\tp"),
        )
        .expect("write");
        let only = "2026-11-24T00:00:00.000Z".to_owned();
        assert_eq!(
            file_bounds(&path).expect("read"),
            Some((only.clone(), only.clone()))
        );
        fs::write(
            &path,
            format!("2026-11-24T00:00:00.000Z\t{long}\n2026-11-24T00:00:02.000Z\t{long}\n"),
        )
        .expect("write");
        assert_eq!(
            file_bounds(&path).expect("read"),
            Some((only, "2026-11-24T00:00:02.000Z".to_owned()))
        );
    }

    #[test]
    fn a_partial_line_waits_for_its_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 1 << 20);
        let folder = dir.path().join("f");
        fs::create_dir_all(&folder).expect("mkdir");
        let file = folder.join("2026-11-24-[1]abc.log");
        fs::write(&file, "2026-11-24T00:00:00.000Z\tSTART RequestId: r\npart").expect("write");
        let mut reader = store.reader("f");
        let events = reader.read_new().expect("read");
        assert_eq!(
            events,
            vec![LogEvent {
                timestamp: "2026-11-24T00:00:00.000Z".into(),
                stream: "2026/11/24/[1]abc".into(),
                message: "START RequestId: r".into(),
            }]
        );
        let mut f = fs::OpenOptions::new().append(true).open(&file).expect("open");
        std::io::Write::write_all(&mut f, b"ial\n").expect("append");
        assert_eq!(reader.read_new().expect("read")[0].message, "partial");
    }

    #[test]
    fn streams_are_listed_oldest_first_with_their_parts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path(), 100);
        let first = store.open_stream("f", "1").expect("open");
        for _ in 0..5 {
            first.line("0123456789012345678901234567890123456789");
        }
        let second = store.open_stream("f", "2").expect("open");
        second.line("hello");
        let streams = store.streams("f").expect("list");
        assert_eq!(streams.len(), 2);
        assert_eq!(streams[0].name, first.name());
        assert_eq!(
            streams[0].files,
            vec![rotated(first.path()), first.path().to_path_buf()]
        );
        assert_eq!(streams[1].files, vec![second.path().to_path_buf()]);
        assert!(store.streams("nothing").expect("list").is_empty());
    }
}
