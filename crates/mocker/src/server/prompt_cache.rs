//! Reuse of chat prompt tokenizations across requests, as Dynamo's HTTP frontend does.
//!
//! Dynamo 1.6.1's frontend wraps its tokenizer in a prefix cache (on by default; its
//! `DYN_TOKENIZER_CACHE=0` turns it off): a chat prompt whose rendered text was tokenized before
//! is not tokenized again, so a repeated 16,000-token prompt reaches the engine ~50 ms sooner
//! than a new one. Without this, a cached long prompt costs our server the full tokenization
//! on every request and its TTFT grows with the prompt length where Dynamo's stays flat
//! (docs/performance.md, fidelity table).
//!
//! This cache reuses the token ids of an *identical* prompt text. Dynamo's also reuses a
//! shared prefix ending at a special token of the chat template (an earlier turn of a
//! conversation); our prompts have no template, so that partial reuse is not reproduced.
//! A hit returns exactly the ids a fresh encode would: the key is the text's 128-bit xxh3 hash
//! and the tokenizer is fixed for the server's lifetime.
//!
//! Entries are evicted least recently used first to keep their token ids within a byte budget.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::Mutex;

use rustc_hash::FxHashMap;
use servebench_tokenize::Tokenizer;
use xxhash_rust::xxh3::xxh3_128;

use crate::simulator::lru::LruList;

/// Cached tokenizations of prompt texts, shared by every connection of one server.
#[derive(Debug)]
pub(crate) struct PromptCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Keyed by the low 64 bits of the text's hash; `Entry::check` holds the high 64 bits.
    entries: FxHashMap<u64, Entry>,
    /// Keys (low hash bits) from least to most recently used.
    lru: LruList,
    /// Bytes of token ids held (4 per id).
    bytes: usize,
    hits: u64,
    misses: u64,
}

#[derive(Debug)]
struct Entry {
    check: u64,
    ids: Arc<[u32]>,
    lru: u32,
}

/// Hits and misses since the server started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CacheCounts {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl CacheCounts {
    /// Prometheus text of `servebench:tokenizer_cache_hits_total` and `..._misses_total`
    /// (lookups of chat prompts; Dynamo's frontend exports the same two counters).
    pub(crate) fn render(&self, model_name: &str) -> String {
        let label = super::metrics::escape_label(model_name);
        let mut out = String::new();
        for (name, what, n) in [
            ("hits", "reused cached token ids", self.hits),
            ("misses", "were tokenized", self.misses),
        ] {
            let _ = writeln!(
                out,
                "# HELP servebench:tokenizer_cache_{name}_total Chat prompts whose lookup in the \
                 tokenization cache {what}.\n# TYPE servebench:tokenizer_cache_{name}_total \
                 counter\nservebench:tokenizer_cache_{name}_total{{model_name=\"{label}\"}} {n}"
            );
        }
        out
    }
}

impl PromptCache {
    /// A cache holding at most `budget` bytes of token ids; 0 turns it off (every prompt is
    /// encoded).
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The token ids of `text` under `tokenizer`: the cached ones if this text was encoded
    /// before and is still cached, else a fresh encode (then cached if it fits the budget).
    /// `tokenizer` must be the same on every call.
    pub(crate) fn encode(&self, tokenizer: &dyn Tokenizer, text: &str) -> Vec<u32> {
        if self.budget == 0 {
            return tokenizer.encode(text);
        }
        let hash = xxh3_128(text.as_bytes());
        let (key, check) = (hash as u64, (hash >> 64) as u64);
        if let Some(ids) = self.lookup(key, check) {
            return ids;
        }
        // Encode outside the lock: other requests' hits do not wait for a long encode.
        let ids = tokenizer.encode(text);
        self.insert(key, check, &ids);
        ids
    }

