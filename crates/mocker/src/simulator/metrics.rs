//! Counters and gauges of the engine, for the server's `/metrics` (vLLM's metric meanings).

/// A snapshot of one engine, or of a pool (gauges summed, usage averaged, counters summed).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EngineMetrics {
    /// Workers covered by this snapshot.
    pub num_workers: u32,
    /// Requests in the running batch (`vllm:num_requests_running`).
    pub requests_running: u64,
    /// Requests waiting for admission, preempted ones included (`vllm:num_requests_waiting`).
    pub requests_waiting: u64,
    /// Fraction of KV blocks used by running requests, 0..1; the mean over workers
    /// (`vllm:gpu_cache_usage_perc` / `kv_cache_usage_perc`).
    pub kv_cache_usage: f64,
    /// KV blocks in use by running requests.
    pub kv_blocks_active: u64,
    /// Cached KV blocks with no user (reusable, evictable).
    pub kv_blocks_cached: u64,
    /// KV blocks in total.
    pub kv_blocks_total: u64,
    /// Prompt tokens looked up in the prefix cache (`vllm:prefix_cache_queries`).
    pub prefix_cache_queries_tokens: u64,
    /// Of those, tokens found (`vllm:prefix_cache_hits`).
    pub prefix_cache_hits_tokens: u64,
    /// Prompt tokens of admitted requests, counted once per request (`vllm:prompt_tokens_total`).
    pub prompt_tokens_total: u64,
    /// Generated tokens (`vllm:generation_tokens_total`).
    pub generation_tokens_total: u64,
    /// Preemptions (`vllm:num_preemptions_total`).
    pub preemptions_total: u64,
    /// Requests that finished (all their tokens generated).
    pub requests_finished_total: u64,
    /// Requests cancelled by the client before finishing.
    pub requests_cancelled_total: u64,
    /// Requests cut short because they alone outgrew the whole KV cache (finished with
    /// `Length` early instead of looping on preemption).
    pub requests_truncated_total: u64,
    /// Engine steps run.
    pub steps_total: u64,
}

impl EngineMetrics {
    /// Adds another snapshot into this one (usage becomes the worker-weighted mean).
    pub fn accumulate(&mut self, other: &EngineMetrics) {
        let workers = self.num_workers + other.num_workers;
        if workers > 0 {
            self.kv_cache_usage = (self.kv_cache_usage * f64::from(self.num_workers)
                + other.kv_cache_usage * f64::from(other.num_workers))
                / f64::from(workers);
        }
        self.num_workers = workers;
        self.requests_running += other.requests_running;
        self.requests_waiting += other.requests_waiting;
        self.kv_blocks_active += other.kv_blocks_active;
        self.kv_blocks_cached += other.kv_blocks_cached;
        self.kv_blocks_total += other.kv_blocks_total;
        self.prefix_cache_queries_tokens += other.prefix_cache_queries_tokens;
        self.prefix_cache_hits_tokens += other.prefix_cache_hits_tokens;
        self.prompt_tokens_total += other.prompt_tokens_total;
        self.generation_tokens_total += other.generation_tokens_total;
        self.preemptions_total += other.preemptions_total;
        self.requests_finished_total += other.requests_finished_total;
        self.requests_cancelled_total += other.requests_cancelled_total;
        self.requests_truncated_total += other.requests_truncated_total;
        self.steps_total += other.steps_total;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulating_sums_counters_and_averages_usage() {
        let a = EngineMetrics {
            num_workers: 1,
            requests_running: 2,
            kv_cache_usage: 0.5,
            generation_tokens_total: 10,
            ..EngineMetrics::default()
        };
        let b = EngineMetrics {
            num_workers: 1,
            requests_running: 3,
            kv_cache_usage: 0.25,
            generation_tokens_total: 5,
            ..EngineMetrics::default()
        };
        let mut total = EngineMetrics::default();
        total.accumulate(&a);
        total.accumulate(&b);
        assert_eq!(total.num_workers, 2);
        assert_eq!(total.requests_running, 5);
        assert_eq!(total.generation_tokens_total, 15);
        assert!((total.kv_cache_usage - 0.375).abs() < 1e-12);
    }
}
