//! The engine, cluster and router flags of the `mocker` and `sim-replay` commands, declared once
//! (feature `cli`): both binaries flatten [`EngineArgs`] into their own clap parser, so names,
//! aliases, defaults and help cannot drift apart. Flags and defaults follow Dynamo's mocker.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::{
    BlockSize, ClusterLayout, DEFAULT_KV_BYTES_PER_TOKEN, DisaggConfig, EngineConfig, EngineError,
    PoolConfig, PreemptionMode, QueuePolicy, RouterConfig, RouterMode, TimingModel,
};

/// The simulated engines, their arrangement (aggregated, data-parallel ranks, disaggregated
/// prefill and decode) and their router.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Tokens per KV block (at least 1).
    #[arg(long, default_value_t = BlockSize::default(), value_parser = parse_block_size, help_heading = "Engine")]
    pub block_size: BlockSize,
    /// KV blocks per engine.
    #[arg(long, default_value_t = 16384, help_heading = "Engine")]
    pub num_gpu_blocks_override: u32,
    /// Most sequences running at once per engine.
    #[arg(long, default_value_t = 256, help_heading = "Engine")]
    pub max_num_seqs: u32,
    /// Token budget of one engine step.
    #[arg(long, default_value_t = 8192, help_heading = "Engine")]
    pub max_num_batched_tokens: u32,
    /// Reuse cached prefix blocks (on by default).
    #[arg(
        long,
        overrides_with = "no_enable_prefix_caching",
        help_heading = "Engine"
    )]
    pub enable_prefix_caching: bool,
    /// Turn prefix caching off.
    #[arg(
        long,
        overrides_with = "enable_prefix_caching",
        help_heading = "Engine"
    )]
    pub no_enable_prefix_caching: bool,
    /// Split long prompts across steps (on by default).
    #[arg(
        long,
        overrides_with = "no_enable_chunked_prefill",
        help_heading = "Engine"
    )]
    pub enable_chunked_prefill: bool,
    /// Turn chunked prefill off.
    #[arg(
        long,
        overrides_with = "enable_chunked_prefill",
        help_heading = "Engine"
    )]
    pub no_enable_chunked_prefill: bool,
    /// Which running request is preempted when KV blocks run out.
    #[arg(long, value_enum, default_value_t = PreemptionChoice::Lifo, help_heading = "Engine")]
    pub preemption_mode: PreemptionChoice,
    /// Preempt the oldest running request instead of the newest (--preemption-mode fifo).
    #[arg(long, help_heading = "Engine")]
    pub preempt_fifo: bool,
    /// Divides every step time (and KV transfer time): 0 = no delay at all, otherwise within
    /// [0.001, 1000000].
    #[arg(long, default_value_t = 1.0, help_heading = "Engine")]
    pub speedup_ratio: f64,
    /// Further divides decode step time: 0 = no decode delay, otherwise within [0.001, 1000000].
    #[arg(long, default_value_t = 1.0, help_heading = "Engine")]
    pub decode_speedup_ratio: f64,
    /// Step times from a profile instead of Dynamo's polynomials: a profile directory
    /// (profile-endpoint --mode both, profile-sla, or Dynamo's profiler: selected_*_interpolation/
    /// raw_data.npz or {prefill,decode}_raw_data.json), a mocker perf_data.npz, or a JSON timing
    /// file.
    #[arg(long, help_heading = "Engine")]
    pub planner_profile_data: Option<PathBuf>,

    /// Number of simulated (aggregated) workers behind the router (1 to 1024, one thread each in
    /// the server); with --num-prefill-workers, --num-decode-workers counts the decode workers
    /// instead.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Cluster")]
    pub num_workers: u32,
    /// Engines (data-parallel ranks) per worker, each with its own KV cache (and thread, in the
    /// server; 1 to 256). With --router-mode kv every (worker, rank) is a routing target of its
    /// own, as in Dynamo; other modes pick a worker, then its rank with the fewest requests in
    /// flight.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256), help_heading = "Cluster")]
    pub data_parallel_size: u32,
    /// Disaggregated serving: this many prefill workers (and --num-decode-workers decode ones).
    /// A request is prefilled on a prefill worker, its KV blocks are transferred, then it is
    /// decoded on a decode worker; TTFT includes the transfer.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), requires = "num_decode_workers", help_heading = "Cluster")]
    pub num_prefill_workers: Option<u32>,
    /// Decode workers of disaggregated serving.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), requires = "num_prefill_workers", help_heading = "Cluster")]
    pub num_decode_workers: Option<u32>,
    /// KV bytes per prompt token moved from prefill to decode (default: Llama-3.1-8B in bf16).
    #[arg(long, default_value_t = DEFAULT_KV_BYTES_PER_TOKEN, help_heading = "Cluster")]
    pub kv_bytes_per_token: u64,
    /// KV transfer bandwidth between a prefill and a decode worker, GB/s (1e9 bytes/s).
    #[arg(long, default_value_t = 25.0, help_heading = "Cluster")]
    pub kv_transfer_bandwidth: f64,

    /// How the router picks a worker (Dynamo's --router-mode values).
    #[arg(long, value_enum, default_value_t = RouterChoice::RoundRobin, help_heading = "Router")]
    pub router_mode: RouterChoice,
    /// Weight of prefill tokens in the KV router's cost (finite, >= 0).
    #[arg(
        long = "router-kv-overlap-score-weight",
        alias = "kv-overlap-score-weight",
        default_value_t = 1.0,
        help_heading = "Router"
    )]
    pub kv_overlap_score_weight: f64,
    /// Softmax temperature of the KV router (0 = always the cheapest worker; finite, >= 0).
    #[arg(long, default_value_t = 0.0, help_heading = "Router")]
    pub router_temperature: f64,
    /// Build the KV router's index from the workers' KV events (on by default).
    #[arg(long, overrides_with = "no_router_kv_events", help_heading = "Router")]
    pub router_kv_events: bool,
    /// Without KV events: the KV router predicts each worker's cache from its own routing
    /// decisions, each routed block counting as cached for --router-ttl-secs.
    #[arg(long, overrides_with = "router_kv_events", help_heading = "Router")]
    pub no_router_kv_events: bool,
    /// Seconds a predicted block stays in the index with --no-router-kv-events.
    #[arg(long, default_value = "120", value_name = "SECONDS", value_parser = parse_positive_seconds, help_heading = "Router")]
    pub router_ttl_secs: Duration,
    /// Most predicted blocks, over all workers, before the index is pruned (--no-router-kv-events).
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Router")]
    pub router_max_tree_size: u64,
    /// Pruning keeps this share of --router-max-tree-size, dropping the blocks closest to
    /// expiry (within (0, 1]).
    #[arg(long, default_value_t = 0.8, help_heading = "Router")]
    pub router_prune_target_ratio: f64,
    /// KV mode: while every worker's pending prefill tokens exceed this many times
    /// --max-num-batched-tokens, new requests wait in the router's queue; `none` never queues.
    #[arg(long, default_value = "4.0", value_name = "FRACTION|none", value_parser = parse_threshold, help_heading = "Router")]
    pub router_queue_threshold: Threshold,
    /// Order of the KV router's queue; a request's nvext.agent_hints.priority (or the
    /// x-dynamo-request-priority header) moves it that many seconds earlier.
    #[arg(long, value_enum, default_value_t = QueuePolicyChoice::Fcfs, help_heading = "Router")]
    pub router_queue_policy: QueuePolicyChoice,
    /// Device-aware weighted mode: how many of the workers (the last ones) are CPU workers.
    #[arg(long, default_value_t = 0, help_heading = "Router")]
    pub num_cpu_workers: u32,
    /// Device-aware weighted mode: requests in flight a non-CPU worker takes per CPU-worker
    /// request (Dynamo's DYN_ENCODER_CUDA_TO_CPU_RATIO; at least 1).
    #[arg(long, default_value_t = 8, help_heading = "Router")]
    pub cuda_to_cpu_ratio: u32,
}

