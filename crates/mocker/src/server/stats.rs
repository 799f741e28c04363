//! Engine-side counters the server exports on `/metrics`.

/// A point-in-time view of the engine's state, in vLLM's terms.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StatsSnapshot {
    /// Requests being scheduled (prefilling or decoding), over all workers.
    pub requests_running: u64,
    /// Requests waiting for admission, over all workers.
    pub requests_waiting: u64,
    /// Fraction of KV blocks in use, `0.0..=1.0` (the mean over workers).
    pub kv_cache_usage: f64,
    /// Prompt tokens looked up in the prefix cache, since start.
    pub prefix_cache_queries_tokens: u64,
    /// Prompt tokens found in the prefix cache, since start.
    pub prefix_cache_hits_tokens: u64,
    /// Preemptions, since start.
    pub preemptions: u64,
    /// Requests ended early because they alone outgrew the whole KV cache, since start.
    pub requests_truncated: u64,
}

/// Something that can report engine counters (the simulated engine pool). The server calls
/// [`EngineStats::snapshot`] once per `/metrics` scrape.
///
/// Without one, the server derives what it can from the requests it serves: running = requests in
/// flight, waiting = 0, KV usage = 0, prefix-cache queries and hits from each request's prompt and
/// cached token counts.
pub trait EngineStats: Send + Sync + 'static {
    /// The current counters.
    fn snapshot(&self) -> StatsSnapshot;
}
