//! The operation table and the enums lamina validates, checked against the Lambda service model lamina
//! validates requests with: botocore's `service-2.json`, checked in and compiled into `lamina-model`
//! (`lamina_model::service_model`). Every operation with its method and URI, and every enum lamina checks
//! values against, as the error messages it sends name them. A newer model (a newer botocore's copy put
//! in its place) makes these tests name what lamina has to follow.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use lamina_engine::{Engine, EngineConfig};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{Answer, OPERATIONS};
use crate::operations::invoke::{INVOCATION_TYPES, LOG_TYPES, STREAMING_INVOCATION_TYPES};

/// The Lambda service model, parsed.
fn service_model() -> Value {
    serde_json::from_str(&lamina_model::service_model::json()).expect("the service model is JSON")
}

/// The values of the model's enum shape `shape`.
fn model_enum(model: &Value, shape: &str) -> BTreeSet<String> {
    model["shapes"][shape]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("the model has no enum shape {shape}"))
        .iter()
        .map(|v| v.as_str().expect("enum values are strings").to_owned())
        .collect()
}

/// The enum behind a member of an operation's input (`["TracingConfig", "Mode"]`), through lists.
fn input_enum(model: &Value, operation: &str, member: &[&str]) -> BTreeSet<String> {
    let mut shape = model["operations"][operation]["input"]["shape"]
        .as_str()
        .unwrap_or_else(|| panic!("the model has no operation {operation}"))
        .to_owned();
    for name in member {
        shape = model["shapes"][&shape]["members"][name]["shape"]
            .as_str()
            .unwrap_or_else(|| panic!("{operation}: {shape} has no member {name}"))
            .to_owned();
    }
    if model["shapes"][&shape]["type"] == "list" {
        shape = model["shapes"][&shape]["member"]["shape"]
            .as_str()
            .expect("a list names its member's shape")
            .to_owned();
    }
    model_enum(model, &shape)
}

fn set<'a>(values: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    values.into_iter().map(str::to_owned).collect()
}

