//! Where the objects are: `<data-dir>/s3/`.
//!
//! - `index.db`: SQLite (WAL, `synchronous=FULL`, so a commit is on disk when it returns) with the
//!   buckets (owner account, region, versioning), every version of every object (`objects`, one row per
//!   version or delete marker, the newest `seq` of a key being its current version), the multipart
//!   uploads in progress and their parts.
//! - `blobs/<id>`: the bytes of one object version or part, never changed once written. A blob is
//!   written as `blobs/.tmp-<id>`, `fsync`ed, renamed and the directory `fsync`ed, and only then is the
//!   row that references it committed: an acknowledged PutObject or CompleteMultipartUpload survives
//!   `kill -9` and power loss, and a crash in between leaves an unreferenced blob that [`Storage::open`]
//!   removes. CopyObject hard-links the blob (blobs are immutable), so a copy costs no bytes.
//!
//! Every method is blocking (SQLite, files): the service calls them on the blocking pool.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use md5::{Digest, Md5};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// The version id of objects written while a bucket is not versioned (or versioning is suspended).
pub const NULL_VERSION: &str = "null";

/// The smallest part of a multipart upload other than the last (5 MiB).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS buckets (
    name       TEXT PRIMARY KEY,
    account    TEXT NOT NULL,
    region     TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    versioning TEXT
);
CREATE TABLE IF NOT EXISTS objects (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket           TEXT NOT NULL,
    key              TEXT NOT NULL,
    version_id       TEXT NOT NULL,
    delete_marker    INTEGER NOT NULL,
    blob             TEXT,
    size             INTEGER NOT NULL,
    etag             TEXT NOT NULL,
    content_type     TEXT,
    metadata         TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_by_key ON objects (bucket, key, seq);
CREATE UNIQUE INDEX IF NOT EXISTS objects_by_version ON objects (bucket, key, version_id);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id    TEXT PRIMARY KEY,
    bucket       TEXT NOT NULL,
    key          TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    content_type TEXT,
    metadata     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    upload_id        TEXT NOT NULL,
    part_number      INTEGER NOT NULL,
    blob             TEXT NOT NULL,
    size             INTEGER NOT NULL,
    etag             TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
";

/// Why a storage operation failed: S3's error, or the disk's.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The bucket does not exist.
    #[error("The specified bucket does not exist")]
    NoSuchBucket,
    /// CreateBucket of a name the caller's account already owns.
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou,
    /// CreateBucket of a name another account owns.
    #[error(
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. \
         Please select a different name and try again."
    )]
    BucketAlreadyExists,
    /// DeleteBucket of a bucket with objects (or versions, or uploads) in it.
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty,
    /// The bucket belongs to another account.
    #[error("Access Denied")]
    AccessDenied,
    /// No such key, or its current version is a delete marker (`true`).
    #[error("The specified key does not exist.")]
    NoSuchKey {
        /// The current version is a delete marker (`x-amz-delete-marker: true`).
        delete_marker: Option<String>,
    },
    /// No such version.
    #[error("The specified version does not exist.")]
    NoSuchVersion,
    /// A version id that cannot be one.
    #[error("Invalid version id specified")]
    InvalidVersion,
    /// GetObject / HeadObject of a delete marker by its version id.
    #[error("The specified method is not allowed against this resource.")]
    DeleteMarker {
        /// The marker's version id.
        version_id: String,
    },
    /// No such multipart upload.
    #[error(
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted \
         or completed."
    )]
    NoSuchUpload,
    /// A part named in CompleteMultipartUpload is missing or has another ETag.
    #[error(
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the \
         specified entity tag may not have matched the part's entity tag."
    )]
    InvalidPart,
    /// The parts of CompleteMultipartUpload are not in ascending order.
    #[error("The list of parts was not in ascending order. Parts must be ordered by part number.")]
    InvalidPartOrder,
    /// A part other than the last is smaller than 5 MiB.
    #[error("Your proposed upload is smaller than the minimum allowed object size.")]
    EntityTooSmall,
    /// The index database failed.
    #[error("the object index failed")]
    Database(#[from] rusqlite::Error),
    /// A file of the store could not be read or written.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// To which file.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io { action, path, source }
}

/// A bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Its name.
    pub name: String,
    /// The account that owns it.
    pub account: String,
    /// Its region (the creator's signature region).
    pub region: String,
    /// When it was made (milliseconds since the epoch).
    pub created_ms: i64,
    /// `Enabled`, `Suspended`, or `None` for a bucket never versioned.
    pub versioning: Option<String>,
}

/// One version of an object (or a delete marker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    /// The key.
    pub key: String,
    /// The version id (`null` outside versioning).
    pub version_id: String,
    /// Whether this version is a delete marker.
    pub delete_marker: bool,
    /// The blob holding its bytes (none for a delete marker).
    pub blob: Option<String>,
    /// Its size.
    pub size: u64,
    /// Its ETag without quotes (`md5hex`, or `md5hex-N` for a multipart object).
    pub etag: String,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its user metadata (`x-amz-meta-*`, without the prefix).
    pub metadata: BTreeMap<String, String>,
    /// When it was written (milliseconds since the epoch).
    pub last_modified_ms: i64,
    /// Whether it is the key's current version.
    pub is_latest: bool,
}

/// What a new object version carries besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct NewObject {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// User metadata.
    pub metadata: BTreeMap<String, String>,
}

/// A blob written and on disk.
#[derive(Debug, Clone)]
pub struct Blob {
    /// Its name under `blobs/`.
    pub id: String,
    /// Its size.
    pub size: u64,
    /// Its MD5, hex.
    pub md5: String,
}

/// A blob being written: bytes go to a temporary file, hashed as they pass.
#[derive(Debug)]
pub struct BlobWriter {
    file: File,
    tmp: PathBuf,
    dir: PathBuf,
    id: String,
    size: u64,
    md5: Md5,
}

