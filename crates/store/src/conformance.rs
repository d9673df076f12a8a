//! The behaviour every backend must show: a [`MetadataStore`] is done when `conformance::run(&store)`
//! passes on a fresh, empty store, a [`CodeStore`] when `conformance::run_code(&store)` does, an
//! [`EventQueue`](crate::EventQueue) when [`run_queue`] and [`run_queue_concurrent`] do.
//!
//! The checks panic with a message naming the broken rule, so they are meant for test code.

use std::sync::Arc;

use std::io::{Read, Write};

use lamina_model::CodeSha256;

mod queue;

pub use queue::{run_queue, run_queue_concurrent};

use crate::code::CodeStore;
use crate::metadata::{
    FunctionRow, MetadataStore, Owner, StoreError, SubResourceKey, SubResourceKind, SubResourceRow,
    VersionRow, WriteCondition,
};

/// The account of the rows the checks write (the isolation check adds a second one).
const ACCOUNT: &str = "000000000000";

fn function(name: &str, revision: &str) -> FunctionRow {
    FunctionRow {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        name: name.into(),
        revision: revision.into(),
        code_sha256: format!("sha-{name}-{revision}"),
        layer_code: Vec::new(),
        document: format!("{{\"name\":\"{name}\",\"rev\":\"{revision}\"}}"),
    }
}

fn version(name: &str, n: u64) -> VersionRow {
    VersionRow {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        name: name.into(),
        version: n,
        code_sha256: format!("sha-{name}-v{n}"),
        layer_code: Vec::new(),
        document: format!("{{\"v\":{n}}}"),
    }
}

/// Runs every check on `store`, which must be empty.
pub fn run(store: &dyn MetadataStore) {
    insert_get_and_duplicate(store);
    regions_are_separate(store);
    accounts_are_separate(store);
    list_pages_in_name_order(store);
    replace_is_compare_and_swap(store);
    versions_commit_with_their_function(store);
    delete_removes_versions(store);
    referenced_code_covers_functions_and_versions(store);
    layer_versions_count_up_and_are_never_reused(store);
    layer_versions_list_by_layer_and_region(store);
    referenced_code_covers_layers(store);
    sub_resources_are_written_under_conditions(store);
    sub_resources_hang_on_what_exists(store);
    sub_resources_go_with_their_owner(store);
    sub_resources_are_scoped_and_listed(store);
}

