//! Command-line flags: Dynamo mocker's engine flags plus the server's own.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use servebench_mocker::{BlockSize, FaultConfig, ServerConfig, ServerError, SimulatedServerError};
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
    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 8000, help_heading = "Server")]
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

    /// How the router picks a worker.
    #[arg(long, value_enum, default_value_t = RouterChoice::RoundRobin, help_heading = "Router")]
    pub(crate) router_mode: RouterChoice,
    /// Weight of prefill tokens in the KV router's cost (finite, >= 0).
    #[arg(long, default_value_t = 1.0, help_heading = "Router")]
    pub(crate) kv_overlap_score_weight: f64,
    /// Softmax temperature of the KV router (0 = always the cheapest worker; finite, >= 0).
    #[arg(long, default_value_t = 0.0, help_heading = "Router")]
    pub(crate) router_temperature: f64,

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

/// The command-line flag of a server setting.
fn server_flag(field: &str) -> Option<&'static str> {
    Some(match field {
        "mean_output_tokens" => "--mean-output-tokens",
        "default_max_tokens" => "--default-max-tokens",
        "max_model_len" => "--max-model-len",
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
    /// The worker with the fewest active requests.
    LeastLoaded,
    /// Dynamo's KV-aware cost.
    Kv,
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
            max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
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