impl BlobWriter {
    /// Appends bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.file.write_all(bytes).map_err(io_err("write", &self.tmp))?;
        self.size += bytes.len() as u64;
        self.md5.update(bytes);
        Ok(())
    }

    /// Makes the blob durable under its final name: `fsync`, rename, directory `fsync`.
    pub fn finish(mut self) -> Result<Blob, StorageError> {
        self.file.sync_all().map_err(io_err("fsync", &self.tmp))?;
        let target = self.dir.join(&self.id);
        std::fs::rename(&self.tmp, &target).map_err(io_err("rename", &self.tmp))?;
        sync_dir(&self.dir)?;
        Ok(Blob {
            id: std::mem::take(&mut self.id),
            size: self.size,
            md5: hex::encode(self.md5.clone().finalize()),
        })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // A writer dropped before `finish` (a broken upload) leaves nothing behind; after `finish` the
        // temporary name no longer exists.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync", dir))
}

/// A page of ListObjectsV2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The objects (current versions that are not delete markers).
    pub objects: Vec<ObjectVersion>,
    /// The common prefixes (with a delimiter).
    pub prefixes: Vec<String>,
    /// Where the next page starts (the last key or prefix of this one), if there is one.
    pub next: Option<String>,
}

/// A page of ListObjectVersions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionPage {
    /// Versions and delete markers, by key, newest first within a key.
    pub versions: Vec<ObjectVersion>,
    /// `(key, version id)` where the next page starts, if there is one.
    pub next: Option<(String, String)>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Its id.
    pub upload_id: String,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// When it was started.
    pub created_ms: i64,
}

/// An uploaded part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its number (1-10,000).
    pub part_number: i32,
    /// Its size.
    pub size: u64,
    /// Its ETag without quotes (its MD5).
    pub etag: String,
    /// When it was uploaded.
    pub last_modified_ms: i64,
}

