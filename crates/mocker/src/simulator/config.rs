//! Configuration of the simulated engine and of the worker pool (Dynamo mocker's flags and defaults).

use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use super::error::EngineError;

/// Smallest non-zero speed-up ratio accepted (1000× slower than the model).
pub const MIN_SPEEDUP_RATIO: f64 = 1e-3;
/// Largest speed-up ratio accepted.
pub const MAX_SPEEDUP_RATIO: f64 = 1e6;

/// Most workers in one pool (each is an OS thread).
pub const MAX_WORKERS: u32 = 1024;

/// Tokens per KV block: a validated, non-zero count shared by the engine, its hashing and the
/// router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockSize(NonZeroU32);

impl BlockSize {
    /// `tokens` per block; `None` for 0.
    pub const fn new(tokens: u32) -> Option<Self> {
        match NonZeroU32::new(tokens) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// Tokens per block (at least 1).
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl Default for BlockSize {
    /// 64 tokens (Dynamo mocker's and vLLM's default).
    fn default() -> Self {
        Self(NonZeroU32::MIN.saturating_add(63))
    }
}

impl TryFrom<u32> for BlockSize {
    type Error = EngineError;

    /// Fails for 0, naming the `block_size` setting.
    fn try_from(tokens: u32) -> Result<Self, EngineError> {
        Self::new(tokens).ok_or_else(|| EngineError::Config {
            field: "block_size",
            reason: "must be at least 1".into(),
        })
    }
}

impl fmt::Display for BlockSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

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
    ///
    /// The path may also be profile data (`--planner-profile-data`): a mocker-format
    /// `perf_data.npz` with the same keys, or a profile directory (`profile-endpoint --mode
    /// both`, `profile-sla`, or Dynamo's profiler) holding
    /// `selected_{prefill,decode}_interpolation/raw_data.npz` or
    /// `{prefill,decode}_raw_data.json`, converted onto 100-point tables as Dynamo's converter does
    /// (cubic spline over ISL, Clough–Tocher cubic over KV usage × context, nearest fill).
    FromFile(PathBuf),
}

/// One simulated engine (one worker).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Tokens per KV block (`--block-size`, 64).
    pub block_size: BlockSize,
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
    /// Divides every step time (`--speedup-ratio`, 1.0); 0 means no delay at all, otherwise it
    /// must be within [`MIN_SPEEDUP_RATIO`]`..=`[`MAX_SPEEDUP_RATIO`].
    pub speedup_ratio: f64,
    /// Further divides decode time (`--decode-speedup-ratio`, 1.0); 0 means no decode delay,
    /// otherwise within the same bounds as `speedup_ratio`.
    pub decode_speedup_ratio: f64,
    /// Step time model.
    pub timing: TimingModel,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            block_size: BlockSize::default(),
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

/// How the pool picks a worker for a request (Dynamo's `--router-mode` values).
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
    /// Power of two choices: two distinct workers drawn at random, the one with fewer requests in
    /// flight wins (the first drawn on a tie).
    PowerOfTwo,
    /// The request names its worker (`nvext.backend_instance_id` or the `x-worker-instance-id`
    /// header); a request that names none, or an unknown one, is refused.
    Direct,
    /// Device-aware weighted: workers are CPU or non-CPU; CPU workers get a request only while
    /// their requests in flight stay below `non-CPU in flight × CPU count / (ratio × non-CPU
    /// count)` (see [`RouterConfig::non_cpu_to_cpu_ratio`]); within the chosen class, the least
    /// loaded worker (the lowest index on a tie).
    DeviceAwareWeighted,
}

/// Order of the KV router's queue when every worker is busy (`--router-queue-policy`).
///
/// Each queued request has a priority jump `j` (seconds, from the request's
/// `nvext.agent_hints.priority`; negative counts as 0) and a strict tier (higher tiers always
/// go first). Within a tier the highest score goes first, then the earliest queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueuePolicy {
    /// First come first served: score `j - arrival_s`, so a jump of `j` acts as arriving `j`
    /// seconds earlier.
    #[default]
    Fcfs,
    /// Last come first served: score `j + arrival_s`.
    Lcfs,
    /// Weighted shortest processing time: score `(1 + j) / uncached_tokens` (at least 1 token),
    /// with the uncached tokens of the best cached prefix on any worker when queued.
    Wspt,
}

