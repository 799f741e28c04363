//! Command-line flags: Dynamo mocker's engine flags plus the server's own.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use servebench_mocker::{
    BlockSize, DEFAULT_TOKENIZER_CACHE_BYTES, DYNAMO_FRONTEND_OVERHEAD, FaultConfig, ServerConfig,
    ServerError, SimulatedServerError,
};
use servebench_tokenize::TokenizerSpec;

/// A simulated LLM inference server speaking the OpenAI chat and completions APIs (streaming and
/// not), with Prometheus metrics under vLLM's names. Engine flags and defaults follow Dynamo's
/// mocker (`python -m dynamo.mocker`).
#[derive(Debug, Parser)]
#[command(name = "mocker", version)]
pub(crate) struct Args {
    /// `--log-level` / `-v`.
    #[command(flatten)]
    pub(crate) log: servebench_cli_support::logging::LogArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", help_heading = "Server")]
    pub(crate) host: String,
    /// Port to listen on (0 picks a free port); `--http-port` is Dynamo frontend's name.
    #[arg(
        long,
        alias = "http-port",
        default_value_t = 8000,
        help_heading = "Server"
    )]
    pub(crate) port: u16,
    /// Model name served by /v1/models and used as the metrics' model_name label.
    #[arg(long, default_value = "servebench-mocker", help_heading = "Server")]
    pub(crate) model_name: String,
    /// Prompt tokenizer: `builtin` or a path to a tokenizer.json (or its directory); use the same
    /// choice as the load generator so prefix-cache blocks match.
    #[arg(
        long,
        alias = "model-path",
        default_value = "builtin",
        help_heading = "Server"
    )]
    pub(crate) tokenizer: TokenizerSpec,
    /// Prompt tokens counted per image content part (at most 1048576).
    #[arg(long, default_value_t = 576, help_heading = "Server")]
    pub(crate) tokens_per_image: u32,
    /// Output cap when a request sets no max_tokens / max_completion_tokens.
    #[arg(long, default_value_t = 1024, help_heading = "Server")]
    pub(crate) default_max_tokens: u32,
    /// Mean stop length without ignore_eos (geometric: each token ends the output with
    /// probability 1/mean), clamped to [min_tokens, max_tokens].
    #[arg(long, default_value_t = 256.0, help_heading = "Server")]
    pub(crate) mean_output_tokens: f64,
    /// What times the tokens: the simulated engine, or a constant TTFT and inter-token gap.
    #[arg(long, value_enum, default_value_t = TimingChoice::Engine, help_heading = "Server")]
    pub(crate) timing_model: TimingChoice,
    /// Time to first token with --timing-model fixed (0 with a 0 gap: as fast as possible; at most
    /// one hour).
    #[arg(long, default_value_t = 0.0, help_heading = "Server")]
    pub(crate) fixed_ttft_ms: f64,
    /// Inter-token gap with --timing-model fixed (at most one hour).
    #[arg(long, default_value_t = 0.0, help_heading = "Server")]
    pub(crate) fixed_itl_ms: f64,
    /// Longest request in tokens, prompt plus max_tokens; longer ones get HTTP 400 like vLLM's
    /// context-length error [default: the KV capacity of one worker, num-gpu-blocks-override ×
    /// block-size; with --timing-model fixed, no limit].
    #[arg(long, help_heading = "Server")]
    pub(crate) max_model_len: Option<u32>,
    /// Leave Nagle's algorithm on (no TCP_NODELAY), as Dynamo 1.6.1's HTTP frontend does: on a
    /// keep-alive connection a response's first bytes then wait for the client's delayed ACK of
    /// the previous response, adding up to ~40 ms to TTFT. For reproducing Dynamo's measured
    /// numbers; off by default (honest timing).
    #[arg(long, help_heading = "Server")]
    pub(crate) nagle: bool,
    /// Bytes of cached chat prompt tokenizations (0: off). As in Dynamo 1.6.1's frontend, whose
    /// tokenizer cache is on by default, a chat prompt whose text was tokenized before is not
    /// tokenized again (a repeated 16,000-token prompt skips ~50 ms); least recently used first
    /// out. Completion prompts are always tokenized.
    #[arg(long, default_value_t = DEFAULT_TOKENIZER_CACHE_BYTES, help_heading = "Server")]
    pub(crate) tokenizer_cache_bytes: usize,
    /// Milliseconds added to each request's TTFT before it reaches the engine: the time Dynamo
    /// 1.6.1 spends per request outside its engine and tokenizer (HTTP frontend, router, request
    /// plane to the worker process), ~3 ms measured on an idle machine. 0 for the engine's
    /// timing alone (at most one hour).
    #[arg(long, default_value_t = DYNAMO_FRONTEND_OVERHEAD.as_secs_f64() * 1000.0, value_parser = parse_overhead_ms, help_heading = "Server")]
    pub(crate) frontend_overhead_ms: f64,
    /// Largest accepted request body in bytes; larger ones get HTTP 413.
    #[arg(long, default_value_t = 64 << 20, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Server")]
    pub(crate) max_body_bytes: u64,
    /// Seconds a client may take to send a request's headers, also the longest a keep-alive
    /// connection may sit idle; then the connection is closed.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Server")]
    pub(crate) header_read_timeout_secs: u64,
    /// Seconds a client may take to send a request's body; then it gets HTTP 408 and the
    /// connection is closed.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Server")]
    pub(crate) body_read_timeout_secs: u64,
    /// Seed of stop lengths, fault decisions and the router's random choices.
    #[arg(long, default_value_t = 0, help_heading = "Server")]
    pub(crate) seed: u64,
    /// Seconds of simulated start-up (model loading): until then /health, the generation
    /// endpoints and /v1/embeddings answer HTTP 503 [default: ready at once].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Server")]
    pub(crate) startup_time: Option<Duration>,
    /// Answer chat requests like a reasoning model: the first --reasoning-share of each
    /// response's tokens come as `reasoning_content`, then `content`; usage reports
    /// completion_tokens_details.reasoning_tokens.
    #[arg(long, help_heading = "Server")]
    pub(crate) reasoning: bool,
    /// Share of the output tokens sent as reasoning with --reasoning, within [0, 1].
    #[arg(
        long,
        default_value_t = 0.5,
        requires = "reasoning",
        help_heading = "Server"
    )]
    pub(crate) reasoning_share: f64,

    /// Tokens per KV block (at least 1).
    #[arg(long, default_value_t = BlockSize::default(), value_parser = parse_block_size, help_heading = "Engine")]
    pub(crate) block_size: BlockSize,
    /// KV blocks per worker.
    #[arg(long, default_value_t = 16384, help_heading = "Engine")]
    pub(crate) num_gpu_blocks_override: u32,
    /// Most sequences running at once per worker.
    #[arg(long, default_value_t = 256, help_heading = "Engine")]
    pub(crate) max_num_seqs: u32,
    /// Token budget of one engine step.
    #[arg(long, default_value_t = 8192, help_heading = "Engine")]
    pub(crate) max_num_batched_tokens: u32,
    /// Reuse cached prefix blocks (on by default).
    #[arg(
        long,
        overrides_with = "no_enable_prefix_caching",
        help_heading = "Engine"
    )]
    pub(crate) enable_prefix_caching: bool,
    /// Turn prefix caching off.
    #[arg(
        long,
        overrides_with = "enable_prefix_caching",
        help_heading = "Engine"
    )]
    pub(crate) no_enable_prefix_caching: bool,
    /// Split long prompts across steps (on by default).
    #[arg(
        long,
        overrides_with = "no_enable_chunked_prefill",
        help_heading = "Engine"
    )]
    pub(crate) enable_chunked_prefill: bool,
    /// Turn chunked prefill off.
    #[arg(
        long,
        overrides_with = "enable_chunked_prefill",
        help_heading = "Engine"
    )]
    pub(crate) no_enable_chunked_prefill: bool,
    /// Which running request is preempted when KV blocks run out.
    #[arg(long, value_enum, default_value_t = PreemptionChoice::Lifo, help_heading = "Engine")]
    pub(crate) preemption_mode: PreemptionChoice,
    /// Divides every step time: 0 = no delay at all, otherwise within [0.001, 1000000].
    #[arg(long, default_value_t = 1.0, help_heading = "Engine")]
    pub(crate) speedup_ratio: f64,
    /// Further divides decode step time: 0 = no decode delay, otherwise within [0.001, 1000000].
    #[arg(long, default_value_t = 1.0, help_heading = "Engine")]
    pub(crate) decode_speedup_ratio: f64,
    /// Step times from a profile instead of Dynamo's polynomials: a profile directory
    /// (profile-endpoint --mode both, profile-sla, or Dynamo's profiler: selected_*_interpolation/
    /// raw_data.npz or {prefill,decode}_raw_data.json), a mocker perf_data.npz, or a JSON timing
    /// file.
    #[arg(long, help_heading = "Engine")]
    pub(crate) planner_profile_data: Option<PathBuf>,
    /// Number of simulated workers behind the router (1 to 1024, one thread each).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Engine")]
    pub(crate) num_workers: u32,
    /// Engines (data-parallel ranks) per worker, each with its own KV cache and thread (1 to
    /// 256). With --router-mode kv every (worker, rank) is a routing target of its own, as in
    /// Dynamo; other modes pick a worker, then its rank with the fewest requests in flight.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256), help_heading = "Engine")]
    pub(crate) data_parallel_size: u32,

    /// How the router picks a worker (Dynamo's --router-mode values).
    #[arg(long, value_enum, default_value_t = RouterChoice::RoundRobin, help_heading = "Router")]
    pub(crate) router_mode: RouterChoice,
    /// Weight of prefill tokens in the KV router's cost (finite, >= 0).
    #[arg(
        long = "router-kv-overlap-score-weight",
        alias = "kv-overlap-score-weight",
        default_value_t = 1.0,
        help_heading = "Router"
    )]
    pub(crate) kv_overlap_score_weight: f64,
    /// Softmax temperature of the KV router (0 = always the cheapest worker; finite, >= 0).
    #[arg(long, default_value_t = 0.0, help_heading = "Router")]
    pub(crate) router_temperature: f64,
    /// Build the KV router's index from the workers' KV events (on by default).
    #[arg(long, overrides_with = "no_router_kv_events", help_heading = "Router")]
    pub(crate) router_kv_events: bool,
    /// Without KV events: the KV router predicts each worker's cache from its own routing
    /// decisions, each routed block counting as cached for --router-ttl-secs.
    #[arg(long, overrides_with = "router_kv_events", help_heading = "Router")]
    pub(crate) no_router_kv_events: bool,
    /// Seconds a predicted block stays in the index with --no-router-kv-events.
    #[arg(long, default_value = "120", value_name = "SECONDS", value_parser = parse_positive_seconds, help_heading = "Router")]
    pub(crate) router_ttl_secs: Duration,
    /// Most predicted blocks, over all workers, before the index is pruned (--no-router-kv-events).
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Router")]
    pub(crate) router_max_tree_size: u64,
    /// Pruning keeps this share of --router-max-tree-size, dropping the blocks closest to
    /// expiry (within (0, 1]).
    #[arg(long, default_value_t = 0.8, help_heading = "Router")]
    pub(crate) router_prune_target_ratio: f64,
    /// KV mode: while every worker's pending prefill tokens exceed this many times
    /// --max-num-batched-tokens, new requests wait in the router's queue; `none` never queues.
    #[arg(long, default_value = "4.0", value_name = "FRACTION|none", value_parser = parse_threshold, help_heading = "Router")]
    pub(crate) router_queue_threshold: Threshold,
    /// Order of the KV router's queue; a request's nvext.agent_hints.priority (or the
    /// x-dynamo-request-priority header) moves it that many seconds earlier.
    #[arg(long, value_enum, default_value_t = QueuePolicyChoice::Fcfs, help_heading = "Router")]
    pub(crate) router_queue_policy: QueuePolicyChoice,
    /// Device-aware weighted mode: how many of the workers (the last ones) are CPU workers.
    #[arg(long, default_value_t = 0, help_heading = "Router")]
    pub(crate) num_cpu_workers: u32,
    /// Device-aware weighted mode: requests in flight a non-CPU worker takes per CPU-worker
    /// request (Dynamo's DYN_ENCODER_CUDA_TO_CPU_RATIO; at least 1).
    #[arg(long, default_value_t = 8, help_heading = "Router")]
    pub(crate) cuda_to_cpu_ratio: u32,

    /// Probability of answering HTTP 500 instead of generating.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Fault injection (seeded by --seed)"
    )]
    pub(crate) fault_500_rate: f64,
    /// Probability of answering HTTP 429 (retry-after: 1) instead of generating.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Fault injection (seeded by --seed)"
    )]
    pub(crate) fault_429_rate: f64,
    /// Probability of closing the connection mid-stream (after at least one token).
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Fault injection (seeded by --seed)"
    )]
    pub(crate) fault_disconnect_rate: f64,
    /// Probability of pausing a stream for --fault-stall-ms before one token.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Fault injection (seeded by --seed)"
    )]
    pub(crate) fault_stall_rate: f64,
    /// Length of an injected stall.
    #[arg(
        long,
        default_value_t = 1000,
        help_heading = "Fault injection (seeded by --seed)"
    )]
    pub(crate) fault_stall_ms: u64,
    /// Probability of sending one chunk as invalid JSON.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Fault injection (seeded by --seed)"
    )]
    pub(crate) fault_malformed_rate: f64,
}