    /// Hits and misses so far.
    pub(crate) fn counts(&self) -> CacheCounts {
        let inner = self.lock();
        CacheCounts {
            hits: inner.hits,
            misses: inner.misses,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the cache consistent (every mutation below is
        // completed before anything that could panic), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lookup(&self, key: u64, check: u64) -> Option<Vec<u32>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        match inner.entries.get_mut(&key) {
            Some(entry) if entry.check == check => {
                inner.lru.remove(entry.lru);
                entry.lru = inner.lru.push_newest(key);
                inner.hits += 1;
                Some(entry.ids.to_vec())
            }
            _ => {
                inner.misses += 1;
                None
            }
        }
    }

    fn insert(&self, key: u64, check: u64, ids: &[u32]) {
        let size = std::mem::size_of_val(ids);
        if size > self.budget {
            return;
        }
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Some(old) = inner.entries.remove(&key) {
            // Same text encoded by two requests at once, or (2^-64) another text with the
            // same low hash bits: keep the newest.
            inner.lru.remove(old.lru);
            inner.bytes -= std::mem::size_of_val(&*old.ids);
        }
        while inner.bytes + size > self.budget {
            let Some(oldest) = inner.lru.pop_oldest() else {
                break;
            };
            if let Some(evicted) = inner.entries.remove(&oldest) {
                inner.bytes -= std::mem::size_of_val(&*evicted.ids);
            }
        }
        let lru = inner.lru.push_newest(key);
        inner.entries.insert(
            key,
            Entry {
                check,
                ids: ids.into(),
                lru,
            },
        );
        inner.bytes += size;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use servebench_tokenize::BuiltinTokenizer;

    use super::*;

    /// The built-in tokenizer, counting its encodes.
    #[derive(Debug, Default)]
    struct Counting {
        inner: BuiltinTokenizer,
        encodes: AtomicUsize,
    }

    impl Tokenizer for Counting {
        fn name(&self) -> &str {
            "counting"
        }
        fn encode(&self, text: &str) -> Vec<u32> {
            self.encodes.fetch_add(1, Ordering::Relaxed);
            self.inner.encode(text)
        }
        fn decode(&self, ids: &[u32]) -> String {
            self.inner.decode(ids)
        }
        fn vocab_size(&self) -> u32 {
            self.inner.vocab_size()
        }
    }

    fn texts() -> (String, String, String) {
        let tok = BuiltinTokenizer::new();
        (
            tok.synthetic_text(1, 100),
            tok.synthetic_text(2, 100),
            tok.synthetic_text(3, 100),
        )
    }

    #[test]
    fn a_repeated_text_is_encoded_once_with_identical_ids() {
        let tok = Counting::default();
        let (a, b, _) = texts();
        let cache = PromptCache::new(1 << 20);
        let first = cache.encode(&tok, &a);
        assert_eq!(first, tok.inner.encode(&a));
        assert_eq!(cache.encode(&tok, &a), first);
        assert_eq!(cache.encode(&tok, &a), first);
        assert_eq!(tok.encodes.load(Ordering::Relaxed), 1);
        // Another text is its own entry.
        assert_eq!(cache.encode(&tok, &b), tok.inner.encode(&b));
        assert_eq!(tok.encodes.load(Ordering::Relaxed), 2);
        assert_eq!(cache.counts(), CacheCounts { hits: 2, misses: 2 });
    }

    #[test]
    fn budget_zero_always_encodes() {
        let tok = Counting::default();
        let (a, _, _) = texts();
        let cache = PromptCache::new(0);
        for _ in 0..3 {
            assert_eq!(cache.encode(&tok, &a), tok.inner.encode(&a));
        }
        assert_eq!(tok.encodes.load(Ordering::Relaxed), 3);
        assert_eq!(cache.counts(), CacheCounts::default());
    }

    #[test]
    fn the_least_recently_used_text_is_evicted_first() {
        let tok = Counting::default();
        let (a, b, c) = texts();
        // 100 ids of 4 bytes each: room for two texts, not three.
        assert_eq!(tok.inner.encode(&a).len(), 100);
        let cache = PromptCache::new(800);
        cache.encode(&tok, &a);
        cache.encode(&tok, &b);
        cache.encode(&tok, &a); // a is now more recent than b
        cache.encode(&tok, &c); // evicts b
        assert_eq!(tok.encodes.load(Ordering::Relaxed), 3);
        cache.encode(&tok, &a);
        cache.encode(&tok, &c);
        assert_eq!(
            tok.encodes.load(Ordering::Relaxed),
            3,
            "a and c still cached"
        );
        cache.encode(&tok, &b);
        assert_eq!(tok.encodes.load(Ordering::Relaxed), 4, "b was evicted");
    }

    #[test]
    fn a_text_larger_than_the_budget_is_not_cached() {
        let tok = Counting::default();
        let (a, _, _) = texts();
        let cache = PromptCache::new(399); // 100 ids need 400 bytes
        cache.encode(&tok, &a);
        cache.encode(&tok, &a);
        assert_eq!(tok.encodes.load(Ordering::Relaxed), 2);
    }
}
