//! The bootstrap's stdout and stderr, copied into its log stream line by line.
//!
//! Each pipe is read by a task of its own as output arrives, and also, on demand, by the environment
//! before it writes `END` ([`Output::drain`]): whatever the function printed before it answered is then
//! in its stream (and in the `X-Amz-Log-Result` tail) ahead of `END` and `REPORT`, as on Lambda. Both
//! readers take the pipe's lock around reading *and* logging, so after a drain no byte written earlier
//! is still on its way. A line without its newline waits for the rest, or for the pipe's end.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex, PoisonError};

use lamina_logs::LogStream;

use crate::logging::LogLevel;
use tokio::net::unix::pipe::Receiver;

/// The output pipes of one bootstrap.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pipes: Vec<Arc<Pipe>>,
}

#[derive(Debug)]
struct Pipe {
    receiver: Receiver,
    log: Arc<LogStream>,
    /// The `ApplicationLogLevel` a line must reach to be written (`None`: every line is).
    minimum: Option<LogLevel>,
    /// The start of a line whose newline has not arrived; held while reading and logging.
    partial: Mutex<Vec<u8>>,
}

/// How much one read takes.
const READ_CHUNK: usize = 64 * 1024;

impl Output {
    /// Copies what the bootstrap writes to `stdout` and `stderr` (pipe read ends) into `log`, the lines
    /// below `minimum` left out ([`crate::Logging::application_filter`]). A pipe the runtime cannot watch
    /// is left unread (and said in the log).
    pub(crate) fn capture(
        stdout: Option<OwnedFd>,
        stderr: Option<OwnedFd>,
        log: &Arc<LogStream>,
        minimum: Option<LogLevel>,
    ) -> Output {
        let mut pipes = Vec::new();
        for fd in [stdout, stderr].into_iter().flatten() {
            match Receiver::from_owned_fd(fd) {
                Ok(receiver) => {
                    let pipe = Arc::new(Pipe {
                        receiver,
                        log: log.clone(),
                        minimum,
                        partial: Mutex::new(Vec::new()),
                    });
                    tokio::spawn(follow(pipe.clone()));
                    pipes.push(pipe);
                }
                Err(e) => log.line(&format!("lamina: cannot read the bootstrap's output: {e}")),
            }
        }
        Output { pipes }
    }

    /// Logs every complete line the bootstrap has written so far.
    pub(crate) fn drain(&self) {
        for pipe in &self.pipes {
            let _ = pipe.read_available();
        }
    }
}

/// Reads `pipe` as output arrives, until it ends.
async fn follow(pipe: Arc<Pipe>) {
    loop {
        if pipe.receiver.readable().await.is_err() {
            return;
        }
        // Through tokio, so that running out of bytes (`WouldBlock`) clears the readiness it cached; a
        // drain may have taken the bytes since it was set.
        match pipe.receiver.try_io(|| match pipe.read_available() {
            Reading::Ended => Ok(()),
            Reading::Empty => Err(std::io::ErrorKind::WouldBlock.into()),
        }) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

/// Where a pipe is once what it held has been read.
enum Reading {
    /// Nothing more to read now.
    Empty,
    /// The writer closed it (or it failed).
    Ended,
}

impl Pipe {
    /// Whether `line` reaches the application log level.
    fn keeps(&self, line: &str) -> bool {
        self.minimum
            .is_none_or(|minimum| crate::logging::keeps_application_line(line, minimum))
    }

    /// Reads what the pipe holds, straight from the file descriptor, and logs the complete lines (the
    /// last partial one too when the pipe has ended).
    fn read_available(&self) -> Reading {
        let mut partial = self.partial.lock().unwrap_or_else(PoisonError::into_inner);
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            match nix::unistd::read(self.receiver.as_fd(), &mut chunk) {
                Ok(0) => {
                    if !partial.is_empty() {
                        let line = String::from_utf8_lossy(&partial);
                        if self.keeps(&line) {
                            self.log.line(&line);
                        }
                        partial.clear();
                    }
                    return Reading::Ended;
                }
                Ok(n) => {
                    partial.extend_from_slice(&chunk[..n]);
                    if let Some(end) = partial.iter().rposition(|&b| b == b'\n') {
                        let text = String::from_utf8_lossy(&partial[..end]).into_owned();
                        let lines: Vec<&str> = text
                            .split('\n')
                            .map(|l| l.trim_end_matches('\r'))
                            .filter(|l| self.keeps(l))
                            .collect();
                        if !lines.is_empty() {
                            self.log.lines(&lines);
                        }
                        partial.drain(..=end);
                    }
                }
                Err(nix::errno::Errno::EAGAIN) => return Reading::Empty,
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return Reading::Ended,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn stream(dir: &std::path::Path) -> (lamina_logs::LogStore, Arc<LogStream>) {
        let store = lamina_logs::LogStore::new(dir.into(), lamina_logs::LogLimits::default());
        let log = store.open_stream("a/r/f", "$LATEST").expect("stream");
        (store, log)
    }

    fn messages(store: &lamina_logs::LogStore) -> Vec<String> {
        store
            .reader("a/r/f")
            .read_new()
            .expect("read")
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_drain_logs_what_was_written_before_it_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, log) = stream(dir.path());
        let (read, write) = std::io::pipe().expect("pipe");
        let output = Output::capture(Some(OwnedFd::from(read)), None, &log, None);
        let mut write = std::fs::File::from(OwnedFd::from(write));
        for round in 0..200 {
            write
                .write_all(format!("line {round}\npart").as_bytes())
                .expect("write");
            write.write_all(b"ial\n").expect("write");
            output.drain();
            log.line(&format!("END {round}"));
        }
        write.write_all(b"no newline at the end").expect("write");
        drop(write);
        let want_last = "no newline at the end".to_owned();
        // The last partial line comes with the pipe's end, from the reading task.
        let got = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                let got = messages(&store);
                if got.last() == Some(&want_last) {
                    return got;
                }
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the pipe's end is read");
        let mut expected = Vec::new();
        for round in 0..200 {
            expected.extend([
                format!("line {round}"),
                "partial".to_owned(),
                format!("END {round}"),
            ]);
        }
        expected.push(want_last);
        assert_eq!(got, expected);
    }
}