/// The embedded S3 store.
pub struct Storage {
    root: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A new version id: 32 characters, as S3's are.
fn new_version_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether `id` can be a version id of this store.
fn valid_version_id(id: &str) -> bool {
    id == NULL_VERSION || (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

const OBJECT_COLUMNS: &str =
    "key, version_id, delete_marker, blob, size, etag, content_type, metadata, last_modified_ms";

fn object_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ObjectVersion> {
    let metadata: String = row.get(7)?;
    Ok(ObjectVersion {
        key: row.get(0)?,
        version_id: row.get(1)?,
        delete_marker: row.get::<_, i64>(2)? != 0,
        blob: row.get(3)?,
        size: u64::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
        etag: row.get(5)?,
        content_type: row.get(6)?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        last_modified_ms: row.get(8)?,
        is_latest: false,
    })
}

impl Storage {
    /// Opens (creating if needed) the store in `root`. What a crash left behind is removed by
    /// [`Storage::sweep`], once the caller owns the data directory.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let root = root.into();
        let blobs = root.join("blobs");
        std::fs::create_dir_all(&blobs).map_err(io_err("create", &blobs))?;
        let conn = Connection::open(root.join("index.db"))?;
        lamina_store::durable(&conn)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Storage {
            root,
            conn: Mutex::new(conn),
        })
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs")
    }

    fn blob_path(&self, id: &str) -> PathBuf {
        self.blobs_dir().join(id)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Removes temporary files and blobs no row references (a crash between writing a blob and
    /// committing its row, or before a replaced blob was removed); the number removed. Only while no
    /// request is being served: a blob being written is unreferenced too.
    pub fn sweep(&self) -> Result<usize, StorageError> {
        let referenced: std::collections::HashSet<String> = {
            let conn = self.conn();
            let mut stmt =
                conn.prepare("SELECT blob FROM objects WHERE blob IS NOT NULL UNION SELECT blob FROM parts")?;
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()?
        };
        let dir = self.blobs_dir();
        let mut removed = 0;
        for entry in std::fs::read_dir(&dir).map_err(io_err("list", &dir))? {
            let entry = entry.map_err(io_err("list", &dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !referenced.contains(&name) {
                std::fs::remove_file(entry.path()).map_err(io_err("remove", &entry.path()))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Starts a blob.
    pub fn blob_writer(&self) -> Result<BlobWriter, StorageError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = self.blobs_dir();
        let tmp = dir.join(format!(".tmp-{id}"));
        let file = File::create(&tmp).map_err(io_err("create", &tmp))?;
        Ok(BlobWriter {
            file,
            tmp,
            dir,
            id,
            size: 0,
            md5: Md5::new(),
        })
    }

    fn remove_blobs(&self, blobs: impl IntoIterator<Item = String>) {
        for blob in blobs {
            let path = self.blob_path(&blob);
            if let Err(e) = std::fs::remove_file(&path) {
                // Swept at the next start.
                tracing::warn!(path = %path.display(), "could not remove a replaced S3 blob: {e}");
            }
        }
    }

    // ---- buckets ----

    /// Creates a bucket owned by `account` in `region`.
    pub fn create_bucket(&self, account: &str, region: &str, name: &str) -> Result<Bucket, StorageError> {
        let conn = self.conn();
        if let Some(existing) = bucket_row(&conn, name)? {
            return Err(if existing.account == account {
                StorageError::BucketAlreadyOwnedByYou
            } else {
                StorageError::BucketAlreadyExists
            });
        }
        let bucket = Bucket {
            name: name.to_owned(),
            account: account.to_owned(),
            region: region.to_owned(),
            created_ms: now_ms(),
            versioning: None,
        };
        conn.execute(
            "INSERT INTO buckets (name, account, region, created_ms, versioning) VALUES (?1, ?2, ?3, ?4, NULL)",
            params![bucket.name, bucket.account, bucket.region, bucket.created_ms],
        )?;
        Ok(bucket)
    }

    /// The bucket `name` as `account` sees it: [`StorageError::NoSuchBucket`], or
    /// [`StorageError::AccessDenied`] if another account owns it.
    pub fn bucket(&self, account: &str, name: &str) -> Result<Bucket, StorageError> {
        owned_bucket(&self.conn(), account, name)
    }

    /// The buckets of `account`, by name.
    pub fn list_buckets(&self, account: &str) -> Result<Vec<Bucket>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT name, account, region, created_ms, versioning FROM buckets WHERE account = ?1 ORDER BY name",
        )?;
        let rows = stmt
            .query_map([account], bucket_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Deletes an empty bucket.
    pub fn delete_bucket(&self, account: &str, name: &str) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        owned_bucket(&tx, account, name)?;
        let used: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = ?1) OR EXISTS (SELECT 1 FROM uploads WHERE bucket = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if used {
            return Err(StorageError::BucketNotEmpty);
        }
        tx.execute("DELETE FROM buckets WHERE name = ?1", [name])?;
        tx.commit()?;
        Ok(())
    }

    /// Sets a bucket's versioning (`Enabled` or `Suspended`).
    pub fn set_versioning(&self, account: &str, name: &str, status: &str) -> Result<(), StorageError> {
        let conn = self.conn();
        owned_bucket(&conn, account, name)?;
        conn.execute(
            "UPDATE buckets SET versioning = ?2 WHERE name = ?1",
            params![name, status],
        )?;
        Ok(())
    }

    // ---- objects ----

    /// Stores `blob` as the new current version of `key`; the version written. The blob of a version
    /// it replaces (the `null` version outside versioning) is removed.
    pub fn put_object(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        blob: &Blob,
        etag: &str,
        object: &NewObject,
    ) -> Result<ObjectVersion, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let b = owned_bucket(&tx, account, bucket)?;
        let (version_id, replaced) = next_version(&tx, &b, key)?;
        let version = ObjectVersion {
            key: key.to_owned(),
            version_id,
            delete_marker: false,
            blob: Some(blob.id.clone()),
            size: blob.size,
            etag: etag.to_owned(),
            content_type: object.content_type.clone(),
            metadata: object.metadata.clone(),
            last_modified_ms: now_ms(),
            is_latest: true,
        };
        insert_version(&tx, bucket, &version)?;
        tx.commit()?;
        drop(conn);
        self.remove_blobs(replaced);
        Ok(version)
    }

    /// A version of `key` (`version` or the current one), for reading. The current version being a
    /// delete marker is [`StorageError::NoSuchKey`] (naming the marker); a marker asked for by its id
    /// is [`StorageError::DeleteMarker`].
    pub fn get_object(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<(Bucket, ObjectVersion), StorageError> {
        let conn = self.conn();
        let b = owned_bucket(&conn, account, bucket)?;
        let found = find_version(&conn, bucket, key, version)?;
        match (found, version) {
            (None, None) => Err(StorageError::NoSuchKey { delete_marker: None }),
            (None, Some(_)) => Err(StorageError::NoSuchVersion),
            (Some(v), None) if v.delete_marker => Err(StorageError::NoSuchKey {
                delete_marker: Some(v.version_id),
            }),
            (Some(v), Some(_)) if v.delete_marker => Err(StorageError::DeleteMarker {
                version_id: v.version_id,
            }),
            (Some(v), _) => Ok((b, v)),
        }
    }

    /// Opens the bytes of a version (not a delete marker) at `offset`.
    pub fn open_blob(&self, version: &ObjectVersion, offset: u64) -> Result<File, StorageError> {
        let blob = version.blob.as_deref().unwrap_or_default();
        let path = self.blob_path(blob);
        let mut file = File::open(&path).map_err(io_err("open", &path))?;
        if offset > 0 {
            file.seek(SeekFrom::Start(offset))
                .map_err(io_err("seek", &path))?;
        }
        Ok(file)
    }

    /// Deletes `key`: the version named (for good), or, without one, the object as the bucket's
    /// versioning says (a delete marker in a versioned bucket). Returns the version id removed or
    /// written and whether it is a delete marker.
    pub fn delete_object(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<(Option<String>, bool), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let b = owned_bucket(&tx, account, bucket)?;
        let mut removed = Vec::new();
        let answer = if let Some(version) = version {
            if !valid_version_id(version) {
                return Err(StorageError::InvalidVersion);
            }
            match find_version(&tx, bucket, key, Some(version))? {
                Some(v) => {
                    tx.execute(
                        "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                        params![bucket, key, version],
                    )?;
                    removed.extend(v.blob);
                    (Some(version.to_owned()), v.delete_marker)
                }
                None => (Some(version.to_owned()), false),
            }
        } else if b.versioning.is_some() {
            let (version_id, replaced) = next_version(&tx, &b, key)?;
            removed.extend(replaced);
            let marker = ObjectVersion {
                key: key.to_owned(),
                version_id: version_id.clone(),
                delete_marker: true,
                blob: None,
                size: 0,
                etag: String::new(),
                content_type: None,
                metadata: BTreeMap::new(),
                last_modified_ms: now_ms(),
                is_latest: true,
            };
            insert_version(&tx, bucket, &marker)?;
            (Some(version_id), true)
        } else {
            let mut stmt =
                tx.prepare("SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2 AND blob IS NOT NULL")?;
            removed.extend(
                stmt.query_map(params![bucket, key], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?,
            );
            drop(stmt);
            tx.execute(
                "DELETE FROM objects WHERE bucket = ?1 AND key = ?2",
                params![bucket, key],
            )?;
            (None, false)
        };
        tx.commit()?;
        drop(conn);
        self.remove_blobs(removed);
        Ok(answer)
    }

    /// Copies a version's bytes (a hard link: blobs never change) into a new blob.
    pub fn link_blob(&self, version: &ObjectVersion) -> Result<Blob, StorageError> {
        let source = self.blob_path(version.blob.as_deref().unwrap_or_default());
        let id = uuid::Uuid::new_v4().simple().to_string();
        let target = self.blob_path(&id);
        std::fs::hard_link(&source, &target).map_err(io_err("link", &source))?;
        sync_dir(&self.blobs_dir())?;
        Ok(Blob {
            id,
            size: version.size,
            md5: String::new(),
        })
    }

    /// Removes a blob that no row references (one written for a request that then failed).
    pub fn discard_blob(&self, blob: Blob) {
        self.remove_blobs([blob.id]);
    }

    /// ListObjectsV2: current versions that are not delete markers, by key, after `after`, under
    /// `prefix`, grouped by `delimiter`, at most `max` entries (objects and prefixes together).
    pub fn list_objects(
        &self,
        account: &str,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max: usize,
    ) -> Result<ListPage, StorageError> {
        let conn = self.conn();
        owned_bucket(&conn, account, bucket)?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {OBJECT_COLUMNS} FROM objects o WHERE bucket = ?1 AND key >= ?2 AND key > ?3
             AND seq = (SELECT MAX(seq) FROM objects i WHERE i.bucket = o.bucket AND i.key = o.key)
             AND delete_marker = 0 ORDER BY key"
        ))?;
        let mut rows = stmt.query(params![bucket, prefix, after.unwrap_or("")])?;
        let mut page = ListPage::default();
        let mut last_prefix: Option<String> = after.map(str::to_owned);
        let mut count = 0usize;
        while let Some(row) = rows.next()? {
            let mut object = object_row(row)?;
            if !object.key.starts_with(prefix) {
                break;
            }
            let common = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
                object.key[prefix.len()..]
                    .find(d)
                    .map(|at| object.key[..prefix.len() + at + d.len()].to_owned())
            });
            if let Some(common) = &common
                && last_prefix.as_deref() == Some(common.as_str())
            {
                continue;
            }
            if count == max {
                page.next = page
                    .objects
                    .last()
                    .map(|o| o.key.clone())
                    .max(page.prefixes.last().cloned());
                break;
            }
            count += 1;
            match common {
                Some(common) => {
                    last_prefix = Some(common.clone());
                    page.prefixes.push(common);
                }
                None => {
                    object.is_latest = true;
                    page.objects.push(object);
                }
            }
        }
        Ok(page)
    }

    /// ListObjectVersions: every version and delete marker under `prefix`, by key then newest first,
    /// from `(key_marker, version_marker)` on, at most `max`.
    pub fn list_versions(
        &self,
        account: &str,
        bucket: &str,
        prefix: &str,
        key_marker: Option<&str>,
        version_marker: Option<&str>,
        max: usize,
    ) -> Result<VersionPage, StorageError> {
        let conn = self.conn();
        owned_bucket(&conn, account, bucket)?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key >= ?2 AND key >= ?3
             ORDER BY key, seq DESC"
        ))?;
        let mut rows = stmt.query(params![bucket, prefix, key_marker.unwrap_or("")])?;
        let mut page = VersionPage::default();
        let mut previous_key: Option<String> = None;
        // With a key marker alone, the marker's own versions were listed; with a version marker too,
        // those after it are still to come.
        let mut skipping = key_marker.map(|k| (k.to_owned(), version_marker.map(str::to_owned)));
        while let Some(row) = rows.next()? {
            let mut version = object_row(row)?;
            if !version.key.starts_with(prefix) {
                break;
            }
            version.is_latest = previous_key.as_deref() != Some(version.key.as_str());
            previous_key = Some(version.key.clone());
            if let Some((key, marker)) = &skipping {
                if version.key == *key {
                    if marker.as_deref() == Some(version.version_id.as_str()) {
                        skipping = None;
                    }
                    continue;
                }
                skipping = None;
            }
            if page.versions.len() == max {
                page.next = page
                    .versions
                    .last()
                    .map(|v| (v.key.clone(), v.version_id.clone()));
                break;
            }
            page.versions.push(version);
        }
        Ok(page)
    }

    // ---- multipart uploads ----

    /// Starts a multipart upload; its id.
    pub fn create_upload(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        object: &NewObject,
    ) -> Result<String, StorageError> {
        let conn = self.conn();
        owned_bucket(&conn, account, bucket)?;
        let upload_id = uuid::Uuid::new_v4().simple().to_string();
        conn.execute(
            "INSERT INTO uploads (upload_id, bucket, key, created_ms, content_type, metadata)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                upload_id,
                bucket,
                key,
                now_ms(),
                object.content_type,
                serde_json::to_string(&object.metadata).unwrap_or_else(|_| "{}".into())
            ],
        )?;
        Ok(upload_id)
    }

