//! The SQLite backend of [`MetadataStore`].
//!
//! One connection behind a mutex: the control plane's writes are small and few, and SQLite serialises
//! writers anyway. The journal is WAL with `synchronous=FULL`, which makes every committed transaction
//! durable before `COMMIT` returns (NORMAL would only guarantee consistency, not durability, after a
//! power loss).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::metadata::{
    FunctionRow, LayerVersionRow, MetadataStore, Owner, StoreError, SubResourceKey, SubResourceKind,
    SubResourceRow, VersionRow, WriteCondition,
};

mod queue;
mod sub_resources;

pub use queue::SqliteEventQueue;

/// The first schema (user_version 1), as the first release created it. Applied as is, then migrated.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS functions (
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    revision    TEXT NOT NULL,
    code_sha256 TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (region, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    code_sha256 TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (region, name, version)
) WITHOUT ROWID;
";

/// Schema version 2: layers. Functions and versions name the layer blobs they use (space-separated
/// `CodeSha256`s, which never contain spaces); `layers` holds each layer's highest version number ever
/// published, so numbers are not reused after a delete.
const MIGRATION_2: &str = "
ALTER TABLE functions ADD COLUMN layer_code TEXT NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN layer_code TEXT NOT NULL DEFAULT '';
CREATE TABLE layers (
    region       TEXT NOT NULL,
    name         TEXT NOT NULL,
    last_version INTEGER NOT NULL,
    PRIMARY KEY (region, name)
) WITHOUT ROWID;
CREATE TABLE layer_versions (
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    code_sha256 TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (region, name, version)
) WITHOUT ROWID;
PRAGMA user_version = 2;
";

/// Schema version 3: accounts. Every row belongs to an account, first in every key, so two accounts'
/// functions and layers of one name are two rows. Rows of earlier releases go to the account the server
/// opens the database with (`{account}` below). SQLite cannot change a primary key in place: each table
/// is copied into its new shape.
const MIGRATION_3: &str = "
CREATE TABLE functions_3 (
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    revision    TEXT NOT NULL,
    code_sha256 TEXT NOT NULL,
    document    TEXT NOT NULL,
    layer_code  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account, region, name)
) WITHOUT ROWID;
INSERT INTO functions_3 SELECT '{account}', region, name, revision, code_sha256, document, layer_code FROM functions;
DROP TABLE functions;
ALTER TABLE functions_3 RENAME TO functions;
CREATE TABLE versions_3 (
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    code_sha256 TEXT NOT NULL,
    document    TEXT NOT NULL,
    layer_code  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account, region, name, version)
) WITHOUT ROWID;
INSERT INTO versions_3 SELECT '{account}', region, name, version, code_sha256, document, layer_code FROM versions;
DROP TABLE versions;
ALTER TABLE versions_3 RENAME TO versions;
CREATE TABLE layers_3 (
    account      TEXT NOT NULL,
    region       TEXT NOT NULL,
    name         TEXT NOT NULL,
    last_version INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
) WITHOUT ROWID;
INSERT INTO layers_3 SELECT '{account}', region, name, last_version FROM layers;
DROP TABLE layers;
ALTER TABLE layers_3 RENAME TO layers;
CREATE TABLE layer_versions_3 (
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    code_sha256 TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (account, region, name, version)
) WITHOUT ROWID;
INSERT INTO layer_versions_3 SELECT '{account}', region, name, version, code_sha256, document FROM layer_versions;
DROP TABLE layer_versions;
ALTER TABLE layer_versions_3 RENAME TO layer_versions;
PRAGMA user_version = 3;
";

/// Schema version 4: sub-resources (aliases, policies, configurations), one table for every kind, keyed
/// by owner, kind and key (see [`crate::SubResourceKey`]). `versions` names the function versions a row
/// routes to (space-separated numbers), so deleting a version can refuse while an alias uses it.
const MIGRATION_4: &str = "
CREATE TABLE sub_resources (
    account    TEXT NOT NULL,
    region     TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    revision   TEXT NOT NULL,
    versions   TEXT NOT NULL DEFAULT '',
    document   TEXT NOT NULL,
    PRIMARY KEY (account, region, owner_kind, owner, kind, key)
) WITHOUT ROWID;
PRAGMA user_version = 4;
";

