//! A function's `LoggingConfig` as environments apply it: the platform's own lines (INIT_START, START,
//! END, REPORT, INIT_REPORT) as Lambda writes them in each `LogFormat`, `SystemLogLevel` filtering them and
//! `ApplicationLogLevel` filtering what the function prints, and the variables that tell the runtime.
//!
//! In `Text` (the default) nothing is filtered and the lines are Lambda's text lines. In `JSON` each
//! platform line is the Telemetry API event Lambda sends to CloudWatch Logs instead, one JSON object per
//! line (`{"time":...,"type":"platform.report","record":{...}}`), written only when its level (Lambda's
//! "system log level event mapping") is at least the `SystemLogLevel`; and a line the function prints is
//! written only when its level is at least the `ApplicationLogLevel`: the `"level"` of a JSON object,
//! `INFO` for anything else, as Lambda does for OS-only runtimes. `docs/logs.md` has the sources.

use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

/// `LoggingConfig.LogFormat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Lambda's text lines (`START RequestId: ...`).
    #[default]
    Text,
    /// Lambda's JSON events, filtered by level.
    Json,
}

/// A log level of `ApplicationLogLevel` (all six) or `SystemLogLevel` (`DEBUG`, `INFO`, `WARN`), most
/// detailed first: a level keeps the lines at it and after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// `TRACE`.
    Trace,
    /// `DEBUG`.
    Debug,
    /// `INFO`, the default of both settings.
    #[default]
    Info,
    /// `WARN`.
    Warn,
    /// `ERROR`.
    Error,
    /// `FATAL`.
    Fatal,
}

impl LogLevel {
    const ALL: [LogLevel; 6] = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
        LogLevel::Fatal,
    ];

    /// The name Lambda uses (`AWS_LAMBDA_LOG_LEVEL`, the API's enum).
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LogLevel {
    type Err = String;

    /// A level name, in any case (functions write `"level": "debug"` as often as `"DEBUG"`).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        LogLevel::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("'{name}' is not a log level"))
    }
}

/// How an environment writes its log: `LoggingConfig` without the group (which
/// [`crate::FunctionVersion::log_group`] holds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Logging {
    /// `LogFormat`.
    pub format: LogFormat,
    /// `ApplicationLogLevel` (applied in `JSON` only).
    pub application_level: LogLevel,
    /// `SystemLogLevel` (applied in `JSON` only).
    pub system_level: LogLevel,
}

impl Logging {
    /// The settings a function's `LoggingConfig` members give (as stored: the API checked their values);
    /// a member that is absent, or not one of Lambda's values, is its default (`Text`, `INFO`).
    pub fn from_config(format: Option<&str>, application: Option<&str>, system: Option<&str>) -> Logging {
        let level = |name: Option<&str>| name.and_then(|n| n.parse().ok()).unwrap_or_default();
        Logging {
            format: if format == Some("JSON") {
                LogFormat::Json
            } else {
                LogFormat::Text
            },
            application_level: level(application),
            system_level: level(system),
        }
    }

    /// The variables Lambda sets for the runtime's logger in `JSON`: `AWS_LAMBDA_LOG_FORMAT=JSON` and
    /// `AWS_LAMBDA_LOG_LEVEL=<ApplicationLogLevel>`; none in `Text`.
    pub(crate) fn variables(&self) -> Option<[(&'static str, &'static str); 2]> {
        (self.format == LogFormat::Json).then(|| {
            [
                ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
                ("AWS_LAMBDA_LOG_LEVEL", self.application_level.as_str()),
            ]
        })
    }

    /// What the application filter keeps, or `None` when it keeps everything (`Text`, or `TRACE`, the most
    /// detailed level).
    pub(crate) fn application_filter(&self) -> Option<LogLevel> {
        (self.format == LogFormat::Json && self.application_level > LogLevel::Trace)
            .then_some(self.application_level)
    }

