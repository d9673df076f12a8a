//! Invoke's fast path: a function version, once resolved (store row read, document parsed, code located),
//! is reused by every later invocation until the function changes.
//!
//! Every write to the metadata store goes through [`Invalidating`], which drops a function's entries after
//! the write commits and moves the cache's generation on. A resolution remembers the generation it
//! started at and is cached only if no write happened meanwhile, so a version read just before a write can
//! never be cached after it. One server owns a data directory (the engine locks it), so no write escapes.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use lamina_execution::FunctionVersion;
use lamina_store::{FunctionRow, LayerVersionRow, MetadataStore, StoreError, VersionRow};

/// `(account, region, function name, qualifier)`: two accounts' functions of one name never share an
/// entry.
type Key = (String, String, String, String);

/// Resolved function versions by name and qualifier.
#[derive(Default)]
pub(crate) struct ResolvedCache {
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    /// Moves on with every write to the store.
    generation: u64,
    entries: HashMap<Key, Arc<FunctionVersion>>,
}

impl ResolvedCache {
    fn state(&self) -> MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached version of `name` at `qualifier`, if any.
    pub(crate) fn get(
        &self,
        account: &str,
        region: &str,
        name: &str,
        qualifier: &str,
    ) -> Option<Arc<FunctionVersion>> {
        // A lookup by borrowed parts would need a custom key type; four short strings are cheap next to
        // the store read this saves.
        let key = (
            account.to_owned(),
            region.to_owned(),
            name.to_owned(),
            qualifier.to_owned(),
        );
        self.state().entries.get(&key).cloned()
    }

    /// The generation to pass to [`ResolvedCache::insert`] when a resolution starts.
    pub(crate) fn generation(&self) -> u64 {
        self.state().generation
    }

    /// Caches a version resolved since `generation`, unless the store changed meanwhile.
    pub(crate) fn insert(
        &self,
        generation: u64,
        account: &str,
        region: &str,
        name: &str,
        qualifier: &str,
        version: Arc<FunctionVersion>,
    ) {
        let mut state = self.state();
        if state.generation == generation {
            state.entries.insert(
                (
                    account.to_owned(),
                    region.to_owned(),
                    name.to_owned(),
                    qualifier.to_owned(),
                ),
                version,
            );
        }
    }

    /// Forgets every version of `name` (after a write to it has committed).
    fn invalidate(&self, account: &str, region: &str, name: &str) {
        let mut state = self.state();
        state.generation += 1;
        state
            .entries
            .retain(|(a, r, n, _), _| a != account || r != region || n != name);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state().entries.len()
    }
}

/// The engine's metadata store: the real one, telling the cache about every write once it has committed
/// (or failed: forgetting too much is harmless).
pub(crate) struct Invalidating {
    pub(crate) store: Arc<dyn MetadataStore>,
    pub(crate) cache: Arc<ResolvedCache>,
}

impl Invalidating {
    fn after<T>(
        &self,
        account: &str,
        region: &str,
        name: &str,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.cache.invalidate(account, region, name);
        result
    }
}

impl MetadataStore for Invalidating {
    fn insert_function(&self, row: &FunctionRow, version: Option<&VersionRow>) -> Result<(), StoreError> {
        self.after(
            &row.account,
            &row.region,
            &row.name,
            self.store.insert_function(row, version),
        )
    }

