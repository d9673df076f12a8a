//! `lamina logs NAME [--follow]`: prints a function's log events (what its environments printed, with
//! START, END and REPORT lines) through the server's CloudWatch Logs API (FilterLogEvents on the
//! function's group: its `LoggingConfig.LogGroup`, `/aws/lambda/NAME` by default), so it works against any
//! lamina endpoint, local or not.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::client::Endpoint;

/// Print a function's logs (START/END/REPORT and everything it printed), oldest first.
#[derive(Debug, Clone, clap::Args)]
pub struct LogsOptions {
    /// The function's name.
    pub function: String,
    /// Keep printing new events as they are written.
    #[arg(short, long)]
    pub follow: bool,
    /// The server [default: $AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, $AWS_ENDPOINT_URL, http://127.0.0.1:9001].
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// The function's region [default: $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1].
    #[arg(long)]
    pub region: Option<String>,
}

/// How often `--follow` asks for new events.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

/// Prints the function's log events, oldest first, as `<time> <stream> <message>`; with `follow`, keeps
/// printing new ones until interrupted.
pub fn run(options: &LogsOptions, out: &mut impl Write) -> Result<()> {
    let endpoint = Endpoint::from_env_for(
        "CLOUDWATCH_LOGS",
        options.endpoint_url.clone(),
        options.region.clone(),
    );
    let group = log_group(
        &Endpoint::from_env(options.endpoint_url.clone(), options.region.clone()),
        &options.function,
    );
    let mut since: Option<i64> = None;
    // The events already printed at the latest timestamp seen (the next request starts at it again).
    let mut seen_at_since: HashSet<String> = HashSet::new();
    loop {
        match events_since(&endpoint, &group, since) {
            Ok(events) => {
                for event in events {
                    let time = event["timestamp"].as_i64().unwrap_or_default();
                    let id = event["eventId"].as_str().unwrap_or_default().to_owned();
                    if Some(time) == since && seen_at_since.contains(&id) {
                        continue;
                    }
                    if Some(time) != since {
                        since = Some(time);
                        seen_at_since.clear();
                    }
                    seen_at_since.insert(id);
                    writeln!(
                        out,
                        "{} {} {}",
                        rfc3339(time),
                        event["logStreamName"].as_str().unwrap_or_default(),
                        event["message"].as_str().unwrap_or_default()
                    )?;
                }
                out.flush()?;
            }
            Err(Missing) if !options.follow => bail!(
                "no logs for '{}' in {} at {} (has it been invoked?)",
                options.function,
                endpoint.region,
                endpoint.url
            ),
            Err(Missing) => {}
        }
        if !options.follow {
            return Ok(());
        }
        std::thread::sleep(FOLLOW_INTERVAL);
    }
}

/// The function's log group: its `LoggingConfig.LogGroup` as the Lambda API answers it, or
/// `/aws/lambda/<function>` when that cannot be read (no such function any more, say: its logs stay).
fn log_group(lambda: &Endpoint, function: &str) -> String {
    crate::commands::deploy::api::Lambda::new(lambda)
        .get_function_configuration(function)
        .ok()
        .and_then(|configuration| {
            let group = configuration.logging_config.get("LogGroup")?.as_str()?;
            Some(group.to_owned())
        })
        .unwrap_or_else(|| format!("/aws/lambda/{function}"))
}

/// The group does not exist (yet).
struct Missing;

/// Every event of `group` from `since` (ms, inclusive), through every page.
fn events_since(endpoint: &Endpoint, group: &str, since: Option<i64>) -> Result<Vec<Value>, Missing> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({ "logGroupName": group, "interleaved": true });
        if let Some(since) = since {
            request["startTime"] = json!(since);
        }
        if let Some(token) = &token {
            request["nextToken"] = json!(token);
        }
        let answer = call(endpoint, &request).map_err(|e| {
            // Anything else than a missing group is worth saying, once per attempt.
            if !e.to_string().contains("ResourceNotFoundException") {
                eprintln!("lamina logs: {e:#}");
            }
            Missing
        })?;
        if let Some(page) = answer["events"].as_array() {
            events.extend(page.iter().cloned());
        }
        token = answer["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            return Ok(events);
        }
    }
}

fn call(endpoint: &Endpoint, request: &Value) -> Result<Value> {
    let body = request.to_string();
    let answer = endpoint.send_to(
        "logs",
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "Logs_20140328.FilterLogEvents"),
        ],
        body.as_bytes(),
    )?;
    let value: Value = serde_json::from_slice(&answer.body).context("the answer is not JSON")?;
    if !answer.is_success() {
        bail!(
            "{} ({}): {}",
            value["__type"].as_str().unwrap_or("error"),
            answer.status,
            value["message"].as_str().unwrap_or_default()
        );
    }
    Ok(value)
}

/// Milliseconds since the epoch as RFC 3339 with milliseconds, in UTC.
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_the_streams_store_them() {
        assert_eq!(rfc3339(1_583_348_638_390), "2020-03-04T19:03:58.390Z");
    }
}
