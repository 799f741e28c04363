//! Configuration of the simulated engine and of the worker pool (Dynamo mocker's flags and defaults).

use std::path::PathBuf;

/// Which running request is preempted when KV blocks run out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PreemptionMode {
    /// The most recently admitted request (vLLM's default).
    #[default]
    Lifo,
    /// The oldest running request.
    Fifo,
}

/// How long an engine step takes.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TimingModel {
    /// Dynamo's polynomial prefill and decode models (spec §9.2).
    #[default]
    Polynomial,
    /// A prefill curve and a decode grid loaded from a JSON file (the keys of Dynamo mocker's
    /// `perf_data.npz`):
    ///
    /// ```json
    /// { "version": 1,
    ///   "prefill_isl": [100, 1000, 4000], "prefill_ttft_ms": [20.0, 35.0, 110.0],
    ///   "decode_active_kv_tokens": [0, 500000, 1000000], "decode_context_length": [100, 4000],
    ///   "decode_itl": [[5.0, 6.0], [20.0, 24.0], [35.0, 40.0]] }
    /// ```
    ///
    /// Prefill time is `prefill_ttft_ms` interpolated linearly at the step's new prompt tokens;
    /// decode time is `decode_itl[kv][ctx]` (ms) interpolated bilinearly at the active KV tokens
    /// and the decode batch's mean context length. Both extrapolate from the outermost points
    /// (negative results become 0) and are divided by the speed-up ratios like the polynomials.
    /// Axes must be strictly increasing with at least 2 points; `version` is optional (1).
    FromFile(PathBuf),
}

/// One simulated engine (one worker).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Tokens per KV block (`--block-size`, 64).
    pub block_size: u32,
    /// KV blocks on the simulated GPU (`--num-gpu-blocks-override`, 16384).
    pub num_gpu_blocks: u32,
    /// Most sequences running at once (`--max-num-seqs`, 256).
    pub max_num_seqs: u32,
    /// Token budget of one step (`--max-num-batched-tokens`, 8192).
    pub max_num_batched_tokens: u32,
    /// Reuse cached prefix blocks (`--enable-prefix-caching`, on).
    pub enable_prefix_caching: bool,
    /// Split long prompts across steps (`--enable-chunked-prefill`, on).
    pub enable_chunked_prefill: bool,
    /// Preemption victim choice (`--preemption-mode`, lifo).
    pub preemption_mode: PreemptionMode,
    /// Fraction of blocks kept free when admitting (0.01).
    pub watermark: f64,
    /// Divides every step time (`--speedup-ratio`, 1.0); 0 means no delay at all.
    pub speedup_ratio: f64,
    /// Further divides decode time (`--decode-speedup-ratio`, 1.0).
    pub decode_speedup_ratio: f64,
    /// Step time model.
    pub timing: TimingModel,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            block_size: 64,
            num_gpu_blocks: 16384,
            max_num_seqs: 256,
            max_num_batched_tokens: 8192,
            enable_prefix_caching: true,
            enable_chunked_prefill: true,
            preemption_mode: PreemptionMode::Lifo,
            watermark: 0.01,
            speedup_ratio: 1.0,
            decode_speedup_ratio: 1.0,
            timing: TimingModel::Polynomial,
        }
    }
}

/// How the pool picks a worker for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RouterMode {
    /// Workers in turn.
    #[default]
    RoundRobin,
    /// A uniformly random worker.
    Random,
    /// The worker with the fewest active requests.
    LeastLoaded,
    /// Dynamo's KV-aware cost (prefix overlap and load).
    Kv,
}

/// The router's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterConfig {
    /// Selection rule (`--router-mode`, round-robin).
    pub mode: RouterMode,
    /// Weight of prefill tokens in the KV cost (`--kv-overlap-score-weight`, 1.0).
    pub overlap_score_weight: f64,
    /// Softmax temperature of the KV cost (`--router-temperature`, 0.0 = argmin).
    pub temperature: f64,
    /// Seed of the router's random choices.
    pub seed: u64,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            mode: RouterMode::RoundRobin,
            overlap_score_weight: 1.0,
            temperature: 0.0,
            seed: 0,
        }
    }
}

/// Several engines behind a router.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PoolConfig {
    /// Settings shared by every worker.
    pub engine: EngineConfig,
    /// Number of workers (`--num-workers`, 1); 0 is treated as 1.
    pub num_workers: u32,
    /// Routing between workers.
    pub router: RouterConfig,
}
