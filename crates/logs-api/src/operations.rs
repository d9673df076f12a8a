//! The operations, each over the request's JSON: groups are those with streams (`/aws/lambda/<function>`,
//! or the `LoggingConfig.LogGroup` a function logs to, from their folders of streams) and those
//! CreateLogGroup made (`groups.rs`).

use serde_json::{Value, json};

use crate::filter::FilterPattern;
use crate::groups::{GroupKey, GroupSettings};
use crate::{Logs, LogsError, Scope};

const GROUP_MISSING: &str = "The specified log group does not exist.";
const STREAM_MISSING: &str = "The specified log stream does not exist.";
/// The retention periods CloudWatch Logs takes, in days.
const RETENTION_DAYS: [u64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/// Runs `operation` for `scope`.
pub(crate) fn run(logs: &Logs, scope: &Scope, operation: &str, input: &Value) -> Result<Value, LogsError> {
    match operation {
        "DescribeLogGroups" => describe_log_groups(logs, scope, input),
        "DescribeLogStreams" => describe_log_streams(logs, scope, input),
        "GetLogEvents" => get_log_events(logs, scope, input),
        "FilterLogEvents" => filter_log_events(logs, scope, input),
        "CreateLogGroup" => create_log_group(logs, scope, input),
        "DeleteLogGroup" => delete_log_group(logs, scope, input),
        "PutRetentionPolicy" => put_retention_policy(logs, scope, input),
        other => Err(LogsError {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: "UnknownOperationException",
            message: format!("lamina does not serve the CloudWatch Logs operation '{other}'"),
        }),
    }
}

/// A log group as the operations see it.
#[derive(Debug, Clone)]
struct Group {
    name: String,
    /// The folder of a function's streams.
    folder: Option<String>,
    settings: Option<GroupSettings>,
    created_ms: i64,
}

fn io_error(e: std::io::Error) -> LogsError {
    LogsError::internal(format!("cannot read the logs: {e}"))
}

fn key(scope: &Scope, name: &str) -> GroupKey {
    (scope.account.clone(), scope.region.clone(), name.to_owned())
}

/// Every group of the scope, by name.
fn all_groups(logs: &Logs, scope: &Scope) -> Result<Vec<Group>, LogsError> {
    let mut groups: std::collections::BTreeMap<String, Group> = std::collections::BTreeMap::new();
    for group in logs
        .store
        .groups(&scope.account, &scope.region)
        .map_err(io_error)?
    {
        let created_ms = folder_created_ms(logs, &group.folder);
        groups.insert(
            group.name.clone(),
            Group {
                name: group.name,
                folder: Some(group.folder),
                settings: None,
                created_ms,
            },
        );
    }
    for (name, settings) in logs.groups.of(&scope.account, &scope.region) {
        let group = groups.entry(name.clone()).or_insert_with(|| Group {
            name,
            folder: None,
            settings: None,
            created_ms: settings.created.unwrap_or_default(),
        });
        if let Some(created) = settings.created
            && (group.created_ms == 0 || created < group.created_ms)
        {
            group.created_ms = created;
        }
        group.settings = Some(settings);
    }
    // A stored retention alone (of a function group whose streams were deleted) is no group.
    Ok(groups
        .into_values()
        .filter(|g| g.folder.is_some() || g.settings.is_some_and(|s| s.created.is_some()))
        .collect())
}

fn folder_created_ms(logs: &Logs, folder: &str) -> i64 {
    std::fs::metadata(logs.store.function_dir(folder))
        .and_then(|m| m.created().or_else(|_| m.modified()))
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn find_group(logs: &Logs, scope: &Scope, input: &Value) -> Result<Group, LogsError> {
    let name = group_name(input)?;
    all_groups(logs, scope)?
        .into_iter()
        .find(|g| g.name == name)
        .ok_or_else(|| LogsError::not_found(GROUP_MISSING))
}

/// `logGroupName`, or the name in `logGroupIdentifier` (a name or an ARN).
fn group_name(input: &Value) -> Result<String, LogsError> {
    if let Some(name) = input.get("logGroupName").and_then(Value::as_str) {
        return Ok(name.to_owned());
    }
    if let Some(identifier) = input.get("logGroupIdentifier").and_then(Value::as_str) {
        let name = match identifier.split_once(":log-group:") {
            Some((_, rest)) => rest.trim_end_matches(":*"),
            None => identifier,
        };
        return Ok(name.to_owned());
    }
    Err(LogsError::invalid(
        "Should provide either logGroupName or logGroupIdentifier.",
    ))
}

fn string<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

/// `limit` within `1..=most`, else `default`.
fn limit(input: &Value, most: u64, default: u64) -> Result<usize, LogsError> {
    match input.get("limit").and_then(Value::as_i64) {
        None => Ok(default as usize),
        Some(n) if n < 1 => Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have \
             value greater than or equal to 1"
        ))),
        Some(n) if n as u64 > most => Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have \
             value less than or equal to {most}"
        ))),
        Some(n) => Ok(n as usize),
    }
}

