//! `RESPONSE_STREAM` URLs: the response begins as soon as the function's result does, and its body
//! flows while the function writes it.
//!
//! A result of type `application/vnd.awslambda.http-integration-response` (aws-lambda-go's
//! `LambdaFunctionURLStreamingResponse`, Rust `lambda_runtime`'s streaming responses) starts with a JSON
//! prelude and 8 NUL bytes: the prelude gives the status, headers and cookies, the rest is the body. A
//! result of type `application/json` is a value the function returned: it is mapped as a `BUFFERED` URL
//! maps it. Any other result is the body of a 200 of its content type. An error before the result
//! begins is answered as on a `BUFFERED` URL; an error after it ends the body with what the function had
//! written (the status is sent already; the function's log says it failed). The body is not cut
//! short with a connection reset: the server could then drop the last bytes it had not flushed.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use lamina_engine::{
    Engine, EngineError, FunctionUrlTarget, InvokeInput, InvokeOutput, ResponsePart, ResponseSink,
};
use tokio::sync::mpsc::Receiver;
use tokio::task::JoinHandle;

use crate::response::{self, UrlResponse};

/// The content type of a result that starts with an HTTP prelude.
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";
/// What separates the prelude from the body.
const PRELUDE_END: [u8; 8] = [0; 8];
/// The largest prelude taken (status, headers and cookies).
const PRELUDE_MAX: usize = 1024 * 1024;
/// The largest returned value mapped as a `BUFFERED` URL maps it (Lambda's 6 MB).
const VALUE_MAX: usize = 6 * 1024 * 1024;

type Run = JoinHandle<Result<InvokeOutput, EngineError>>;

/// The head of a streamed answer, and its body (`None`: the head's own body is the whole answer).
pub(crate) type Streamed = (UrlResponse, Option<Body>);

/// Invokes the URL's function with its result streamed, and answers once the result begins.
pub(crate) async fn invoke(engine: &Engine, target: &FunctionUrlTarget, mut input: InvokeInput) -> Streamed {
    let (sink, mut parts) = ResponseSink::channel();
    input.stream = Some(sink);
    let (engine, target_scope, function, alias) = (
        engine.clone(),
        target.scope.clone(),
        target.function_name.clone(),
        target.alias.clone(),
    );
    // Its own task: the invocation runs to its end even when the client goes away.
    let mut run: Run = tokio::spawn(async move {
        engine
            .invoke(&target_scope, &function, alias.as_deref(), input)
            .await
    });
    let head = tokio::select! {
        biased;
        part = parts.recv() => part,
        ran = &mut run => return (crate::answer_of(task_result(ran)), None),
    };
    let Some(ResponsePart::Head { content_type }) = head else {
        return (crate::answer_of(joined(run).await), None);
    };
    match content_type.as_deref() {
        Some(HTTP_INTEGRATION) => with_prelude(parts, run).await,
        Some("application/json") => {
            let (value, _) = collect(&mut parts, None, VALUE_MAX).await;
            match joined(run).await {
                Ok(out) if !out.function_error && out.payload.is_empty() => {
                    (response::from_result(&value), None)
                }
                other => (crate::answer_of(other), None),
            }
        }
        other => {
            let head = UrlResponse {
                status: 200,
                headers: vec![(
                    "content-type".into(),
                    other.unwrap_or("application/octet-stream").to_owned(),
                )],
                cookies: Vec::new(),
                body: Bytes::new(),
            };
            (head, Some(body(Bytes::new(), parts)))
        }
    }
}

/// Reads the prelude, then answers with the head it describes and the rest as the body.
async fn with_prelude(mut parts: Receiver<ResponsePart>, run: Run) -> Streamed {
    let (read, found) = collect(&mut parts, Some(&PRELUDE_END), PRELUDE_MAX).await;
    let Some(end) = found else {
        // The result ended (or failed, or grew too long) before its prelude did.
        return match joined(run).await {
            Ok(out) if !out.function_error => (UrlResponse::bad_gateway(), None),
            other => (crate::answer_of(other), None),
        };
    };
    let Some(head) = response::from_prelude(&read[..end]) else {
        return (UrlResponse::bad_gateway(), None);
    };
    let rest = read.slice(end + PRELUDE_END.len()..);
    (head, Some(body(rest, parts)))
}

/// Reads chunks until `until` appears in what was read (its position), the result ends, or `max` bytes.
async fn collect(
    parts: &mut Receiver<ResponsePart>,
    until: Option<&[u8]>,
    max: usize,
) -> (Bytes, Option<usize>) {
    let mut read = BytesMut::new();
    while let Some(part) = parts.recv().await {
        let ResponsePart::Chunk(chunk) = part else {
            continue;
        };
        let searched_from = read.len().saturating_sub(until.map_or(0, |u| u.len() - 1));
        read.extend_from_slice(&chunk);
        if let Some(until) = until
            && let Some(at) = read[searched_from..]
                .windows(until.len())
                .position(|w| w == until)
        {
            return (read.freeze(), Some(searched_from + at));
        }
        if read.len() > max {
            break;
        }
    }
    (read.freeze(), None)
}

/// The body: `first`, then the chunks as they come, until the result ends (the invocation's task
/// carries on to its end, whatever the client does).
fn body(first: Bytes, mut parts: Receiver<ResponsePart>) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        if !first.is_empty() && sender.send(Ok(first)).await.is_err() {
            return;
        }
        while let Some(part) = parts.recv().await {
            if let ResponsePart::Chunk(chunk) = part
                && sender.send(Ok(chunk)).await.is_err()
            {
                // The client went away; the invocation carries on to its end.
                return;
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(receiver, |mut pieces| async move {
        Some((pieces.recv().await?, pieces))
    }))
}

async fn joined(run: Run) -> Result<InvokeOutput, EngineError> {
    task_result(run.await)
}

fn task_result(
    ran: Result<Result<InvokeOutput, EngineError>, tokio::task::JoinError>,
) -> Result<InvokeOutput, EngineError> {
    ran.unwrap_or_else(|e| {
        Err(EngineError::Internal(format!(
            "the invocation's task failed: {e}"
        )))
    })
}
