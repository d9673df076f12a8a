//! The engine through its public API, on a real data directory. Each `block_on` on a fresh
//! current-thread runtime returns before the background settle task it spawned has run, and dropping
//! the runtime drops that task: the exact state a crash leaves, reproduced deterministically.

use base64::Engine as _;
use lamina_engine::wire::{
    CodeInput, ConfigInput, CreateFunctionInput, LastUpdateStatus, State, UpdateConfigurationInput,
};
use lamina_engine::{Engine, EngineConfig, EngineError};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn open(dir: &std::path::Path) -> Engine {
    Engine::open(EngineConfig {
        data_dir: dir.to_path_buf(),
        account_id: "000000000000".into(),
        strict_packages: false,
        ..EngineConfig::new(std::path::PathBuf::new())
    })
    .expect("engine")
}

fn package() -> String {
    let mut builder = lamina_package::PackageBuilder::new();
    builder
        .add_bytes("bootstrap", b"#!/bin/sh\necho hi\n".to_vec(), 0o755)
        .expect("entry");
    let zip = builder
        .write(std::io::Cursor::new(Vec::new()))
        .expect("zip")
        .into_inner();
    base64::engine::general_purpose::STANDARD.encode(zip)
}

fn create_input(name: &str) -> CreateFunctionInput {
    CreateFunctionInput {
        function_name: Some(name.into()),
        code: Some(CodeInput::default()),
        config: ConfigInput {
            role: Some("arn:aws:iam::111122223333:role/lambda-ex".into()),
            runtime: Some("provided.al2023".into()),
            handler: Some("bootstrap".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Creates a function and stops before it settles, as a crash right after the answer would.
fn create_unsettled(engine: &Engine, name: &str) {
    let rt = runtime();
    let scope = engine.scope("us-east-1");
    let staged = engine.stage_zip_base64(&package()).expect("stage");
    let out = rt
        .block_on(engine.create_function(&scope, create_input(name), Some(staged)))
        .expect("create");
    assert_eq!(out.value.state, Some(State::Pending));
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

fn state(engine: &Engine, name: &str) -> (Option<State>, Option<LastUpdateStatus>, String) {
    let scope = engine.scope("us-east-1");
    let c = runtime()
        .block_on(engine.get_function_configuration(&scope, name, None))
        .expect("get");
    (c.state, c.last_update_status, c.revision_id)
}

#[test]
fn recover_settles_a_function_left_pending_by_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path());
    create_unsettled(&engine, "f1");
    assert_eq!(state(&engine, "f1").0, Some(State::Pending));
    drop(engine);

    let engine = open(dir.path());
    let before = state(&engine, "f1");
    assert_eq!(before.0, Some(State::Pending));
    let settled = runtime().block_on(engine.recover()).expect("recover");
    assert_eq!(settled, 1);
    let after = state(&engine, "f1");
    assert_eq!(after.0, Some(State::Active));
    assert_eq!(after.1, Some(LastUpdateStatus::Successful));
    assert_ne!(after.2, before.2, "settling changes the RevisionId");
}

#[test]
fn updates_wait_for_pending_and_in_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path());
    let scope = engine.scope("us-east-1");
    create_unsettled(&engine, "f1");
    let update = |description: &str| {
        let input = UpdateConfigurationInput {
            config: ConfigInput {
                description: Some(description.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        runtime().block_on(engine.update_function_configuration(&scope, "f1", input))
    };
    match update("while pending") {
        Err(EngineError::Conflict(m)) => assert_eq!(
            m,
            "The operation cannot be performed at this time. The resource \
             arn:aws:lambda:us-east-1:000000000000:function:f1 is currently in the following state: 'Pending'. \
             StateReasonCode: 'Creating'"
        ),
        other => panic!("expected 409, got {other:?}"),
    }
    runtime().block_on(engine.recover()).expect("recover");
    let first = update("first").expect("first update");
    assert_eq!(first.last_update_status, Some(LastUpdateStatus::InProgress));
    match update("second") {
        Err(EngineError::Conflict(m)) => assert_eq!(
            m,
            "The operation cannot be performed at this time. An update is in progress for resource: \
             arn:aws:lambda:us-east-1:000000000000:function:f1"
        ),
        other => panic!("expected 409, got {other:?}"),
    }
    runtime().block_on(engine.recover()).expect("recover");
    let (_, status, _) = state(&engine, "f1");
    assert_eq!(status, Some(LastUpdateStatus::Successful));
    assert_eq!(update("second").expect("after settling").description, "second");
}

#[test]
fn a_crash_between_blob_and_row_leaves_only_an_orphan_that_recover_removes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path());
    // A package staged and committed, but no function row: what a crash before the metadata commit leaves.
    let blobs = dir.path().join("code").join("blobs");
    let staged = engine.stage_zip_base64(&package()).expect("stage");
    drop(staged);
    assert_eq!(
        std::fs::read_dir(&blobs).expect("blobs").count(),
        0,
        "a dropped staging file is no blob"
    );
    std::fs::write(blobs.join("0".repeat(64)), b"orphan").expect("orphan");
    drop(engine);
    let engine = open(dir.path());
    runtime().block_on(engine.recover()).expect("recover");
    assert_eq!(
        std::fs::read_dir(&blobs).expect("blobs").count(),
        0,
        "the orphan blob was swept"
    );
}

#[test]
fn invocations_resolve_to_settled_unpacked_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path());
    let scope = engine.scope("us-east-1");
    create_unsettled(&engine, "f1");
    match runtime().block_on(engine.resolve_invocation(&scope, "f1", None)) {
        Err(EngineError::Conflict(m)) => assert!(m.ends_with("in the following state: Pending"), "{m}"),
        other => panic!("expected 409 while Pending, got {other:?}"),
    }
    runtime().block_on(engine.recover()).expect("recover");
    let target = runtime()
        .block_on(engine.resolve_invocation(&scope, "f1", None))
        .expect("resolve");
    assert_eq!(target.version, "$LATEST");
    assert_eq!(target.handler, "bootstrap");
    assert!(
        target.code_dir.join("bootstrap").is_file(),
        "{}",
        target.code_dir.display()
    );
    match runtime().block_on(engine.resolve_invocation(&scope, "missing", None)) {
        Err(EngineError::NotFound(m)) => {
            assert_eq!(
                m,
                "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing:$LATEST"
            )
        }
        other => panic!("expected 404, got {other:?}"),
    }
}