/// `--preemption-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreemptionChoice {
    /// Preempt the most recently admitted request.
    Lifo,
    /// Preempt the oldest running request.
    Fifo,
}

/// `--router-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RouterChoice {
    /// Workers in turn.
    RoundRobin,
    /// A uniformly random worker.
    Random,
    /// Two random workers, the one with fewer requests in flight.
    PowerOfTwo,
    /// Dynamo's KV-aware cost.
    Kv,
    /// The worker the request names (nvext.backend_instance_id or x-worker-instance-id).
    Direct,
    /// The worker with the fewest active requests.
    LeastLoaded,
    /// CPU workers (--num-cpu-workers) get a share set by --cuda-to-cpu-ratio, then least loaded.
    DeviceAwareWeighted,
}

impl From<RouterChoice> for RouterMode {
    fn from(choice: RouterChoice) -> Self {
        match choice {
            RouterChoice::RoundRobin => Self::RoundRobin,
            RouterChoice::Random => Self::Random,
            RouterChoice::PowerOfTwo => Self::PowerOfTwo,
            RouterChoice::Kv => Self::Kv,
            RouterChoice::Direct => Self::Direct,
            RouterChoice::LeastLoaded => Self::LeastLoaded,
            RouterChoice::DeviceAwareWeighted => Self::DeviceAwareWeighted,
        }
    }
}

/// `--router-queue-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueuePolicyChoice {
    /// First come first served (priority moves a request earlier).
    Fcfs,
    /// Last come first served.
    Lcfs,
    /// Weighted shortest processing time: (1 + priority) / uncached prompt tokens.
    Wspt,
}

/// `--router-queue-threshold`: a fraction, or none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold(pub Option<f64>);