    /// The upload `upload_id` of `key` in `bucket`, as `account` sees it.
    pub fn upload(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Upload, StorageError> {
        let conn = self.conn();
        owned_bucket(&conn, account, bucket)?;
        find_upload(&conn, bucket, key, upload_id)?
            .map(|(upload, _)| upload)
            .ok_or(StorageError::NoSuchUpload)
    }

    /// Records a part (replacing one of the same number).
    pub fn put_part(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: i32,
        blob: &Blob,
    ) -> Result<Part, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        owned_bucket(&tx, account, bucket)?;
        if find_upload(&tx, bucket, key, upload_id)?.is_none() {
            return Err(StorageError::NoSuchUpload);
        }
        let replaced: Option<String> = tx
            .query_row(
                "SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                params![upload_id, part_number],
                |r| r.get(0),
            )
            .optional()?;
        let part = Part {
            part_number,
            size: blob.size,
            etag: blob.md5.clone(),
            last_modified_ms: now_ms(),
        };
        tx.execute(
            "INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, etag, last_modified_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                upload_id,
                part_number,
                blob.id,
                i64::try_from(blob.size).unwrap_or(i64::MAX),
                part.etag,
                part.last_modified_ms
            ],
        )?;
        tx.commit()?;
        drop(conn);
        self.remove_blobs(replaced);
        Ok(part)
    }

    /// The parts of an upload, by number.
    pub fn list_parts(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<Part>, StorageError> {
        let conn = self.conn();
        owned_bucket(&conn, account, bucket)?;
        if find_upload(&conn, bucket, key, upload_id)?.is_none() {
            return Err(StorageError::NoSuchUpload);
        }
        Ok(parts_of(&conn, upload_id)?
            .into_iter()
            .map(|(part, _)| part)
            .collect())
    }

    /// The uploads in progress in a bucket, by key.
    pub fn list_uploads(
        &self,
        account: &str,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<Upload>, StorageError> {
        let conn = self.conn();
        owned_bucket(&conn, account, bucket)?;
        let mut stmt = conn.prepare(
            "SELECT upload_id, bucket, key, created_ms FROM uploads WHERE bucket = ?1 AND key >= ?2
             ORDER BY key, created_ms",
        )?;
        let uploads = stmt
            .query_map(params![bucket, prefix], |r| {
                Ok(Upload {
                    upload_id: r.get(0)?,
                    bucket: r.get(1)?,
                    key: r.get(2)?,
                    created_ms: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(uploads
            .into_iter()
            .filter(|u| u.key.starts_with(prefix))
            .collect())
    }

    /// Abandons an upload and its parts.
    pub fn abort_upload(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        owned_bucket(&tx, account, bucket)?;
        if find_upload(&tx, bucket, key, upload_id)?.is_none() {
            return Err(StorageError::NoSuchUpload);
        }
        let blobs: Vec<String> = parts_of(&tx, upload_id)?.into_iter().map(|(_, b)| b).collect();
        tx.execute("DELETE FROM parts WHERE upload_id = ?1", [upload_id])?;
        tx.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
        tx.commit()?;
        drop(conn);
        self.remove_blobs(blobs);
        Ok(())
    }

    /// Completes an upload from `parts` (`(number, ETag)` as the client lists them): the parts are
    /// joined into one blob, made durable, and the object committed with S3's multipart ETag (the MD5
    /// of the parts' MD5s, `-N`).
    pub fn complete_upload(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(i32, String)],
    ) -> Result<ObjectVersion, StorageError> {
        let (object, chosen) = {
            let conn = self.conn();
            owned_bucket(&conn, account, bucket)?;
            let (_, object) =
                find_upload(&conn, bucket, key, upload_id)?.ok_or(StorageError::NoSuchUpload)?;
            let uploaded: BTreeMap<i32, (Part, String)> = parts_of(&conn, upload_id)?
                .into_iter()
                .map(|(p, b)| (p.part_number, (p, b)))
                .collect();
            (object, choose_parts(&uploaded, parts)?)
        };
        let mut writer = self.blob_writer()?;
        let mut md5s = Md5::new();
        for (part, blob) in &chosen {
            let path = self.blob_path(blob);
            let mut file = File::open(&path).map_err(io_err("open", &path))?;
            std::io::copy(&mut file, &mut writer.file).map_err(io_err("copy", &path))?;
            writer.size += part.size;
            md5s.update(hex::decode(&part.etag).unwrap_or_default());
        }
        let etag = format!("{}-{}", hex::encode(md5s.finalize()), chosen.len());
        let blob = writer.finish()?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let b = owned_bucket(&tx, account, bucket)?;
        if find_upload(&tx, bucket, key, upload_id)?.is_none() {
            // Completed or aborted meanwhile.
            drop(tx);
            drop(conn);
            self.remove_blobs([blob.id]);
            return Err(StorageError::NoSuchUpload);
        }
        let (version_id, mut replaced) = next_version(&tx, &b, key)?;
        let version = ObjectVersion {
            key: key.to_owned(),
            version_id,
            delete_marker: false,
            blob: Some(blob.id.clone()),
            size: blob.size,
            etag,
            content_type: object.content_type,
            metadata: object.metadata,
            last_modified_ms: now_ms(),
            is_latest: true,
        };
        insert_version(&tx, bucket, &version)?;
        replaced.extend(parts_of(&tx, upload_id)?.into_iter().map(|(_, b)| b));
        tx.execute("DELETE FROM parts WHERE upload_id = ?1", [upload_id])?;
        tx.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
        tx.commit()?;
        drop(conn);
        self.remove_blobs(replaced);
        Ok(version)
    }
}

/// The parts CompleteMultipartUpload names, checked as S3 checks them.
fn choose_parts(
    uploaded: &BTreeMap<i32, (Part, String)>,
    named: &[(i32, String)],
) -> Result<Vec<(Part, String)>, StorageError> {
    let mut chosen: Vec<(Part, String)> = Vec::with_capacity(named.len());
    for (number, etag) in named {
        if chosen.last().is_some_and(|(p, _)| p.part_number >= *number) {
            return Err(StorageError::InvalidPartOrder);
        }
        let Some((part, blob)) = uploaded.get(number) else {
            return Err(StorageError::InvalidPart);
        };
        if etag.trim_matches('"') != part.etag {
            return Err(StorageError::InvalidPart);
        }
        chosen.push((part.clone(), blob.clone()));
    }
    if chosen.is_empty() {
        return Err(StorageError::InvalidPart);
    }
    if chosen[..chosen.len() - 1]
        .iter()
        .any(|(p, _)| p.size < MIN_PART_SIZE)
    {
        return Err(StorageError::EntityTooSmall);
    }
    Ok(chosen)
}

fn bucket_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Bucket> {
    Ok(Bucket {
        name: r.get(0)?,
        account: r.get(1)?,
        region: r.get(2)?,
        created_ms: r.get(3)?,
        versioning: r.get(4)?,
    })
}

fn bucket_row(conn: &Connection, name: &str) -> Result<Option<Bucket>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT name, account, region, created_ms, versioning FROM buckets WHERE name = ?1",
            [name],
            bucket_from_row,
        )
        .optional()?)
}

fn owned_bucket(conn: &Connection, account: &str, name: &str) -> Result<Bucket, StorageError> {
    match bucket_row(conn, name)? {
        None => Err(StorageError::NoSuchBucket),
        Some(b) if b.account != account => Err(StorageError::AccessDenied),
        Some(b) => Ok(b),
    }
}

/// The version id a new version of `key` gets, and the blobs of the version it replaces (the `null`
/// version, outside enabled versioning). The replaced row is deleted.
fn next_version(
    tx: &Transaction<'_>,
    bucket: &Bucket,
    key: &str,
) -> Result<(String, Vec<String>), StorageError> {
    if bucket.versioning.as_deref() == Some("Enabled") {
        return Ok((new_version_id(), Vec::new()));
    }
    let replaced: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3 AND blob IS NOT NULL",
        )?;
        stmt.query_map(params![bucket.name, key, NULL_VERSION], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    tx.execute(
        "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
        params![bucket.name, key, NULL_VERSION],
    )?;
    Ok((NULL_VERSION.to_owned(), replaced))
}

fn insert_version(tx: &Transaction<'_>, bucket: &str, v: &ObjectVersion) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO objects (bucket, key, version_id, delete_marker, blob, size, etag, content_type, metadata,
         last_modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            bucket,
            v.key,
            v.version_id,
            v.delete_marker,
            v.blob,
            i64::try_from(v.size).unwrap_or(i64::MAX),
            v.etag,
            v.content_type,
            serde_json::to_string(&v.metadata).unwrap_or_else(|_| "{}".into()),
            v.last_modified_ms
        ],
    )?;
    Ok(())
}

