//! Invoke's fast path: a function version, once resolved (store row read, document parsed, code located),
//! is reused by every later invocation until the function changes.
//!
//! Every write to a function's rows goes through the engine's write path (`Inner::write_function` in
//! module `writes`), which drops the function's entries after the write and moves the cache's generation
//! on. A resolution remembers the generation it
//! started at and is cached only if no write happened meanwhile, so a version read just before a write can
//! never be cached after it. One server owns a data directory (the engine locks it), so no write escapes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use lamina_execution::FunctionVersion;

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
    pub(crate) fn invalidate(&self, account: &str, region: &str, name: &str) {
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