    /// The line `event` is in this format, or `None` when `SystemLogLevel` leaves it out.
    pub(crate) fn platform_line(&self, event: &Event<'_>) -> Option<String> {
        match self.format {
            LogFormat::Text => Some(event.text()),
            LogFormat::Json => (event.level() >= self.system_level).then(|| event.json()),
        }
    }
}

/// Whether a line the function printed is kept at `minimum`: its level is the `"level"` of a JSON object
/// (any case), `INFO` for anything else (text, JSON without a known level), as Lambda assigns it.
pub(crate) fn keeps_application_line(line: &str, minimum: LogLevel) -> bool {
    application_level(line) >= minimum
}

fn application_level(line: &str) -> LogLevel {
    #[derive(serde::Deserialize)]
    struct Levelled<'a> {
        #[serde(borrow)]
        level: Option<std::borrow::Cow<'a, str>>,
    }
    let trimmed = line.trim();
    // Most output is not JSON: no parse for it.
    if !trimmed.starts_with('{') {
        return LogLevel::Info;
    }
    serde_json::from_str::<Levelled<'_>>(trimmed)
        .ok()
        .and_then(|l| l.level?.parse().ok())
        .unwrap_or(LogLevel::Info)
}

/// How an invocation (or an init) ended, as the platform lines say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// It answered.
    Success,
    /// It failed with this error type (the function's, or the platform's).
    Error(String),
    /// It ran out of time.
    Timeout,
}

impl Status {
    fn as_str(&self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Error(_) => "error",
            Status::Timeout => "timeout",
        }
    }

    fn error_type(&self) -> Option<&str> {
        match self {
            Status::Error(error_type) => Some(error_type),
            _ => None,
        }
    }

    /// `Status: ...\t` (and `Error Type: ...\t`) as the text lines end, nothing on success.
    fn push_text(&self, line: &mut String) {
        match self {
            Status::Success => {}
            Status::Error(error_type) => {
                line.push_str("Status: error\t");
                if !error_type.is_empty() {
                    let _ = write!(line, "Error Type: {error_type}\t");
                }
            }
            Status::Timeout => line.push_str("Status: timeout\t"),
        }
    }

    /// Lambda's level of an event of this status: `WARN` for anything but success.
    fn level_or_warn(&self, success: LogLevel) -> LogLevel {
        match self {
            Status::Success => success,
            _ => LogLevel::Warn,
        }
    }
}

/// One platform line, before it is written in a format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event<'a> {
    /// `INIT_START` / `platform.initStart`: an environment's init began.
    InitStart {
        /// The runtime's version (`provided:al2023.lamina`).
        runtime_version: &'a str,
        /// Its ARN.
        runtime_version_arn: &'a str,
        /// The function's name.
        function_name: &'a str,
        /// The version the environment runs.
        function_version: &'a str,
    },
    /// `INIT_REPORT` / `platform.initReport`: an init failed (or ran out of time).
    InitReport {
        /// `init`, or `invoke` for the suppressed init retried in the first invocation.
        phase: &'a str,
        /// How it ended.
        status: &'a Status,
        /// How long it took.
        duration: Duration,
    },
    /// `START` / `platform.start`.
    Start {
        /// The invocation's request id.
        request_id: &'a str,
        /// The version that runs it.
        version: &'a str,
    },
    /// `END` / `platform.runtimeDone`.
    End {
        /// The invocation's request id.
        request_id: &'a str,
        /// How it ended.
        status: &'a Status,
        /// How long it ran.
        duration: Duration,
        /// The size of the response, when the platform holds it whole.
        produced_bytes: Option<usize>,
    },
    /// `REPORT` / `platform.report`.
    Report {
        /// The invocation's request id.
        request_id: &'a str,
        /// How it ended.
        status: &'a Status,
        /// How long it ran.
        duration: Duration,
        /// The billed milliseconds.
        billed_ms: u64,
        /// The function's memory, MB.
        memory_mb: u32,
        /// The environment's peak memory, MB.
        max_memory_mb: u64,
        /// The environment's init, reported with its first invocation.
        init: Option<Duration>,
    },
}