/// `--block-size`: a positive token count.
fn parse_block_size(s: &str) -> Result<BlockSize, String> {
    let n: u32 = s.parse().map_err(|e| format!("{e}"))?;
    BlockSize::new(n).ok_or_else(|| "must be at least 1".to_owned())
}

/// `--router-queue-threshold`: a fraction, or none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Threshold(pub(crate) Option<f64>);

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

/// Seconds, at least 0 and at most a day.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if !(0.0..=86_400.0).contains(&v) {
        return Err(format!("must be within [0, 86400] seconds, got {s}"));
    }
    Duration::try_from_secs_f64(v).map_err(|e| e.to_string())
}

/// Milliseconds within [0, 3600000] (`--frontend-overhead-ms`).
fn parse_overhead_ms(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if !(0.0..=3_600_000.0).contains(&v) {
        return Err(format!("must be within [0, 3600000] ms, got {s}"));
    }
    Ok(v)
}

/// Seconds, more than 0 and at most a day.
fn parse_positive_seconds(s: &str) -> Result<Duration, String> {
    let d = parse_seconds(s)?;
    if d.is_zero() {
        return Err("must be more than 0 seconds".into());
    }
    Ok(d)
}

/// The command-line flag of a server setting.
fn server_flag(field: &str) -> Option<&'static str> {
    Some(match field {
        "mean_output_tokens" => "--mean-output-tokens",
        "default_max_tokens" => "--default-max-tokens",
        "max_model_len" => "--max-model-len",
        "reasoning_share" => "--reasoning-share",
        "tokens_per_image" => "--tokens-per-image",
        "faults.http_500_rate" => "--fault-500-rate",
        "faults.http_429_rate" => "--fault-429-rate",
        "faults.disconnect_rate" => "--fault-disconnect-rate",
        "faults.stall_rate" => "--fault-stall-rate",
        "faults.malformed_rate" => "--fault-malformed-rate",
        _ => return None,
    })
}