/// A page of `items` after the item named by `nextToken` (the last name of the previous page).
fn page<T>(items: Vec<T>, name: impl Fn(&T) -> &str, input: &Value, size: usize) -> (Vec<T>, Option<String>) {
    let after = string(input, "nextToken");
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|item| after.is_none_or(|a| name(item) > a))
        .collect();
    let more = rest.len() > size;
    rest.truncate(size);
    let next = more.then(|| rest.last().map(|i| name(i).to_owned())).flatten();
    (rest, next)
}

fn group_arn(scope: &Scope, name: &str) -> String {
    format!("arn:aws:logs:{}:{}:log-group:{name}", scope.region, scope.account)
}

fn describe_log_groups(logs: &Logs, scope: &Scope, input: &Value) -> Result<Value, LogsError> {
    let size = limit(input, 50, 50)?;
    let prefix = string(input, "logGroupNamePrefix").unwrap_or_default();
    let pattern = string(input, "logGroupNamePattern").unwrap_or_default();
    let groups: Vec<Group> = all_groups(logs, scope)?
        .into_iter()
        .filter(|g| g.name.starts_with(prefix) && g.name.contains(pattern))
        .collect();
    let (groups, next) = page(groups, |g| g.name.as_str(), input, size);
    let shown: Vec<Value> = groups
        .iter()
        .map(|g| {
            let mut group = json!({
                "logGroupName": g.name,
                "creationTime": g.created_ms,
                "metricFilterCount": 0,
                "arn": format!("{}:*", group_arn(scope, &g.name)),
                "logGroupArn": group_arn(scope, &g.name),
                "storedBytes": 0,
                "logGroupClass": "STANDARD",
            });
            if let Some(days) = g.settings.and_then(|s| s.retention_in_days) {
                group["retentionInDays"] = json!(days);
            }
            group
        })
        .collect();
    let mut out = json!({ "logGroups": shown });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

/// A stored event's time, in ms since the epoch.
fn millis(timestamp: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(timestamp).map_or(0, |t| t.timestamp_millis())
}

/// The events of one stream of a function group.
fn stream_events(
    logs: &Logs,
    folder: &str,
    stream: &str,
) -> Result<Option<Vec<lamina_logs::LogEvent>>, LogsError> {
    logs.store.stream_events(folder, stream).map_err(io_error)
}

fn describe_log_streams(logs: &Logs, scope: &Scope, input: &Value) -> Result<Value, LogsError> {
    let group = find_group(logs, scope, input)?;
    let size = limit(input, 50, 50)?;
    let prefix = string(input, "logStreamNamePrefix").unwrap_or_default();
    let by_time = string(input, "orderBy") == Some("LastEventTime");
    if by_time && !prefix.is_empty() {
        return Err(LogsError::invalid(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let mut streams = Vec::new();
    if let Some(folder) = &group.folder {
        for files in logs.store.streams(folder).map_err(io_error)? {
            if !files.name.starts_with(prefix) {
                continue;
            }
            let bounds = files.bounds().map_err(io_error)?;
            let first = bounds.as_ref().map(|(first, _)| millis(first));
            let last = bounds.as_ref().map(|(_, last)| millis(last));
            let mut stream = json!({
                "logStreamName": files.name,
                "creationTime": first.unwrap_or_default(),
                "arn": format!("{}:log-stream:{}", group_arn(scope, &group.name), files.name),
                "storedBytes": 0,
            });
            if let (Some(first), Some(last)) = (first, last) {
                stream["firstEventTimestamp"] = json!(first);
                stream["lastEventTimestamp"] = json!(last);
                stream["lastIngestionTime"] = json!(last);
            }
            streams.push(stream);
        }
    }
    let name_of = |s: &Value| s["logStreamName"].as_str().unwrap_or_default().to_owned();
    if by_time {
        streams.sort_by_key(|s| (s["lastEventTimestamp"].as_i64().unwrap_or_default(), name_of(s)));
    } else {
        streams.sort_by_key(name_of);
    }
    if input.get("descending").and_then(Value::as_bool) == Some(true) {
        streams.reverse();
    }
    // Paged by position: the token is the index of the next stream.
    let start: usize = string(input, "nextToken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let end = (start + size).min(streams.len());
    let shown: Vec<Value> = streams.get(start..end).map(<[Value]>::to_vec).unwrap_or_default();
    let mut out = json!({ "logStreams": shown });
    if end < streams.len() {
        out["nextToken"] = json!(end.to_string());
    }
    Ok(out)
}

fn in_window(input: &Value, timestamp: i64) -> bool {
    let start = input.get("startTime").and_then(Value::as_i64);
    let end = input.get("endTime").and_then(Value::as_i64);
    start.is_none_or(|s| timestamp >= s) && end.is_none_or(|e| timestamp <= e)
}

/// A GetLogEvents token: `f/` or `b/` and a position, zero-padded as CloudWatch's are long.
fn token(direction: char, position: usize) -> String {
    format!("{direction}/{position:056}")
}

fn get_log_events(logs: &Logs, scope: &Scope, input: &Value) -> Result<Value, LogsError> {
    let group = find_group(logs, scope, input)?;
    let stream = string(input, "logStreamName").unwrap_or_default();
    let size = limit(input, 10_000, 10_000)?;
    let events = match &group.folder {
        Some(folder) => stream_events(logs, folder, stream)?,
        None => None,
    }
    .ok_or_else(|| LogsError::not_found(STREAM_MISSING))?;
    let events: Vec<(i64, String)> = events
        .into_iter()
        .map(|e| (millis(&e.timestamp), e.message))
        .filter(|(t, _)| in_window(input, *t))
        .collect();
    let given = string(input, "nextToken");
    let parsed = given.and_then(|t| {
        let (direction, position) = t.split_once('/')?;
        Some((direction.to_owned(), position.parse::<usize>().ok()?))
    });
    if given.is_some() && parsed.is_none() {
        return Err(LogsError::invalid("The specified nextToken is invalid."));
    }
    let from_head = input.get("startFromHead").and_then(Value::as_bool) == Some(true);
    let (start, end) = match parsed {
        Some((d, p)) if d == "f" => (p.min(events.len()), (p + size).min(events.len())),
        Some((_, p)) => (p.min(events.len()).saturating_sub(size), p.min(events.len())),
        None if from_head => (0, size.min(events.len())),
        None => (events.len().saturating_sub(size), events.len()),
    };
    let shown: Vec<Value> = events[start..end]
        .iter()
        .map(|(t, m)| json!({ "timestamp": t, "message": m, "ingestionTime": t }))
        .collect();
    Ok(json!({
        "events": shown,
        "nextForwardToken": token('f', end),
        "nextBackwardToken": token('b', start),
    }))
}

fn filter_log_events(logs: &Logs, scope: &Scope, input: &Value) -> Result<Value, LogsError> {
    let group = find_group(logs, scope, input)?;
    let size = limit(input, 10_000, 10_000)?;
    let pattern = FilterPattern::parse(string(input, "filterPattern").unwrap_or_default())
        .map_err(LogsError::invalid)?;
    let names: Option<Vec<&str>> = input
        .get("logStreamNames")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let prefix = string(input, "logStreamNamePrefix");
    if names.is_some() && prefix.is_some() {
        return Err(LogsError::invalid(
            "logStreamNames and logStreamNamePrefix are mutually exclusive",
        ));
    }
    let mut matched = Vec::new();
    let mut searched = Vec::new();
    if let Some(folder) = &group.folder {
        for files in logs.store.streams(folder).map_err(io_error)? {
            let wanted = match (&names, prefix) {
                (Some(names), _) => names.contains(&files.name.as_str()),
                (None, Some(prefix)) => files.name.starts_with(prefix),
                (None, None) => true,
            };
            if !wanted {
                continue;
            }
            // A stream that ends before the window (or begins after it) is not read through.
            let bounds = files.bounds().map_err(io_error)?;
            let outside = bounds.is_some_and(|(first, last)| {
                let (first, last) = (millis(&first), millis(&last));
                input
                    .get("startTime")
                    .and_then(Value::as_i64)
                    .is_some_and(|s| last < s)
                    || input
                        .get("endTime")
                        .and_then(Value::as_i64)
                        .is_some_and(|e| first > e)
            });
            if outside {
                searched.push(json!({ "logStreamName": files.name, "searchedCompletely": true }));
                continue;
            }
            let events = files.events().map_err(io_error)?;
            for (index, event) in events.into_iter().enumerate() {
                let t = millis(&event.timestamp);
                if in_window(input, t) && pattern.matches(&event.message) {
                    matched.push((t, files.name.clone(), index, event.message));
                }
            }
            searched.push(json!({ "logStreamName": files.name, "searchedCompletely": true }));
        }
    }
    // Interleaved by time, as CloudWatch answers; the token is how many were given before.
    matched.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let start: usize = string(input, "nextToken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let end = (start + size).min(matched.len());
    let shown: Vec<Value> = matched
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|(t, stream, index, message)| {
            json!({
                "logStreamName": stream,
                "timestamp": t,
                "message": message,
                "ingestionTime": t,
                "eventId": event_id(*t, stream, *index),
            })
        })
        .collect();
    let mut out = json!({ "events": shown, "searchedLogStreams": searched });
    if end < matched.len() {
        out["nextToken"] = json!(end.to_string());
    }
    Ok(out)
}

/// A stable id of the `index`th event of `stream` at `t`: the time, the stream's digest, the position.
fn event_id(t: i64, stream: &str, index: usize) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(stream.as_bytes());
    format!("{t}{}{index:010}", hex::encode(&digest[..8]))
}

fn create_log_group(logs: &Logs, scope: &Scope, input: &Value) -> Result<Value, LogsError> {
    let name = group_name(input)?;
    check_group_name(&name)?;
    if all_groups(logs, scope)?.iter().any(|g| g.name == name) {
        return Err(LogsError::exists("The specified log group already exists"));
    }
    let now = chrono::Utc::now().timestamp_millis();
    logs.groups
        .update(&key(scope, &name), |old| {
            Some(GroupSettings {
                created: Some(now),
                retention_in_days: old.and_then(|o| o.retention_in_days),
            })
        })
        .map_err(|e| LogsError::internal(format!("cannot store the log group: {e}")))?;
    Ok(json!({}))
}

/// CloudWatch's rule for group names: 1-512 of `[\.\-_/#A-Za-z0-9]`.
fn check_group_name(name: &str) -> Result<(), LogsError> {
    let valid = (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c));
    if valid {
        Ok(())
    } else {
        Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: Member must \
             satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )))
    }
}

