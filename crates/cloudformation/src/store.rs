//! Stacks on disk: one JSON document per stack in `<dir>/stacks/<uuid>.json`, each written whole to a
//! temporary file, synced, renamed over the old one and the folder synced, so that an acknowledged
//! change survives a crash and a torn write is never read. All stacks are held in memory too (a stack is
//! a few KB); deleted stacks stay, as CloudFormation lists them by id.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::record::StackRecord;

/// Every stack, by id.
#[derive(Debug, Clone)]
pub(crate) struct StackStore {
    dir: PathBuf,
    stacks: Arc<Mutex<HashMap<String, StackRecord>>>,
}

/// A stack store that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the store.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// A document that is not a stack.
    #[error("{path}: not a stack document: {source}")]
    Document {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: serde_json::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

impl StackStore {
    /// Opens (or creates) the store in `dir`, reading every stack.
    pub(crate) fn open(dir: &Path) -> Result<Self, StoreError> {
        let dir = dir.join("stacks");
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let mut stacks = HashMap::new();
        for entry in fs::read_dir(&dir).map_err(io_at(&dir))? {
            let path = entry.map_err(io_at(&dir))?.path();
            if path.extension().is_none_or(|e| e != "json") {
                // A temporary file of a write that did not finish.
                continue;
            }
            let text = fs::read(&path).map_err(io_at(&path))?;
            let record: StackRecord =
                serde_json::from_slice(&text).map_err(|source| StoreError::Document {
                    path: path.clone(),
                    source,
                })?;
            stacks.insert(record.id.clone(), record);
        }
        Ok(StackStore {
            dir,
            stacks: Arc::new(Mutex::new(stacks)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StackRecord>> {
        self.stacks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stack `name_or_id` of `account` in `region`: by id any stack (deleted ones too), by name the
    /// one that is not deleted.
    pub(crate) fn find(&self, account: &str, region: &str, name_or_id: &str) -> Option<StackRecord> {
        let stacks = self.lock();
        if name_or_id.starts_with("arn:") {
            return stacks
                .get(name_or_id)
                .filter(|s| s.account == account && s.region == region)
                .cloned();
        }
        stacks
            .values()
            .find(|s| {
                s.account == account
                    && s.region == region
                    && s.name == name_or_id
                    && s.status != "DELETE_COMPLETE"
            })
            .cloned()
    }

    /// Every stack of `account` in `region`, newest first.
    pub(crate) fn list(&self, account: &str, region: &str) -> Vec<StackRecord> {
        let mut out: Vec<StackRecord> = self
            .lock()
            .values()
            .filter(|s| s.account == account && s.region == region)
            .cloned()
            .collect();
        out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// Every stack, for the recovery at start.
    pub(crate) fn all(&self) -> Vec<StackRecord> {
        self.lock().values().cloned().collect()
    }

    /// Writes `record` durably, then makes it the stack's current state.
    pub(crate) async fn save(&self, record: StackRecord) -> Result<(), StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.save_now(record))
            .await
            .map_err(|e| StoreError::Io {
                path: self.dir.clone(),
                source: io::Error::other(e),
            })?
    }

    fn save_now(&self, record: StackRecord) -> Result<(), StoreError> {
        let file = self.dir.join(format!("{}.json", file_stem(&record.id)));
        let temporary = file.with_extension("json.tmp");
        let text = serde_json::to_vec(&record).map_err(|source| StoreError::Document {
            path: file.clone(),
            source,
        })?;
        {
            let mut out = File::create(&temporary).map_err(io_at(&temporary))?;
            out.write_all(&text).map_err(io_at(&temporary))?;
            out.sync_all().map_err(io_at(&temporary))?;
        }
        fs::rename(&temporary, &file).map_err(io_at(&file))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_at(&self.dir))?;
        self.lock().insert(record.id.clone(), record);
        Ok(())
    }
}

/// The file name of a stack: the uuid at the end of its id.
fn file_stem(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(name: &str) -> StackRecord {
        let mut stack = StackRecord::blank("123456789012", "us-east-1", name);
        stack.status = "CREATE_COMPLETE".into();
        stack
    }

    #[tokio::test]
    async fn stacks_survive_a_reopen_and_are_found_by_name_or_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StackStore::open(dir.path()).expect("open");
        let mut first = stack("app");
        store.save(first.clone()).await.expect("save");
        first.status = "DELETE_COMPLETE".into();
        store.save(first.clone()).await.expect("save");
        let second = stack("app");
        store.save(second.clone()).await.expect("save");
        // A torn write of another stack is not read.
        fs::write(dir.path().join("stacks/3333.json.tmp"), b"{").expect("write");

        let store = StackStore::open(dir.path()).expect("reopen");
        assert_eq!(
            store.find("123456789012", "us-east-1", "app"),
            Some(second.clone())
        );
        assert_eq!(store.find("123456789012", "us-east-1", &first.id), Some(first));
        assert_eq!(store.find("123456789012", "eu-west-1", "app"), None);
        assert_eq!(store.find("999999999999", "us-east-1", &second.id), None);
        assert_eq!(store.list("123456789012", "us-east-1").len(), 2);
    }
}
