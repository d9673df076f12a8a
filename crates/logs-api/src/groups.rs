//! The log groups that exist besides functions' own: those made by CreateLogGroup, and the retention
//! set on any group. Kept in `<log root>/log-groups.json`, written whole to a temporary file, synced and
//! renamed over the old one, so an acknowledged CreateLogGroup or PutRetentionPolicy survives a crash.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// What is kept of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupSettings {
    /// When CreateLogGroup made it (ms since the epoch); `None` for a function's group, which exists
    /// from its first stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created: Option<i64>,
    /// The retention, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retention_in_days: Option<u32>,
}

/// The key of a group: account, region, name.
pub(crate) type GroupKey = (String, String, String);

/// The stored groups.
#[derive(Debug)]
pub(crate) struct Groups {
    path: PathBuf,
    groups: Mutex<BTreeMap<String, GroupSettings>>,
}

fn key_text((account, region, name): &GroupKey) -> String {
    format!("{account}/{region}/{name}")
}

impl Groups {
    /// The groups stored under `log_root` (none if nothing was stored yet).
    pub(crate) fn open(log_root: &Path) -> io::Result<Self> {
        let path = log_root.join("log-groups.json");
        let groups = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(io::Error::other)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Groups {
            path,
            groups: Mutex::new(groups),
        })
    }

    /// The stored groups of `account` in `region`, by name.
    pub(crate) fn of(&self, account: &str, region: &str) -> Vec<(String, GroupSettings)> {
        let prefix = format!("{account}/{region}/");
        self.lock()
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|name| (name.to_owned(), *v)))
            .collect()
    }

    /// Changes a group's settings (`None` removes them) and stores the result durably.
    pub(crate) fn update(
        &self,
        key: &GroupKey,
        change: impl FnOnce(Option<GroupSettings>) -> Option<GroupSettings>,
    ) -> io::Result<()> {
        let mut groups = self.lock();
        let text = key_text(key);
        let mut next = groups.clone();
        match change(groups.get(&text).copied()) {
            Some(settings) => next.insert(text, settings),
            None => next.remove(&text),
        };
        self.write(&next)?;
        *groups = next;
        Ok(())
    }

    fn write(&self, groups: &BTreeMap<String, GroupSettings>) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".log-groups-{}.json", uuid::Uuid::new_v4().simple()));
        let result = (|| {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(&serde_json::to_vec(groups).map_err(io::Error::other)?)?;
            file.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            fs::File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, GroupSettings>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = (
            "111122223333".to_owned(),
            "us-east-1".to_owned(),
            "/app/one".to_owned(),
        );
        let groups = Groups::open(dir.path()).expect("open");
        groups
            .update(&key, |_| {
                Some(GroupSettings {
                    created: Some(5),
                    retention_in_days: None,
                })
            })
            .expect("create");
        groups
            .update(&key, |s| {
                s.map(|s| GroupSettings {
                    retention_in_days: Some(7),
                    ..s
                })
            })
            .expect("retention");
        let again = Groups::open(dir.path()).expect("reopen");
        assert_eq!(
            again.of("111122223333", "us-east-1"),
            [(
                "/app/one".to_owned(),
                GroupSettings {
                    created: Some(5),
                    retention_in_days: Some(7)
                }
            )]
        );
        assert!(again.of("111122223333", "eu-west-1").is_empty());
        again.update(&key, |_| None).expect("delete");
        assert!(
            Groups::open(dir.path())
                .expect("reopen")
                .of("111122223333", "us-east-1")
                .is_empty()
        );
    }
}