/// The schema version this code writes.
const SCHEMA_VERSION: i64 = 4;

fn join_codes(codes: &[String]) -> String {
    codes.join(" ")
}

fn split_codes(joined: &str) -> Vec<String> {
    joined.split_whitespace().map(str::to_owned).collect()
}

/// Sets a connection up for durable commits: WAL journal, `synchronous=FULL` (a commit is `fsync`ed
/// before it returns), and a 10 s wait for a lock. Shared by every SQLite backend (and the embedded S3
/// store's index).
pub fn durable(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // journal_mode answers with a row, so it is queried rather than executed.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA synchronous = FULL;")
}

/// [`MetadataStore`] on one SQLite database file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies the schema. Rows written by a
    /// release that knew no accounts go to `legacy_account` (12 digits).
    pub fn open(path: &Path, legacy_account: &str) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(backend)?;
        Self::init(conn, legacy_account)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        Self::init(conn, "000000000000")
    }

    fn init(conn: Connection, legacy_account: &str) -> Result<Self, StoreError> {
        durable(&conn).map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Self::migrate(&conn, legacy_account)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Brings a database of an earlier release up to [`SCHEMA_VERSION`], in one transaction.
    fn migrate(conn: &Connection, legacy_account: &str) -> Result<(), StoreError> {
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(backend)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Backend(format!(
                "the database has schema version {version}, newer than this lamina understands ({SCHEMA_VERSION})"
            )));
        }
        if version < 2 {
            conn.execute_batch(&format!("BEGIN IMMEDIATE; {MIGRATION_2} COMMIT;"))
                .map_err(backend)?;
        }
        if version < 3 {
            // Spliced into SQL: digits only.
            if legacy_account.len() != 12 || !legacy_account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(StoreError::Backend(format!(
                    "the account for rows of earlier releases must be 12 digits, got '{legacy_account}'"
                )));
            }
            let migration = MIGRATION_3.replace("{account}", legacy_account);
            conn.execute_batch(&format!("BEGIN IMMEDIATE; {migration} COMMIT;"))
                .map_err(backend)?;
        }
        if version < 4 {
            conn.execute_batch(&format!("BEGIN IMMEDIATE; {MIGRATION_4} COMMIT;"))
                .map_err(backend)?;
        }
        Ok(())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::Backend("connection lock poisoned".into()))
    }
}

/// The columns [`function_from_row`] reads, in its order.
const FUNCTION_COLUMNS: &str = "account, region, name, revision, code_sha256, document, layer_code";
/// The columns [`version_from_row`] reads, in its order.
const VERSION_COLUMNS: &str = "account, region, name, version, code_sha256, document, layer_code";
/// The columns [`layer_version_from_row`] reads, in its order.
const LAYER_VERSION_COLUMNS: &str = "account, region, name, version, code_sha256, document";

fn function_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FunctionRow> {
    Ok(FunctionRow {
        account: r.get(0)?,
        region: r.get(1)?,
        name: r.get(2)?,
        revision: r.get(3)?,
        code_sha256: r.get(4)?,
        document: r.get(5)?,
        layer_code: split_codes(&r.get::<_, String>(6)?),
    })
}

fn version_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VersionRow> {
    let version: i64 = r.get(3)?;
    Ok(VersionRow {
        account: r.get(0)?,
        region: r.get(1)?,
        name: r.get(2)?,
        version: u64::try_from(version).unwrap_or_default(),
        code_sha256: r.get(4)?,
        document: r.get(5)?,
        layer_code: split_codes(&r.get::<_, String>(6)?),
    })
}

fn layer_version_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LayerVersionRow> {
    let version: i64 = r.get(3)?;
    Ok(LayerVersionRow {
        account: r.get(0)?,
        region: r.get(1)?,
        name: r.get(2)?,
        version: u64::try_from(version).unwrap_or_default(),
        code_sha256: r.get(4)?,
        document: r.get(5)?,
    })
}

