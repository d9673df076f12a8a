//! The Runtime API's answers to requests out of order, over raw HTTP/1.1.

use std::sync::Arc;
use std::time::Duration;

use lamina_runtime_api::{EnvironmentInfo, Invocation, Lifecycle, Outcome, RuntimeApi};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn server() -> (Arc<RuntimeApi>, std::net::SocketAddr) {
    let api = RuntimeApi::new(EnvironmentInfo::new("f", "$LATEST", "handler"));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(lamina_runtime_api::serve(api.clone(), listener));
    (api, address)
}

/// Sends one request and returns (status, lower-cased head, body).
async fn request(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "{method} /2018-06-01{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answer")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// Submits an invocation and takes it with `/next`, returning the invoke task.
async fn delivered(
    api: &Arc<RuntimeApi>,
    address: std::net::SocketAddr,
    id: &str,
) -> tokio::task::JoinHandle<Result<Outcome, lamina_runtime_api::InvokeError>> {
    let task = tokio::spawn({
        let api = api.clone();
        let id = id.to_owned();
        async move {
            api.invoke(Invocation::new(
                &id,
                b"{\"k\":\"v\"}".to_vec(),
                "arn:aws:lambda:us-east-1:000000000000:function:f",
            ))
            .await
        }
    });
    let (status, head, body) = request(address, "GET", "/runtime/invocation/next", "", b"").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(
        head.contains(&format!("lambda-runtime-aws-request-id: {id}")),
        "{head}"
    );
    assert!(head.contains("lambda-runtime-deadline-ms: "), "{head}");
    assert!(
        head.contains(
            "lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:000000000000:function:f"
        ),
        "{head}"
    );
    assert_eq!(body, "{\"k\":\"v\"}");
    task
}

