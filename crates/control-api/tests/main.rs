//! The router driven in-process with `tower::ServiceExt::oneshot`: wire details that need no real
//! client (request ids, size limits, routing of unknown operations, the SigV4 region).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use lamina_engine::{Engine, EngineConfig};
use tower::ServiceExt;

fn router() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        account_id: "000000000000".into(),
        strict_packages: false,
        ..EngineConfig::new(std::path::PathBuf::new())
    })
    .expect("engine");
    let config = config(lamina_control_api::Authentication::None, dir.path());
    (lamina_control_api::router(engine, config), dir)
}

fn config(
    authentication: lamina_control_api::Authentication,
    dir: &std::path::Path,
) -> lamina_control_api::ApiConfig {
    lamina_control_api::ApiConfig {
        authentication,
        default_account: "000000000000".into(),
        public_endpoint: "http://lamina.test:9001".into(),
        server_key: lamina_auth::ServerKey::load_or_create(&dir.join("server-key")).expect("server key"),
        uploads: lamina_control_api::Uploads::new(dir.join("spool")),
    }
}

/// A router that verifies signatures with the development key.
fn signed_router() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineConfig::new(dir.path().to_path_buf())).expect("engine");
    let keys = lamina_auth::CredentialSet::development("000000000000");
    let config = config(lamina_control_api::Authentication::SigV4(keys), dir.path());
    (lamina_control_api::router(engine, config), dir)
}

#[tokio::test]
async fn unsigned_requests_are_refused_before_their_body_is_read() {
    let (router, _dir) = signed_router();
    let request = Request::get("/2015-03-31/functions/")
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["x-amzn-errortype"], "MissingAuthenticationTokenException");
    assert!(headers.contains_key("x-amzn-requestid"));
    assert_eq!(
        body,
        serde_json::json!({"message": "Missing Authentication Token"})
    );
    // A body that never ends would hang a server that read it first.
    let endless = Body::from_stream(tokio_util::io::ReaderStream::new(Endless));
    let request = Request::post("/2015-03-31/functions")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=nobody/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
        )
        .header("x-amz-date", "20260101T000000Z")
        .body(endless)
        .expect("request");
    let (status, headers, _) = send(router, request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["x-amzn-errortype"], "UnrecognizedClientException");
}

/// A request signed with the development key as an SDK signs it; with `chunked`, its body is sent
/// aws-chunked (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) in 8-byte chunks, the one at `tamper` altered.
fn signed_post(path: &str, payload: &[u8], chunked: bool, tamper: Option<usize>) -> Request<Body> {
    use axum::http::{HeaderMap, HeaderValue, Method};
    let credential = lamina_auth::Credential {
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        account_id: "000000000000".into(),
    };
    let now = chrono::Utc::now();
    let uri: axum::http::Uri = format!("http://lamina.test{path}").parse().expect("uri");
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if chunked {
        headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static(lamina_auth::sigv4::STREAMING_PAYLOAD),
        );
        headers.insert("content-encoding", HeaderValue::from_static("aws-chunked"));
        headers.insert("x-amz-decoded-content-length", HeaderValue::from(payload.len()));
    }
    let signer = lamina_auth::Signer {
        credential: &credential,
        region: "us-east-1",
        service: "lambda",
        now,
    };
    lamina_auth::sign_request(&signer, &Method::POST, &uri, &mut headers, payload).expect("sign");
    let body = if chunked {
        let authorization = headers["authorization"].to_str().expect("ascii").to_owned();
        let seed = authorization
            .rsplit("Signature=")
            .next()
            .expect("signature")
            .to_owned();
        let amz_date = lamina_auth::sigv4::format_amz_date(now);
        let context = lamina_auth::chunked::ChunkContext {
            key: lamina_auth::sigv4::SigningKey::derive("test", &amz_date[..8], "us-east-1", "lambda"),
            scope: format!("{}/us-east-1/lambda/aws4_request", &amz_date[..8]),
            amz_date,
            seed_signature: seed,
        };
        let mut encoded = lamina_auth::chunked::encode(&context, payload, 8);
        if let Some(at) = tamper {
            // The first chunk's data starts after its header line.
            let start = encoded.windows(2).position(|w| w == b"\r\n").expect("header") + 2;
            encoded[start + at] ^= 0x20;
        }
        encoded
    } else {
        payload.to_vec()
    };
    let mut request = Request::post(path).body(Body::from(body)).expect("request");
    *request.headers_mut() = headers;
    request
}

#[tokio::test]
async fn aws_chunked_bodies_are_verified_chunk_by_chunk_and_decoded() {
    let (router, _dir) = signed_router();
    let payload = br#"{"FunctionName":"chunked","Runtime":"provided.al2023"}"#;
    let plain = send(
        router.clone(),
        signed_post("/2015-03-31/functions", payload, false, None),
    )
    .await;
    assert_ne!(plain.0, StatusCode::FORBIDDEN, "{:?}", plain.2);
    let chunked = send(
        router.clone(),
        signed_post("/2015-03-31/functions", payload, true, None),
    )
    .await;
    assert_eq!(
        (chunked.0, &chunked.2),
        (plain.0, &plain.2),
        "the decoded body is the operation's input"
    );
    assert_eq!(chunked.1["x-amzn-errortype"], plain.1["x-amzn-errortype"]);
    let tampered = send(
        router,
        signed_post("/2015-03-31/functions", payload, true, Some(2)),
    )
    .await;
    assert_eq!(tampered.0, StatusCode::FORBIDDEN);
    assert_eq!(tampered.1["x-amzn-errortype"], "InvalidSignatureException");
}

