//! Command-line flags. Names follow `aiperf profile` wherever AIPerf has the same concept, so
//! existing command lines translate.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{ArgAction, Parser, ValueEnum};
use servebench_loadgen_core::profile::DEFAULT_MAX_ERROR_RATE_PCT;

/// Benchmark an OpenAI-compatible LLM endpoint (or, with no --url, the embedded simulated engine)
/// and write AIPerf-compatible exports.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version, about, long_about = None)]
pub(crate) struct Args {
    // ----- Endpoint -----
    /// Server base URL; repeat for round-robin over several servers. Without it, loadgen starts
    /// the embedded simulated engine on an ephemeral 127.0.0.1 port and benchmarks that.
    #[arg(short = 'u', long = "url", help_heading = "Endpoint")]
    pub(crate) urls: Vec<String>,

    /// Model name sent in every request; several, comma-separated, are used by
    /// --model-selection-strategy.
    #[arg(
        short = 'm',
        long = "model",
        alias = "model-names",
        default_value = "servebench-mock",
        help_heading = "Endpoint"
    )]
    pub(crate) model: String,

    /// With several comma-separated --model-names: how each request picks one.
    #[arg(long, value_enum, default_value_t = ModelSelection::RoundRobin, help_heading = "Endpoint")]
    pub(crate) model_selection_strategy: ModelSelection,

    /// API flavour.
    #[arg(long, value_enum, default_value_t = EndpointKind::Chat, help_heading = "Endpoint")]
    pub(crate) endpoint_type: EndpointKind,

    /// Path overriding the endpoint type's default (e.g. /v1/chat/completions).
    #[arg(
        long = "endpoint",
        alias = "custom-endpoint",
        help_heading = "Endpoint"
    )]
    pub(crate) endpoint_path: Option<String>,

    /// Ask for streamed (SSE) responses. Default: off, as in AIPerf; on when benchmarking the
    /// embedded engine (no --url) unless --no-streaming.
    #[arg(long, action = ArgAction::SetTrue, overrides_with = "no_streaming", help_heading = "Endpoint")]
    pub(crate) streaming: bool,

    /// Ask for non-streamed responses.
    #[arg(long, action = ArgAction::SetTrue, help_heading = "Endpoint")]
    pub(crate) no_streaming: bool,

    /// Give up on a request after this many seconds.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 600.0,
        help_heading = "Endpoint"
    )]
    pub(crate) request_timeout_seconds: f64,

    /// Sent as `Authorization: Bearer <key>`.
    #[arg(long, help_heading = "Endpoint")]
    pub(crate) api_key: Option<String>,

    /// Extra HTTP header `Name:Value`, or a JSON object of headers (AIPerf); repeatable.
    #[arg(short = 'H', long = "header", help_heading = "Endpoint")]
    pub(crate) headers: Vec<String>,

    /// Extra body fields: `key:value` pairs (values typed as JSON where they parse) or JSON
    /// objects; repeatable; merged into every request body.
    #[arg(long = "extra-inputs", num_args = 1.., help_heading = "Endpoint")]
    pub(crate) extra_inputs: Vec<String>,

    /// Send `max_tokens` instead of `max_completion_tokens`.
    #[arg(long, help_heading = "Endpoint")]
    pub(crate) use_legacy_max_tokens: bool,

    /// Pin the output length: also send `min_tokens` = the requested length and `ignore_eos: true`.
    #[arg(long, help_heading = "Endpoint")]
    pub(crate) ignore_eos: bool,

    /// Count ISL/OSL from the server's `usage` instead of re-tokenizing.
    #[arg(long, help_heading = "Endpoint")]
    pub(crate) use_server_token_count: bool,

    /// Use HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1.
    #[arg(long, help_heading = "Endpoint")]
    pub(crate) http2: bool,

    // ----- Load -----
    /// Closed loop: this many requests in flight, a new one the moment one completes. With
    /// --request-rate: a cap on requests in flight. Default 1 when no rate is given.
    #[arg(long, value_parser = at_least_one, help_heading = "Load")]
    pub(crate) concurrency: Option<NonZeroUsize>,

    /// Open loop: requests per second (fractional allowed), on an absolute schedule.
    #[arg(long, allow_negative_numbers = true, help_heading = "Load")]
    pub(crate) request_rate: Option<f64>,

    /// Inter-arrival distribution for --request-rate.
    #[arg(long, alias = "arrival-pattern", value_enum, default_value_t = RateMode::Poisson, help_heading = "Load")]
    pub(crate) request_rate_mode: RateMode,

    /// Gamma shape for --request-rate-mode gamma (vLLM's burstiness: 1 = Poisson, larger =
    /// smoother) [default: 1.0].
    #[arg(
        allow_negative_numbers = true,
        long,
        alias = "vllm-burstiness",
        help_heading = "Load"
    )]
    pub(crate) arrival_smoothness: Option<f64>,

    /// Stop after this many profiling requests (default 10 when no stop condition is given).
    #[arg(long, alias = "num-requests", help_heading = "Load")]
    pub(crate) request_count: Option<u64>,

    /// Stop issuing after this many seconds.
    #[arg(allow_negative_numbers = true, long, help_heading = "Load")]
    pub(crate) benchmark_duration: Option<f64>,

    /// Seconds in-flight requests may still complete after --benchmark-duration (`inf`: wait
    /// for all).
    #[arg(
        long,
        default_value_t = 30.0,
        allow_negative_numbers = true,
        help_heading = "Load"
    )]
    pub(crate) benchmark_grace_period: f64,

    /// Requests sent before measuring (excluded from metrics, exported per record).
    #[arg(
        long,
        alias = "num-warmup-requests",
        default_value_t = 0,
        help_heading = "Load"
    )]
    pub(crate) warmup_request_count: u64,

    /// Seconds of warm-up (closed loop, excluded from metrics); with --warmup-request-count the
    /// first limit reached ends it.
    #[arg(long, allow_negative_numbers = true, help_heading = "Load")]
    pub(crate) warmup_duration: Option<f64>,

    /// Percentage of requests the client cancels on purpose (recorded as cancelled, error code
    /// 499, as AIPerf).
    #[arg(long, allow_negative_numbers = true, help_heading = "Load")]
    pub(crate) request_cancellation_rate: Option<f64>,

    /// Seconds after dispatch (timed from before connecting and writing) that a request chosen
    /// by --request-cancellation-rate is cancelled [default: 0].
    #[arg(long, allow_negative_numbers = true, help_heading = "Load")]
    pub(crate) request_cancellation_delay: Option<f64>,

    /// Seconds over which --request-rate grows linearly from 0 to its target.
    #[arg(long, allow_negative_numbers = true, help_heading = "Load")]
    pub(crate) request_rate_ramp_duration: Option<f64>,

    /// Seconds over which --concurrency grows from 1 to its target (closed loop).
    #[arg(long, allow_negative_numbers = true, help_heading = "Load")]
    pub(crate) concurrency_ramp_duration: Option<f64>,

    // ----- Dataset -----
    /// Mean prompt length in tokens.
    #[arg(
        long,
        visible_alias = "synthetic-input-tokens-mean",
        alias = "prompt-input-tokens-mean",
        default_value_t = 550,
        help_heading = "Dataset"
    )]
    pub(crate) isl: u64,

    /// Standard deviation of the prompt length.
    #[arg(
        allow_negative_numbers = true,
        long,
        visible_alias = "synthetic-input-tokens-stddev",
        alias = "prompt-input-tokens-stddev",
        default_value_t = 0.0,
        help_heading = "Dataset"
    )]
    pub(crate) isl_stddev: f64,

    /// Mean requested output length in tokens (unset: the server decides).
    #[arg(
        long,
        visible_alias = "output-tokens-mean",
        alias = "prompt-output-tokens-mean",
        help_heading = "Dataset"
    )]
    pub(crate) osl: Option<u64>,

    /// Standard deviation of the requested output length.
    #[arg(
        allow_negative_numbers = true,
        long,
        visible_alias = "output-tokens-stddev",
        alias = "prompt-output-tokens-stddev",
        default_value_t = 0.0,
        help_heading = "Dataset"
    )]
    pub(crate) osl_stddev: f64,

    /// Number of distinct prompts.
    #[arg(
        long,
        alias = "num-prompts",
        default_value_t = 100,
        help_heading = "Dataset"
    )]
    pub(crate) num_dataset_entries: usize,

    /// Seed for prompts and arrivals (default: random, echoed in the exports).
    #[arg(long, help_heading = "Dataset")]
    pub(crate) random_seed: Option<u64>,

    /// Number of shared prefixes; each prompt starts with one of them.
    #[arg(
        long,
        alias = "prefix-prompt-pool-size",
        default_value_t = 0,
        help_heading = "Dataset"
    )]
    pub(crate) num_prefix_prompts: usize,

    /// Length of each shared prefix in tokens, added on top of the synthetic prompt length (the
    /// ISL of a request is this plus --isl, as in AIPerf).
    #[arg(long, default_value_t = 0, help_heading = "Dataset")]
    pub(crate) prefix_prompt_length: u64,

    /// `builtin`, a Hugging Face tokenizer.json or its directory, or a model id (ORG/NAME)
    /// found offline in the local Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub or
    /// ~/.cache/huggingface/hub; nothing is downloaded). Default: the model name tried the same
    /// way, else builtin.
    #[arg(long, help_heading = "Dataset")]
    pub(crate) tokenizer: Option<String>,

    /// Branch, tag or commit of a model id given as tokenizer.
    #[arg(long, default_value = "main", help_heading = "Dataset")]
    pub(crate) tokenizer_revision: String,

    /// Count input lengths over the prompt the server renders with the model's chat template
    /// (from tokenizer_config.json beside tokenizer.json).
    #[arg(long, help_heading = "Dataset")]
    pub(crate) apply_chat_template: bool,

    /// Dataset files, trace replay, sampling and sessions.
    #[command(flatten)]
    pub(crate) replay: crate::replay_args::ReplayArgs,

    // ----- Output -----
    /// SLOs, e.g. "time_to_first_token:100 inter_token_latency:5" (display units).
    #[arg(long, help_heading = "Output")]
    pub(crate) goodput: Option<String>,

    /// Where exports go. Default: artifacts/MODEL-openai-ENDPOINT-STIMULUS/ as AIPerf.
    /// Each export is written to a temporary file and renamed into place when complete; an
    /// export that would be the same file as an input is refused. During the run the records
    /// stream to profile_export.jsonl.partial (renamed at the end, also after Ctrl-C): a run
    /// killed hard (SIGKILL, power loss) leaves its finished records there.
    #[arg(long, alias = "output-artifact-dir", help_heading = "Output")]
    pub(crate) artifact_dir: Option<PathBuf>,

    /// Also summarise the profiling records per window of this many seconds of send time
    /// (profile_export_aiperf_timeslices.json / .csv, as AIPerf).
    #[arg(long, help_heading = "Output")]
    pub(crate) slice_duration: Option<f64>,

    /// Base name of the exports instead of profile_export_aiperf / profile_export (AIPerf):
    /// PREFIX.json, PREFIX.csv, PREFIX.jsonl, PREFIX_timeslices.*, PREFIX_server_metrics.*.
    #[arg(long, alias = "profile-export-file", help_heading = "Output")]
    pub(crate) profile_export_prefix: Option<String>,

    /// After the exports, also write report.html (PREFIX_report.html with
    /// --profile-export-prefix) into the artifact directory: one self-contained page (inline
    /// SVG plots, no scripts, no network) with the summary table, latency plots, client-health
    /// verdict, error breakdown, the exact command line and the configuration.
    #[arg(long, help_heading = "Output")]
    pub(crate) report: bool,

    /// Exit 0 even when the client itself was too slow to measure accurately (otherwise exit 3).
    /// The client counts as saturated when its event-loop lag p99 exceeds both 1 ms and 10 % of
    /// the TTFT p50 (request latency p50 when not streaming), when open-loop sends fall behind
    /// schedule, or when requests fail in the client itself (out of open files or local ports).
    /// Smaller lag is printed as a note.
    #[arg(long, help_heading = "Output")]
    pub(crate) allow_client_saturation: bool,

    /// Exit with status 4 (after writing every export) when more than this percentage of the
    /// profiling requests failed on the server's side (errors the client caused itself and
    /// cancelled requests do not count).
    #[arg(long, value_name = "PCT", default_value_t = DEFAULT_MAX_ERROR_RATE_PCT, allow_negative_numbers = true, help_heading = "Output")]
    pub(crate) max_error_rate: f64,

    /// Progress display: auto (a live line on a terminal, periodic log lines otherwise) or none.
    #[arg(long, alias = "ui-type", value_enum, default_value_t = Ui::Auto, help_heading = "Output")]
    pub(crate) ui: Ui,

    /// `--log-level` (AIPerf's names) and -v (debug) / -vv (trace), as every servebench tool.
    #[command(flatten)]
    pub(crate) log: servebench_cli_support::logging::LogArgs,

    // ----- Server metrics -----
    /// Prometheus endpoints to scrape at the start, periodically and at the end (default: each
    /// --url's /metrics, as AIPerf); repeatable.
    #[arg(long = "server-metrics-url", help_heading = "Server metrics")]
    pub(crate) server_metrics_urls: Vec<String>,

    /// AIPerf's form: more Prometheus endpoints to scrape besides each --url's /metrics
    /// (`host:port` or a full URL; a bare `host:port` gets /metrics).
    #[arg(long = "server-metrics", num_args = 0.., help_heading = "Server metrics")]
    pub(crate) server_metrics_extra: Vec<String>,

    /// Do not scrape server metrics.
    #[arg(long, help_heading = "Server metrics")]
    pub(crate) no_server_metrics: bool,

    /// Seconds between server-metrics scrapes.
    #[arg(long, default_value_t = 1.0, help_heading = "Server metrics")]
    pub(crate) server_metrics_interval: f64,

    /// AIPerf flags that do not apply to servebench (accepted, each reported by a notice).
    #[command(flatten)]
    pub(crate) ignored: crate::aiperf_compat::IgnoredFlags,

    // ----- Embedded engine -----
    /// Speed-up of the embedded simulated engine (used only without --url; 0 = no delays).
    #[arg(
        long,
        default_value_t = 1.0,
        allow_negative_numbers = true,
        help_heading = "Embedded engine"
    )]
    pub(crate) mocker_speedup_ratio: f64,

    /// Images and context prompts.
    #[command(flatten)]
    pub(crate) media: crate::media_args::MediaArgs,
}

/// A whole number of at least 1.
fn at_least_one(value: &str) -> Result<NonZeroUsize, String> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(NonZeroUsize::new)
        .ok_or_else(|| "must be a whole number of at least 1".to_owned())
}

/// API flavour and its default path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EndpointKind {
    /// `/v1/chat/completions`
    Chat,
    /// `/v1/completions`
    Completions,
    /// `/v1/embeddings`
    Embeddings,
}

/// Open-loop inter-arrival distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RateMode {
    /// Evenly spaced.
    Constant,
    /// Exponential gaps.
    Poisson,
    /// Gamma gaps with shape --arrival-smoothness.
    Gamma,
}

/// How a request picks a model among several --model-names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModelSelection {
    /// In turn.
    RoundRobin,
    /// Uniformly at random (seeded by --random-seed).
    Random,
}

impl Args {}

/// Progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Ui {
    /// Live line on a TTY, log lines otherwise (AIPerf's `dashboard` maps here).
    #[value(alias = "dashboard")]
    Auto,
    /// Simple periodic log lines.
    Simple,
    /// Nothing until the summary.
    None,
}
