//! Command-line flags: `profile_sla.py`'s search and SLA flags (same defaults), the candidates
//! file instead of the Kubernetes deployment flags, and the embedded engines'.

use std::path::PathBuf;

use clap::Parser;

/// Choose the configuration that meets a TTFT / ITL SLA at the lowest cost, as Dynamo's
/// profile_sla does, over endpoints that are already running. Each candidate (a URL, its GPU
/// count, KV capacity and label, from --candidates) gets one prefill measurement at --isl and a
/// decode concurrency sweep at --isl/--osl. The prefill pick is the highest throughput per GPU
/// with TTFT <= --ttft (else the lowest TTFT), likewise decode with ITL <= --itl. Writes
/// prefill_performance.png, decode_performance.png, cost_sla.png, summary.txt, results.json and
/// (unless --skip-interpolation) the chosen configurations' interpolation profile
/// (selected_*_interpolation/, prefill_raw_data.json, decode_raw_data.json), which
/// `mocker --planner-profile-data` reads. With no --candidates: one embedded simulated engine per
/// power-of-two GPU count from --min-num-gpus-per-engine to --max-num-gpus-per-engine.
#[derive(Debug, Parser)]
#[command(name = "profile-sla", version)]
pub(crate) struct Args {
    /// `--log-level` / `-v`.
    #[command(flatten)]
    pub(crate) log: servebench_cli_support::logging::LogArgs,
    /// JSON file: a list of {"label", "url", "gpus", "max_kv_tokens"} objects, one per running
    /// configuration.
    #[arg(long)]
    pub(crate) candidates: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "profiling_results")]
    pub(crate) output_dir: PathBuf,
    /// Model name sent in every request.
    #[arg(long, default_value = "servebench-mock")]
    pub(crate) model: String,
    /// Tokenizer sizing the prompts: a tokenizer.json, its directory or a cached model id;
    /// empty: the builtin tokenizer.
    #[arg(long, default_value = "")]
    pub(crate) tokenizer: String,
    /// Smallest GPU count of the embedded candidates.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) min_num_gpus_per_engine: u64,
    /// Largest GPU count of the embedded candidates.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_num_gpus_per_engine: u64,
    /// Target input length.
    #[arg(long, default_value_t = 3000)]
    pub(crate) isl: u64,
    /// Target output length.
    #[arg(long, default_value_t = 500)]
    pub(crate) osl: u64,
    /// TTFT target, ms.
    #[arg(long, default_value_t = 50.0)]
    pub(crate) ttft: f64,
    /// ITL target, ms.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) itl: f64,
    /// Longest context of the interpolation sweeps.
    #[arg(long, default_value_t = 16384)]
    pub(crate) max_context_length: u64,
    /// Points of the chosen prefill configuration's ISL sweep.
    #[arg(long, default_value_t = 16)]
    pub(crate) prefill_interpolation_granularity: u64,
    /// Concurrency points per decode sweep.
    #[arg(long, default_value_t = 6)]
    pub(crate) decode_interpolation_granularity: u64,
    /// Dollars per GPU-hour.
    #[arg(long, default_value_t = 3.0)]
    pub(crate) gpu_cost_per_hour: f64,
    /// Skip the interpolation sweeps of the chosen configurations.
    #[arg(long)]
    pub(crate) skip_interpolation: bool,
    /// Random seed of the prompts.
    #[arg(long, default_value_t = 100)]
    pub(crate) seed: u64,
    /// Warm-up requests before each prefill measurement.
    #[arg(long, default_value_t = 3)]
    pub(crate) warmup_request_count: u64,
    /// Embedded engines: speed-up of a 1-GPU engine (1 = Dynamo mocker's timing).
    #[arg(
        long,
        default_value_t = 1.0,
        help_heading = "Embedded engines (no --candidates)"
    )]
    pub(crate) mocker_speedup_ratio: f64,
    /// Embedded engines: an engine of g GPUs runs g^exponent times faster (1 = perfect scaling).
    #[arg(
        long,
        default_value_t = 0.7,
        help_heading = "Embedded engines (no --candidates)"
    )]
    pub(crate) mocker_scaling_exponent: f64,
    /// Embedded engines: KV blocks per GPU (an engine of g GPUs has g times as many).
    #[arg(
        long,
        default_value_t = 16384,
        help_heading = "Embedded engines (no --candidates)"
    )]
    pub(crate) mocker_num_gpu_blocks: u32,
    /// Embedded engines: tokens per KV block.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Embedded engines (no --candidates)")]
    pub(crate) mocker_block_size: u32,
}
