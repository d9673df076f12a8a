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

use crate::metadata::{FunctionRow, LayerVersionRow, MetadataStore, StoreError, VersionRow};

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

/// The schema version this code writes.
const SCHEMA_VERSION: i64 = 2;

fn join_codes(codes: &[String]) -> String {
    codes.join(" ")
}

fn split_codes(joined: &str) -> Vec<String> {
    joined.split_whitespace().map(str::to_owned).collect()
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
    /// Opens (creating if needed) the database at `path` and applies the schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(backend)?;
        Self::init(conn)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        Self::init(conn)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(backend)?;
        // journal_mode answers with a row, so it is queried rather than executed.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(backend)?;
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Self::migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Brings a database of an earlier release up to [`SCHEMA_VERSION`], in one transaction.
    fn migrate(conn: &Connection) -> Result<(), StoreError> {
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
        Ok(())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::Backend("connection lock poisoned".into()))
    }
}

/// The columns [`function_from_row`] reads, in its order.
const FUNCTION_COLUMNS: &str = "region, name, revision, code_sha256, document, layer_code";
/// The columns [`version_from_row`] reads, in its order.
const VERSION_COLUMNS: &str = "region, name, version, code_sha256, document, layer_code";
/// The columns [`layer_version_from_row`] reads, in its order.
const LAYER_VERSION_COLUMNS: &str = "region, name, version, code_sha256, document";

fn function_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FunctionRow> {
    Ok(FunctionRow {
        region: r.get(0)?,
        name: r.get(1)?,
        revision: r.get(2)?,
        code_sha256: r.get(3)?,
        document: r.get(4)?,
        layer_code: split_codes(&r.get::<_, String>(5)?),
    })
}

fn version_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VersionRow> {
    let version: i64 = r.get(2)?;
    Ok(VersionRow {
        region: r.get(0)?,
        name: r.get(1)?,
        version: u64::try_from(version).unwrap_or_default(),
        code_sha256: r.get(3)?,
        document: r.get(4)?,
        layer_code: split_codes(&r.get::<_, String>(5)?),
    })
}

fn layer_version_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LayerVersionRow> {
    let version: i64 = r.get(2)?;
    Ok(LayerVersionRow {
        region: r.get(0)?,
        name: r.get(1)?,
        version: u64::try_from(version).unwrap_or_default(),
        code_sha256: r.get(3)?,
        document: r.get(4)?,
    })
}

fn version_number(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("version {v} out of range")))
}