/// The router's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterConfig {
    /// Selection rule (`--router-mode`, round-robin).
    pub mode: RouterMode,
    /// Weight of prefill tokens in the KV cost (`--kv-overlap-score-weight`, 1.0; finite, >= 0).
    pub overlap_score_weight: f64,
    /// Softmax temperature of the KV cost (`--router-temperature`, 0.0 = argmin; finite, >= 0).
    pub temperature: f64,
    /// Seed of the router's random choices.
    pub seed: u64,
    /// Build the KV index from the workers' KV events (`--router-kv-events`, on). Off
    /// (`--no-router-kv-events`), the router predicts it from its own decisions: a routed
    /// request's blocks count as cached on its worker for [`RouterConfig::ttl`].
    pub use_kv_events: bool,
    /// How long a predicted block stays in the index without KV events (`--router-ttl-secs`,
    /// 120 s; longer than 0).
    pub ttl: Duration,
    /// Most predicted blocks (over all workers) before pruning (`--router-max-tree-size`, 2^20).
    pub max_tree_size: usize,
    /// Pruning drops the blocks closest to expiry until this share of `max_tree_size` is left
    /// (`--router-prune-target-ratio`, 0.8; within (0, 1]).
    pub prune_target_ratio: f64,
    /// KV mode: while every worker's pending prefill tokens exceed this multiple of its step token
    /// budget (`max_num_batched_tokens`), new requests wait in the router's queue
    /// (`--router-queue-threshold`, 4.0; `None` never queues; finite, >= 0).
    pub queue_threshold: Option<f64>,
    /// Order of that queue (`--router-queue-policy`, fcfs).
    pub queue_policy: QueuePolicy,
    /// Device-aware weighted mode: how many of the workers (the last ones) are CPU workers
    /// (`--num-cpu-workers`, 0).
    pub cpu_workers: u32,
    /// Device-aware weighted mode: how many requests in flight a non-CPU worker takes for one on
    /// a CPU worker (Dynamo's `DYN_ENCODER_CUDA_TO_CPU_RATIO`, 8; at least 1).
    pub non_cpu_to_cpu_ratio: u32,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            mode: RouterMode::RoundRobin,
            overlap_score_weight: 1.0,
            temperature: 0.0,
            seed: 0,
            use_kv_events: true,
            ttl: Duration::from_secs(120),
            max_tree_size: 1 << 20,
            prune_target_ratio: 0.8,
            queue_threshold: Some(4.0),
            queue_policy: QueuePolicy::Fcfs,
            cpu_workers: 0,
            non_cpu_to_cpu_ratio: 8,
        }
    }
}

/// Several engines behind a router.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolConfig {
    /// Settings shared by every worker.
    pub engine: EngineConfig,
    /// Number of workers (`--num-workers`, 1; within `1..=`[`MAX_WORKERS`]).
    pub num_workers: u32,
    /// Routing between workers.
    pub router: RouterConfig,
}

impl Default for PoolConfig {
    /// One worker with the default engine and router.
    fn default() -> Self {
        Self {
            engine: EngineConfig::default(),
            num_workers: 1,
            router: RouterConfig::default(),
        }
    }
}