/// A version of `key` (`version`, else the newest).
fn find_version(
    conn: &Connection,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<Option<ObjectVersion>, StorageError> {
    let found = match version {
        Some(v) if !valid_version_id(v) => return Err(StorageError::InvalidVersion),
        Some(v) => {
            let mut found = conn
                .query_row(
                    &format!(
                        "SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3"
                    ),
                    params![bucket, key, v],
                    object_row,
                )
                .optional()?;
            if let Some(found) = &mut found {
                let latest: Option<String> = conn
                    .query_row(
                        "SELECT version_id FROM objects WHERE bucket = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1",
                        params![bucket, key],
                        |r| r.get(0),
                    )
                    .optional()?;
                found.is_latest = latest.as_deref() == Some(v);
            }
            found
        }
        None => conn
            .query_row(
                &format!(
                    "SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1"
                ),
                params![bucket, key],
                object_row,
            )
            .optional()?
            .map(|mut v| {
                v.is_latest = true;
                v
            }),
    };
    Ok(found)
}

fn find_upload(
    conn: &Connection,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Option<(Upload, NewObject)>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT upload_id, bucket, key, created_ms, content_type, metadata FROM uploads
             WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3",
            params![upload_id, bucket, key],
            |r| {
                let metadata: String = r.get(5)?;
                Ok((
                    Upload {
                        upload_id: r.get(0)?,
                        bucket: r.get(1)?,
                        key: r.get(2)?,
                        created_ms: r.get(3)?,
                    },
                    NewObject {
                        content_type: r.get(4)?,
                        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
                    },
                ))
            },
        )
        .optional()?)
}