/// Milliseconds with two decimals, as the text lines show them (written in place: no string of its own).
struct TextMs(Duration);

impl fmt::Display for TextMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0.as_secs_f64() * 1000.0)
    }
}

/// Milliseconds rounded to the microsecond, as Lambda's JSON events carry them (`"durationMs":18.593`).
fn json_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

impl Event<'_> {
    /// The level Lambda gives the event (its "system log level event mapping"): a start, an init start
    /// with a runtime version and a successful report are `INFO`; a successful end of the runtime's work
    /// is `DEBUG`; anything that did not succeed is `WARN`.
    pub(crate) fn level(&self) -> LogLevel {
        match self {
            Event::InitStart { .. } | Event::Start { .. } => LogLevel::Info,
            Event::InitReport { status, .. } | Event::Report { status, .. } => {
                status.level_or_warn(LogLevel::Info)
            }
            Event::End { status, .. } => status.level_or_warn(LogLevel::Debug),
        }
    }

    /// The text line.
    pub(crate) fn text(&self) -> String {
        match self {
            Event::InitStart {
                runtime_version,
                runtime_version_arn,
                ..
            } => format!(
                "INIT_START Runtime Version: {runtime_version}\tRuntime Version ARN: {runtime_version_arn}"
            ),
            Event::InitReport {
                phase,
                status,
                duration,
            } => {
                let mut line = format!(
                    "INIT_REPORT Init Duration: {} ms\tPhase: {phase}\t",
                    TextMs(*duration)
                );
                status.push_text(&mut line);
                // The init lines end without the tab the REPORT line keeps.
                line.pop();
                line
            }
            Event::Start { request_id, version } => {
                format!("START RequestId: {request_id} Version: {version}")
            }
            Event::End { request_id, .. } => format!("END RequestId: {request_id}"),
            Event::Report {
                request_id,
                status,
                duration,
                billed_ms,
                memory_mb,
                max_memory_mb,
                init,
            } => {
                let mut line = format!(
                    "REPORT RequestId: {request_id}\tDuration: {} ms\tBilled Duration: {billed_ms} ms\tMemory Size: {memory_mb} MB\tMax Memory Used: {max_memory_mb} MB\t",
                    TextMs(*duration)
                );
                if let Some(init) = init {
                    let _ = write!(line, "Init Duration: {} ms\t", TextMs(*init));
                }
                status.push_text(&mut line);
                line
            }
        }
    }

    /// The JSON event, stamped now.
    pub(crate) fn json(&self) -> String {
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.json_at(&time)
    }

    /// The JSON event (`{"time":...,"type":...,"record":{...}}`), stamped `time`.
    fn json_at(&self, time: &str) -> String {
        let record = match self {
            Event::InitStart {
                runtime_version,
                runtime_version_arn,
                function_name,
                function_version,
            } => Record::InitStart {
                initialization_type: ON_DEMAND,
                phase: "init",
                runtime_version,
                runtime_version_arn,
                function_name,
                function_version,
            },
            Event::InitReport {
                phase,
                status,
                duration,
            } => Record::InitReport {
                initialization_type: ON_DEMAND,
                phase,
                status: status.as_str(),
                error_type: status.error_type(),
                metrics: InitMetrics {
                    duration_ms: json_ms(*duration),
                },
            },
            Event::Start { request_id, version } => Record::Start { request_id, version },
            Event::End {
                request_id,
                status,
                duration,
                produced_bytes,
            } => Record::RuntimeDone {
                request_id,
                status: status.as_str(),
                error_type: status.error_type(),
                metrics: RuntimeDoneMetrics {
                    duration_ms: json_ms(*duration),
                    produced_bytes: *produced_bytes,
                },
            },
            Event::Report {
                request_id,
                status,
                duration,
                billed_ms,
                memory_mb,
                max_memory_mb,
                init,
            } => Record::Report {
                request_id,
                metrics: ReportMetrics {
                    duration_ms: json_ms(*duration),
                    billed_duration_ms: *billed_ms,
                    memory_size_mb: *memory_mb,
                    max_memory_used_mb: *max_memory_mb,
                    init_duration_ms: init.map(json_ms),
                },
                status: status.as_str(),
                error_type: status.error_type(),
            },
        };
        let envelope = Envelope {
            time,
            kind: record.kind(),
            record,
        };
        serde_json::to_string(&envelope).expect("a record of strings and numbers always serializes")
    }
}

