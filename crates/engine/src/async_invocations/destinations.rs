//! Where the record of an asynchronous invocation goes: `OnSuccess` / `OnFailure` destinations and the
//! function's dead-letter queue.
//!
//! The record has the shape of Lambda's invocation record
//! (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html>). A lamina
//! function as destination (its ARN, qualified or not) is invoked asynchronously with the record as its
//! event; queues, topics, event buses and buckets are not served here, so a record for one is logged as
//! not delivered.

use lamina_execution::Invoked;
use lamina_store::QueuedEvent;
use serde_json::{Value, json};

use super::EventDocument;
use super::worker::Settings;
use crate::Engine;
use crate::event_invoke_configs::LAMBDA_DESTINATION;

/// Why a record is sent (`requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Condition {
    Success,
    RetriesExhausted,
    EventAgeExceeded,
}

impl Condition {
    fn as_str(self) -> &'static str {
        match self {
            Condition::Success => "Success",
            Condition::RetriesExhausted => "RetriesExhausted",
            Condition::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// A payload as JSON, or as a string when it is not JSON (an empty event is `{}`).
fn as_json(payload: &[u8]) -> Value {
    if payload.is_empty() {
        return json!({});
    }
    serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()))
}

/// The invocation record of `event`, run `invoke_count` times; `response` is its last run's, if it ran.
pub(super) fn record(
    doc: &EventDocument,
    event: &QueuedEvent,
    condition: Condition,
    invoke_count: u32,
    response: Option<&Invoked>,
) -> Value {
    let mut record = json!({
        "version": "1.0",
        "timestamp": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "requestContext": {
            "requestId": event.id,
            "functionArn": format!("{}:{}", doc.scope().function_arn(&doc.function), doc.version),
            "condition": condition.as_str(),
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": as_json(&event.payload),
    });
    if let (Some(response), Some(fields)) = (response, record.as_object_mut()) {
        let mut context = json!({"statusCode": 200, "executedVersion": doc.version});
        if response.function_error {
            context["functionError"] = json!("Unhandled");
        }
        fields.insert("responseContext".into(), context);
        fields.insert("responsePayload".into(), as_json(&response.payload));
    }
    record
}

impl Engine {
    /// Sends `record` to `destination`: a lamina function gets it as an asynchronous invocation; any
    /// other destination is logged as not available.
    pub(super) async fn deliver(&self, doc: &EventDocument, destination: &str, record: Value) {
        let request_id = record["requestContext"]["requestId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let Some(caps) = LAMBDA_DESTINATION.captures(destination) else {
            tracing::warn!(
                request_id = %request_id,
                function = %doc.function,
                destination,
                "the destination of this asynchronous invocation is not available on this server (only lamina functions are); its record is not delivered"
            );
            return;
        };
        let scope = doc.scope();
        let name = caps[3].to_owned();
        let qualifier = caps.get(4).map(|q| q.as_str().trim_start_matches(':').to_owned());
        let target = match self
            .routed(&scope, &name, qualifier.as_deref().unwrap_or("$LATEST"))
            .await
        {
            Ok(routed) => routed.pick(),
            Err(e) => {
                tracing::warn!(request_id = %request_id, destination, error = %e, "the destination function cannot be invoked; the record is not delivered");
                return;
            }
        };
        let target_doc = EventDocument {
            account: scope.account.clone(),
            region: scope.region.clone(),
            function: name,
            version: target.version.clone(),
            qualifier,
        };
        let payload = match serde_json::to_vec(&record) {
            Ok(payload) => payload,
            Err(e) => {
                tracing::error!(request_id = %request_id, error = %e, "cannot encode the invocation record");
                return;
            }
        };
        if let Err(e) = self
            .enqueue_event(uuid::Uuid::new_v4().to_string(), payload, &target_doc)
            .await
        {
            tracing::error!(request_id = %request_id, destination, error = %e, "cannot queue the invocation record for its destination");
        }
    }

    /// Sends the record of an event that is dropped to the `OnFailure` destination, and says in the log
    /// that the function's dead-letter queue (if it has one) is not served here.
    pub(super) async fn deliver_failure(
        &self,
        settings: &Settings,
        doc: &EventDocument,
        event: &QueuedEvent,
        condition: Condition,
        response: Option<&Invoked>,
    ) {
        let invoke_count = event.attempts + u32::from(response.is_some());
        if let Some(destination) = &settings.on_failure {
            self.deliver(
                doc,
                destination,
                record(doc, event, condition, invoke_count, response),
            )
            .await;
        }
        if let Some(target) = self.dead_letter_target(doc).await {
            tracing::warn!(
                request_id = %event.id,
                function = %doc.function,
                target = %target,
                "the function's dead-letter queue is not available on this server; the event is not sent there"
            );
        }
    }

    /// The `DeadLetterConfig.TargetArn` of the version an event ran.
    async fn dead_letter_target(&self, doc: &EventDocument) -> Option<String> {
        let scope = doc.scope();
        let record = if doc.version == "$LATEST" {
            self.load(&scope, &doc.function)
                .await
                .ok()
                .flatten()
                .map(|(_, r)| r)
        } else {
            self.resolve_version(&scope, &doc.function, &doc.version)
                .await
                .ok()
        }?;
        record
            .echoed
            .get("DeadLetterConfig")
            .and_then(|c| c.get("TargetArn"))
            .and_then(Value::as_str)
            .filter(|arn| !arn.is_empty())
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_has_lambdas_shape() {
        let doc = EventDocument {
            account: "123456789012".into(),
            region: "us-east-2".into(),
            function: "my-function".into(),
            version: "$LATEST".into(),
            qualifier: None,
        };
        let event = QueuedEvent {
            id: "e4b46cbf".into(),
            enqueued_at_ms: 0,
            due_at_ms: 0,
            attempts: 2,
            document: String::new(),
            payload: br#"{"ORDER_IDS":["9e07af03"]}"#.to_vec(),
        };
        let invoked = Invoked {
            request_id: "e4b46cbf".into(),
            payload: bytes::Bytes::from_static(br#"{"errorMessage":"boom"}"#),
            function_error: true,
            log_tail: None,
        };
        let mut r = record(&doc, &event, Condition::RetriesExhausted, 3, Some(&invoked));
        assert!(
            r["timestamp"]
                .as_str()
                .is_some_and(|t| t.len() == 24 && t.ends_with('Z'))
        );
        r["timestamp"] = json!("t");
        assert_eq!(
            r,
            json!({
                "version": "1.0",
                "timestamp": "t",
                "requestContext": {
                    "requestId": "e4b46cbf",
                    "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST",
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": 3
                },
                "requestPayload": {"ORDER_IDS": ["9e07af03"]},
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                "responsePayload": {"errorMessage": "boom"}
            })
        );
        let aged = record(&doc, &event, Condition::EventAgeExceeded, 2, None);
        assert!(
            aged.get("responseContext").is_none(),
            "an event that did not run has no response"
        );
    }
}