/// Runs `threads` writers that each add one tag-like key to one function's document by
/// read-modify-write with compare-and-swap retries, and checks that no write was lost.
pub fn run_concurrent(store: Arc<dyn MetadataStore>, threads: usize) {
    store
        .insert_function(&function("contended", "0"), None)
        .expect("insert contended");
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                loop {
                    let row = store
                        .get_function(ACCOUNT, "us-east-1", "contended")
                        .expect("get")
                        .expect("exists");
                    let mut next = row.clone();
                    next.revision = format!("{}+{i}", row.revision);
                    next.document = format!("{}|{i}", row.document);
                    match store.replace_function(&next, &row.revision, None) {
                        Ok(()) => break,
                        Err(StoreError::RevisionMismatch(_)) => continue,
                        Err(e) => panic!("unexpected error {e}"),
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer thread");
    }
    let row = store
        .get_function(ACCOUNT, "us-east-1", "contended")
        .expect("get")
        .expect("exists");
    for i in 0..threads {
        assert!(
            row.document.contains(&format!("|{i}")),
            "write {i} was lost: {}",
            row.document
        );
    }
}

fn insert_get_and_duplicate(store: &dyn MetadataStore) {
    let row = function("alpha", "1");
    store.insert_function(&row, None).expect("insert");
    assert_eq!(
        store.get_function(ACCOUNT, "us-east-1", "alpha").expect("get"),
        Some(row.clone())
    );
    assert!(
        store
            .get_function(ACCOUNT, "us-east-1", "missing")
            .expect("get")
            .is_none()
    );
    match store.insert_function(&function("alpha", "2"), None) {
        Err(StoreError::AlreadyExists(_)) => {}
        other => panic!("duplicate insert must fail with AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store.get_function(ACCOUNT, "us-east-1", "alpha").expect("get"),
        Some(row),
        "failed insert changed the row"
    );
    assert!(
        store
            .delete_function(ACCOUNT, "us-east-1", "alpha")
            .expect("delete")
    );
}

fn regions_are_separate(store: &dyn MetadataStore) {
    let mut west = function("shared", "1");
    west.region = "eu-west-1".into();
    store
        .insert_function(&function("shared", "1"), None)
        .expect("insert east");
    store
        .insert_function(&west, None)
        .expect("same name in another region");
    assert_eq!(
        store
            .list_functions(ACCOUNT, "eu-west-1", None, 10)
            .expect("list")
            .len(),
        1
    );
    assert!(
        store
            .delete_function(ACCOUNT, "eu-west-1", "shared")
            .expect("delete")
    );
    assert!(
        store
            .get_function(ACCOUNT, "us-east-1", "shared")
            .expect("get")
            .is_some(),
        "delete crossed regions"
    );
    assert!(
        store
            .delete_function(ACCOUNT, "us-east-1", "shared")
            .expect("delete")
    );
    assert!(
        !store
            .delete_function(ACCOUNT, "us-east-1", "shared")
            .expect("delete twice")
    );
}

/// Two accounts with a function, a version and a layer of the same name: neither reads, lists,
/// replaces or deletes the other's.
fn accounts_are_separate(store: &dyn MetadataStore) {
    const OTHER: &str = "222222222222";
    let mine = function("same-name", "1");
    let mut theirs = function("same-name", "1");
    theirs.account = OTHER.into();
    theirs.code_sha256 = "sha-theirs".into();
    let mut their_version = version("same-name", 1);
    their_version.account = OTHER.into();
    their_version.code_sha256 = "sha-theirs-v1".into();
    store
        .insert_function(&mine, Some(&version("same-name", 1)))
        .expect("insert mine");
    store
        .insert_function(&theirs, Some(&their_version))
        .expect("the same name in another account is another function");
    assert_eq!(
        store
            .get_function(OTHER, "us-east-1", "same-name")
            .expect("get")
            .map(|r| r.code_sha256),
        Some("sha-theirs".to_owned())
    );
    assert_eq!(
        store
            .get_version(OTHER, "us-east-1", "same-name", 1)
            .expect("get")
            .map(|r| r.code_sha256),
        Some("sha-theirs-v1".to_owned())
    );
    let listed = store.list_functions(OTHER, "us-east-1", None, 100).expect("list");
    assert_eq!(listed.len(), 1, "an account lists only its own functions");
    assert!(store.account_references_code(OTHER, "sha-theirs").expect("refs"));
    assert!(
        !store
            .account_references_code(OTHER, &mine.code_sha256)
            .expect("refs"),
        "another account's package is not this account's"
    );
    let mut replaced = theirs.clone();
    replaced.revision = "2".into();
    assert!(
        matches!(
            store.replace_function(&replaced, "wrong", None),
            Err(StoreError::RevisionMismatch(_))
        ),
        "the compare-and-swap reads the other account's row, not mine"
    );
    store
        .replace_function(&replaced, "1", None)
        .expect("replace theirs");
    assert_eq!(
        store
            .get_function(ACCOUNT, "us-east-1", "same-name")
            .expect("get")
            .map(|r| r.revision),
        Some("1".to_owned()),
        "replacing their function left mine alone"
    );
    store
        .publish_layer_version(ACCOUNT, "us-east-1", "same-layer", "sha-la", &layer_document)
        .expect("mine");
    let their_layer = store
        .publish_layer_version(OTHER, "us-east-1", "same-layer", "sha-lb", &layer_document)
        .expect("theirs");
    assert_eq!(their_layer.version, 1, "layer numbers count per account");
    assert_eq!(
        store
            .list_layer_versions(OTHER, "us-east-1", None)
            .expect("list")
            .len(),
        1
    );
    assert!(
        store
            .delete_layer_version(OTHER, "us-east-1", "same-layer", 1)
            .expect("delete")
    );
    assert!(
        store
            .get_layer_version(ACCOUNT, "us-east-1", "same-layer", 1)
            .expect("get")
            .is_some()
    );
    assert!(
        store
            .delete_function(OTHER, "us-east-1", "same-name")
            .expect("delete theirs")
    );
    assert!(
        store
            .get_function(ACCOUNT, "us-east-1", "same-name")
            .expect("get")
            .is_some(),
        "mine survives"
    );
    assert!(
        store
            .get_version(ACCOUNT, "us-east-1", "same-name", 1)
            .expect("get")
            .is_some()
    );
    assert!(
        store
            .delete_function(ACCOUNT, "us-east-1", "same-name")
            .expect("delete mine")
    );
    assert!(
        store
            .delete_layer_version(ACCOUNT, "us-east-1", "same-layer", 1)
            .expect("delete")
    );
}

fn list_pages_in_name_order(store: &dyn MetadataStore) {
    for name in ["c", "a", "e", "b", "d"] {
        store.insert_function(&function(name, "1"), None).expect("insert");
    }
    let first: Vec<_> = store
        .list_functions(ACCOUNT, "us-east-1", None, 2)
        .expect("list")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(first, ["a", "b"]);
    let next: Vec<_> = store
        .list_functions(ACCOUNT, "us-east-1", Some("b"), 10)
        .expect("list")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(next, ["c", "d", "e"]);
    assert_eq!(store.all_functions().expect("all").len(), 5);
    for name in ["a", "b", "c", "d", "e"] {
        store.delete_function(ACCOUNT, "us-east-1", name).expect("delete");
    }
    assert!(
        store
            .list_functions(ACCOUNT, "us-east-1", None, 10)
            .expect("list")
            .is_empty()
    );
}

fn replace_is_compare_and_swap(store: &dyn MetadataStore) {
    store
        .insert_function(&function("cas", "1"), None)
        .expect("insert");
    store
        .replace_function(&function("cas", "2"), "1", None)
        .expect("replace with current revision");
    match store.replace_function(&function("cas", "3"), "1", None) {
        Err(StoreError::RevisionMismatch(_)) => {}
        other => panic!("stale revision must fail with RevisionMismatch, got {other:?}"),
    }
    assert_eq!(
        store
            .get_function(ACCOUNT, "us-east-1", "cas")
            .expect("get")
            .expect("exists")
            .revision,
        "2"
    );
    match store.replace_function(&function("nobody", "2"), "1", None) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("replacing a missing function must fail with NotFound, got {other:?}"),
    }
    store
        .delete_function(ACCOUNT, "us-east-1", "cas")
        .expect("delete");
}

fn versions_commit_with_their_function(store: &dyn MetadataStore) {
    store
        .insert_function(&function("ver", "1"), Some(&version("ver", 1)))
        .expect("insert with version");
    assert_eq!(
        store.get_version(ACCOUNT, "us-east-1", "ver", 1).expect("get"),
        Some(version("ver", 1))
    );
    store
        .replace_function(&function("ver", "2"), "1", Some(&version("ver", 2)))
        .expect("publish 2");
    // A version that exists already aborts the whole transaction, function row included.
    match store.replace_function(&function("ver", "3"), "2", Some(&version("ver", 2))) {
        Err(StoreError::AlreadyExists(_)) => {}
        other => panic!("duplicate version must fail with AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store
            .get_function(ACCOUNT, "us-east-1", "ver")
            .expect("get")
            .expect("exists")
            .revision,
        "2"
    );
    let listed: Vec<_> = store
        .list_versions(ACCOUNT, "us-east-1", "ver", None, 10)
        .expect("list")
        .into_iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(listed, [1, 2]);
    let after: Vec<_> = store
        .list_versions(ACCOUNT, "us-east-1", "ver", Some(1), 10)
        .expect("list")
        .into_iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(after, [2]);
    let mut changed = version("ver", 2);
    changed.document = "{\"state\":\"Active\"}".into();
    store.update_version(&changed).expect("update version");
    assert_eq!(
        store.get_version(ACCOUNT, "us-east-1", "ver", 2).expect("get"),
        Some(changed)
    );
    assert!(matches!(
        store.update_version(&version("ver", 9)),
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .delete_version(ACCOUNT, "us-east-1", "ver", 1)
            .expect("delete v1")
    );
    assert!(
        !store
            .delete_version(ACCOUNT, "us-east-1", "ver", 1)
            .expect("delete v1 again")
    );
    assert_eq!(store.all_versions().expect("all").len(), 1);
    store
        .delete_function(ACCOUNT, "us-east-1", "ver")
        .expect("delete");
}

fn delete_removes_versions(store: &dyn MetadataStore) {
    store
        .insert_function(&function("gone", "1"), Some(&version("gone", 1)))
        .expect("insert");
    assert!(
        store
            .delete_function(ACCOUNT, "us-east-1", "gone")
            .expect("delete")
    );
    assert!(
        store
            .get_version(ACCOUNT, "us-east-1", "gone", 1)
            .expect("get")
            .is_none(),
        "versions outlived function"
    );
    // Recreating the name starts from no versions.
    store
        .insert_function(&function("gone", "1"), None)
        .expect("recreate");
    assert!(
        store
            .list_versions(ACCOUNT, "us-east-1", "gone", None, 10)
            .expect("list")
            .is_empty()
    );
    store
        .delete_function(ACCOUNT, "us-east-1", "gone")
        .expect("delete");
}

fn referenced_code_covers_functions_and_versions(store: &dyn MetadataStore) {
    store
        .insert_function(&function("refs", "1"), Some(&version("refs", 1)))
        .expect("insert");
    let refs = store.referenced_code().expect("refs");
    assert!(
        refs.contains("sha-refs-1") && refs.contains("sha-refs-v1"),
        "{refs:?}"
    );
    store
        .delete_function(ACCOUNT, "us-east-1", "refs")
        .expect("delete");
    assert!(store.referenced_code().expect("refs").is_empty());
}

fn layer_document(n: u64) -> String {
    format!("{{\"version\":{n}}}")
}

fn layer_versions_count_up_and_are_never_reused(store: &dyn MetadataStore) {
    let one = store
        .publish_layer_version(ACCOUNT, "us-east-1", "lib", "sha-lib-1", &layer_document)
        .expect("publish 1");
    assert_eq!((one.version, one.document.as_str()), (1, "{\"version\":1}"));
    assert_eq!(
        store
            .get_layer_version(ACCOUNT, "us-east-1", "lib", 1)
            .expect("get"),
        Some(one.clone())
    );
    let two = store
        .publish_layer_version(ACCOUNT, "us-east-1", "lib", "sha-lib-2", &layer_document)
        .expect("publish 2");
    assert_eq!(two.version, 2);
    assert!(
        store
            .delete_layer_version(ACCOUNT, "us-east-1", "lib", 2)
            .expect("delete 2")
    );
    assert!(
        !store
            .delete_layer_version(ACCOUNT, "us-east-1", "lib", 2)
            .expect("delete 2 again"),
        "a second delete finds nothing"
    );
    assert!(
        store
            .get_layer_version(ACCOUNT, "us-east-1", "lib", 2)
            .expect("get")
            .is_none()
    );
    let three = store
        .publish_layer_version(ACCOUNT, "us-east-1", "lib", "sha-lib-2", &layer_document)
        .expect("publish 3");
    assert_eq!(three.version, 3, "a deleted version's number was reused");
    assert!(
        store
            .delete_layer_version(ACCOUNT, "us-east-1", "lib", 1)
            .expect("delete 1")
    );
    assert!(
        store
            .delete_layer_version(ACCOUNT, "us-east-1", "lib", 3)
            .expect("delete 3")
    );
    let four = store
        .publish_layer_version(ACCOUNT, "us-east-1", "lib", "sha-lib-4", &layer_document)
        .expect("publish after deleting every version");
    assert_eq!(
        four.version, 4,
        "numbering restarted after every version was deleted"
    );
    // Another region counts on its own.
    let west = store
        .publish_layer_version(ACCOUNT, "eu-west-1", "lib", "sha-west", &layer_document)
        .expect("publish west");
    assert_eq!(west.version, 1);
    assert!(
        store
            .delete_layer_version(ACCOUNT, "us-east-1", "lib", 4)
            .expect("delete 4")
    );
    assert!(
        store
            .delete_layer_version(ACCOUNT, "eu-west-1", "lib", 1)
            .expect("delete west")
    );
}

fn layer_versions_list_by_layer_and_region(store: &dyn MetadataStore) {
    for name in ["zeta", "alpha", "zeta"] {
        store
            .publish_layer_version(
                ACCOUNT,
                "us-east-1",
                name,
                &format!("sha-{name}"),
                &layer_document,
            )
            .expect("publish");
    }
    store
        .publish_layer_version(ACCOUNT, "eu-west-1", "alpha", "sha-west", &layer_document)
        .expect("publish west");
    let zeta: Vec<_> = store
        .list_layer_versions(ACCOUNT, "us-east-1", Some("zeta"))
        .expect("list")
        .into_iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(zeta, [1, 2]);
    let all: Vec<_> = store
        .list_layer_versions(ACCOUNT, "us-east-1", None)
        .expect("list")
        .into_iter()
        .map(|r| (r.name, r.version))
        .collect();
    assert_eq!(
        all,
        [
            ("alpha".to_owned(), 1),
            ("zeta".to_owned(), 1),
            ("zeta".to_owned(), 2)
        ]
    );
    assert!(
        store
            .list_layer_versions(ACCOUNT, "us-east-1", Some("missing"))
            .expect("list")
            .is_empty()
    );
    for (region, name, n) in [
        ("us-east-1", "zeta", 1),
        ("us-east-1", "zeta", 2),
        ("us-east-1", "alpha", 1),
        ("eu-west-1", "alpha", 1),
    ] {
        assert!(
            store
                .delete_layer_version(ACCOUNT, region, name, n)
                .expect("delete")
        );
    }
}

fn referenced_code_covers_layers(store: &dyn MetadataStore) {
    let layer = store
        .publish_layer_version(ACCOUNT, "us-east-1", "shared", "sha-layer", &layer_document)
        .expect("publish");
    let mut row = function("uses", "1");
    row.layer_code = vec!["sha-layer".into(), "sha-other-layer".into()];
    let mut v = version("uses", 1);
    v.layer_code = vec!["sha-version-layer".into()];
    store.insert_function(&row, Some(&v)).expect("insert");
    assert_eq!(
        store.get_function(ACCOUNT, "us-east-1", "uses").expect("get"),
        Some(row.clone()),
        "layer_code round-trips in order"
    );
    assert_eq!(
        store.get_version(ACCOUNT, "us-east-1", "uses", 1).expect("get"),
        Some(v)
    );
    // The layer version is deleted; the function still uses its code.
    assert!(
        store
            .delete_layer_version(ACCOUNT, "us-east-1", "shared", layer.version)
            .expect("delete")
    );
    let refs = store.referenced_code().expect("refs");
    for sha in ["sha-layer", "sha-other-layer", "sha-version-layer"] {
        assert!(refs.contains(sha), "{sha} missing from {refs:?}");
    }
    store
        .delete_function(ACCOUNT, "us-east-1", "uses")
        .expect("delete");
    let layer = store
        .publish_layer_version(ACCOUNT, "us-east-1", "shared", "sha-layer", &layer_document)
        .expect("publish");
    assert_eq!(
        store.referenced_code().expect("refs"),
        ["sha-layer".to_owned()].into(),
        "a layer version references its own code"
    );
    store
        .delete_layer_version(ACCOUNT, "us-east-1", "shared", layer.version)
        .expect("delete");
    assert!(store.referenced_code().expect("refs").is_empty());
}

/// Runs every check on an empty [`CodeStore`].
pub fn run_code(store: &dyn CodeStore) {
    assert!(
        store.list().expect("list").is_empty(),
        "the store must start empty"
    );

    let mut staged = store.stage().expect("stage");
    staged.write_all(b"PK package one").expect("write");
    let expected = staged.digest();
    let one = store.commit(staged).expect("commit");
    assert_eq!(one, expected, "commit must keep the staged digest");
    let path = store
        .path(&one.code_sha256())
        .expect("path")
        .expect("committed blob has a path");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        b"PK package one",
        "blob content"
    );
    assert_eq!(one.size(), 14);
    let mut opened = store
        .open(&one.code_sha256())
        .expect("open")
        .expect("a committed blob opens");
    assert_eq!(opened.size, 14, "an opened blob knows its size");
    let mut read = Vec::new();
    opened.reader.read_to_end(&mut read).expect("read");
    assert_eq!(
        read, b"PK package one",
        "an opened blob reads from its first byte"
    );

    // The same content again: one blob.
    let mut again = store.stage().expect("stage");
    again.write_all(b"PK package one").expect("write");
    assert_eq!(store.commit(again).expect("commit again"), one);
    assert_eq!(store.list().expect("list").len(), 1);

    // A staged upload that is dropped is never a blob.
    let mut dropped = store.stage().expect("stage");
    dropped.write_all(b"half an upload").expect("write");
    let dropped_sha = dropped.digest().code_sha256();
    drop(dropped);
    assert!(
        store.path(&dropped_sha).expect("path").is_none(),
        "a dropped upload became a blob"
    );
    assert!(
        store.open(&dropped_sha).expect("open").is_none(),
        "a blob that was never committed does not open"
    );

    let mut staged = store.stage().expect("stage");
    staged.write_all(b"PK package two").expect("write");
    let two = store.commit(staged).expect("commit");
    let keep: std::collections::BTreeSet<CodeSha256> = [two.code_sha256()].into();
    assert_eq!(
        store.remove_unreferenced(&keep).expect("sweep"),
        vec![one.code_sha256()]
    );
    assert_eq!(store.list().expect("list"), keep);
    assert!(
        store.open(&one.code_sha256()).expect("open").is_none(),
        "a removed blob does not open"
    );
    store.remove(&two.code_sha256()).expect("remove");
    store.remove(&two.code_sha256()).expect("removing twice is fine");
    assert!(store.list().expect("list").is_empty());
}

/// The key of a sub-resource of `owner` in the checks' account and region.
fn sub_key(owner: Owner, kind: SubResourceKind, key: &str) -> SubResourceKey {
    SubResourceKey {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        owner,
        kind,
        key: key.into(),
    }
}

fn sub_row(key: SubResourceKey, revision: &str, versions: &[u64]) -> SubResourceRow {
    SubResourceRow {
        document: format!("{{\"key\":\"{}\",\"rev\":\"{revision}\"}}", key.key),
        key,
        revision: revision.into(),
        versions: versions.to_vec(),
    }
}

fn fn_owner(name: &str) -> Owner {
    Owner::Function(name.into())
}

fn sub_resources_are_written_under_conditions(store: &dyn MetadataStore) {
    store
        .insert_function(&function("subs", "1"), Some(&version("subs", 1)))
        .expect("insert");
    let key = sub_key(fn_owner("subs"), SubResourceKind::Alias, "live");
    let first = sub_row(key.clone(), "r1", &[1]);
    store
        .put_sub_resource(&first, &WriteCondition::Absent)
        .expect("create");
    assert_eq!(store.get_sub_resource(&key).expect("get"), Some(first.clone()));
    match store.put_sub_resource(&sub_row(key.clone(), "r2", &[1]), &WriteCondition::Absent) {
        Err(StoreError::AlreadyExists(_)) => {}
        other => panic!("a second create must fail with AlreadyExists, got {other:?}"),
    }
    match store.put_sub_resource(
        &sub_row(key.clone(), "r2", &[1]),
        &WriteCondition::Revision("stale".into()),
    ) {
        Err(StoreError::RevisionMismatch(_)) => {}
        other => panic!("a stale revision must fail with RevisionMismatch, got {other:?}"),
    }
    assert_eq!(
        store.get_sub_resource(&key).expect("get"),
        Some(first),
        "a refused write changed the row"
    );
    store
        .put_sub_resource(
            &sub_row(key.clone(), "r2", &[1]),
            &WriteCondition::Revision("r1".into()),
        )
        .expect("update with the current revision");
    let missing = sub_key(fn_owner("subs"), SubResourceKind::Alias, "nothing");
    match store.put_sub_resource(
        &sub_row(missing.clone(), "r1", &[]),
        &WriteCondition::Revision("r0".into()),
    ) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("updating a missing row must fail with NotFound, got {other:?}"),
    }
    store
        .put_sub_resource(&sub_row(key.clone(), "r3", &[]), &WriteCondition::Any)
        .expect("put over a row");
    store
        .put_sub_resource(&sub_row(missing.clone(), "r1", &[]), &WriteCondition::Any)
        .expect("put a new row");
    assert_eq!(
        store
            .get_sub_resource(&key)
            .expect("get")
            .map(|r| (r.revision, r.versions)),
        Some(("r3".to_owned(), Vec::new()))
    );
    match store.delete_sub_resource(&key, Some("r2")) {
        Err(StoreError::RevisionMismatch(_)) => {}
        other => panic!("a delete with a stale revision must fail, got {other:?}"),
    }
    assert!(store.delete_sub_resource(&key, Some("r3")).expect("delete"));
    assert!(!store.delete_sub_resource(&key, None).expect("delete again"));
    assert!(store.delete_sub_resource(&missing, None).expect("delete"));
    store
        .delete_function(ACCOUNT, "us-east-1", "subs")
        .expect("delete");
}

fn sub_resources_hang_on_what_exists(store: &dyn MetadataStore) {
    let refused = |row: SubResourceRow, why: &str| match store.put_sub_resource(&row, &WriteCondition::Any) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("{why}: must fail with NotFound, got {other:?}"),
    };
    refused(
        sub_row(sub_key(fn_owner("ghost"), SubResourceKind::Policy, ""), "r1", &[]),
        "a sub-resource of a function that does not exist",
    );
    store
        .insert_function(&function("anchored", "1"), Some(&version("anchored", 1)))
        .expect("insert");
    refused(
        sub_row(
            sub_key(fn_owner("anchored"), SubResourceKind::Policy, "2"),
            "r1",
            &[],
        ),
        "a sub-resource of a version that does not exist",
    );
    refused(
        sub_row(
            sub_key(fn_owner("anchored"), SubResourceKind::Policy, "live"),
            "r1",
            &[],
        ),
        "a sub-resource of an alias that does not exist",
    );
    refused(
        sub_row(
            sub_key(fn_owner("anchored"), SubResourceKind::Alias, "live"),
            "r1",
            &[1, 2],
        ),
        "an alias routing to a version that does not exist",
    );
    refused(
        sub_row(
            sub_key(Owner::Layer("nolayer".into()), SubResourceKind::Policy, "1"),
            "r1",
            &[],
        ),
        "a sub-resource of a layer version that does not exist",
    );
    for (key, versions) in [
        (sub_key(fn_owner("anchored"), SubResourceKind::Policy, ""), vec![]),
        (
            sub_key(fn_owner("anchored"), SubResourceKind::Policy, "$LATEST"),
            vec![],
        ),
        (
            sub_key(fn_owner("anchored"), SubResourceKind::Policy, "1"),
            vec![],
        ),
        (
            sub_key(fn_owner("anchored"), SubResourceKind::Alias, "live"),
            vec![1],
        ),
        (
            sub_key(fn_owner("anchored"), SubResourceKind::Policy, "live"),
            vec![],
        ),
        (
            sub_key(Owner::Account, SubResourceKind::CodeSigningConfig, "csc-1"),
            vec![],
        ),
    ] {
        store
            .put_sub_resource(&sub_row(key.clone(), "r1", &versions), &WriteCondition::Any)
            .unwrap_or_else(|e| panic!("{key:?} hangs on what exists: {e}"));
    }
    store
        .delete_function(ACCOUNT, "us-east-1", "anchored")
        .expect("delete");
    assert!(
        store
            .delete_sub_resource(
                &sub_key(Owner::Account, SubResourceKind::CodeSigningConfig, "csc-1"),
                None
            )
            .expect("delete")
    );
}