#[test]
fn one_data_directory_serves_one_engine_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path());
    let second = Engine::open(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        account_id: "000000000000".into(),
        strict_packages: false,
        ..EngineConfig::new(std::path::PathBuf::new())
    });
    match second {
        Err(EngineError::Internal(m)) => assert!(m.contains("in use by another lamina process"), "{m}"),
        other => panic!("a second engine on one data directory must be refused, got {other:?}"),
    }
    drop(engine);
    open(dir.path());
}

#[test]
fn a_data_directory_too_deep_for_the_longest_package_path_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Each component is 100 bytes: enough of them pass the bound whatever the temporary directory is.
    let mut deep = dir.path().to_path_buf();
    while deep.as_os_str().len() <= lamina_package::MAX_UNPACK_DIR_BYTES {
        deep.push("d".repeat(100));
    }
    match Engine::open(EngineConfig {
        data_dir: deep,
        account_id: "000000000000".into(),
        ..EngineConfig::new(std::path::PathBuf::new())
    }) {
        Err(EngineError::Internal(m)) => assert!(m.contains("choose a shorter --data-dir"), "{m}"),
        other => panic!("a data directory that deep must be refused, got {other:?}"),
    }
}

/// Whether a caller in `scope` can download the package with this hex digest.
fn downloadable(
    rt: &tokio::runtime::Runtime,
    engine: &Engine,
    scope: &lamina_engine::Scope,
    hex: &str,
) -> bool {
    let digest = lamina_model::CodeSha256::from_hex(hex).expect("hex digest");
    rt.block_on(engine.open_code(scope, &digest))
        .expect("open")
        .is_some()
}

fn zip_of(files: &[(&str, &[u8], u32)]) -> String {
    let mut builder = lamina_package::PackageBuilder::new();
    for (name, content, mode) in files {
        builder.add_bytes(name, content.to_vec(), *mode).expect("entry");
    }
    let zip = builder
        .write(std::io::Cursor::new(Vec::new()))
        .expect("zip")
        .into_inner();
    base64::engine::general_purpose::STANDARD.encode(zip)
}

fn publish_layer(
    engine: &Engine,
    rt: &tokio::runtime::Runtime,
    name: &str,
    zip: &str,
) -> lamina_engine::LayerVersionView {
    let scope = engine.scope("us-east-1");
    let staged = engine.stage_zip_base64(zip).expect("stage");
    let input: lamina_engine::wire::PublishLayerVersionInput =
        serde_json::from_str(r#"{"Content":{"ZipFile":""}}"#).expect("input");
    rt.block_on(engine.publish_layer_version(&scope, name, input, Some(staged)))
        .expect("publish")
        .value
}

#[test]
fn a_layer_that_provides_the_bootstrap_silences_the_missing_bootstrap_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path());
    let rt = runtime();
    let scope = engine.scope("us-east-1");
    let runtime_layer = publish_layer(
        &engine,
        &rt,
        "runtime",
        &zip_of(&[("bootstrap", b"#!/bin/sh\n", 0o755)]),
    );
    let data_layer = publish_layer(&engine, &rt, "data", &zip_of(&[("data.txt", b"x", 0o644)]));
    assert_eq!(runtime_layer.layer.version, 1);
    let no_bootstrap = zip_of(&[("handler.txt", b"x", 0o644)]);
    let create = |name: &str, layer: &str| {
        let mut input = create_input(name);
        input.config.layers = Some(vec![layer.to_owned()]);
        let staged = engine.stage_zip_base64(&no_bootstrap).expect("stage");
        rt.block_on(engine.create_function(&scope, input, Some(staged)))
            .expect("create")
    };
    let with_runtime = create("with-runtime", &runtime_layer.layer.layer_version_arn);
    assert!(with_runtime.warnings.is_empty(), "{:?}", with_runtime.warnings);
    assert_eq!(with_runtime.value.layers.len(), 1);
    let with_data = create("with-data", &data_layer.layer.layer_version_arn);
    assert!(
        with_data
            .warnings
            .iter()
            .any(|w| w.contains("There is no bootstrap")),
        "{:?}",
        with_data.warnings
    );
}

