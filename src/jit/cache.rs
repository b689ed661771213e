//! The engine's in-process cache of compiled specializations (issue 4, item 2).
//!
//! A [`CacheKey`] names one specialization: the source text (by hash, compared in full
//! on a hash match, so two sources never share an entry), the kernel, its const values
//! in declaration order (defaults filled in, so spelling a default out hits the same
//! entry), the optimization level, whether accesses are bounds-checked, and the code
//! generator's ISA flags with the host architecture. Each key maps to a `OnceLock`:
//! the first caller compiles while concurrent callers for the same key wait for its
//! result, so every specialization is compiled once however many threads ask. Failures
//! are cached too: the same specialization fails the same way every time.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tessera_passes::pipeline::OptLevel;

use super::error::CompileError;
use super::kernel::Compiled;

/// What one compilation produced, shared by every kernel built from it.
pub(crate) type Outcome = Result<Arc<Compiled>, CompileError>;

/// One specialization.
#[derive(Clone, Debug)]
pub(crate) struct CacheKey {
    pub source: Arc<str>,
    pub source_hash: u64,
    pub kernel: String,
    pub consts: Vec<(String, i64)>,
    pub opt_level: OptLevel,
    pub checked: bool,
    pub isa: Arc<str>,
}

/// Compiled specializations, and how often a request found one ready.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    entries: Mutex<HashMap<CacheKey, Arc<OnceLock<Outcome>>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl PartialEq for CacheKey {
    fn eq(&self, other: &CacheKey) -> bool {
        self.source_hash == other.source_hash
            && self.kernel == other.kernel
            && self.consts == other.consts
            && self.opt_level == other.opt_level
            && self.checked == other.checked
            && self.isa == other.isa
            && (Arc::ptr_eq(&self.source, &other.source) || self.source == other.source)
    }
}

impl Eq for CacheKey {}

impl Hash for CacheKey {
    /// Everything but the text itself, which `source_hash` stands for.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.source_hash.hash(state);
        self.kernel.hash(state);
        self.consts.hash(state);
        self.opt_level.hash(state);
        self.checked.hash(state);
        self.isa.hash(state);
    }
}

impl Cache {
    /// The outcome for `key`, running `compile` if no caller has yet (concurrent
    /// callers for the same key wait for that one compilation).
    pub fn get_or_compile(&self, key: CacheKey, compile: impl FnOnce() -> Outcome) -> Outcome {
        let cell = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(entries.entry(key).or_default())
        };
        let mut compiled_here = false;
        let outcome = cell.get_or_init(|| {
            compiled_here = true;
            compile()
        });
        let counter = if compiled_here { &self.misses } else { &self.hits };
        counter.fetch_add(1, Ordering::Relaxed);
        outcome.clone()
    }

    /// `(hits, misses)` so far: requests served from the cache, and compilations.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Forgets every compiled specialization (kernels already built keep theirs).
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The hash a [`CacheKey`] keeps for source text.
pub(crate) fn hash_source(source: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    source.hash(&mut hasher);
    hasher.finish()
}

/// The code generator's ISA flags and the host architecture and OS: what makes code
/// compiled here differ from code compiled elsewhere. The CPU target detects the host's
/// features itself (`cranelift-native`) without reporting them, and they cannot change
/// within one process, which is the cache's whole lifetime.
pub(crate) fn host_isa() -> Arc<str> {
    static ISA: OnceLock<Arc<str>> = OnceLock::new();
    Arc::clone(ISA.get_or_init(|| {
        let flags: Vec<String> =
            tessera_cpu::kernel::isa_flags().iter().map(|(k, v)| format!("{k}={v}")).collect();
        let (arch, os) = (std::env::consts::ARCH, std::env::consts::OS);
        format!("{arch}-{os} {}", flags.join(",")).into()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(source: &str, consts: &[(&str, i64)]) -> CacheKey {
        CacheKey {
            source: source.into(),
            source_hash: hash_source(source),
            kernel: "k".to_string(),
            consts: consts.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            opt_level: OptLevel::O2,
            checked: true,
            isa: host_isa(),
        }
    }

    fn failing() -> Outcome {
        Err(CompileError::MissingConst { kernel: "k".into(), param: "N".into() })
    }

    #[test]
    fn equal_keys_share_an_entry_and_failures_are_cached() {
        let cache = Cache::default();
        let mut calls = 0;
        for _ in 0..3 {
            let outcome = cache.get_or_compile(key("src", &[("N", 1)]), || {
                calls += 1;
                failing()
            });
            assert!(matches!(outcome, Err(CompileError::MissingConst { .. })));
        }
        assert_eq!(calls, 1);
        assert_eq!(cache.stats(), (2, 1));
    }

    #[test]
    fn different_sources_or_consts_are_different_entries() {
        let cache = Cache::default();
        cache.get_or_compile(key("src", &[("N", 1)]), failing).ok();
        cache.get_or_compile(key("src", &[("N", 2)]), failing).ok();
        cache.get_or_compile(key("src ", &[("N", 1)]), failing).ok();
        assert_eq!(cache.stats(), (0, 3));
        cache.clear();
        cache.get_or_compile(key("src", &[("N", 1)]), failing).ok();
        assert_eq!(cache.stats(), (0, 4));
    }
}
