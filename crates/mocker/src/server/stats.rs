//! Engine-side counters the server exports on `/metrics`.

use crate::EngineMetrics;

/// Something that can report engine counters (the simulated engine pool). The server calls
/// [`EngineStats::snapshot`] once per `/metrics` scrape.
///
/// Without one, the server derives what it can from the requests it serves: running = requests in
/// flight, waiting = 0, KV usage = 0, prefix-cache queries and hits from each request's prompt and
/// cached token counts.
pub trait EngineStats: Send + Sync + 'static {
    /// The current counters (gauges summed over workers, KV usage averaged).
    fn snapshot(&self) -> EngineMetrics;

    /// One snapshot per worker, in worker order, for the per-worker series of `/metrics`
    /// (`servebench:worker_prefix_cache_*_total{worker="i"}`,
    /// `servebench:worker_{prompt,generation}_tokens_total{worker="i"}`; disaggregated, a
    /// request's prompt tokens count on its prefill and on its decode worker, its first token
    /// on the prefill worker). Empty (the default) when the source has no workers to tell apart.
    fn worker_snapshots(&self) -> Vec<EngineMetrics> {
        Vec::new()
    }

    /// What each worker of [`EngineStats::worker_snapshots`] does, when workers have distinct
    /// roles (`prefill` and `decode` in disaggregated serving): `/metrics` labels their series
    /// `role="..."`. Empty (the default) when every worker does everything.
    fn worker_roles(&self) -> Vec<&'static str> {
        Vec::new()
    }
}
