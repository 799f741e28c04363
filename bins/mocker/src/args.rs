//! Command-line flags: Dynamo mocker's engine flags plus the server's own.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use servebench_mocker::cli::EngineArgs;
use servebench_mocker::{
    DEFAULT_TOKENIZER_CACHE_BYTES, DYNAMO_FRONTEND_OVERHEAD, FaultConfig, ServerConfig,
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
    /// Nagle's algorithm on accepted connections: `on` leaves it on, as Dynamo 1.6.1's HTTP
    /// frontend does (no TCP_NODELAY), so on a keep-alive connection a response's first bytes
    /// wait for the client's delayed ACK of the previous response: a TTFT floor of ~45 ms that
    /// Dynamo shows for cached prompts; `off` sends every write at once (TCP_NODELAY), so TTFT
    /// is the engine's alone, for comparing a client's TTFT with the server's own. `--nagle`
    /// alone means on [default: on with --timing-model engine, off with --timing-model fixed].
    #[arg(
        long,
        value_name = "on|off",
        num_args = 0..=1,
        default_missing_value = "on",
        value_parser = clap::builder::BoolishValueParser::new(),
        hide_possible_values = true,
        help_heading = "Server"
    )]
    pub(crate) nagle: Option<bool>,
    /// Bytes of cached chat prompt tokenizations (0: off). As in Dynamo 1.6.1's frontend, whose
    /// tokenizer cache is on by default, a chat prompt whose text was tokenized before is not
    /// tokenized again (a repeated 16,000-token prompt skips ~50 ms); least recently used first
    /// out. Completion prompts are always tokenized.
    #[arg(long, default_value_t = DEFAULT_TOKENIZER_CACHE_BYTES, help_heading = "Server")]
    pub(crate) tokenizer_cache_bytes: usize,
    /// Milliseconds added to each request's TTFT before it reaches the engine: the time Dynamo
    /// 1.6.1 spends per request outside its engine and tokenizer (HTTP frontend, router, request
    /// plane to the worker process), ~2 ms measured on a quiet machine; 0 for the engine's
    /// timing alone (at most one hour) [default: 2 with --timing-model engine, 0 with
    /// --timing-model fixed].
    #[arg(long, value_parser = parse_overhead_ms, help_heading = "Server")]
    pub(crate) frontend_overhead_ms: Option<f64>,
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

    /// Engine, cluster and router flags (shared with sim-replay).
    #[command(flatten)]
    pub(crate) engine: EngineArgs,

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

impl Args {
    /// Whether the server stands in for a Dynamo 1.6.1 deployment (the simulated engine), so
    /// the transport defaults follow Dynamo's frontend (Nagle on, its per-request overhead);
    /// with fixed timing the configured TTFT is a known truth and nothing is added to it.
    fn emulates_dynamo(&self) -> bool {
        self.timing_model == TimingChoice::Engine
    }

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
            nagle: self.nagle.unwrap_or(self.emulates_dynamo()),
            tokenizer_cache_bytes: self.tokenizer_cache_bytes,
            frontend_overhead: self.frontend_overhead_ms.map_or_else(
                || {
                    if self.emulates_dynamo() {
                        DYNAMO_FRONTEND_OVERHEAD
                    } else {
                        Duration::ZERO
                    }
                },
                |ms| Duration::from_secs_f64(ms / 1000.0),
            ),
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
