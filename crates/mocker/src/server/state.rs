//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use servebench_tokenize::Tokenizer;

use super::config::ServerConfig;
use super::metrics::ServerMetrics;
use super::prompt_cache::PromptCache;
use super::stats::EngineStats;
use super::vocab::OutputVocab;
use crate::protocol::TokenSource;

/// Shared by all connections of one server.
pub(crate) struct AppState {
    pub(crate) config: ServerConfig,
    pub(crate) tokenizer: Arc<dyn Tokenizer>,
    pub(crate) source: Arc<dyn TokenSource>,
    pub(crate) stats: Option<Arc<dyn EngineStats>>,
    pub(crate) metrics: ServerMetrics,
    /// Longest request in tokens (prompt plus `max_tokens`), if limited.
    pub(crate) max_model_len: Option<u32>,
    /// The words generated tokens are rendered as.
    pub(crate) vocab: Arc<OutputVocab>,
    /// Token ids of chat prompts tokenized before.
    pub(crate) prompt_cache: PromptCache,
    /// When the simulated start-up ends.
    ready_at: Instant,
    /// Generation requests received, in arrival order (the index seeds per-request draws).
    requests: AtomicU64,
    /// Distinguishes response ids of different server runs.
    id_nonce: u32,
}

impl AppState {
    pub(crate) fn new(
        config: ServerConfig,
        tokenizer: Arc<dyn Tokenizer>,
        source: Arc<dyn TokenSource>,
        stats: Option<Arc<dyn EngineStats>>,
        max_model_len: Option<u32>,
        vocab: Arc<OutputVocab>,
    ) -> Self {
        let id_nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32));
        let ready_at = Instant::now() + config.startup_time;
        let prompt_cache = PromptCache::new(config.tokenizer_cache_bytes);
        Self {
            config,
            tokenizer,
            source,
            stats,
            metrics: ServerMetrics::default(),
            max_model_len,
            vocab,
            prompt_cache,
            ready_at,
            requests: AtomicU64::new(0),
            id_nonce,
        }
    }

    /// How much of the simulated start-up is left (zero once ready).
    pub(crate) fn startup_left(&self) -> Duration {
        self.ready_at.saturating_duration_since(Instant::now())
    }

    /// The next request index.
    pub(crate) fn next_request(&self) -> u64 {
        self.requests.fetch_add(1, Relaxed)
    }

    /// A response id such as `chatcmpl-1a2b3c4d0000002a`.
    pub(crate) fn response_id(&self, prefix: &str, index: u64) -> String {
        format!("{prefix}-{:08x}{index:08x}", self.id_nonce)
    }
}

/// Unix seconds now (the `created` field).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Counts a request as in flight until dropped.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<AppState>);

impl InFlight {
    pub(crate) fn new(state: &Arc<AppState>) -> Self {
        state.metrics.in_flight.fetch_add(1, Relaxed);
        Self(Arc::clone(state))
    }

    pub(crate) fn state(&self) -> &Arc<AppState> {
        &self.0
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.metrics.in_flight.fetch_sub(1, Relaxed);
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