/// A server start-up error, with the flag named when a setting is at fault.
pub(crate) fn server_error_with_flag(e: SimulatedServerError) -> anyhow::Error {
    if let SimulatedServerError::Server(ServerError::Config { field, reason }) = &e
        && let Some(flag) = server_flag(field)
    {
        return anyhow::anyhow!("invalid {flag}: {reason}");
    }
    anyhow::Error::new(e)
}

/// `--timing-model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TimingChoice {
    /// The simulated engine pool (continuous batching, KV cache, Dynamo's timing model).
    Engine,
    /// Constant TTFT and inter-token gap per request, whatever the load.
    Fixed,
}

/// `--preemption-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PreemptionChoice {
    /// Preempt the most recently admitted request.
    Lifo,
    /// Preempt the oldest running request.
    Fifo,
}

/// `--router-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RouterChoice {
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

/// `--router-queue-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum QueuePolicyChoice {
    /// First come first served (priority moves a request earlier).
    Fcfs,
    /// Last come first served.
    Lcfs,
    /// Weighted shortest processing time: (1 + priority) / uncached prompt tokens.
    Wspt,
}

impl Args {
    /// The HTTP server's settings.
    pub(crate) fn server_config(&self) -> ServerConfig {
        ServerConfig {
            host: self.host.clone(),
            port: self.port,
            model_name: self.model_name.clone(),
            tokenizer: self.tokenizer.clone(),
            tokens_per_image: self.tokens_per_image,
            default_max_tokens: self.default_max_tokens,
            mean_output_tokens: self.mean_output_tokens,
            seed: self.seed,
            max_model_len: self.max_model_len,
            startup_time: self.startup_time.unwrap_or_default(),
            reasoning_share: self.reasoning.then_some(self.reasoning_share),
            max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
            nagle: self.nagle,
            tokenizer_cache_bytes: self.tokenizer_cache_bytes,
            frontend_overhead: Duration::from_secs_f64(self.frontend_overhead_ms / 1000.0),
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
            faults: FaultConfig {
                http_500_rate: self.fault_500_rate,
                http_429_rate: self.fault_429_rate,
                disconnect_rate: self.fault_disconnect_rate,
                stall_rate: self.fault_stall_rate,
                stall: Duration::from_millis(self.fault_stall_ms),
                malformed_rate: self.fault_malformed_rate,
            },
            ..ServerConfig::default()
        }
    }
}