    fn get_function(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Option<FunctionRow>, StoreError> {
        self.store.get_function(account, region, name)
    }

    fn list_functions(
        &self,
        account: &str,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FunctionRow>, StoreError> {
        self.store.list_functions(account, region, after, limit)
    }

    fn all_functions(&self) -> Result<Vec<FunctionRow>, StoreError> {
        self.store.all_functions()
    }

    fn replace_function(
        &self,
        row: &FunctionRow,
        expected_revision: &str,
        version: Option<&VersionRow>,
    ) -> Result<(), StoreError> {
        self.after(
            &row.account,
            &row.region,
            &row.name,
            self.store.replace_function(row, expected_revision, version),
        )
    }

    fn delete_function(&self, account: &str, region: &str, name: &str) -> Result<bool, StoreError> {
        self.after(
            account,
            region,
            name,
            self.store.delete_function(account, region, name),
        )
    }

    fn get_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<Option<VersionRow>, StoreError> {
        self.store.get_version(account, region, name, version)
    }

    fn list_versions(
        &self,
        account: &str,
        region: &str,
        name: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<VersionRow>, StoreError> {
        self.store.list_versions(account, region, name, after, limit)
    }

    fn all_versions(&self) -> Result<Vec<VersionRow>, StoreError> {
        self.store.all_versions()
    }

    fn update_version(&self, row: &VersionRow) -> Result<(), StoreError> {
        self.after(
            &row.account,
            &row.region,
            &row.name,
            self.store.update_version(row),
        )
    }

    fn delete_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<bool, StoreError> {
        self.after(
            account,
            region,
            name,
            self.store.delete_version(account, region, name, version),
        )
    }

    // A function's record holds what it needs of its layers (ARN, digest, size), so layer writes change no
    // resolved version.

    fn publish_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        code_sha256: &str,
        document: &dyn Fn(u64) -> String,
    ) -> Result<LayerVersionRow, StoreError> {
        self.store
            .publish_layer_version(account, region, name, code_sha256, document)
    }

    fn get_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRow>, StoreError> {
        self.store.get_layer_version(account, region, name, version)
    }

    fn list_layer_versions(
        &self,
        account: &str,
        region: &str,
        name: Option<&str>,
    ) -> Result<Vec<LayerVersionRow>, StoreError> {
        self.store.list_layer_versions(account, region, name)
    }

    fn delete_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<bool, StoreError> {
        self.store.delete_layer_version(account, region, name, version)
    }

    fn referenced_code(&self) -> Result<BTreeSet<String>, StoreError> {
        self.store.referenced_code()
    }

    fn account_references_code(&self, account: &str, code_sha256: &str) -> Result<bool, StoreError> {
        self.store.account_references_code(account, code_sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(name: &str) -> Arc<FunctionVersion> {
        Arc::new(FunctionVersion {
            function_name: name.to_owned(),
            version: "$LATEST".to_owned(),
            function_arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{name}"),
            region: "us-east-1".to_owned(),
            code_dir: "/code".into(),
            opt_dir: None,
            revision: "r1".to_owned(),
            handler: "bootstrap".to_owned(),
            memory_mb: 128,
            timeout_s: 3,
            ephemeral_mb: 512,
            architecture: lamina_model::Architecture::X86_64,
            environment: Default::default(),
            log_group: format!("/aws/lambda/{name}"),
            reserved_concurrency: None,
            runtime: Some("provided.al2023".to_owned()),
            package_warnings: Vec::new(),
        })
    }

    const A: &str = "000000000000";

    #[test]
    fn a_resolution_that_raced_a_write_is_not_cached() {
        let cache = ResolvedCache::default();
        let started = cache.generation();
        cache.invalidate(A, "us-east-1", "f");
        cache.insert(started, A, "us-east-1", "f", "$LATEST", version("f"));
        assert!(cache.get(A, "us-east-1", "f", "$LATEST").is_none());
        cache.insert(cache.generation(), A, "us-east-1", "f", "$LATEST", version("f"));
        assert!(cache.get(A, "us-east-1", "f", "$LATEST").is_some());
    }

    #[test]
    fn a_write_forgets_only_that_function() {
        let cache = ResolvedCache::default();
        for (name, q) in [("f", "$LATEST"), ("f", "1"), ("g", "$LATEST")] {
            cache.insert(cache.generation(), A, "us-east-1", name, q, version(name));
        }
        cache.insert(cache.generation(), A, "eu-west-1", "f", "$LATEST", version("f"));
        cache.invalidate(A, "us-east-1", "f");
        assert_eq!(cache.len(), 2);
        assert!(cache.get(A, "us-east-1", "g", "$LATEST").is_some());
        assert!(cache.get(A, "eu-west-1", "f", "$LATEST").is_some());
    }

    #[test]
    fn two_accounts_functions_of_one_name_are_two_entries() {
        let cache = ResolvedCache::default();
        cache.insert(cache.generation(), A, "us-east-1", "f", "$LATEST", version("f"));
        assert!(cache.get("222222222222", "us-east-1", "f", "$LATEST").is_none());
        cache.insert(
            cache.generation(),
            "222222222222",
            "us-east-1",
            "f",
            "$LATEST",
            version("f"),
        );
        cache.invalidate("222222222222", "us-east-1", "f");
        assert!(
            cache.get(A, "us-east-1", "f", "$LATEST").is_some(),
            "a write forgets only its account's"
        );
    }
}