impl EngineArgs {
    /// The pool these flags describe; `seed` seeds the router's random choices. With
    /// --num-decode-workers, those are its workers (the prefill workers are in
    /// [`EngineArgs::layout`]).
    pub fn pool_config(&self, seed: u64) -> PoolConfig {
        let preemption_mode = if self.preempt_fifo || self.preemption_mode == PreemptionChoice::Fifo
        {
            PreemptionMode::Fifo
        } else {
            PreemptionMode::Lifo
        };
        PoolConfig {
            engine: EngineConfig {
                block_size: self.block_size,
                num_gpu_blocks: self.num_gpu_blocks_override,
                max_num_seqs: self.max_num_seqs,
                max_num_batched_tokens: self.max_num_batched_tokens,
                enable_prefix_caching: !self.no_enable_prefix_caching,
                enable_chunked_prefill: !self.no_enable_chunked_prefill,
                preemption_mode,
                speedup_ratio: self.speedup_ratio,
                decode_speedup_ratio: self.decode_speedup_ratio,
                timing: match &self.planner_profile_data {
                    Some(path) => TimingModel::FromFile(path.clone()),
                    None => TimingModel::Polynomial,
                },
                ..EngineConfig::default()
            },
            num_workers: self.num_decode_workers.unwrap_or(self.num_workers),
            router: RouterConfig {
                mode: self.router_mode.into(),
                overlap_score_weight: self.kv_overlap_score_weight,
                temperature: self.router_temperature,
                seed,
                use_kv_events: !self.no_router_kv_events,
                ttl: self.router_ttl_secs,
                max_tree_size: usize::try_from(self.router_max_tree_size).unwrap_or(usize::MAX),
                prune_target_ratio: self.router_prune_target_ratio,
                queue_threshold: self.router_queue_threshold.0,
                queue_policy: match self.router_queue_policy {
                    QueuePolicyChoice::Fcfs => QueuePolicy::Fcfs,
                    QueuePolicyChoice::Lcfs => QueuePolicy::Lcfs,
                    QueuePolicyChoice::Wspt => QueuePolicy::Wspt,
                },
                cpu_workers: self.num_cpu_workers,
                non_cpu_to_cpu_ratio: self.cuda_to_cpu_ratio,
            },
        }
    }

    /// The arrangement of the engines: data-parallel ranks, and prefill workers with the KV
    /// transfer model when --num-prefill-workers is given.
    pub fn layout(&self) -> ClusterLayout {
        ClusterLayout {
            data_parallel_size: self.data_parallel_size,
            disagg: self.num_prefill_workers.map(|p| DisaggConfig {
                prefill_workers: p,
                kv_bytes_per_token: self.kv_bytes_per_token,
                transfer_bandwidth: self.kv_transfer_bandwidth * 1e9,
            }),
        }
    }
}

/// The command-line flag of an engine, cluster or router setting (the `field` of
/// [`EngineError::Config`]).
pub fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "block_size" => "--block-size",
        "num_gpu_blocks" => "--num-gpu-blocks-override",
        "max_num_seqs" => "--max-num-seqs",
        "max_num_batched_tokens" => "--max-num-batched-tokens",
        "speedup_ratio" => "--speedup-ratio",
        "decode_speedup_ratio" => "--decode-speedup-ratio",
        "num_workers" => "--num-workers",
        "data_parallel_size" => "--data-parallel-size",
        "prefill_workers" => "--num-prefill-workers",
        "transfer_bandwidth" => "--kv-transfer-bandwidth",
        "temperature" => "--router-temperature",
        "overlap_score_weight" => "--router-kv-overlap-score-weight",
        "queue_threshold" => "--router-queue-threshold",
        "prune_target_ratio" => "--router-prune-target-ratio",
        "max_tree_size" => "--router-max-tree-size",
        "ttl" => "--router-ttl-secs",
        "cpu_workers" => "--num-cpu-workers",
        "non_cpu_to_cpu_ratio" => "--cuda-to-cpu-ratio",
        _ => return None,
    })
}

/// "invalid --flag: reason" for a setting the flags set, else the error itself.
pub fn describe(e: &EngineError) -> String {
    match e {
        EngineError::Config { field, reason } => match flag_of(field) {
            Some(flag) => format!("invalid {flag}: {reason}"),
            None => e.to_string(),
        },
        _ => e.to_string(),
    }
}

/// `--block-size`: a positive token count.
fn parse_block_size(s: &str) -> Result<BlockSize, String> {
    let n: u32 = s.parse().map_err(|e| format!("{e}"))?;
    BlockSize::new(n).ok_or_else(|| "must be at least 1".to_owned())
}

fn parse_threshold(s: &str) -> Result<Threshold, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(Threshold(None));
    }
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("must be a finite number >= 0 or `none`, got {s}"));
    }
    Ok(Threshold(Some(v)))
}

/// Seconds, more than 0 and at most a day.
fn parse_positive_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if !(0.0..=86_400.0).contains(&v) {
        return Err(format!("must be within [0, 86400] seconds, got {s}"));
    }
    let d = Duration::try_from_secs_f64(v).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("must be more than 0 seconds".into());
    }
    Ok(d)
}