fn delete_log_group(logs: &Logs, scope: &Scope, input: &Value) -> Result<Value, LogsError> {
    let group = find_group(logs, scope, input)?;
    if let Some(folder) = &group.folder {
        logs.store
            .remove_streams(folder)
            .map_err(|e| LogsError::internal(format!("cannot delete the streams: {e}")))?;
    }
    logs.groups
        .update(&key(scope, &group.name), |_| None)
        .map_err(|e| LogsError::internal(format!("cannot store the change: {e}")))?;
    Ok(json!({}))
}

fn put_retention_policy(logs: &Logs, scope: &Scope, input: &Value) -> Result<Value, LogsError> {
    let group = find_group(logs, scope, input)?;
    let days = input.get("retentionInDays").and_then(Value::as_u64);
    let Some(days) = days.filter(|d| RETENTION_DAYS.contains(d)) else {
        let shown = input
            .get("retentionInDays")
            .map_or_else(|| "null".to_owned(), Value::to_string);
        return Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{shown}' at 'retentionInDays' failed to satisfy constraint: Member \
             must satisfy enum value set: [{}]",
            RETENTION_DAYS.map(|d| d.to_string()).join(", ")
        )));
    };
    logs.groups
        .update(&key(scope, &group.name), |old| {
            Some(GroupSettings {
                created: old.and_then(|o| o.created),
                retention_in_days: u32::try_from(days).ok(),
            })
        })
        .map_err(|e| LogsError::internal(format!("cannot store the retention: {e}")))?;
    Ok(json!({}))
}