fn parts_of(conn: &Connection, upload_id: &str) -> Result<Vec<(Part, String)>, StorageError> {
    let mut stmt = conn.prepare(
        "SELECT part_number, size, etag, last_modified_ms, blob FROM parts WHERE upload_id = ?1 ORDER BY part_number",
    )?;
    let parts = stmt
        .query_map([upload_id], |r| {
            Ok((
                Part {
                    part_number: r.get(0)?,
                    size: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    etag: r.get(2)?,
                    last_modified_ms: r.get(3)?,
                },
                r.get(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts)
}

impl lamina_store::ObjectSource for Storage {
    fn open_object(
        &self,
        account: &str,
        region: &str,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<lamina_store::StoredObject, lamina_store::ObjectError> {
        use lamina_store::ObjectError;

        let found = self.bucket(account, bucket).and_then(|b| {
            if b.region != region {
                return Ok(Err(ObjectError::WrongRegion(b.region)));
            }
            self.get_object(account, bucket, key, version).map(Ok)
        });
        let (_, object) = match found {
            Ok(Ok(found)) => found,
            Ok(Err(wrong_region)) => return Err(wrong_region),
            Err(e) => {
                return Err(match e {
                    StorageError::NoSuchBucket => ObjectError::NoSuchBucket,
                    StorageError::AccessDenied => ObjectError::AccessDenied,
                    StorageError::NoSuchKey { .. } => ObjectError::NoSuchKey,
                    StorageError::NoSuchVersion | StorageError::DeleteMarker { .. } => {
                        ObjectError::NoSuchVersion
                    }
                    StorageError::InvalidVersion => ObjectError::InvalidVersion,
                    other => ObjectError::Io(std::io::Error::other(other)),
                });
            }
        };
        let file = self
            .open_blob(&object, 0)
            .map_err(|e| ObjectError::Io(std::io::Error::other(e)))?;
        Ok(lamina_store::StoredObject {
            size: object.size,
            body: Box::new(file.take(object.size)),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    const ACCOUNT: &str = "000000000000";

    fn store() -> (tempfile::TempDir, Storage) {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(dir.path().join("s3")).expect("open");
        (dir, storage)
    }

    fn blob(s: &Storage, bytes: &[u8]) -> Blob {
        let mut w = s.blob_writer().expect("writer");
        w.write(bytes).expect("write");
        w.finish().expect("finish")
    }

    fn put(s: &Storage, bucket: &str, key: &str, bytes: &[u8]) -> ObjectVersion {
        let b = blob(s, bytes);
        let etag = b.md5.clone();
        s.put_object(ACCOUNT, bucket, key, &b, &etag, &NewObject::default())
            .expect("put")
    }

    fn read(s: &Storage, key: &str, version: Option<&str>) -> Vec<u8> {
        let (_, v) = s.get_object(ACCOUNT, "b", key, version).expect("get");
        let mut out = Vec::new();
        s.open_blob(&v, 0)
            .expect("open")
            .read_to_end(&mut out)
            .expect("read");
        out
    }

    fn blob_count(dir: &tempfile::TempDir) -> usize {
        std::fs::read_dir(dir.path().join("s3/blobs"))
            .expect("list")
            .count()
    }

    #[test]
    fn an_unversioned_put_replaces_the_null_version_and_its_blob() {
        let (dir, s) = store();
        s.create_bucket(ACCOUNT, "us-east-1", "b").expect("bucket");
        let first = put(&s, "b", "k", b"one");
        assert_eq!(first.version_id, NULL_VERSION);
        assert_eq!(first.etag, "f97c5d29941bfb1b2fdab0874906ab82");
        put(&s, "b", "k", b"two");
        assert_eq!(read(&s, "k", None), b"two");
        assert_eq!(blob_count(&dir), 1);
        assert_eq!(
            s.delete_object(ACCOUNT, "b", "k", None).expect("delete"),
            (None, false)
        );
        assert!(matches!(
            s.get_object(ACCOUNT, "b", "k", None),
            Err(StorageError::NoSuchKey { delete_marker: None })
        ));
        assert_eq!(blob_count(&dir), 0);
    }

    #[test]
    fn versions_delete_markers_and_their_removal() {
        let (_dir, s) = store();
        s.create_bucket(ACCOUNT, "us-east-1", "b").expect("bucket");
        s.set_versioning(ACCOUNT, "b", "Enabled").expect("versioning");
        let v1 = put(&s, "b", "k", b"one").version_id;
        let v2 = put(&s, "b", "k", b"two").version_id;
        assert_ne!(v1, v2);
        assert_eq!(read(&s, "k", Some(&v1)), b"one");
        assert_eq!(read(&s, "k", None), b"two");
        let (marker, is_marker) = s.delete_object(ACCOUNT, "b", "k", None).expect("delete");
        assert!(is_marker);
        let marker = marker.expect("marker id");
        assert!(matches!(
            s.get_object(ACCOUNT, "b", "k", None),
            Err(StorageError::NoSuchKey { delete_marker: Some(m) }) if m == marker
        ));
        assert!(matches!(
            s.get_object(ACCOUNT, "b", "k", Some(&marker)),
            Err(StorageError::DeleteMarker { .. })
        ));
        assert!(matches!(
            s.get_object(ACCOUNT, "b", "k", Some(&"0".repeat(32))),
            Err(StorageError::NoSuchVersion)
        ));
        assert!(matches!(
            s.get_object(ACCOUNT, "b", "k", Some("not-a-version")),
            Err(StorageError::InvalidVersion)
        ));
        let listed = s
            .list_versions(ACCOUNT, "b", "", None, None, 1000)
            .expect("versions");
        let ids: Vec<_> = listed
            .versions
            .iter()
            .map(|v| (v.version_id.clone(), v.is_latest))
            .collect();
        assert_eq!(
            ids,
            vec![(marker.clone(), true), (v2.clone(), false), (v1.clone(), false)]
        );
        // Paging through versions one at a time gives the same order.
        let mut paged = Vec::new();
        let mut next: Option<(String, String)> = None;
        loop {
            let page = s
                .list_versions(
                    ACCOUNT,
                    "b",
                    "",
                    next.as_ref().map(|n| n.0.as_str()),
                    next.as_ref().map(|n| n.1.as_str()),
                    1,
                )
                .expect("page");
            paged.extend(page.versions.into_iter().map(|v| v.version_id));
            match page.next {
                Some(n) => next = Some(n),
                None => break,
            }
        }
        assert_eq!(paged, vec![marker.clone(), v2.clone(), v1]);
        assert!(
            s.list_objects(ACCOUNT, "b", "", None, None, 1000)
                .expect("list")
                .objects
                .is_empty()
        );
        s.delete_object(ACCOUNT, "b", "k", Some(&marker))
            .expect("remove marker");
        assert_eq!(read(&s, "k", None), b"two");
        assert!(matches!(
            s.delete_bucket(ACCOUNT, "b"),
            Err(StorageError::BucketNotEmpty)
        ));
    }

    #[test]
    fn a_multipart_object_has_s3s_etag_and_the_parts_bytes() {
        let (dir, s) = store();
        s.create_bucket(ACCOUNT, "us-east-1", "b").expect("bucket");
        let id = s
            .create_upload(ACCOUNT, "b", "big", &NewObject::default())
            .expect("upload");
        let one = vec![1u8; MIN_PART_SIZE as usize];
        let two = b"tail".to_vec();
        let p1 = s
            .put_part(ACCOUNT, "b", "big", &id, 1, &blob(&s, &one))
            .expect("part 1");
        let p2 = s
            .put_part(ACCOUNT, "b", "big", &id, 2, &blob(&s, &two))
            .expect("part 2");
        assert!(matches!(
            s.complete_upload(
                ACCOUNT,
                "b",
                "big",
                &id,
                &[(2, p2.etag.clone()), (1, p1.etag.clone())]
            ),
            Err(StorageError::InvalidPartOrder)
        ));
        assert!(matches!(
            s.complete_upload(
                ACCOUNT,
                "b",
                "big",
                &id,
                &[(1, p1.etag.clone()), (2, "0".repeat(32))]
            ),
            Err(StorageError::InvalidPart)
        ));
        let done = s
            .complete_upload(
                ACCOUNT,
                "b",
                "big",
                &id,
                &[(1, format!("\"{}\"", p1.etag)), (2, p2.etag.clone())],
            )
            .expect("complete");
        let mut md5s = Md5::new();
        md5s.update(hex::decode(&p1.etag).expect("hex"));
        md5s.update(hex::decode(&p2.etag).expect("hex"));
        assert_eq!(done.etag, format!("{}-2", hex::encode(md5s.finalize())));
        assert_eq!(done.size, one.len() as u64 + 4);
        let mut expected = one.clone();
        expected.extend_from_slice(&two);
        let (_, v) = s.get_object(ACCOUNT, "b", "big", None).expect("get");
        let mut tail = Vec::new();
        s.open_blob(&v, MIN_PART_SIZE - 2)
            .expect("open")
            .read_to_end(&mut tail)
            .expect("read");
        assert_eq!(tail, expected[expected.len() - 6..]);
        // The parts' blobs are gone; the object's is the only one.
        assert_eq!(blob_count(&dir), 1);
        assert!(matches!(
            s.list_parts(ACCOUNT, "b", "big", &id),
            Err(StorageError::NoSuchUpload)
        ));
    }

    #[test]
    fn a_small_part_before_the_last_is_refused() {
        let (_dir, s) = store();
        s.create_bucket(ACCOUNT, "us-east-1", "b").expect("bucket");
        let id = s
            .create_upload(ACCOUNT, "b", "k", &NewObject::default())
            .expect("upload");
        let p1 = s
            .put_part(ACCOUNT, "b", "k", &id, 1, &blob(&s, b"small"))
            .expect("part");
        let p2 = s
            .put_part(ACCOUNT, "b", "k", &id, 2, &blob(&s, b"last"))
            .expect("part");
        assert!(matches!(
            s.complete_upload(ACCOUNT, "b", "k", &id, &[(1, p1.etag), (2, p2.etag)]),
            Err(StorageError::EntityTooSmall)
        ));
        s.abort_upload(ACCOUNT, "b", "k", &id).expect("abort");
        s.delete_bucket(ACCOUNT, "b").expect("empty bucket");
    }

    #[test]
    fn buckets_belong_to_their_account() {
        let (_dir, s) = store();
        s.create_bucket(ACCOUNT, "eu-west-1", "b").expect("bucket");
        assert!(matches!(
            s.create_bucket(ACCOUNT, "eu-west-1", "b"),
            Err(StorageError::BucketAlreadyOwnedByYou)
        ));
        assert!(matches!(
            s.create_bucket("111111111111", "us-east-1", "b"),
            Err(StorageError::BucketAlreadyExists)
        ));
        assert!(matches!(
            s.bucket("111111111111", "b"),
            Err(StorageError::AccessDenied)
        ));
        assert!(s.list_buckets("111111111111").expect("list").is_empty());
        assert_eq!(s.bucket(ACCOUNT, "b").expect("bucket").region, "eu-west-1");
    }

    #[test]
    fn listing_groups_by_delimiter_and_resumes_after_a_prefix() {
        let (_dir, s) = store();
        s.create_bucket(ACCOUNT, "us-east-1", "b").expect("bucket");
        for key in ["a/1", "a/2", "b", "c/1", "d"] {
            put(&s, "b", key, key.as_bytes());
        }
        let first = s
            .list_objects(ACCOUNT, "b", "", Some("/"), None, 2)
            .expect("page 1");
        assert_eq!(first.prefixes, vec!["a/"]);
        assert_eq!(
            first.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        let after = first.next.expect("truncated");
        assert_eq!(after, "b");
        let second = s
            .list_objects(ACCOUNT, "b", "", Some("/"), Some(&after), 1)
            .expect("page 2");
        assert_eq!(second.prefixes, vec!["c/"]);
        let third = s
            .list_objects(ACCOUNT, "b", "", Some("/"), second.next.as_deref(), 5)
            .expect("page 3");
        assert_eq!(
            third.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
            ["d"]
        );
        assert_eq!(third.next, None);
    }

    #[test]
    fn a_sweep_removes_half_written_and_unreferenced_blobs_only() {
        let (dir, s) = store();
        s.create_bucket(ACCOUNT, "us-east-1", "b").expect("bucket");
        put(&s, "b", "kept", b"kept");
        // A blob whose row was never committed, and a temporary file of an upload cut short.
        let orphan = blob(&s, b"orphan");
        std::fs::write(dir.path().join("s3/blobs/.tmp-cut"), b"half").expect("tmp");
        drop(s);
        let s = Storage::open(dir.path().join("s3")).expect("reopen");
        assert_eq!(s.sweep().expect("sweep"), 2);
        assert!(!dir.path().join("s3/blobs").join(&orphan.id).exists());
        assert_eq!(read(&s, "kept", None), b"kept");
    }

    #[test]
    fn the_engine_reads_packages_in_the_callers_account_and_region() {
        use lamina_store::{ObjectError, ObjectSource};

        let (_dir, s) = store();
        s.create_bucket(ACCOUNT, "us-east-1", "b").expect("bucket");
        put(&s, "b", "fn.zip", b"PK");
        let mut body = Vec::new();
        let object = s
            .open_object(ACCOUNT, "us-east-1", "b", "fn.zip", None)
            .expect("open");
        assert_eq!(object.size, 2);
        { object }.body.read_to_end(&mut body).expect("read");
        assert_eq!(body, b"PK");
        assert!(matches!(
            s.open_object(ACCOUNT, "eu-west-1", "b", "fn.zip", None),
            Err(ObjectError::WrongRegion(r)) if r == "us-east-1"
        ));
        assert!(matches!(
            s.open_object("111111111111", "us-east-1", "b", "fn.zip", None),
            Err(ObjectError::AccessDenied)
        ));
        assert!(matches!(
            s.open_object(ACCOUNT, "us-east-1", "b", "nope", None),
            Err(ObjectError::NoSuchKey)
        ));
        assert!(matches!(
            s.open_object(ACCOUNT, "us-east-1", "nope", "fn.zip", None),
            Err(ObjectError::NoSuchBucket)
        ));
    }
}