fn sub_resources_go_with_their_owner(store: &dyn MetadataStore) {
    store
        .insert_function(&function("owner", "1"), Some(&version("owner", 1)))
        .expect("insert");
    store
        .replace_function(&function("owner", "2"), "1", Some(&version("owner", 2)))
        .expect("publish 2");
    let put = |key: SubResourceKey, versions: &[u64]| {
        store
            .put_sub_resource(&sub_row(key, "r1", versions), &WriteCondition::Any)
            .expect("put");
    };
    let owner = || fn_owner("owner");
    put(sub_key(owner(), SubResourceKind::Alias, "live"), &[1, 2]);
    put(sub_key(owner(), SubResourceKind::Alias, "beta"), &[2]);
    for key in ["", "1", "2", "live"] {
        put(sub_key(owner(), SubResourceKind::EventInvokeConfig, key), &[]);
    }
    match store.delete_version(ACCOUNT, "us-east-1", "owner", 2) {
        Err(StoreError::InUse(keys)) => assert_eq!(keys, ["beta", "live"]),
        other => panic!("a version an alias routes to must not be deleted, got {other:?}"),
    }
    assert!(
        store
            .get_version(ACCOUNT, "us-east-1", "owner", 2)
            .expect("get")
            .is_some(),
        "a refused delete deleted the version"
    );
    // Deleting an alias deletes the sub-resources of its qualifier.
    assert!(
        store
            .delete_sub_resource(&sub_key(owner(), SubResourceKind::Alias, "live"), None)
            .expect("delete alias")
    );
    assert!(
        store
            .get_sub_resource(&sub_key(owner(), SubResourceKind::EventInvokeConfig, "live"))
            .expect("get")
            .is_none(),
        "an alias's sub-resources outlived it"
    );
    assert!(
        store
            .delete_version(ACCOUNT, "us-east-1", "owner", 1)
            .expect("delete version 1")
    );
    let left: Vec<String> = store
        .list_sub_resources(
            ACCOUNT,
            "us-east-1",
            Some(&owner()),
            SubResourceKind::EventInvokeConfig,
        )
        .expect("list")
        .into_iter()
        .map(|r| r.key.key)
        .collect();
    assert_eq!(left, ["", "2"], "a version's sub-resources go with it");
    assert!(
        store
            .delete_function(ACCOUNT, "us-east-1", "owner")
            .expect("delete")
    );
    for kind in [SubResourceKind::Alias, SubResourceKind::EventInvokeConfig] {
        assert!(
            store
                .list_sub_resources(ACCOUNT, "us-east-1", Some(&owner()), kind)
                .expect("list")
                .is_empty(),
            "a function's sub-resources outlived it"
        );
    }
    // A layer version's policy goes with the layer version.
    let published = store
        .publish_layer_version(ACCOUNT, "us-east-1", "shared", "sha-shared", &layer_document)
        .expect("publish");
    let policy = sub_key(
        Owner::Layer("shared".into()),
        SubResourceKind::Policy,
        &published.version.to_string(),
    );
    put(policy.clone(), &[]);
    assert!(
        store
            .delete_layer_version(ACCOUNT, "us-east-1", "shared", published.version)
            .expect("delete layer version")
    );
    assert!(store.get_sub_resource(&policy).expect("get").is_none());
}

