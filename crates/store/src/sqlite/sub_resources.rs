//! The SQLite side of sub-resources: one table (`sub_resources`, schema version 4) for every kind, and the
//! checks a write makes inside its transaction so that nothing is written under an owner, version or
//! alias that is gone.

use rusqlite::{Connection, OptionalExtension, params};

use super::{backend, version_number};
use crate::metadata::{Owner, StoreError, SubResourceKey, SubResourceKind, SubResourceRow, WriteCondition};

/// The columns [`row_from_sql`] reads, in its order.
const COLUMNS: &str = "account, region, owner_kind, owner, kind, key, revision, versions, document";

/// The `WHERE` clause that selects one row by its key (parameters 1 to 6).
const BY_KEY: &str =
    "account = ?1 AND region = ?2 AND owner_kind = ?3 AND owner = ?4 AND kind = ?5 AND key = ?6";

fn row_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<SubResourceRow> {
    let owner_kind: String = r.get(2)?;
    let owner: String = r.get(3)?;
    let kind: String = r.get(4)?;
    let unreadable = |what: String| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Text,
            format!("unknown sub-resource {what}").into(),
        )
    };
    let versions: String = r.get(7)?;
    Ok(SubResourceRow {
        key: SubResourceKey {
            account: r.get(0)?,
            region: r.get(1)?,
            owner: Owner::from_parts(&owner_kind, &owner)
                .ok_or_else(|| unreadable(format!("owner kind '{owner_kind}'")))?,
            kind: SubResourceKind::parse(&kind).ok_or_else(|| unreadable(format!("kind '{kind}'")))?,
            key: r.get(5)?,
        },
        revision: r.get(6)?,
        versions: versions
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect(),
        document: r.get(8)?,
    })
}

/// Runs `f` with the parameters of [`BY_KEY`] for `key`.
fn by_key<T>(key: &SubResourceKey, f: impl FnOnce(&[&dyn rusqlite::ToSql]) -> T) -> T {
    let (owner_kind, owner) = key.owner.parts();
    let kind = key.kind.as_str();
    f(&[&key.account, &key.region, &owner_kind, &owner, &kind, &key.key])
}

/// One row by its key.
pub(super) fn get(conn: &Connection, key: &SubResourceKey) -> Result<Option<SubResourceRow>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM sub_resources WHERE {BY_KEY}"))
        .and_then(|mut statement| by_key(key, |params| statement.query_row(params, row_from_sql)))
        .optional()
        .map_err(backend)
}

