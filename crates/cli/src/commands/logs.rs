//! `lamina logs NAME [--follow]`: prints a function's log streams (what its environments printed, with
//! START, END and REPORT lines) from the server's data directory, through the log store's reader.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use lamina_logs::{LOG_DIR, LogLimits, LogStore};

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

/// Prints the function's logs from the server's data directory (the default one unless given).
pub fn run(options: &LogsOptions, out: &mut impl Write) -> Result<()> {
    let data_dir = options
        .data_dir
        .clone()
        .unwrap_or_else(crate::data_dir::default_data_dir);
    print_streams(
        &data_dir,
        &options.account_id,
        &options.region,
        &options.function,
        options.follow,
        out,
    )
}

/// How often `--follow` looks for new lines.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(200);

/// Prints every line of the streams of `function` (of `account` in `region`) kept in `data_dir`, oldest
/// stream first, each stream's rotated part before its current file, as `<time> <stream> <message>`;
/// with `follow`, keeps printing new lines (and new streams) until interrupted.
pub fn print_streams(
    data_dir: &Path,
    account: &str,
    region: &str,
    function: &str,
    follow: bool,
    out: &mut impl Write,
) -> Result<()> {
    let store = LogStore::new(data_dir.join(LOG_DIR), LogLimits::default());
    let folder = lamina_logs::function_folder(account, region, function);
    if !follow && store.streams(&folder)?.is_empty() {
        anyhow::bail!(
            "no logs for '{function}' (account {account}, region {region}) in {} (has it been invoked?)",
            store.root().display()
        );
    }
    let mut reader = store.reader(&folder);
    loop {
        let events = reader
            .read_new()
            .with_context(|| format!("reading the logs in {}", store.root().display()))?;
        for event in events {
            writeln!(out, "{} {} {}", event.timestamp, event.stream, event.message)?;
        }
        out.flush()?;
        if !follow {
            return Ok(());
        }
        std::thread::sleep(FOLLOW_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_every_part_of_every_stream_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LogStore::new(
            dir.path().join(LOG_DIR),
            LogLimits {
                max_stream_bytes: 200,
                max_streams_per_function: 8,
            },
        );
        let folder = lamina_logs::function_folder("000000000000", "us-east-1", "f");
        let stream = store.open_stream(&folder, "$LATEST").expect("open");
        for i in 0..8 {
            stream.line(&format!("line {i}"));
        }
        let mut out = Vec::new();
        print_streams(dir.path(), "000000000000", "us-east-1", "f", false, &mut out).expect("run");
        let text = String::from_utf8(out).expect("utf8");
        let messages: Vec<&str> = text
            .lines()
            .map(|l| l.splitn(3, ' ').nth(2).unwrap_or(""))
            .collect();
        assert_eq!(messages, (0..8).map(|i| format!("line {i}")).collect::<Vec<_>>());
        assert!(
            text.lines().all(|l| l.split(' ').nth(1) == Some(stream.name())),
            "{text}"
        );

        let missing = print_streams(
            dir.path(),
            "000000000000",
            "eu-west-1",
            "f",
            false,
            &mut Vec::new(),
        );
        let error = missing.expect_err("no streams in eu-west-1");
        assert!(error.to_string().contains("no logs for 'f'"), "{error}");
    }
}