/// A number as a user wrote it: plain, or in exponent form when tiny or huge (`1e-300`).
fn shown(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn config_error(field: &'static str, reason: String) -> EngineError {
    EngineError::Config { field, reason }
}

impl EngineConfig {
    /// Checks every setting is in range. Errors name the setting (`speedup_ratio`, ...).
    ///
    /// # Errors
    /// [`EngineError::Config`] for the first setting out of range.
    pub fn validate(&self) -> Result<(), EngineError> {
        let positive = [
            ("num_gpu_blocks", self.num_gpu_blocks),
            ("max_num_seqs", self.max_num_seqs),
            ("max_num_batched_tokens", self.max_num_batched_tokens),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(config_error(field, "must be at least 1".into()));
            }
        }
        if !(0.0..1.0).contains(&self.watermark) {
            return Err(config_error(
                "watermark",
                format!("must be in [0, 1), got {}", self.watermark),
            ));
        }
        for (field, value) in [
            ("speedup_ratio", self.speedup_ratio),
            ("decode_speedup_ratio", self.decode_speedup_ratio),
        ] {
            if value != 0.0 && !(MIN_SPEEDUP_RATIO..=MAX_SPEEDUP_RATIO).contains(&value) {
                return Err(config_error(
                    field,
                    format!(
                        "must be 0 (no delay) or within [{MIN_SPEEDUP_RATIO}, {MAX_SPEEDUP_RATIO}], \
                         got {}",
                        shown(value)
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl RouterConfig {
    /// Checks the weights and the index and queue settings. Errors name the setting.
    ///
    /// # Errors
    /// [`EngineError::Config`] for the first setting out of range.
    pub fn validate(&self) -> Result<(), EngineError> {
        for (field, value) in [
            ("overlap_score_weight", self.overlap_score_weight),
            ("temperature", self.temperature),
            ("queue_threshold", self.queue_threshold.unwrap_or(0.0)),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(config_error(
                    field,
                    format!("must be a finite number >= 0, got {}", shown(value)),
                ));
            }
        }
        if !(self.prune_target_ratio > 0.0 && self.prune_target_ratio <= 1.0) {
            return Err(config_error(
                "prune_target_ratio",
                format!(
                    "must be within (0, 1], got {}",
                    shown(self.prune_target_ratio)
                ),
            ));
        }
        if self.max_tree_size == 0 {
            return Err(config_error("max_tree_size", "must be at least 1".into()));
        }
        if self.ttl.is_zero() {
            return Err(config_error("ttl", "must be longer than 0".into()));
        }
        if self.non_cpu_to_cpu_ratio == 0 {
            return Err(config_error(
                "non_cpu_to_cpu_ratio",
                "must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

impl PoolConfig {
    /// Checks the engine, router and worker count. Errors name the setting.
    ///
    /// # Errors
    /// [`EngineError::Config`] for the first setting out of range.
    pub fn validate(&self) -> Result<(), EngineError> {
        if !(1..=MAX_WORKERS).contains(&self.num_workers) {
            return Err(config_error(
                "num_workers",
                format!(
                    "must be within [1, {MAX_WORKERS}], got {}",
                    self.num_workers
                ),
            ));
        }
        self.engine.validate()?;
        if self.router.cpu_workers > self.num_workers {
            return Err(config_error(
                "cpu_workers",
                format!(
                    "must not exceed the {} workers, got {}",
                    self.num_workers, self.router.cpu_workers
                ),
            ));
        }
        self.router.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<(), EngineError>) -> &'static str {
        match result {
            Err(EngineError::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid_and_block_size_zero_is_not_a_block_size() {
        assert!(PoolConfig::default().validate().is_ok());
        assert_eq!(BlockSize::default().get(), 64);
        assert_eq!(BlockSize::new(0), None);
        let err = BlockSize::try_from(0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid engine configuration: `block_size`: must be at least 1"
        );
        assert_eq!(BlockSize::try_from(16).unwrap().get(), 16);
    }

    #[test]
    fn speedups_outside_the_bounds_are_refused_naming_the_setting() {
        for bad in [1e-300, -1.0, f64::NAN, f64::INFINITY, 1e-4, 1e7] {
            let engine = EngineConfig {
                speedup_ratio: bad,
                ..EngineConfig::default()
            };
            assert_eq!(field_of(engine.validate()), "speedup_ratio", "{bad}");
            let message = EngineConfig {
                speedup_ratio: bad,
                ..EngineConfig::default()
            }
            .validate()
            .unwrap_err()
            .to_string();
            assert!(message.len() < 140, "{message}");
            let engine = EngineConfig {
                decode_speedup_ratio: bad,
                ..EngineConfig::default()
            };
            assert_eq!(field_of(engine.validate()), "decode_speedup_ratio", "{bad}");
        }
        for good in [0.0, 1e-3, 1.0, 1e6] {
            let engine = EngineConfig {
                speedup_ratio: good,
                decode_speedup_ratio: good,
                ..EngineConfig::default()
            };
            assert!(engine.validate().is_ok(), "{good}");
        }
    }

    #[test]
    fn zero_workers_and_bad_router_weights_are_refused() {
        assert_eq!(PoolConfig::default().num_workers, 1);
        let pool = PoolConfig {
            num_workers: 0,
            ..PoolConfig::default()
        };
        assert_eq!(field_of(pool.validate()), "num_workers");
        let pool = PoolConfig {
            num_workers: MAX_WORKERS + 1,
            ..PoolConfig::default()
        };
        assert_eq!(field_of(pool.validate()), "num_workers");
        for bad in [-0.5, f64::NAN, f64::INFINITY] {
            let router = RouterConfig {
                temperature: bad,
                ..RouterConfig::default()
            };
            assert_eq!(field_of(router.validate()), "temperature");
            let router = RouterConfig {
                overlap_score_weight: bad,
                ..RouterConfig::default()
            };
            assert_eq!(field_of(router.validate()), "overlap_score_weight");
        }
        for (field, router) in [
            (
                "queue_threshold",
                RouterConfig {
                    queue_threshold: Some(-1.0),
                    ..RouterConfig::default()
                },
            ),
            (
                "prune_target_ratio",
                RouterConfig {
                    prune_target_ratio: 0.0,
                    ..RouterConfig::default()
                },
            ),
            (
                "max_tree_size",
                RouterConfig {
                    max_tree_size: 0,
                    ..RouterConfig::default()
                },
            ),
            (
                "ttl",
                RouterConfig {
                    ttl: Duration::ZERO,
                    ..RouterConfig::default()
                },
            ),
            (
                "non_cpu_to_cpu_ratio",
                RouterConfig {
                    non_cpu_to_cpu_ratio: 0,
                    ..RouterConfig::default()
                },
            ),
        ] {
            assert_eq!(field_of(router.validate()), field);
        }
        let too_many_cpus = PoolConfig {
            num_workers: 2,
            router: RouterConfig {
                cpu_workers: 3,
                ..RouterConfig::default()
            },
            ..PoolConfig::default()
        };
        assert_eq!(field_of(too_many_cpus.validate()), "cpu_workers");
        assert!(
            RouterConfig {
                queue_threshold: None,
                ..RouterConfig::default()
            }
            .validate()
            .is_ok()
        );
        for (field, engine) in [
            (
                "num_gpu_blocks",
                EngineConfig {
                    num_gpu_blocks: 0,
                    ..EngineConfig::default()
                },
            ),
            (
                "max_num_seqs",
                EngineConfig {
                    max_num_seqs: 0,
                    ..EngineConfig::default()
                },
            ),
            (
                "watermark",
                EngineConfig {
                    watermark: f64::NAN,
                    ..EngineConfig::default()
                },
            ),
        ] {
            assert_eq!(field_of(engine.validate()), field);
        }
    }
}