/// The rows of one kind: of an account's region (or of all), of one owner (or of all), ordered by
/// account, region, owner and key.
pub(super) fn list(
    conn: &Connection,
    place: Option<(&str, &str)>,
    owner: Option<&Owner>,
    kind: SubResourceKind,
) -> Result<Vec<SubResourceRow>, StoreError> {
    let (account, region) = place.unzip();
    let (owner_kind, owner) = owner.map(Owner::parts).unzip();
    let mut statement = conn
        .prepare(&format!(
            "SELECT {COLUMNS} FROM sub_resources
             WHERE kind = ?1 AND (?2 IS NULL OR account = ?2) AND (?3 IS NULL OR region = ?3)
               AND (?4 IS NULL OR owner_kind = ?4) AND (?5 IS NULL OR owner = ?5)
             ORDER BY account, region, owner_kind, owner, key"
        ))
        .map_err(backend)?;
    let rows = statement
        .query_map(
            params![kind.as_str(), account, region, owner_kind, owner],
            row_from_sql,
        )
        .map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

fn exists(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<bool, StoreError> {
    conn.query_row(&format!("SELECT EXISTS ({sql})"), params, |r| r.get(0))
        .map_err(backend)
}

fn function_version_exists(
    conn: &Connection,
    account: &str,
    region: &str,
    name: &str,
    version: u64,
) -> Result<bool, StoreError> {
    exists(
        conn,
        "SELECT 1 FROM versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
        params![account, region, name, version_number(version)?],
    )
}

/// A key of digits: the version it names (`None` for any other key; a number too large to be a version
/// names none).
fn version_key(key: &str) -> Option<Option<u64>> {
    (!key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())).then(|| key.parse().ok())
}

/// Checks what `row` hangs on (see `MetadataStore::put_sub_resource`).
fn check_anchors(conn: &Connection, row: &SubResourceRow) -> Result<(), StoreError> {
    let SubResourceKey {
        account,
        region,
        owner,
        kind,
        key,
    } = &row.key;
    let missing = |what: String| Err(StoreError::NotFound(what));
    match owner {
        Owner::Account => {}
        Owner::Layer(name) => {
            let Some(Some(version)) = version_key(key) else {
                return missing(format!("version {key} of layer {name}"));
            };
            if !exists(
                conn,
                "SELECT 1 FROM layer_versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
                params![account, region, name, version_number(version)?],
            )? {
                return missing(format!("version {key} of layer {name}"));
            }
        }
        Owner::Function(name) => {
            if !exists(
                conn,
                "SELECT 1 FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![account, region, name],
            )? {
                return missing(format!("function {name}"));
            }
            match version_key(key) {
                Some(Some(version)) => {
                    if !function_version_exists(conn, account, region, name, version)? {
                        return missing(format!("version {key} of {name}"));
                    }
                }
                Some(None) => return missing(format!("version {key} of {name}")),
                None if key.is_empty() || key == "$LATEST" || *kind == SubResourceKind::Alias => {}
                None => {
                    let alias = SubResourceKey {
                        kind: SubResourceKind::Alias,
                        ..row.key.clone()
                    };
                    if get(conn, &alias)?.is_none() {
                        return missing(format!("alias {key} of {name}"));
                    }
                }
            }
            for version in &row.versions {
                if !function_version_exists(conn, account, region, name, *version)? {
                    return missing(format!("version {version} of {name}"));
                }
            }
        }
    }
    Ok(())
}

/// Writes `row` if `condition` holds and what it hangs on exists (run inside a transaction).
pub(super) fn put(
    conn: &Connection,
    row: &SubResourceRow,
    condition: &WriteCondition,
) -> Result<(), StoreError> {
    check_anchors(conn, row)?;
    let current = get(conn, &row.key)?;
    let what = || format!("{} {} of {:?}", row.key.kind.as_str(), row.key.key, row.key.owner);
    match (condition, &current) {
        (WriteCondition::Absent, Some(_)) => return Err(StoreError::AlreadyExists(what())),
        (WriteCondition::Revision(_), None) => return Err(StoreError::NotFound(what())),
        (WriteCondition::Revision(expected), Some(stored)) if stored.revision != *expected => {
            return Err(StoreError::RevisionMismatch(what()));
        }
        _ => {}
    }
    let (owner_kind, owner) = row.key.owner.parts();
    let versions: Vec<String> = row.versions.iter().map(u64::to_string).collect();
    conn.execute(
        &format!(
            "INSERT INTO sub_resources ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (account, region, owner_kind, owner, kind, key) DO UPDATE
             SET revision = excluded.revision, versions = excluded.versions, document = excluded.document"
        ),
        params![
            row.key.account,
            row.key.region,
            owner_kind,
            owner,
            row.key.kind.as_str(),
            row.key.key,
            row.revision,
            versions.join(" "),
            row.document
        ],
    )
    .map_err(backend)?;
    Ok(())
}

/// Deletes one row (and, for an alias, every row of its qualifier) if its revision is `expected`.
pub(super) fn delete(
    conn: &Connection,
    key: &SubResourceKey,
    expected: Option<&str>,
) -> Result<bool, StoreError> {
    let Some(current) = get(conn, key)? else {
        return Ok(false);
    };
    if let Some(expected) = expected
        && current.revision != expected
    {
        return Err(StoreError::RevisionMismatch(format!(
            "{} {}",
            key.kind.as_str(),
            key.key
        )));
    }
    if key.kind == SubResourceKind::Alias {
        delete_owned(conn, &key.account, &key.region, &key.owner, Some(&key.key))?;
    } else {
        by_key(key, |params| {
            conn.execute(&format!("DELETE FROM sub_resources WHERE {BY_KEY}"), params)
        })
        .map_err(backend)?;
    }
    Ok(true)
}

/// Deletes every row of `owner`, or only those with `key`.
pub(super) fn delete_owned(
    conn: &Connection,
    account: &str,
    region: &str,
    owner: &Owner,
    key: Option<&str>,
) -> Result<(), StoreError> {
    let (owner_kind, owner) = owner.parts();
    conn.execute(
        "DELETE FROM sub_resources
         WHERE account = ?1 AND region = ?2 AND owner_kind = ?3 AND owner = ?4 AND (?5 IS NULL OR key = ?5)",
        params![account, region, owner_kind, owner, key],
    )
    .map_err(backend)?;
    Ok(())
}

/// The keys of the rows of `owner` that route to `version`.
pub(super) fn routing_to(
    conn: &Connection,
    account: &str,
    region: &str,
    owner: &Owner,
    version: u64,
) -> Result<Vec<String>, StoreError> {
    let (owner_kind, owner) = owner.parts();
    let mut statement = conn
        .prepare(
            "SELECT key FROM sub_resources
             WHERE account = ?1 AND region = ?2 AND owner_kind = ?3 AND owner = ?4
               AND instr(' ' || versions || ' ', ' ' || ?5 || ' ') > 0
             ORDER BY key",
        )
        .map_err(backend)?;
    let keys = statement
        .query_map(
            params![account, region, owner_kind, owner, version.to_string()],
            |r| r.get(0),
        )
        .map_err(backend)?;
    keys.collect::<Result<Vec<String>, _>>().map_err(backend)
}