#[test]
fn every_operation_of_the_model_is_in_the_table_with_its_method_and_uri() {
    let model = service_model();
    let operations = model["operations"].as_object().expect("operations");
    let mut wrong = Vec::new();
    for (name, operation) in operations {
        let http = &operation["http"];
        let (method, uri) = (
            http["method"].as_str().unwrap_or_default(),
            http["requestUri"].as_str().unwrap_or_default(),
        );
        match OPERATIONS.iter().find(|op| op.name == name) {
            None => wrong.push(format!("{name} ({method} {uri}) is missing from the table")),
            Some(op) if op.method.as_str() != method || op.uri != uri => wrong.push(format!(
                "{name} is {method} {uri} in the model, {} {} in the table",
                op.method, op.uri
            )),
            Some(_) => {}
        }
    }
    for op in OPERATIONS {
        if !operations.contains_key(op.name) {
            wrong.push(format!("{} is not an operation of the model", op.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "the table differs from the service model:\n{}",
        wrong.join("\n")
    );
    let served = OPERATIONS
        .iter()
        .filter(|op| !matches!(op.answer, Answer::Unsupported))
        .count();
    assert!(served > 20, "only {served} operations served");
}

#[test]
fn runtimes_are_the_models() {
    let model = service_model();
    let all = model_enum(&model, "Runtime");
    assert_eq!(set(lamina_engine::runtime::layer_runtimes()), all);
    let accepted = set(lamina_engine::runtime::ACCEPTED);
    let retired = set(lamina_engine::runtime::RETIRED);
    assert!(
        accepted.is_subset(&all),
        "accepted runtimes the model does not have: {:?}",
        accepted.difference(&all)
    );
    assert!(
        retired.is_subset(&all),
        "retired runtimes the model does not have: {:?}",
        retired.difference(&all)
    );
    assert!(
        accepted.is_disjoint(&retired),
        "a runtime both accepted and retired"
    );
}

#[test]
fn architectures_and_invoke_header_values_are_the_models() {
    let model = service_model();
    assert_eq!(
        set(lamina_model::Architecture::ALL.map(lamina_model::Architecture::as_str)),
        model_enum(&model, "Architecture")
    );
    assert_eq!(
        set(INVOCATION_TYPES.map(|(name, _)| name)),
        input_enum(&model, "Invoke", &["InvocationType"])
    );
    assert_eq!(
        set(LOG_TYPES.map(|(name, _)| name)),
        input_enum(&model, "Invoke", &["LogType"])
    );
    assert_eq!(
        set(STREAMING_INVOCATION_TYPES.map(|(name, _)| name)),
        input_enum(&model, "InvokeWithResponseStream", &["InvocationType"])
    );
}

/// The values an error message lists for `member` (`... at 'packageType' failed to satisfy constraint:
/// Member must satisfy enum value set: [Zip, Image]`).
fn listed_values(message: &str, member: &str) -> Option<BTreeSet<String>> {
    let after = message
        .split(&format!("at '{member}' failed to satisfy constraint: "))
        .nth(1)?;
    let list = after.split("enum value set: [").nth(1)?.split(']').next()?;
    Some(set(list.split(", ")))
}

/// A request refused for a value outside an enum, and where the model defines that enum.
type Case = (
    Request<Body>,
    &'static str,
    &'static str,
    &'static [&'static str],
    Listed,
);

/// How the values in a message relate to the model's enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    /// Every value of the enum.
    All,
    /// Some of them (CreateFunction lists the runtimes it still accepts).
    Some,
}

#[tokio::test]
async fn enums_in_validation_messages_are_the_models() {
    let model = service_model();
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        account_id: "000000000000".into(),
        ..EngineConfig::new(std::path::PathBuf::new())
    })
    .expect("engine");
    let router = crate::router(
        engine,
        crate::ApiConfig {
            authentication: crate::Authentication::None,
            default_account: "000000000000".into(),
            public_endpoint: "http://lamina.test:9001".into(),
            server_key: lamina_auth::ServerKey::load_or_create(&dir.path().join("server-key")).expect("key"),
            uploads: crate::Uploads::new(dir.path().join("spool")),
        },
    );
    let function = |extra: Value| {
        let mut body = json!({
            "FunctionName": "f",
            "Role": "arn:aws:iam::000000000000:role/r",
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
        });
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        Request::post("/2015-03-31/functions")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let layer = |extra: Value| {
        let mut body = json!({"Content": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        Request::post("/2018-10-31/layers/l/versions")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let get = |uri: &str| Request::get(uri).body(Body::empty()).expect("request");
    let invoke = |header: &str| {
        Request::post("/2015-03-31/functions/f/invocations")
            .header(header, "Bogus")
            .body(Body::empty())
            .expect("request")
    };
    // (request, the member its message names, the operation and input member of the model's enum, how many
    // of its values the message lists)
    let cases: Vec<Case> = vec![
        (
            function(json!({"Runtime": "bogus"})),
            "runtime",
            "CreateFunction",
            &["Runtime"],
            Listed::Some,
        ),
        (
            function(json!({"PackageType": "Bogus"})),
            "packageType",
            "CreateFunction",
            &["PackageType"],
            Listed::All,
        ),
        (
            function(json!({"Architectures": ["bogus"]})),
            "architectures",
            "CreateFunction",
            &["Architectures"],
            Listed::All,
        ),
        (
            function(json!({"TracingConfig": {"Mode": "Bogus"}})),
            "tracingConfig.mode",
            "CreateFunction",
            &["TracingConfig", "Mode"],
            Listed::All,
        ),
        (
            get("/2015-03-31/functions?FunctionVersion=Bogus"),
            "functionVersion",
            "ListFunctions",
            &["FunctionVersion"],
            Listed::All,
        ),
        (
            get("/2018-10-31/layers?CompatibleRuntime=bogus"),
            "compatibleRuntime",
            "ListLayers",
            &["CompatibleRuntime"],
            Listed::All,
        ),
        (
            get("/2018-10-31/layers?CompatibleArchitecture=bogus"),
            "compatibleArchitecture",
            "ListLayers",
            &["CompatibleArchitecture"],
            Listed::All,
        ),
        (
            get("/2018-10-31/layers/l/versions?CompatibleRuntime=bogus"),
            "compatibleRuntime",
            "ListLayerVersions",
            &["CompatibleRuntime"],
            Listed::All,
        ),
        (
            layer(json!({"CompatibleRuntimes": ["bogus"]})),
            "compatibleRuntimes",
            "PublishLayerVersion",
            &["CompatibleRuntimes"],
            Listed::All,
        ),
        (
            layer(json!({"CompatibleArchitectures": ["bogus"]})),
            "compatibleArchitectures",
            "PublishLayerVersion",
            &["CompatibleArchitectures"],
            Listed::All,
        ),
        (
            invoke("x-amz-invocation-type"),
            "invocationType",
            "Invoke",
            &["InvocationType"],
            Listed::All,
        ),
        (
            invoke("x-amz-log-type"),
            "logType",
            "Invoke",
            &["LogType"],
            Listed::All,
        ),
    ];
    for (request, member, operation, path, listed) in cases {
        let response = router.clone().oneshot(request).await.expect("response");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let body: Value = serde_json::from_slice(&bytes).expect("a JSON error");
        let message = body["message"].as_str().unwrap_or_default();
        let values = listed_values(message, member)
            .unwrap_or_else(|| panic!("{operation}: no enum listed for '{member}' in {body}"));
        let expected = input_enum(&model, operation, path);
        match listed {
            Listed::All => assert_eq!(values, expected, "{operation} '{member}'"),
            Listed::Some => assert!(
                values.is_subset(&expected),
                "{operation} '{member}' lists values the model does not have: {:?}",
                values.difference(&expected).collect::<Vec<_>>()
            ),
        }
    }
}

#[test]
fn enum_values_are_read_from_messages() {
    let message = "2 validation errors detected: Value 'Bogus' at 'packageType' failed to satisfy constraint: Member \
                   must satisfy enum value set: [Zip, Image]; Value '[x]' at 'architectures' failed to satisfy \
                   constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], \
                   Member must not be null]";
    assert_eq!(listed_values(message, "packageType"), Some(set(["Zip", "Image"])));
    assert_eq!(
        listed_values(message, "architectures"),
        Some(set(["x86_64", "arm64"]))
    );
    assert_eq!(listed_values(message, "runtime"), None);
}

#[test]
fn error_codes_that_are_shapes_of_the_model_have_its_status_and_message_member() {
    use lamina_model::errors::{ErrorCode, MessageMember};
    let model = service_model();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for code in ErrorCode::ALL {
        // Some codes (ValidationException, AccessDeniedException, ...) are the protocol's, not shapes.
        let shape = &model["shapes"][code.as_str()];
        if shape.is_null() {
            continue;
        }
        checked += 1;
        let status = shape["error"]["httpStatusCode"].as_u64();
        if status != Some(u64::from(code.http_status())) {
            wrong.push(format!(
                "{code}: status {:?} in the model, {} here",
                status,
                code.http_status()
            ));
        }
        let members = shape["members"].as_object().expect("an error shape has members");
        let member = if members.contains_key("Message") {
            MessageMember::Upper
        } else if members.contains_key("message") {
            MessageMember::Lower
        } else {
            MessageMember::None
        };
        if member != code.message_member() {
            wrong.push(format!(
                "{code}: message member {member:?} in the model, {:?} here",
                code.message_member()
            ));
        }
        let sender = shape["error"]["senderFault"].as_bool().unwrap_or(false);
        if code.fault() != Some(if sender { "User" } else { "Service" }) {
            wrong.push(format!(
                "{code}: senderFault {sender} in the model, Type {:?} here",
                code.fault()
            ));
        }
    }
    assert!(checked >= 7, "only {checked} error codes are shapes of the model");
    assert!(
        wrong.is_empty(),
        "error codes differ from the model:\n{}",
        wrong.join("\n")
    );
}