#[tokio::test]
async fn results_for_unknown_repeated_and_timed_out_ids() {
    let (api, address) = server().await;
    let task = delivered(&api, address, "r1").await;

    let (status, _, body) = request(address, "POST", "/runtime/invocation/nope/response", "", b"{}").await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#
        )
    );

    let (status, head, body) = request(
        address,
        "POST",
        "/runtime/invocation/r1/response",
        "",
        b"\"done\"",
    )
    .await;
    assert_eq!((status, body.as_str()), (202, r#"{"status":"OK"}"#));
    assert!(head.contains("content-type: application/json"), "{head}");
    assert_eq!(
        task.await.expect("join"),
        Ok(Outcome::Response {
            body: "\"done\"".into(),
            content_type: None
        })
    );

    let (status, _, body) = request(address, "POST", "/runtime/invocation/r1/error", "", b"{}").await;
    assert_eq!(status, 403);
    assert!(body.contains("InvalidStateTransition"), "{body}");

    let task = delivered(&api, address, "r2").await;
    api.abandon();
    assert!(task.await.expect("join").is_err());
    let (status, _, body) = request(address, "POST", "/runtime/invocation/r2/response", "", b"{}").await;
    assert_eq!(
        (status, body.as_str()),
        (
            410,
            r#"{"errorMessage":"Invoke timeout","errorType":"InvokeTimeout"}"#
        )
    );
}

#[tokio::test]
async fn oversized_results_get_413() {
    let (api, address) = server().await;
    let task = delivered(&api, address, "r1").await;
    let body = vec![b'x'; lamina_runtime_api::wire::MAX_RESPONSE_BYTES + 1];
    let (status, _, answer) = request(address, "POST", "/runtime/invocation/r1/response", "", &body).await;
    assert_eq!(status, 413);
    assert_eq!(
        answer,
        r#"{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}"#
    );
    assert_eq!(task.await.expect("join"), Ok(Outcome::ResponseTooLarge));
}

#[tokio::test]
async fn error_type_comes_from_the_body_or_the_header() {
    let (api, address) = server().await;
    let task = delivered(&api, address, "r1").await;
    let (status, _, _) = request(
        address,
        "POST",
        "/runtime/invocation/r1/error",
        "Lambda-Runtime-Function-Error-Type: unhandled\r\n",
        br#"{"errorMessage":"x","errorType":"MyError"}"#,
    )
    .await;
    assert_eq!(status, 202);
    match task.await.expect("join") {
        Ok(Outcome::FunctionError { error_type, .. }) => assert_eq!(error_type, "MyError"),
        other => panic!("{other:?}"),
    }

    let task = delivered(&api, address, "r2").await;
    let headers = "lambda-runtime-function-error-type: Runtime.Custom\r\n";
    let (status, _, _) = request(address, "POST", "/runtime/invocation/r2/error", headers, b"").await;
    assert_eq!(status, 202);
    match task.await.expect("join") {
        Ok(Outcome::FunctionError { error_type, body }) => {
            assert_eq!(error_type, "Runtime.Custom");
            assert_eq!(body, r#"{"errorMessage":"","errorType":"Runtime.Custom"}"#);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn init_errors_end_init_and_refuse_next() {
    let (api, address) = server().await;
    let (status, _, _) = request(
        address,
        "POST",
        "/runtime/init/error",
        "Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError\r\n",
        br#"{"errorMessage":"Unable to import module 'x'","errorType":"Runtime.ImportModuleError"}"#,
    )
    .await;
    assert_eq!(status, 202);
    assert!(
        matches!(&*api.lifecycle().borrow(), Lifecycle::InitFailed(r) if r.error_type == "Runtime.ImportModuleError")
    );
    let (status, _, body) = request(address, "GET", "/runtime/invocation/next", "", b"").await;
    assert_eq!(status, 403, "{body}");
}

/// Waits until `api` reports whether the runtime waits on `/next` as `waiting` (bounded, no sleep: the
/// server task runs between the checks).
async fn until_polling(api: &RuntimeApi, waiting: bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while api.is_polling() != waiting {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the runtime's /next state did not change");
}

/// Sends `GET /next` on a fresh connection without reading the answer.
async fn park_next(address: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    stream
}

#[tokio::test]
async fn a_second_next_while_one_waits_is_refused_and_never_gets_the_event() {
    let (api, address) = server().await;
    let mut runtime = park_next(address).await;
    until_polling(&api, true).await;

    let (status, head, body) = request(address, "GET", "/runtime/invocation/next", "", b"").await;
    assert_eq!(status, 403, "{body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let error: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
    assert_eq!(error["errorType"], "InvalidStateTransition", "{body}");

    // The event goes to the runtime that was waiting first.
    let task = tokio::spawn({
        let api = api.clone();
        async move { api.invoke(Invocation::new("r1", b"{}".to_vec(), "arn")).await }
    });
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), runtime.read(&mut answer))
        .await
        .expect("answer")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..n]).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 200"), "{answer}");
    assert!(answer.contains("lambda-runtime-aws-request-id: r1"), "{answer}");
    let (status, _, _) = request(address, "POST", "/runtime/invocation/r1/response", "", b"1").await;
    assert_eq!(status, 202);
    assert!(task.await.expect("join").is_ok());
}

#[tokio::test]
async fn a_next_whose_client_went_away_does_not_count() {
    let (api, address) = server().await;
    let gone = park_next(address).await;
    until_polling(&api, true).await;
    drop(gone);
    until_polling(&api, false).await;

    // A new runtime connection (hyper's client opens several) is the consumer now.
    let task = delivered(&api, address, "r1").await;
    let (status, _, _) = request(address, "POST", "/runtime/invocation/r1/response", "", b"1").await;
    assert_eq!(status, 202);
    assert!(task.await.expect("join").is_ok());
}

/// Takes the next part a streamed result sent, within a deadline.
async fn next_part(
    parts: &mut tokio::sync::mpsc::Receiver<lamina_runtime_api::ResponsePart>,
) -> Option<lamina_runtime_api::ResponsePart> {
    tokio::time::timeout(Duration::from_secs(10), parts.recv())
        .await
        .expect("a part or the end within 10 s")
}

#[tokio::test]
async fn a_chunked_response_is_passed_on_as_it_arrives_and_rusts_error_chunk_ends_it() {
    use lamina_runtime_api::{ResponsePart, ResponseSink};
    let (api, address) = server().await;
    let (sink, mut parts) = ResponseSink::channel();
    let task = tokio::spawn({
        let api = api.clone();
        async move {
            api.invoke_streaming(Invocation::new("s1", b"{}".to_vec(), "arn"), sink)
                .await
        }
    });
    let (status, _, _) = request(address, "GET", "/runtime/invocation/next", "", b"").await;
    assert_eq!(status, 200);
    // As Rust's lambda_runtime streams: the mode header, chunks, and its error as a last data chunk.
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let head = "POST /2018-06-01/runtime/invocation/s1/response HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                Transfer-Encoding: chunked\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n\
                Content-Type: application/vnd.awslambda.http-integration-response\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(b"6\r\nfirst \r\n").await.expect("write");
    assert_eq!(
        next_part(&mut parts).await,
        Some(ResponsePart::Head {
            content_type: Some("application/vnd.awslambda.http-integration-response".into())
        })
    );
    // The first chunk arrives while the body is still open.
    assert_eq!(
        next_part(&mut parts).await,
        Some(ResponsePart::Chunk("first ".into()))
    );
    let error = "Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n\
                 Lambda-Runtime-Function-Error-Body: Ym9vbQ==\r\n";
    stream
        .write_all(format!("{:x}\r\n{error}\r\n0\r\n\r\n", error.len()).as_bytes())
        .await
        .expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answer")
        .expect("read");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 202"));
    // The error chunk is not data: the stream ends, and the outcome is the error.
    assert_eq!(next_part(&mut parts).await, None);
    match task.await.expect("join") {
        Ok(Outcome::FunctionError { body, error_type }) => {
            assert_eq!(error_type, "Runtime.StreamError");
            let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
            assert_eq!(body["errorMessage"], "boom");
        }
        other => panic!("not a stream error: {other:?}"),
    }
}
