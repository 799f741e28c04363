//! Command-line flags: `profile_endpoint.py`'s (snake_case, same defaults) plus the embedded
//! engine's.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Profile an OpenAI-compatible endpoint the way Dynamo's SLA profiler does: prefill TTFT over
/// input length (`--mode prefill`), decode ITL and throughput over KV usage × context length
/// (`--mode decode`), or both. Each point is one in-process benchmark with the aiperf flags the
/// profiler uses (streaming chat, output length pinned with ignore_eos). Writes raw_data.npz
/// (NumPy format, the original's array names), prefill_raw_data.json / decode_raw_data.json and
/// the interpolation plots into --work_dir. With no --url the embedded simulated engine (Dynamo
/// mocker timing) is profiled.
#[derive(Debug, Parser)]
#[command(name = "profile-endpoint", version)]
pub(crate) struct Args {
    /// `--log-level` / `-v`.
    #[command(flatten)]
    pub(crate) log: servebench_cli_support::logging::LogArgs,
    /// What to profile: prefill, decode, or both (both writes the profile-directory layout
    /// `selected_prefill_interpolation/` and `selected_decode_interpolation/` that
    /// `mocker --planner-profile-data` reads).
    #[arg(long, value_enum)]
    pub(crate) mode: Mode,
    /// Model name sent in every request.
    #[arg(long = "model_name", alias = "model-name")]
    pub(crate) model_name: String,
    /// Tokenizer that sizes the prompts: a tokenizer.json (or its directory, or a model id in the
    /// local Hugging Face cache); empty: servebench's builtin tokenizer (the original falls back
    /// to the model name).
    #[arg(long = "tokenizer_path", alias = "tokenizer-path", default_value = "")]
    pub(crate) tokenizer_path: String,
    /// Base URL of the endpoint; omitted: the embedded simulated engine.
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// GPUs of the endpoint (divides throughput).
    #[arg(long = "num_gpus", alias = "num-gpus", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) num_gpus: u64,
    /// KV-cache capacity in tokens; must be > 0 for decode with --url (the embedded engine's
    /// capacity when 0 and no --url).
    #[arg(long = "max_kv_tokens", alias = "max-kv-tokens", default_value_t = 0)]
    pub(crate) max_kv_tokens: u64,
    /// Output directory.
    #[arg(
        long = "work_dir",
        alias = "work-dir",
        default_value = "endpoint_profiling_results/"
    )]
    pub(crate) work_dir: PathBuf,
    /// Longest context to sweep to.
    #[arg(
        long = "max_context_length",
        alias = "max-context-length",
        default_value_t = 16384
    )]
    pub(crate) max_context_length: u64,
    /// Points per sweep axis.
    #[arg(
        long = "interpolation_granularity",
        alias = "interpolation-granularity",
        default_value_t = 8
    )]
    pub(crate) interpolation_granularity: u64,
    /// Attention data-parallel size (DEP prefill: 4·a concurrent requests, max TTFT / 4).
    #[arg(long = "attention_dp_size", alias = "attention-dp-size", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) attention_dp_size: u64,
    /// Random seed of the prompts (aiperf --random-seed) and of the decode seeds.
    #[arg(long, default_value_t = 100)]
    pub(crate) seed: u64,
    /// Warm-up requests before each prefill point (prompts of their own, so the measured prompt
    /// is no prefix-cache hit).
    #[arg(long, default_value_t = 3)]
    pub(crate) warmup_request_count: u64,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 1800)]
    pub(crate) request_timeout_seconds: u64,
    /// Embedded engine: divides every step time (1 = Dynamo mocker's timing; 0 = no delays).
    #[arg(
        long,
        default_value_t = 1.0,
        help_heading = "Embedded engine (no --url)"
    )]
    pub(crate) mocker_speedup_ratio: f64,
    /// Embedded engine: further divides decode step time only (0 = no decode delay).
    #[arg(
        long,
        default_value_t = 1.0,
        help_heading = "Embedded engine (no --url)"
    )]
    pub(crate) mocker_decode_speedup_ratio: f64,
    /// Embedded engine: KV blocks.
    #[arg(
        long,
        default_value_t = 16384,
        help_heading = "Embedded engine (no --url)"
    )]
    pub(crate) mocker_num_gpu_blocks: u32,
    /// Embedded engine: tokens per KV block.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Embedded engine (no --url)")]
    pub(crate) mocker_block_size: u32,
    /// Embedded engine: token budget of one step (longer prompts are chunked).
    #[arg(
        long,
        default_value_t = 8192,
        help_heading = "Embedded engine (no --url)"
    )]
    pub(crate) mocker_max_num_batched_tokens: u32,
    /// Embedded engine: a profile (directory or npz) or timing file to drive it instead of the
    /// polynomials.
    #[arg(long, help_heading = "Embedded engine (no --url)")]
    pub(crate) mocker_planner_profile_data: Option<PathBuf>,
}

/// Which sweep to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mode {
    /// TTFT over input length.
    Prefill,
    /// ITL and throughput over KV usage × context length.
    Decode,
    /// Both, in the profile-directory layout.
    Both,
}
