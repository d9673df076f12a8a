//! The Rust `aws-sdk-lambda` crate against a real `lamina serve`: the SDK's serializers, its strict
//! deserializers and its error decoding must all accept lamina's answers.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Runtime, State};

struct Server {
    child: Child,
    endpoint: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `lamina serve` on a port the kernel picks, read from the banner's `export AWS_ENDPOINT_URL=` line.
fn start_server() -> Server {
    let data = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lamina"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lamina serve");
    let stderr = child.stderr.take().expect("stderr");
    let (found, endpoint) = std::sync::mpsc::channel();
    // Reads the banner, then keeps draining stderr so that the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("export AWS_ENDPOINT_URL=") {
                let _ = found.send(url.to_owned());
            }
        }
    });
    let endpoint = endpoint
        .recv_timeout(Duration::from_secs(30))
        .expect("lamina serve printed its address within 30 s");
    Server {
        child,
        endpoint,
        _data: data,
    }
}

fn bootstrap_zip() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("bootstrap", options).expect("entry");
    zip.write_all(b"#!/bin/sh\necho hi\n").expect("write");
    zip.finish().expect("finish");
    buf.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_lambda_round_trip() {
    let server = start_server();
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&server.endpoint)
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let client = aws_sdk_lambda::Client::from_conf(config);

    let zip = bootstrap_zip();
    let created = client
        .create_function()
        .function_name("sdk-fn")
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role("arn:aws:iam::111122223333:role/lambda-ex")
        .architectures(Architecture::Arm64)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(Blob::new(zip.clone()))
                .build(),
        )
        .send()
        .await
        .expect("create_function");
    assert_eq!(
        created.function_arn(),
        Some("arn:aws:lambda:eu-west-1:000000000000:function:sdk-fn")
    );
    assert_eq!(created.state(), Some(&State::Pending));
    assert_eq!(created.code_size(), zip.len() as i64);

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = client
            .get_function()
            .function_name("sdk-fn")
            .send()
            .await
            .expect("get_function");
        if got.configuration().and_then(|c| c.state()) == Some(&State::Active) {
            assert!(
                got.code()
                    .and_then(|c| c.location())
                    .is_some_and(|l| l.contains("/_lamina/code/"))
            );
            break;
        }
        assert!(Instant::now() < deadline, "function never became Active");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let listed = client.list_functions().send().await.expect("list_functions");
    assert_eq!(listed.functions().len(), 1);

    let version = client
        .publish_version()
        .function_name("sdk-fn")
        .send()
        .await
        .expect("publish_version");
    assert_eq!(version.version(), Some("1"));

    let settings = client
        .get_account_settings()
        .send()
        .await
        .expect("get_account_settings");
    assert_eq!(settings.account_usage().map(|u| u.function_count()), Some(1));

    let missing = client
        .get_function()
        .function_name("nope")
        .send()
        .await
        .expect_err("missing function");
    let service = missing.into_service_error();
    assert!(service.is_resource_not_found_exception(), "{service:?}");
    assert_eq!(
        aws_sdk_lambda::error::ProvideErrorMetadata::message(&service),
        Some("Function not found: arn:aws:lambda:eu-west-1:000000000000:function:nope")
    );

    client
        .delete_function()
        .function_name("sdk-fn")
        .send()
        .await
        .expect("delete_function");
}