#[test]
fn a_deleted_layer_versions_code_lives_while_a_function_uses_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path());
    let rt = runtime();
    let scope = engine.scope("us-east-1");
    let layer = publish_layer(
        &engine,
        &rt,
        "lib",
        &zip_of(&[("lib/data.txt", b"shared", 0o644)]),
    );
    let unused = publish_layer(&engine, &rt, "unused", &zip_of(&[("other.txt", b"other", 0o644)]));
    let mut input = create_input("user");
    input.config.layers = Some(vec![layer.layer.layer_version_arn.clone()]);
    let staged = engine.stage_zip_base64(&package()).expect("stage");
    rt.block_on(engine.create_function(&scope, input, Some(staged)))
        .expect("create");
    for name in ["lib", "unused"] {
        rt.block_on(engine.delete_layer_version(&scope, name, 1))
            .expect("delete");
        assert!(matches!(
            rt.block_on(engine.get_layer_version(&scope, name, 1)),
            Err(EngineError::NotFound(_))
        ));
    }
    let blob = |hex: &str| downloadable(&rt, &engine, &scope, hex);
    assert!(blob(&layer.code_hex), "the function still uses the layer's code");
    let other_account = lamina_engine::Scope {
        region: "us-east-1".into(),
        account: "222222222222".into(),
    };
    assert!(
        !downloadable(&rt, &engine, &other_account, &layer.code_hex),
        "another account does not use the package"
    );
    assert!(!blob(&unused.code_hex), "nothing uses the other layer's code");
    // After a restart too, and the function still names its layer. The runtime goes too: a background
    // task it has not run yet (the function's settling) holds the engine, and with it the data directory.
    drop(engine);
    drop(rt);
    let rt = runtime();
    let engine = open(dir.path());
    rt.block_on(engine.recover()).expect("recover");
    assert!(downloadable(
        &rt,
        &engine,
        &engine.scope("us-east-1"),
        &layer.code_hex
    ));
    let config = rt
        .block_on(engine.get_function_configuration(&engine.scope("us-east-1"), "user", None))
        .expect("get");
    assert_eq!(config.layers[0].arn, layer.layer.layer_version_arn);
    rt.block_on(engine.delete_function(&engine.scope("us-east-1"), "user", None))
        .expect("delete function");
    assert!(!downloadable(
        &rt,
        &engine,
        &engine.scope("us-east-1"),
        &layer.code_hex
    ));
    // Numbers are not reused.
    assert_eq!(
        publish_layer(&engine, &rt, "lib", &zip_of(&[("a", b"a", 0o644)]))
            .layer
            .version,
        2
    );
}

#[test]
fn an_update_whose_code_cannot_be_unpacked_leaves_the_previous_code_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path());
    let scope = engine.scope("us-east-1");
    create_unsettled(&engine, "f1");
    runtime().block_on(engine.recover()).expect("recover");
    let config = |engine: &Engine| {
        runtime()
            .block_on(engine.get_function_configuration(&scope, "f1", None))
            .expect("get")
    };
    let working = config(&engine);

    // New code, accepted; the server stops before it is unpacked, and the package is then lost.
    let mut builder = lamina_package::PackageBuilder::new();
    builder
        .add_bytes("bootstrap", b"#!/bin/sh\necho new\n".to_vec(), 0o755)
        .expect("entry");
    let zip = builder
        .write(std::io::Cursor::new(Vec::new()))
        .expect("zip")
        .into_inner();
    let staged = engine
        .stage_zip_base64(&base64::engine::general_purpose::STANDARD.encode(&zip))
        .expect("stage");
    let updated = runtime()
        .block_on(engine.update_function_code(&scope, "f1", Default::default(), Some(staged)))
        .expect("update accepted")
        .value;
    assert_ne!(updated.code_sha256, working.code_sha256);
    assert_eq!(updated.last_update_status, Some(LastUpdateStatus::InProgress));
    drop(engine);
    let new_blob = lamina_model::CodeSha256::from_base64(&updated.code_sha256).expect("digest");
    std::fs::remove_file(dir.path().join("code/blobs").join(new_blob.hex())).expect("remove the new package");

    let engine = open(dir.path());
    runtime().block_on(engine.recover()).expect("recover");
    let after = config(&engine);
    assert_eq!(after.state, Some(State::Active));
    assert_eq!(after.last_update_status, Some(LastUpdateStatus::Failed));
    assert_eq!(after.code_sha256, working.code_sha256, "the working code is back");
    assert_eq!(after.code_size, working.code_size);
    let reason = after.last_update_status_reason.expect("reason");
    assert!(
        reason.ends_with("the function keeps running its previous code"),
        "{reason}"
    );
}
