//! Invoke's fast path: a function version, once resolved (store row read, document parsed, code located),
//! is reused by every later invocation until the function changes. A qualifier that is an alias resolves
//! to its version and, when it routes a share of invocations to a second version, to that one and its
//! weight too ([`Routed`]); each invocation picks one.
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

/// What a qualifier resolves to: one version, or an alias's two with the second's share.
#[derive(Debug)]
pub(crate) struct Routed {
    /// The version (for an alias, the one it points to).
    pub(crate) primary: Arc<FunctionVersion>,
    /// An alias's additional version and the share of invocations it gets (0.0 to 1.0).
    pub(crate) additional: Option<(Arc<FunctionVersion>, f64)>,
}

impl Routed {
    /// One version, nothing routed elsewhere.
    pub(crate) fn only(version: FunctionVersion) -> Self {
        Routed {
            primary: Arc::new(version),
            additional: None,
        }
    }

    /// The version an invocation runs: the additional one with its weight's probability.
    pub(crate) fn pick(&self) -> Arc<FunctionVersion> {
        match &self.additional {
            Some((version, weight)) if unit_random() < *weight => Arc::clone(version),
            _ => Arc::clone(&self.primary),
        }
    }
}

/// A uniformly distributed number in [0, 1), from the operating system's generator (53 random bits).
fn unit_random() -> f64 {
    let bits = getrandom::u64().unwrap_or_default() >> 11;
    // 53 bits convert to f64 exactly.
    #[allow(clippy::cast_precision_loss)]
    let unit = bits as f64 / (1u64 << 53) as f64;
    unit
}

/// Resolved function versions by name and qualifier.
#[derive(Default)]
pub(crate) struct ResolvedCache {
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    /// Moves on with every write to the store.
    generation: u64,
    entries: HashMap<Key, Arc<Routed>>,
}

impl ResolvedCache {
    fn state(&self) -> MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached resolution of `name` at `qualifier`, if any.
    pub(crate) fn get(
        &self,
        account: &str,
        region: &str,
        name: &str,
        qualifier: &str,
    ) -> Option<Arc<Routed>> {
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

    /// Caches a resolution made since `generation`, unless the store changed meanwhile.
    pub(crate) fn insert(
        &self,
        generation: u64,
        account: &str,
        region: &str,
        name: &str,
        qualifier: &str,
        version: Arc<Routed>,
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

    fn version(name: &str) -> Arc<Routed> {
        Arc::new(Routed::only(FunctionVersion {
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
            logging: Default::default(),
            reserved_concurrency: None,
            runtime: Some("provided.al2023".to_owned()),
            package_warnings: Vec::new(),
            role: "arn:aws:iam::000000000000:role/lambda-role".to_owned(),
        }))
    }

    const A: &str = "000000000000";

    #[test]
    fn a_routed_alias_picks_by_weight() {
        let label = |routed: &Routed| routed.pick().version.clone();
        let with = |weight: f64| {
            let mut additional = Routed::only((*version("f").primary).clone());
            additional.primary = Arc::new(FunctionVersion {
                version: "2".into(),
                ..(*additional.primary).clone()
            });
            Routed {
                primary: Arc::clone(&version("f").primary),
                additional: Some((Arc::clone(&additional.primary), weight)),
            }
        };
        let never = with(0.0);
        let always = with(1.0);
        let half = with(0.5);
        let mut twos = 0;
        for _ in 0..2_000 {
            assert_eq!(label(&never), "$LATEST");
            assert_eq!(label(&always), "2");
            if label(&half) == "2" {
                twos += 1;
            }
        }
        assert!((800..1_200).contains(&twos), "{twos} of 2000 at weight 0.5");
        let unit = unit_random();
        assert!((0.0..1.0).contains(&unit));
    }

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