fn version_number(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("version {v} out of range")))
}

fn insert_version(tx: &Transaction<'_>, v: &VersionRow) -> Result<(), StoreError> {
    let n = tx
        .execute(
            "INSERT OR IGNORE INTO versions (account, region, name, version, code_sha256, document, layer_code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                v.account,
                v.region,
                v.name,
                version_number(v.version)?,
                v.code_sha256,
                v.document,
                join_codes(&v.layer_code)
            ],
        )
        .map_err(backend)?;
    if n == 0 {
        return Err(StoreError::AlreadyExists(format!(
            "version {} of {}",
            v.version, v.name
        )));
    }
    Ok(())
}

impl MetadataStore for SqliteStore {
    fn insert_function(&self, row: &FunctionRow, version: Option<&VersionRow>) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO functions (account, region, name, revision, code_sha256, document, layer_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    row.account,
                    row.region,
                    row.name,
                    row.revision,
                    row.code_sha256,
                    row.document,
                    join_codes(&row.layer_code)
                ],
            )
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::AlreadyExists(row.name.clone()));
        }
        // A function recreated under an old name must not inherit versions or sub-resources of its
        // predecessor.
        tx.execute(
            "DELETE FROM versions WHERE account = ?1 AND region = ?2 AND name = ?3",
            params![row.account, row.region, row.name],
        )
        .map_err(backend)?;
        sub_resources::delete_owned(
            &tx,
            &row.account,
            &row.region,
            &Owner::Function(row.name.clone()),
            None,
        )?;
        if let Some(v) = version {
            insert_version(&tx, v)?;
        }
        tx.commit().map_err(backend)
    }

    fn get_function(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Option<FunctionRow>, StoreError> {
        let conn = self.lock()?;
        // Every Invoke reads its function: the statement is parsed once per connection, not per call.
        conn.prepare_cached(&format!(
            "SELECT {FUNCTION_COLUMNS} FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3"
        ))
        .and_then(|mut statement| statement.query_row(params![account, region, name], function_from_row))
        .optional()
        .map_err(backend)
    }

    fn list_functions(
        &self,
        account: &str,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FunctionRow>, StoreError> {
        let conn = self.lock()?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {FUNCTION_COLUMNS} FROM functions
                 WHERE account = ?1 AND region = ?2 AND name > ?3 ORDER BY name LIMIT ?4"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(
                params![account, region, after.unwrap_or(""), limit],
                function_from_row,
            )
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn all_functions(&self) -> Result<Vec<FunctionRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {FUNCTION_COLUMNS} FROM functions ORDER BY account, region, name"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([], function_from_row).map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn replace_function(
        &self,
        row: &FunctionRow,
        expected_revision: &str,
        version: Option<&VersionRow>,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let current: Option<String> = tx
            .query_row(
                "SELECT revision FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![row.account, row.region, row.name],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        match current {
            None => return Err(StoreError::NotFound(row.name.clone())),
            Some(rev) if rev != expected_revision => {
                return Err(StoreError::RevisionMismatch(row.name.clone()));
            }
            Some(_) => {}
        }
        tx.execute(
            "UPDATE functions SET revision = ?4, code_sha256 = ?5, document = ?6, layer_code = ?7
             WHERE account = ?1 AND region = ?2 AND name = ?3",
            params![
                row.account,
                row.region,
                row.name,
                row.revision,
                row.code_sha256,
                row.document,
                join_codes(&row.layer_code)
            ],
        )
        .map_err(backend)?;
        if let Some(v) = version {
            insert_version(&tx, v)?;
        }
        tx.commit().map_err(backend)
    }

    fn delete_function(&self, account: &str, region: &str, name: &str) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "DELETE FROM functions WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![account, region, name],
            )
            .map_err(backend)?;
        tx.execute(
            "DELETE FROM versions WHERE account = ?1 AND region = ?2 AND name = ?3",
            params![account, region, name],
        )
        .map_err(backend)?;
        sub_resources::delete_owned(&tx, account, region, &Owner::Function(name.to_owned()), None)?;
        tx.commit().map_err(backend)?;
        Ok(n > 0)
    }

    fn get_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<Option<VersionRow>, StoreError> {
        let conn = self.lock()?;
        conn.query_row(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4"
            ),
            params![account, region, name, version_number(version)?],
            version_from_row,
        )
        .optional()
        .map_err(backend)
    }

    fn list_versions(
        &self,
        account: &str,
        region: &str,
        name: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<VersionRow>, StoreError> {
        let conn = self.lock()?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = match after {
            Some(a) => version_number(a)?,
            None => 0,
        };
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {VERSION_COLUMNS} FROM versions
                 WHERE account = ?1 AND region = ?2 AND name = ?3 AND version > ?4 ORDER BY version LIMIT ?5"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![account, region, name, after, limit], version_from_row)
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn all_versions(&self) -> Result<Vec<VersionRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {VERSION_COLUMNS} FROM versions ORDER BY account, region, name, version"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([], version_from_row).map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn update_version(&self, row: &VersionRow) -> Result<(), StoreError> {
        let conn = self.lock()?;
        let n = conn
            .execute(
                "UPDATE versions SET code_sha256 = ?5, document = ?6, layer_code = ?7
                 WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
                params![
                    row.account,
                    row.region,
                    row.name,
                    version_number(row.version)?,
                    row.code_sha256,
                    row.document,
                    join_codes(&row.layer_code)
                ],
            )
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "version {} of {}",
                row.version, row.name
            )));
        }
        Ok(())
    }

    fn delete_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let owner = Owner::Function(name.to_owned());
        let users = sub_resources::routing_to(&tx, account, region, &owner, version)?;
        if !users.is_empty() {
            return Err(StoreError::InUse(users));
        }
        let n = tx
            .execute(
                "DELETE FROM versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
                params![account, region, name, version_number(version)?],
            )
            .map_err(backend)?;
        sub_resources::delete_owned(&tx, account, region, &owner, Some(&version.to_string()))?;
        tx.commit().map_err(backend)?;
        Ok(n > 0)
    }

    fn publish_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        code_sha256: &str,
        document: &dyn Fn(u64) -> String,
    ) -> Result<LayerVersionRow, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let last: i64 = tx
            .query_row(
                "SELECT last_version FROM layers WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![account, region, name],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?
            .unwrap_or(0);
        let next = last + 1;
        tx.execute(
            "INSERT INTO layers (account, region, name, last_version) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account, region, name) DO UPDATE SET last_version = excluded.last_version",
            params![account, region, name, next],
        )
        .map_err(backend)?;
        let row = LayerVersionRow {
            account: account.to_owned(),
            region: region.to_owned(),
            name: name.to_owned(),
            version: u64::try_from(next).unwrap_or_default(),
            code_sha256: code_sha256.to_owned(),
            document: document(u64::try_from(next).unwrap_or_default()),
        };
        tx.execute(
            "INSERT INTO layer_versions (account, region, name, version, code_sha256, document)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.account,
                row.region,
                row.name,
                next,
                row.code_sha256,
                row.document
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(row)
    }

    fn get_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRow>, StoreError> {
        let conn = self.lock()?;
        conn.query_row(
            &format!(
                "SELECT {LAYER_VERSION_COLUMNS} FROM layer_versions
                 WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4"
            ),
            params![account, region, name, version_number(version)?],
            layer_version_from_row,
        )
        .optional()
        .map_err(backend)
    }

    fn list_layer_versions(
        &self,
        account: &str,
        region: &str,
        name: Option<&str>,
    ) -> Result<Vec<LayerVersionRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {LAYER_VERSION_COLUMNS} FROM layer_versions
                 WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR name = ?3) ORDER BY name, version"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![account, region, name], layer_version_from_row)
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn delete_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "DELETE FROM layer_versions WHERE account = ?1 AND region = ?2 AND name = ?3 AND version = ?4",
                params![account, region, name, version_number(version)?],
            )
            .map_err(backend)?;
        let owner = Owner::Layer(name.to_owned());
        sub_resources::delete_owned(&tx, account, region, &owner, Some(&version.to_string()))?;
        tx.commit().map_err(backend)?;
        Ok(n > 0)
    }

    fn referenced_code(&self) -> Result<BTreeSet<String>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare(
                "SELECT code_sha256 FROM functions UNION SELECT code_sha256 FROM versions
                 UNION SELECT code_sha256 FROM layer_versions
                 UNION SELECT layer_code FROM functions WHERE layer_code != ''
                 UNION SELECT layer_code FROM versions WHERE layer_code != ''",
            )
            .map_err(backend)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(backend)?;
        let mut out = BTreeSet::new();
        for joined in rows {
            out.extend(split_codes(&joined.map_err(backend)?));
        }
        Ok(out)
    }

    fn account_references_code(&self, account: &str, code_sha256: &str) -> Result<bool, StoreError> {
        let conn = self.lock()?;
        // Layer blobs are named inside space-separated lists: matched with spaces around.
        conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM functions WHERE account = ?1 AND code_sha256 = ?2)
                 OR EXISTS (SELECT 1 FROM versions WHERE account = ?1 AND code_sha256 = ?2)
                 OR EXISTS (SELECT 1 FROM layer_versions WHERE account = ?1 AND code_sha256 = ?2)
                 OR EXISTS (SELECT 1 FROM functions WHERE account = ?1 AND instr(' ' || layer_code || ' ', ' ' || ?2 || ' ') > 0)
                 OR EXISTS (SELECT 1 FROM versions WHERE account = ?1 AND instr(' ' || layer_code || ' ', ' ' || ?2 || ' ') > 0)",
            params![account, code_sha256],
            |r| r.get(0),
        )
        .map_err(backend)
    }

    fn get_sub_resource(&self, key: &SubResourceKey) -> Result<Option<SubResourceRow>, StoreError> {
        let conn = self.lock()?;
        sub_resources::get(&conn, key)
    }

    fn list_sub_resources(
        &self,
        account: &str,
        region: &str,
        owner: Option<&Owner>,
        kind: SubResourceKind,
    ) -> Result<Vec<SubResourceRow>, StoreError> {
        let conn = self.lock()?;
        sub_resources::list(&conn, Some((account, region)), owner, kind)
    }

    fn all_sub_resources(&self, kind: SubResourceKind) -> Result<Vec<SubResourceRow>, StoreError> {
        let conn = self.lock()?;
        sub_resources::list(&conn, None, None, kind)
    }

    fn put_sub_resource(&self, row: &SubResourceRow, condition: &WriteCondition) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        sub_resources::put(&tx, row, condition)?;
        tx.commit().map_err(backend)
    }

    fn delete_sub_resource(
        &self,
        key: &SubResourceKey,
        expected_revision: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let deleted = sub_resources::delete(&tx, key, expected_revision)?;
        tx.commit().map_err(backend)?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_database_uses_wal_and_full_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("db"), "000000000000").expect("open");
        let conn = store.lock().expect("lock");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("sync");
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    #[test]
    fn reopening_keeps_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let row = FunctionRow {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            name: "f".into(),
            revision: "1".into(),
            code_sha256: "abc".into(),
            layer_code: Vec::new(),
            document: "{}".into(),
        };
        SqliteStore::open(&path, "123456789012")
            .expect("open")
            .insert_function(&row, None)
            .expect("insert");
        let again = SqliteStore::open(&path, "123456789012").expect("reopen");
        assert_eq!(
            again.get_function("123456789012", "us-east-1", "f").expect("get"),
            Some(row)
        );
    }

    #[test]
    fn a_database_of_the_first_release_is_migrated_and_keeps_its_functions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        {
            // Exactly what the first release created and wrote.
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(&format!("{SCHEMA} PRAGMA user_version = 1;"))
                .expect("schema 1");
            conn.execute(
                "INSERT INTO functions (region, name, revision, code_sha256, document) VALUES ('us-east-1', 'old',                  'r1', 'sha-old', '{}')",
                [],
            )
            .expect("function");
            conn.execute(
                "INSERT INTO versions (region, name, version, code_sha256, document) VALUES ('us-east-1', 'old', 1,                  'sha-old-v1', '{}')",
                [],
            )
            .expect("version");
        }
        let store = SqliteStore::open(&path, "123456789012").expect("migrate");
        let row = store
            .get_function("123456789012", "us-east-1", "old")
            .expect("get")
            .expect("kept");
        assert_eq!(row.code_sha256, "sha-old");
        assert!(row.layer_code.is_empty());
        assert_eq!(
            store
                .list_versions("123456789012", "us-east-1", "old", None, 10)
                .expect("versions")
                .len(),
            1
        );
        let layer = store
            .publish_layer_version("123456789012", "us-east-1", "l", "sha-l", &|n| {
                format!("{{\"v\":{n}}}")
            })
            .expect("layers work after the migration");
        assert_eq!(layer.version, 1);
        drop(store);
        let again = SqliteStore::open(&path, "123456789012").expect("reopen migrated");
        assert_eq!(
            again.referenced_code().expect("refs"),
            ["sha-l", "sha-old", "sha-old-v1"].map(String::from).into()
        );
        let conn = again.lock().expect("lock");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("user_version");
        assert_eq!(version, SCHEMA_VERSION);
        drop(conn);
        assert!(
            again
                .get_function("000000000000", "us-east-1", "old")
                .expect("get")
                .is_none(),
            "old rows belong to the account the database was opened with"
        );
        assert!(
            again
                .account_references_code("123456789012", "sha-old-v1")
                .expect("refs")
        );
        assert!(
            !again
                .account_references_code("000000000000", "sha-old")
                .expect("refs")
        );
    }

    #[test]
    fn a_database_of_the_release_with_layers_is_migrated_to_accounts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(&format!("{SCHEMA} {MIGRATION_2}"))
                .expect("schema 2");
            conn.execute(
                "INSERT INTO functions (region, name, revision, code_sha256, document, layer_code)
                 VALUES ('eu-west-1', 'f', 'r1', 'sha-f', '{}', 'sha-l1 sha-l2')",
                [],
            )
            .expect("function");
            conn.execute(
                "INSERT INTO layers (region, name, last_version) VALUES ('eu-west-1', 'l', 3)",
                [],
            )
            .expect("layer");
            conn.execute(
                "INSERT INTO layer_versions (region, name, version, code_sha256, document)
                 VALUES ('eu-west-1', 'l', 3, 'sha-l2', '{}')",
                [],
            )
            .expect("layer version");
        }
        let store = SqliteStore::open(&path, "123456789012").expect("migrate");
        let f = store
            .get_function("123456789012", "eu-west-1", "f")
            .expect("get")
            .expect("kept");
        assert_eq!(f.layer_code, ["sha-l1", "sha-l2"]);
        assert_eq!(f.account, "123456789012");
        let next = store
            .publish_layer_version("123456789012", "eu-west-1", "l", "sha-l4", &|_| "{}".into())
            .expect("publish");
        assert_eq!(next.version, 4, "the layer's numbering survived the migration");
        assert!(
            store
                .account_references_code("123456789012", "sha-l1")
                .expect("refs")
        );
        assert!(
            !store
                .account_references_code("123456789012", "sha-l")
                .expect("no partial match")
        );
        let alias = SubResourceRow {
            key: SubResourceKey {
                account: "123456789012".into(),
                region: "eu-west-1".into(),
                owner: Owner::Function("f".into()),
                kind: SubResourceKind::Alias,
                key: "live".into(),
            },
            revision: "r1".into(),
            versions: Vec::new(),
            document: "{}".into(),
        };
        store
            .put_sub_resource(&alias, &WriteCondition::Absent)
            .expect("sub-resources work after the migration");
        drop(store);
        let again = SqliteStore::open(&path, "123456789012").expect("reopen");
        assert_eq!(again.get_sub_resource(&alias.key).expect("get"), Some(alias));
    }
}
