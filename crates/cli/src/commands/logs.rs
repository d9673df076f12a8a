//! `lamina logs NAME [--follow]`: prints a function's log streams (what its environments printed, with
//! START, END and REPORT lines) from the server's data directory.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

/// Print a function's logs (START/END/REPORT and everything it printed), oldest first.
#[derive(Debug, Clone, clap::Args)]
pub struct LogsOptions {
    /// The function's name.
    pub function: String,
    /// The function's account (the key's account that created it).
    #[arg(long, default_value = "000000000000")]
    pub account_id: String,
    /// The function's region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Keep printing new lines as they are written.
    #[arg(short, long)]
    pub follow: bool,
    /// The server's data directory [default: $XDG_DATA_HOME/lamina or ~/.local/share/lamina].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Prints the function's logs from the server's data directory, where streams are kept per account and
/// region (`logs/<account>/<region>/<name>`).
pub fn run(options: &LogsOptions, out: &mut impl Write) -> Result<()> {
    let data_dir = options
        .data_dir
        .clone()
        .unwrap_or_else(crate::data_dir::default_data_dir);
    let log_dir = crate::data_dir::log_dir(&data_dir)
        .join(&options.account_id)
        .join(&options.region);
    print_streams(&log_dir, &options.function, options.follow, out)
}

/// Prints every line of `function`'s streams under `log_dir`, oldest stream first, as
/// `<time> <stream> <message>`; with `follow`, keeps printing new lines (and new streams) until
/// interrupted.
pub fn print_streams(log_dir: &Path, function: &str, follow: bool, out: &mut impl Write) -> Result<()> {
    let dir = log_dir.join(function);
    if !dir.exists() && !follow {
        anyhow::bail!(
            "no logs for '{function}' in {} (has it been invoked?)",
            log_dir.display()
        );
    }
    let mut offsets: HashMap<PathBuf, u64> = HashMap::new();
    loop {
        for file in stream_files(&dir)? {
            let offset = offsets.entry(file.clone()).or_insert(0);
            *offset = print_from(&file, *offset, out)?;
        }
        out.flush()?;
        if !follow {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The current files of every stream (rotated `.1` parts before their stream), oldest first.
fn stream_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .filter_map(|p| {
                Some((
                    std::fs::metadata(&p)
                        .ok()?
                        .created()
                        .or_else(|_| std::fs::metadata(&p)?.modified())
                        .ok()?,
                    p,
                ))
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// Prints the complete lines of `file` from `offset`; returns the new offset. A file smaller than the
/// offset was rotated: it is read from the start.
fn print_from(file: &Path, offset: u64, out: &mut impl Write) -> Result<u64> {
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let len = f.metadata()?.len();
    let start = if len < offset { 0 } else { offset };
    f.seek(SeekFrom::Start(start))?;
    let mut text = String::new();
    f.read_to_string(&mut text)?;
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    let stream = stream_name(file);
    for line in text[..complete].lines() {
        match line.split_once('\t') {
            Some((time, message)) => writeln!(out, "{time} {stream} {message}")?,
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(start + complete as u64)
}

/// `2026-11-24-[$LATEST]abc.log` is the stream `2026/11/24/[$LATEST]abc`.
fn stream_name(file: &Path) -> String {
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.split_once('[') {
        Some((date, rest)) => format!("{}[{rest}", date.replacen('-', "/", 3)),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_streams_as_cloudwatch_does() {
        assert_eq!(
            stream_name(Path::new("/x/2026-11-24-[$LATEST]abc.log")),
            "2026/11/24/[$LATEST]abc"
        );
    }

    #[test]
    fn prints_complete_lines_and_follows_rotation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("2026-11-24-[1]abc.log");
        std::fs::write(&file, "2026-11-24T00:00:00.000Z\tSTART RequestId: r\npartial").expect("write");
        let mut out = Vec::new();
        let offset = print_from(&file, 0, &mut out).expect("print");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "2026-11-24T00:00:00.000Z 2026/11/24/[1]abc START RequestId: r\n"
        );
        std::fs::write(&file, "t\tnew\n").expect("rotate");
        let mut out = Vec::new();
        print_from(&file, offset, &mut out).expect("print");
        assert_eq!(String::from_utf8(out).expect("utf8"), "t 2026/11/24/[1]abc new\n");
    }
}
