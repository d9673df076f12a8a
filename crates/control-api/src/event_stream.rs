//! InvokeWithResponseStream's response body: `application/vnd.amazon.eventstream` messages (prelude,
//! headers, payload and their CRC32s, framed by `aws-smithy-eventstream`, the SDKs' own codec), one
//! `PayloadChunk` event per piece of the function's result and a last `InvokeComplete`.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;

/// The response's `Content-Type`.
pub(crate) const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

/// How an invocation streamed to the end: the `InvokeComplete` event's members.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InvokeComplete {
    /// The error type, when the function (or Lambda on its behalf) failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_code: Option<String>,
    /// The error JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_details: Option<String>,
    /// The last 4 KB of the log, base64 (`LogType: Tail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) log_result: Option<String>,
}

/// A `PayloadChunk` event carrying `payload` (the event's payload member, as is).
pub(crate) fn payload_chunk(payload: Bytes) -> Bytes {
    event("PayloadChunk", "application/octet-stream", payload)
}

/// The `InvokeComplete` event (its members as a JSON object, as restJson1 puts a non-payload event).
pub(crate) fn invoke_complete(complete: &InvokeComplete) -> Bytes {
    let json = serde_json::to_vec(complete).unwrap_or_else(|_| b"{}".to_vec());
    event("InvokeComplete", "application/json", Bytes::from(json))
}

fn event(event_type: &'static str, content_type: &'static str, payload: Bytes) -> Bytes {
    let message = Message::new(payload)
        .add_header(Header::new(":event-type", HeaderValue::String(event_type.into())))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String(content_type.into()),
        ))
        .add_header(Header::new(":message-type", HeaderValue::String("event".into())));
    let mut out = Vec::with_capacity(message.payload().len() + 128);
    // Only a header or payload over the format's limits fails to encode; a chunk is at most what one
    // read of the runtime's body gave, far below the 16 MB payload limit.
    match write_message_to(&message, &mut out) {
        Ok(()) => Bytes::from(out),
        Err(e) => {
            tracing::error!("cannot encode a {event_type} event: {e}");
            Bytes::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::read_message_from;

    fn decoded(frame: Bytes) -> (String, String, Bytes) {
        let mut buffer = frame.clone();
        let message = read_message_from(&mut buffer).expect("a whole message with valid CRCs");
        assert!(buffer.is_empty(), "one message per frame");
        let header = |name: &str| {
            message
                .headers()
                .iter()
                .find(|h| h.name().as_str() == name)
                .and_then(|h| h.value().as_string().ok())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(header(":message-type"), "event");
        (
            header(":event-type"),
            header(":content-type"),
            message.payload().clone(),
        )
    }

    #[test]
    fn events_are_framed_as_the_sdks_decode_them() {
        let frame = payload_chunk(Bytes::from_static(b"first chunk\n"));
        // Prelude: total length, headers length (big-endian u32s), then its CRC32.
        assert_eq!(
            u32::from_be_bytes(frame[..4].try_into().expect("4 bytes")) as usize,
            frame.len()
        );
        assert_eq!(
            decoded(frame),
            (
                "PayloadChunk".into(),
                "application/octet-stream".into(),
                Bytes::from_static(b"first chunk\n")
            )
        );
        let complete = InvokeComplete {
            error_code: Some("Runtime.StreamError".into()),
            error_details: Some(r#"{"errorMessage":"x"}"#.into()),
            log_result: None,
        };
        let (event_type, content_type, payload) = decoded(invoke_complete(&complete));
        assert_eq!(
            (event_type.as_str(), content_type.as_str()),
            ("InvokeComplete", "application/json")
        );
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&payload).expect("json"),
            serde_json::json!({"ErrorCode": "Runtime.StreamError", "ErrorDetails": "{\"errorMessage\":\"x\"}"})
        );
        let (_, _, payload) = decoded(invoke_complete(&InvokeComplete::default()));
        assert_eq!(payload.as_ref(), b"{}");
        let mut corrupted = payload_chunk(Bytes::from_static(b"data")).to_vec();
        let last = corrupted.len() - 5;
        corrupted[last] ^= 1;
        assert!(
            read_message_from(&mut Bytes::from(corrupted)).is_err(),
            "the message CRC is checked"
        );
    }
}