/// A body that never sends a byte and never ends.
struct Endless;

impl tokio::io::AsyncRead for Endless {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        _buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Pending
    }
}

async fn send(
    router: axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let response = router.oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .expect("body");
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("json")
    };
    (status, headers, json)
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let (router, _dir) = router();
    let ok = Request::get("/2016-08-19/account-settings/")
        .body(Body::empty())
        .expect("request");
    let (status, headers, _) = send(router.clone(), ok).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("x-amzn-requestid"));
    let missing = Request::get("/2015-03-31/functions/nope")
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = send(router, missing).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers.contains_key("x-amzn-requestid"));
    assert_eq!(headers["x-amzn-errortype"], "ResourceNotFoundException");
    assert_eq!(
        body["Message"],
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    );
}

#[tokio::test]
async fn region_is_taken_from_the_signature() {
    let (router, _dir) = router();
    let request = Request::get("/2015-03-31/functions/nope")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/ap-southeast-2/lambda/aws4_request, SignedHeaders=host, \
             Signature=0",
        )
        .body(Body::empty())
        .expect("request");
    let (_, _, body) = send(router, request).await;
    assert_eq!(
        body["Message"],
        "Function not found: arn:aws:lambda:ap-southeast-2:000000000000:function:nope"
    );
}

#[tokio::test]
async fn request_over_70_167_211_bytes_is_413() {
    let (router, _dir) = router();
    let n = 70_167_212usize;
    let request = Request::post("/2015-03-31/functions")
        .header("content-type", "application/json")
        .header("content-length", n.to_string())
        .body(Body::from(vec![b' '; n]))
        .expect("request");
    let (status, headers, body) = send(router, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(headers["x-amzn-errortype"], "RequestEntityTooLargeException");
    assert_eq!(
        body["message"],
        "Request must be smaller than 70167211 bytes for the CreateFunction operation"
    );
}

#[tokio::test]
async fn unknown_paths_and_unimplemented_operations() {
    let (router, _dir) = router();
    let request = Request::post("/2025-11-30/capacity-providers")
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["x-amzn-errortype"], "UnsupportedOperationException");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("CreateCapacityProvider")
    );
    let request = Request::get("/no/such/thing")
        .body(Body::empty())
        .expect("request");
    let (status, headers, _) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["x-amzn-errortype"], "UnknownOperationException");
    // A known path with a method it does not take.
    let request = Request::post("/2015-03-31/functions/f/configuration")
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = send(router, request).await;
    assert!(status.is_client_error());
}

#[tokio::test]
async fn malformed_json_is_a_client_error() {
    let (router, _dir) = router();
    let request = Request::post("/2015-03-31/functions")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .expect("request");
    let (status, headers, _) = send(router, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["x-amzn-errortype"], "InvalidRequestContentException");
}

#[tokio::test]
async fn layers_route_on_find_and_serve_their_zip_at_content_location() {
    use base64::Engine as _;
    let (router, _dir) = router();
    let mut builder = lamina_package::PackageBuilder::new();
    builder
        .add_bytes("data.txt", b"layer data".to_vec(), 0o644)
        .expect("entry");
    let zip = builder
        .write(std::io::Cursor::new(Vec::new()))
        .expect("zip")
        .into_inner();
    let body = serde_json::json!({
        "Content": {"ZipFile": base64::engine::general_purpose::STANDARD.encode(&zip)},
        "CompatibleRuntimes": ["provided.al2023"],
    });
    let request = Request::post("/2018-10-31/layers/lib/versions")
        .header("host", "lamina.test:9001")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, _, published) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    let arn = "arn:aws:lambda:us-east-1:000000000000:layer:lib:1";
    assert_eq!(published["LayerVersionArn"], arn);
    let location = published["Content"]["Location"].as_str().expect("location");
    let path = location
        .strip_prefix("http://lamina.test:9001")
        .expect("on the public endpoint");

    // `find=LayerVersion` makes the list path GetLayerVersionByArn.
    let request = Request::get(format!("/2018-10-31/layers?find=LayerVersion&Arn={arn}"))
        .body(Body::empty())
        .expect("request");
    let (status, _, found) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["Version"], 1);
    assert_eq!(found["Content"]["CodeSha256"], published["Content"]["CodeSha256"]);
    let request = Request::get("/2018-10-31/layers")
        .body(Body::empty())
        .expect("request");
    let (status, _, listed) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        listed["Layers"][0]["LatestMatchingVersion"]["LayerVersionArn"],
        arn
    );

    let response = router
        .clone()
        .oneshot(
            Request::get(path)
                .header("host", "lamina.test:9001")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    assert_eq!(bytes.as_ref(), zip.as_slice());

    let request = Request::get("/2018-10-31/layers/lib/versions/x")
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let request = Request::delete("/2018-10-31/layers/lib/versions/1")
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let request = Request::get("/2018-10-31/layers/lib/versions/1")
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = send(router, request).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["x-amzn-errortype"], "ResourceNotFoundException");
    assert_eq!(body["Message"], "The resource you requested does not exist.");
}