/// `initializationType` of lamina's environments (as `AWS_LAMBDA_INITIALIZATION_TYPE` says).
const ON_DEMAND: &str = "on-demand";

/// The event around a record.
#[derive(Serialize)]
struct Envelope<'a> {
    time: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    record: Record<'a>,
}

/// The records, with the Telemetry API's field names and order.
#[derive(Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum Record<'a> {
    InitStart {
        initialization_type: &'static str,
        phase: &'static str,
        runtime_version: &'a str,
        runtime_version_arn: &'a str,
        function_name: &'a str,
        function_version: &'a str,
    },
    InitReport {
        initialization_type: &'static str,
        phase: &'a str,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_type: Option<&'a str>,
        metrics: InitMetrics,
    },
    Start {
        request_id: &'a str,
        version: &'a str,
    },
    RuntimeDone {
        request_id: &'a str,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_type: Option<&'a str>,
        metrics: RuntimeDoneMetrics,
    },
    Report {
        request_id: &'a str,
        metrics: ReportMetrics,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_type: Option<&'a str>,
    },
}

impl Record<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Record::InitStart { .. } => "platform.initStart",
            Record::InitReport { .. } => "platform.initReport",
            Record::Start { .. } => "platform.start",
            Record::RuntimeDone { .. } => "platform.runtimeDone",
            Record::Report { .. } => "platform.report",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InitMetrics {
    duration_ms: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeDoneMetrics {
    duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    produced_bytes: Option<usize>,
}

#[derive(Serialize)]
struct ReportMetrics {
    #[serde(rename = "durationMs")]
    duration_ms: f64,
    #[serde(rename = "billedDurationMs")]
    billed_duration_ms: u64,
    #[serde(rename = "memorySizeMB")]
    memory_size_mb: u32,
    #[serde(rename = "maxMemoryUsedMB")]
    max_memory_used_mb: u64,
    #[serde(rename = "initDurationMs", skip_serializing_if = "Option::is_none")]
    init_duration_ms: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIME: &str = "2026-11-24T16:30:02.123Z";

    fn ms(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    fn report(status: &Status, init: Option<Duration>) -> Event<'_> {
        Event::Report {
            request_id: "r1",
            status,
            duration: ms(18_593),
            billed_ms: 19,
            memory_mb: 128,
            max_memory_mb: 21,
            init,
        }
    }

    #[test]
    fn text_lines_are_lambdas() {
        let start = Event::Start {
            request_id: "r1",
            version: "$LATEST",
        };
        assert_eq!(start.text(), "START RequestId: r1 Version: $LATEST");
        let end = Event::End {
            request_id: "r1",
            status: &Status::Success,
            duration: ms(1),
            produced_bytes: Some(2),
        };
        assert_eq!(end.text(), "END RequestId: r1");
        assert_eq!(
            report(&Status::Success, Some(ms(4_567))).text(),
            "REPORT RequestId: r1\tDuration: 18.59 ms\tBilled Duration: 19 ms\tMemory Size: 128 MB\tMax Memory Used: 21 MB\tInit Duration: 4.57 ms\t"
        );
        assert_eq!(
            report(&Status::Error("Runtime.ExitError".into()), None).text(),
            "REPORT RequestId: r1\tDuration: 18.59 ms\tBilled Duration: 19 ms\tMemory Size: 128 MB\tMax Memory Used: 21 MB\tStatus: error\tError Type: Runtime.ExitError\t"
        );
        assert_eq!(
            report(&Status::Timeout, None).text(),
            "REPORT RequestId: r1\tDuration: 18.59 ms\tBilled Duration: 19 ms\tMemory Size: 128 MB\tMax Memory Used: 21 MB\tStatus: timeout\t"
        );
        let init_start = Event::InitStart {
            runtime_version: "provided:al2023.lamina",
            runtime_version_arn: "arn:aws:lambda:us-east-1::runtime:lamina",
            function_name: "f",
            function_version: "$LATEST",
        };
        assert_eq!(
            init_start.text(),
            "INIT_START Runtime Version: provided:al2023.lamina\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:lamina"
        );
        let failed = Event::InitReport {
            phase: "init",
            status: &Status::Error("Runtime.InvalidEntrypoint".into()),
            duration: ms(1_570),
        };
        assert_eq!(
            failed.text(),
            "INIT_REPORT Init Duration: 1.57 ms\tPhase: init\tStatus: error\tError Type: Runtime.InvalidEntrypoint"
        );
        let timed_out = Event::InitReport {
            phase: "invoke",
            status: &Status::Timeout,
            duration: ms(3_000_000),
        };
        assert_eq!(
            timed_out.text(),
            "INIT_REPORT Init Duration: 3000.00 ms\tPhase: invoke\tStatus: timeout"
        );
    }

    #[test]
    fn json_events_carry_the_telemetry_api_records() {
        let json = |event: &Event<'_>| -> serde_json::Value {
            serde_json::from_str(&event.json_at(TIME)).expect("one JSON object")
        };
        assert_eq!(
            Event::Start {
                request_id: "r1",
                version: "$LATEST"
            }
            .json_at(TIME),
            r#"{"time":"2026-11-24T16:30:02.123Z","type":"platform.start","record":{"requestId":"r1","version":"$LATEST"}}"#
        );
        assert_eq!(
            report(&Status::Success, Some(ms(4_567))).json_at(TIME),
            r#"{"time":"2026-11-24T16:30:02.123Z","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":18.593,"billedDurationMs":19,"memorySizeMB":128,"maxMemoryUsedMB":21,"initDurationMs":4.567},"status":"success"}}"#
        );
        let failed = json(&report(&Status::Error("Runtime.ExitError".into()), None));
        assert_eq!(failed["record"]["status"], "error");
        assert_eq!(failed["record"]["errorType"], "Runtime.ExitError");
        assert!(failed["record"]["metrics"].get("initDurationMs").is_none());
        let timeout = json(&report(&Status::Timeout, None));
        assert_eq!(timeout["record"]["status"], "timeout");
        assert!(timeout["record"].get("errorType").is_none());
        let end = json(&Event::End {
            request_id: "r1",
            status: &Status::Success,
            duration: ms(1_056),
            produced_bytes: Some(50),
        });
        assert_eq!(end["type"], "platform.runtimeDone");
        assert_eq!(
            end["record"],
            serde_json::json!({"requestId": "r1", "status": "success", "metrics": {"durationMs": 1.056, "producedBytes": 50}})
        );
        let init_start = json(&Event::InitStart {
            runtime_version: "provided:al2023.lamina",
            runtime_version_arn: "arn:aws:lambda:us-east-1::runtime:lamina",
            function_name: "f",
            function_version: "$LATEST",
        });
        assert_eq!(init_start["type"], "platform.initStart");
        assert_eq!(
            init_start["record"],
            serde_json::json!({
                "initializationType": "on-demand",
                "phase": "init",
                "runtimeVersion": "provided:al2023.lamina",
                "runtimeVersionArn": "arn:aws:lambda:us-east-1::runtime:lamina",
                "functionName": "f",
                "functionVersion": "$LATEST",
            })
        );
        let init_report = json(&Event::InitReport {
            phase: "invoke",
            status: &Status::Error("Runtime.ExitError".into()),
            duration: ms(1_570),
        });
        assert_eq!(init_report["type"], "platform.initReport");
        assert_eq!(
            init_report["record"],
            serde_json::json!({
                "initializationType": "on-demand",
                "phase": "invoke",
                "status": "error",
                "errorType": "Runtime.ExitError",
                "metrics": {"durationMs": 1.57},
            })
        );
    }

    #[test]
    fn system_levels_follow_lambdas_mapping() {
        fn end(status: &Status) -> Event<'_> {
            Event::End {
                request_id: "r",
                status,
                duration: ms(1),
                produced_bytes: None,
            }
        }
        let start = Event::Start {
            request_id: "r",
            version: "1",
        };
        assert_eq!(start.level(), LogLevel::Info);
        assert_eq!(end(&Status::Success).level(), LogLevel::Debug);
        assert_eq!(end(&Status::Timeout).level(), LogLevel::Warn);
        assert_eq!(report(&Status::Success, None).level(), LogLevel::Info);
        assert_eq!(report(&Status::Error("x".into()), None).level(), LogLevel::Warn);
        let json = |system: &str| Logging::from_config(Some("JSON"), None, Some(system));
        let written = |logging: Logging, event: &Event<'_>| logging.platform_line(event).is_some();
        assert!(written(json("DEBUG"), &end(&Status::Success)));
        assert!(!written(json("INFO"), &end(&Status::Success)));
        assert!(written(json("INFO"), &start));
        assert!(!written(json("WARN"), &start));
        assert!(!written(json("WARN"), &report(&Status::Success, None)));
        assert!(written(json("WARN"), &report(&Status::Timeout, None)));
        assert!(written(json("WARN"), &end(&Status::Error("e".into()))));
        // Text writes every line, as text, whatever levels are stored.
        let text = Logging::from_config(Some("Text"), Some("FATAL"), Some("WARN"));
        assert_eq!(
            text.platform_line(&end(&Status::Success)).as_deref(),
            Some("END RequestId: r")
        );
        assert_eq!(text.application_filter(), None);
        assert_eq!(text.variables(), None);
    }

    #[test]
    fn application_lines_are_filtered_by_their_level() {
        let logging = Logging::from_config(Some("JSON"), Some("WARN"), None);
        let minimum = logging.application_filter().expect("a filter");
        let kept = |line: &str| keeps_application_line(line, minimum);
        assert!(kept(r#"{"level":"ERROR","msg":"x"}"#));
        assert!(kept(r#"  {"level": "warn", "msg": "x"}"#));
        assert!(!kept(r#"{"level":"debug","msg":"x"}"#));
        assert!(!kept(r#"{"level":"INFO"}"#));
        // No level, an unknown one, not an object, not JSON: INFO.
        assert!(!kept(r#"{"msg":"x"}"#));
        assert!(!kept(r#"{"level":"NOTICE"}"#));
        assert!(!kept(r#"{"level":5}"#));
        assert!(!kept("plain text"));
        assert!(!kept("{not json"));
        assert!(keeps_application_line("plain text", LogLevel::Info));
        assert!(keeps_application_line(r#"{"level":"Trace"}"#, LogLevel::Trace));
        assert_eq!(
            Logging::from_config(Some("JSON"), Some("TRACE"), None).application_filter(),
            None
        );
        assert_eq!(
            logging.variables(),
            Some([
                ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
                ("AWS_LAMBDA_LOG_LEVEL", "WARN")
            ])
        );
        assert_eq!(
            Logging::from_config(Some("JSON"), None, None).variables(),
            Some([
                ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
                ("AWS_LAMBDA_LOG_LEVEL", "INFO")
            ])
        );
    }

    #[test]
    fn levels_parse_in_any_case_and_order_from_most_detail() {
        assert_eq!("debug".parse(), Ok(LogLevel::Debug));
        assert_eq!("FATAL".parse(), Ok(LogLevel::Fatal));
        assert!("NOTICE".parse::<LogLevel>().is_err());
        assert!(LogLevel::Trace < LogLevel::Debug && LogLevel::Error < LogLevel::Fatal);
        assert_eq!(Logging::default(), Logging::from_config(None, None, None));
    }
}
