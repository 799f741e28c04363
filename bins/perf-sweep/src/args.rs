//! Command-line flags: `perf.sh`'s, each with its long and short name, plus servebench's
//! (embedded engine, tokenizer, the `benchmarks/utils` wrapper's rules, stop conditions).

use std::path::PathBuf;

use clap::Parser;
use servebench_cli_support::logging::LogArgs;
use servebench_loadgen_core::profile::DEFAULT_MAX_ERROR_RATE_PCT;

/// `perf.sh`'s default model.
pub(crate) const PERF_SH_MODEL: &str = "neuralmagic/DeepSeek-R1-Distill-Llama-70B-FP8-dynamic";
/// The `benchmarks/utils` wrapper's default model.
pub(crate) const UTILS_MODEL: &str = "Qwen/Qwen3-0.6B";

/// Sweep concurrency against an OpenAI-compatible chat endpoint (or, with no --url, the embedded
/// simulated engine), one benchmark per concurrency, laid out as Dynamo's benchmarks/llm/perf.sh
/// lays it out: ROOT/artifacts_N/{model}-openai-chat-concurrency{C}/ plus deployment_config.json.
///
/// Per concurrency C: 10xC requests after 2xC warm-up requests, drawn from 12xC synthetic prompts
/// (seed 100), max_tokens = min_tokens = OSL with ignore_eos. The sweep stops when the client
/// itself is saturated (exit 3) or the error rate is above --max-error-rate (exit 4).
#[derive(Debug, Parser)]
#[command(name = "perf-sweep", version, about, long_about)]
pub(crate) struct Args {
    // ----- Deployment (perf.sh) -----
    /// Tensor parallelism of an aggregated deployment (recorded, not checked against it).
    #[arg(
        long = "tensor-parallelism",
        visible_alias = "tp",
        default_value_t = 0,
        help_heading = "Deployment"
    )]
    pub(crate) tp: u32,
    /// Data parallelism (workers) of an aggregated deployment.
    #[arg(
        long = "data-parallelism",
        visible_alias = "dp",
        default_value_t = 0,
        help_heading = "Deployment"
    )]
    pub(crate) dp: u32,
    /// Tensor parallelism of each prefill worker (disaggregated).
    #[arg(
        long = "prefill-tensor-parallelism",
        visible_alias = "prefill-tp",
        default_value_t = 0,
        help_heading = "Deployment"
    )]
    pub(crate) prefill_tp: u32,
    /// Prefill workers (disaggregated).
    #[arg(
        long = "prefill-data-parallelism",
        visible_alias = "prefill-dp",
        default_value_t = 0,
        help_heading = "Deployment"
    )]
    pub(crate) prefill_dp: u32,
    /// Tensor parallelism of each decode worker (disaggregated).
    #[arg(
        long = "decode-tensor-parallelism",
        visible_alias = "decode-tp",
        default_value_t = 0,
        help_heading = "Deployment"
    )]
    pub(crate) decode_tp: u32,
    /// Decode workers (disaggregated).
    #[arg(
        long = "decode-data-parallelism",
        visible_alias = "decode-dp",
        default_value_t = 0,
        help_heading = "Deployment"
    )]
    pub(crate) decode_dp: u32,
    /// `aggregated` (needs --tp and/or --dp) or `disaggregated` (needs a --prefill-* or
    /// --decode-* value).
    #[arg(long, default_value = "aggregated", help_heading = "Deployment")]
    pub(crate) mode: String,
    /// Names the configuration; the Pareto plot's series is `<kind>_<mode>`.
    #[arg(long, default_value = "dynamo", help_heading = "Deployment")]
    pub(crate) deployment_kind: String,

    // ----- Workload (perf.sh) -----
    /// Model name sent in every request [default: perf.sh's
    /// neuralmagic/DeepSeek-R1-Distill-Llama-70B-FP8-dynamic; Qwen/Qwen3-0.6B with
    /// --utils-wrapper].
    #[arg(long, help_heading = "Workload")]
    pub(crate) model: Option<String>,
    /// Input tokens per request [default: 3000; 2000 with --utils-wrapper].
    #[arg(
        long = "input-sequence-length",
        visible_alias = "isl",
        help_heading = "Workload"
    )]
    pub(crate) isl: Option<u64>,
    /// Output tokens per request, pinned with min_tokens and ignore_eos [default: 150; 256
    /// with --utils-wrapper].
    #[arg(
        long = "output-sequence-length",
        visible_alias = "osl",
        help_heading = "Workload"
    )]
    pub(crate) osl: Option<u64>,
    /// Comma-separated concurrencies, each a positive integer, run in this order.
    #[arg(
        long,
        default_value = "1,2,4,8,16,32,64,128,256",
        conflicts_with = "utils_wrapper",
        help_heading = "Workload"
    )]
    pub(crate) concurrency: String,
    /// Tokenizer for prompt sizes and token counts: `builtin`, a tokenizer.json, a directory or
    /// a Hugging Face model id in the local cache [default: the model's, else builtin].
    #[arg(long, help_heading = "Workload")]
    pub(crate) tokenizer: Option<String>,

    // ----- Endpoint -----
    /// Server base URL (perf.sh's default was http://localhost:8000). Without it, perf-sweep
    /// starts the embedded simulated engine on an ephemeral 127.0.0.1 port and sweeps that.
    #[arg(long, help_heading = "Endpoint")]
    pub(crate) url: Option<String>,
    /// Speed-up of the embedded engine's Dynamo-mocker timing (0 = no delays); ignored with
    /// --url.
    #[arg(long, default_value_t = 1.0, help_heading = "Endpoint")]
    pub(crate) mocker_speedup_ratio: f64,

    // ----- Output -----
    /// Root of the numbered artifacts_N directories (the wrapper's output root with
    /// --utils-wrapper) [default: artifacts_root; benchmarks/results with --utils-wrapper].
    #[arg(long, help_heading = "Output")]
    pub(crate) artifacts_root_dir: Option<PathBuf>,

    // ----- benchmarks/utils wrapper -----
    /// Follow the later benchmarks/utils wrapper instead of perf.sh: concurrencies from the
    /// CONCURRENCIES environment variable (default 1,2,5,10,50,100,250), max(3C, 10) requests
    /// (or REQUEST_COUNT), no warm-up, runs in ROOT/{benchmark-name}/c{C}/, no
    /// deployment_config.json, no TP/DP.
    #[arg(
        long,
        requires = "benchmark_name",
        help_heading = "benchmarks/utils wrapper"
    )]
    pub(crate) utils_wrapper: bool,
    /// The series name with --utils-wrapper (letters, digits, _ and -; not `plots`).
    #[arg(
        long,
        requires = "utils_wrapper",
        help_heading = "benchmarks/utils wrapper"
    )]
    pub(crate) benchmark_name: Option<String>,
    /// Standard deviation of the input length [default: 0; 10 with --utils-wrapper].
    #[arg(
        long = "isl-stddev",
        visible_alias = "std",
        help_heading = "benchmarks/utils wrapper"
    )]
    pub(crate) isl_stddev: Option<f64>,

    // ----- Stopping -----
    /// Stop the sweep (exit 4) after a concurrency where more than this percentage of the
    /// requests failed on the server's side.
    #[arg(long, default_value_t = DEFAULT_MAX_ERROR_RATE_PCT, help_heading = "Stopping")]
    pub(crate) max_error_rate: f64,
    /// Keep sweeping when the client is saturated (its latencies may be inflated); by default
    /// the sweep stops with exit 3 rather than plot distorted points.
    #[arg(long, help_heading = "Stopping")]
    pub(crate) allow_client_saturation: bool,

    #[command(flatten)]
    pub(crate) log: LogArgs,
}