fn sub_resources_are_scoped_and_listed(store: &dyn MetadataStore) {
    const OTHER: &str = "222222222222";
    let mut theirs = function("scoped", "1");
    theirs.account = OTHER.into();
    store
        .insert_function(&function("scoped", "1"), None)
        .expect("mine");
    store.insert_function(&theirs, None).expect("theirs");
    store
        .insert_function(&function("scoped-too", "1"), None)
        .expect("mine too");
    let mut their_key = sub_key(fn_owner("scoped"), SubResourceKind::UrlConfig, "");
    their_key.account = OTHER.into();
    for key in [
        sub_key(fn_owner("scoped-too"), SubResourceKind::UrlConfig, ""),
        sub_key(fn_owner("scoped"), SubResourceKind::UrlConfig, ""),
        sub_key(fn_owner("scoped"), SubResourceKind::Policy, ""),
        their_key.clone(),
    ] {
        store
            .put_sub_resource(&sub_row(key, "r1", &[]), &WriteCondition::Absent)
            .expect("put");
    }
    let mine: Vec<String> = store
        .list_sub_resources(ACCOUNT, "us-east-1", None, SubResourceKind::UrlConfig)
        .expect("list")
        .into_iter()
        .map(|r| match r.key.owner {
            Owner::Function(name) => name,
            other => panic!("unexpected owner {other:?}"),
        })
        .collect();
    assert_eq!(
        mine,
        ["scoped", "scoped-too"],
        "one kind, one account, in owner order"
    );
    assert_eq!(
        store
            .list_sub_resources(
                OTHER,
                "us-east-1",
                Some(&fn_owner("scoped")),
                SubResourceKind::UrlConfig
            )
            .expect("list")
            .len(),
        1
    );
    assert!(
        store
            .list_sub_resources(ACCOUNT, "eu-west-1", None, SubResourceKind::UrlConfig)
            .expect("list")
            .is_empty(),
        "regions are separate"
    );
    assert_eq!(
        store
            .all_sub_resources(SubResourceKind::UrlConfig)
            .expect("all")
            .len(),
        3
    );
    assert!(
        store
            .delete_function(OTHER, "us-east-1", "scoped")
            .expect("delete theirs")
    );
    assert!(
        store
            .get_sub_resource(&sub_key(fn_owner("scoped"), SubResourceKind::UrlConfig, ""))
            .expect("get")
            .is_some(),
        "deleting their function left mine alone"
    );
    for name in ["scoped", "scoped-too"] {
        store.delete_function(ACCOUNT, "us-east-1", name).expect("delete");
    }
    assert!(
        store
            .all_sub_resources(SubResourceKind::UrlConfig)
            .expect("all")
            .is_empty()
    );
}