fn insert_version(tx: &Transaction<'_>, v: &VersionRow) -> Result<(), StoreError> {
    let n = tx
        .execute(
            "INSERT OR IGNORE INTO versions (region, name, version, code_sha256, document, layer_code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
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
                "INSERT OR IGNORE INTO functions (region, name, revision, code_sha256, document, layer_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
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
        // A function recreated under an old name must not inherit versions of its predecessor.
        tx.execute(
            "DELETE FROM versions WHERE region = ?1 AND name = ?2",
            params![row.region, row.name],
        )
        .map_err(backend)?;
        if let Some(v) = version {
            insert_version(&tx, v)?;
        }
        tx.commit().map_err(backend)
    }

    fn get_function(&self, region: &str, name: &str) -> Result<Option<FunctionRow>, StoreError> {
        let conn = self.lock()?;
        // Every Invoke reads its function: the statement is parsed once per connection, not per call.
        conn.prepare_cached(&format!(
            "SELECT {FUNCTION_COLUMNS} FROM functions WHERE region = ?1 AND name = ?2"
        ))
        .and_then(|mut statement| statement.query_row(params![region, name], function_from_row))
        .optional()
        .map_err(backend)
    }

    fn list_functions(
        &self,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FunctionRow>, StoreError> {
        let conn = self.lock()?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {FUNCTION_COLUMNS} FROM functions
                 WHERE region = ?1 AND name > ?2 ORDER BY name LIMIT ?3"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![region, after.unwrap_or(""), limit], function_from_row)
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn all_functions(&self) -> Result<Vec<FunctionRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {FUNCTION_COLUMNS} FROM functions ORDER BY region, name"
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
                "SELECT revision FROM functions WHERE region = ?1 AND name = ?2",
                params![row.region, row.name],
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
            "UPDATE functions SET revision = ?3, code_sha256 = ?4, document = ?5, layer_code = ?6
             WHERE region = ?1 AND name = ?2",
            params![
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

    fn delete_function(&self, region: &str, name: &str) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "DELETE FROM functions WHERE region = ?1 AND name = ?2",
                params![region, name],
            )
            .map_err(backend)?;
        tx.execute(
            "DELETE FROM versions WHERE region = ?1 AND name = ?2",
            params![region, name],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(n > 0)
    }

    fn get_version(&self, region: &str, name: &str, version: u64) -> Result<Option<VersionRow>, StoreError> {
        let conn = self.lock()?;
        conn.query_row(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE region = ?1 AND name = ?2 AND version = ?3"
            ),
            params![region, name, version_number(version)?],
            version_from_row,
        )
        .optional()
        .map_err(backend)
    }

    fn list_versions(
        &self,
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
                 WHERE region = ?1 AND name = ?2 AND version > ?3 ORDER BY version LIMIT ?4"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![region, name, after, limit], version_from_row)
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn all_versions(&self) -> Result<Vec<VersionRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {VERSION_COLUMNS} FROM versions ORDER BY region, name, version"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([], version_from_row).map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn update_version(&self, row: &VersionRow) -> Result<(), StoreError> {
        let conn = self.lock()?;
        let n = conn
            .execute(
                "UPDATE versions SET code_sha256 = ?4, document = ?5, layer_code = ?6
                 WHERE region = ?1 AND name = ?2 AND version = ?3",
                params![
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

    fn delete_version(&self, region: &str, name: &str, version: u64) -> Result<bool, StoreError> {
        let conn = self.lock()?;
        let n = conn
            .execute(
                "DELETE FROM versions WHERE region = ?1 AND name = ?2 AND version = ?3",
                params![region, name, version_number(version)?],
            )
            .map_err(backend)?;
        Ok(n > 0)
    }

    fn publish_layer_version(
        &self,
        region: &str,
        name: &str,
        code_sha256: &str,
        document: &dyn Fn(u64) -> String,
    ) -> Result<LayerVersionRow, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let last: i64 = tx
            .query_row(
                "SELECT last_version FROM layers WHERE region = ?1 AND name = ?2",
                params![region, name],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?
            .unwrap_or(0);
        let next = last + 1;
        tx.execute(
            "INSERT INTO layers (region, name, last_version) VALUES (?1, ?2, ?3)
             ON CONFLICT (region, name) DO UPDATE SET last_version = excluded.last_version",
            params![region, name, next],
        )
        .map_err(backend)?;
        let row = LayerVersionRow {
            region: region.to_owned(),
            name: name.to_owned(),
            version: u64::try_from(next).unwrap_or_default(),
            code_sha256: code_sha256.to_owned(),
            document: document(u64::try_from(next).unwrap_or_default()),
        };
        tx.execute(
            "INSERT INTO layer_versions (region, name, version, code_sha256, document) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![row.region, row.name, next, row.code_sha256, row.document],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(row)
    }

    fn get_layer_version(
        &self,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRow>, StoreError> {
        let conn = self.lock()?;
        conn.query_row(
            &format!(
                "SELECT {LAYER_VERSION_COLUMNS} FROM layer_versions WHERE region = ?1 AND name = ?2 AND version = ?3"
            ),
            params![region, name, version_number(version)?],
            layer_version_from_row,
        )
        .optional()
        .map_err(backend)
    }

    fn list_layer_versions(
        &self,
        region: &str,
        name: Option<&str>,
    ) -> Result<Vec<LayerVersionRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {LAYER_VERSION_COLUMNS} FROM layer_versions
                 WHERE region = ?1 AND (?2 IS NULL OR name = ?2) ORDER BY name, version"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![region, name], layer_version_from_row)
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn delete_layer_version(&self, region: &str, name: &str, version: u64) -> Result<bool, StoreError> {
        let conn = self.lock()?;
        let n = conn
            .execute(
                "DELETE FROM layer_versions WHERE region = ?1 AND name = ?2 AND version = ?3",
                params![region, name, version_number(version)?],
            )
            .map_err(backend)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_database_uses_wal_and_full_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("db")).expect("open");
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
            region: "us-east-1".into(),
            name: "f".into(),
            revision: "1".into(),
            code_sha256: "abc".into(),
            layer_code: Vec::new(),
            document: "{}".into(),
        };
        SqliteStore::open(&path)
            .expect("open")
            .insert_function(&row, None)
            .expect("insert");
        let again = SqliteStore::open(&path).expect("reopen");
        assert_eq!(again.get_function("us-east-1", "f").expect("get"), Some(row));
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
        let store = SqliteStore::open(&path).expect("migrate");
        let row = store
            .get_function("us-east-1", "old")
            .expect("get")
            .expect("kept");
        assert_eq!(row.code_sha256, "sha-old");
        assert!(row.layer_code.is_empty());
        assert_eq!(
            store
                .list_versions("us-east-1", "old", None, 10)
                .expect("versions")
                .len(),
            1
        );
        let layer = store
            .publish_layer_version("us-east-1", "l", "sha-l", &|n| format!("{{\"v\":{n}}}"))
            .expect("layers work after the migration");
        assert_eq!(layer.version, 1);
        drop(store);
        let again = SqliteStore::open(&path).expect("reopen migrated");
        assert_eq!(
            again.referenced_code().expect("refs"),
            ["sha-l", "sha-old", "sha-old-v1"].map(String::from).into()
        );
        let conn = again.lock().expect("lock");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("user_version");
        assert_eq!(version, SCHEMA_VERSION);
    }
}
