//! Turns command-line flags into the library crates' configurations.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use servebench_loadgen_core::arrivals::{ArrivalPattern, Arrivals};
use servebench_loadgen_core::profile::default_artifact_dir;
use servebench_loadgen_core::prompts::SyntheticConfig;
use servebench_loadgen_core::redact::{redact_command_line, redact_header_item};
use servebench_loadgen_core::{
    EndpointConfig, EndpointKind, LoadMode, StopCondition, parse_extra_inputs, parse_header,
};

use crate::args::{Args, EndpointKind as CliEndpoint, RateMode};

/// AIPerf's cap when no stop condition is given.
const DEFAULT_REQUEST_COUNT: u64 = 10;

/// Streaming is on when asked, or by default against the embedded engine.
pub(crate) fn streaming(args: &Args, embedded: bool) -> bool {
    if args.no_streaming {
        false
    } else {
        args.streaming || embedded
    }
}

/// The endpoint, body and header options.
pub(crate) fn endpoint(args: &Args, streaming: bool) -> anyhow::Result<EndpointConfig> {
    let kind = match args.endpoint_type {
        CliEndpoint::Chat => EndpointKind::Chat,
        CliEndpoint::Completions => EndpointKind::Completions,
        CliEndpoint::Embeddings => EndpointKind::Embeddings,
    };
    let mut config = EndpointConfig::new(kind, args.model.clone());
    config.streaming = streaming;
    config.path = args.endpoint_path.clone();
    config.use_legacy_max_tokens = args.use_legacy_max_tokens;
    config.pin_output_length = args.ignore_eos;
    config.extra_inputs = parse_extra_inputs(&args.extra_inputs)?;
    config.extra_headers = args
        .headers
        .iter()
        .map(|h| {
            let (name, value) = parse_header(h)?;
            let value = value
                .to_str()
                .with_context(|| {
                    format!("header {:?} has a non-ASCII value", redact_header_item(h))
                })?
                .to_owned();
            Ok((name.as_str().to_owned(), value))
        })
        .collect::<anyhow::Result<_>>()?;
    config.api_key = args.api_key.clone();
    Ok(config)
}

/// The synthetic dataset's settings.
pub(crate) fn dataset(args: &Args) -> SyntheticConfig {
    SyntheticConfig {
        isl_mean: args.isl,
        isl_stddev: args.isl_stddev,
        osl_mean: args.osl,
        osl_stddev: args.osl_stddev,
        num_entries: args.num_dataset_entries,
        seed: args.random_seed,
        prefix_prompt_length: args.prefix_prompt_length,
        num_prefix_prompts: args.num_prefix_prompts,
    }
}

/// Closed loop at `--concurrency` (default 1), or open loop at `--request-rate`.
pub(crate) fn load_mode(args: &Args, seed: u64) -> anyhow::Result<LoadMode> {
    if args.concurrency == Some(0) {
        bail!("--concurrency must be at least 1");
    }
    let Some(rate) = args.request_rate else {
        return Ok(LoadMode::Concurrency(args.concurrency.unwrap_or(1)));
    };
    let mode = match args.request_rate_mode {
        RateMode::Constant => "constant",
        RateMode::Poisson => "poisson",
        RateMode::Gamma => "gamma",
    };
    let pattern = ArrivalPattern::from_mode(mode, args.arrival_smoothness)
        .context("invalid --request-rate-mode / --arrival-smoothness")?;
    let arrivals = Arrivals::new(rate, pattern, seed).context("invalid --request-rate")?;
    Ok(LoadMode::OpenLoop {
        arrivals: Box::new(arrivals),
        max_in_flight: args.concurrency,
    })
}

/// `--request-count` and/or `--benchmark-duration`; 10 requests when neither is given.
pub(crate) fn stop_condition(args: &Args) -> anyhow::Result<StopCondition> {
    let duration = match args.benchmark_duration {
        Some(d) if !(d.is_finite() && d > 0.0) => bail!("--benchmark-duration must be > 0 seconds"),
        Some(d) => Some(Duration::from_secs_f64(d)),
        None => None,
    };
    if !(args.benchmark_grace_period.is_finite() && args.benchmark_grace_period >= 0.0) {
        bail!("--benchmark-grace-period must be >= 0 seconds");
    }
    let request_count = match (args.request_count, duration) {
        (Some(0), _) => bail!("--request-count must be at least 1"),
        (None, None) => Some(DEFAULT_REQUEST_COUNT),
        (count, _) => count,
    };
    Ok(StopCondition {
        request_count,
        duration,
        grace_period: Duration::from_secs_f64(args.benchmark_grace_period),
    })
}

/// `--request-timeout-seconds` as a duration.
pub(crate) fn request_timeout(args: &Args) -> anyhow::Result<Duration> {
    let t = args.request_timeout_seconds;
    if !(t.is_finite() && t > 0.0) {
        bail!("--request-timeout-seconds must be > 0");
    }
    Ok(Duration::from_secs_f64(t))
}

/// `--artifact-dir` or AIPerf's default name.
pub(crate) fn artifact_dir(args: &Args, endpoint: &EndpointConfig) -> PathBuf {
    args.artifact_dir.clone().unwrap_or_else(|| {
        let concurrency = match args.request_rate {
            None => Some(args.concurrency.unwrap_or(1)),
            Some(_) => args.concurrency,
        };
        default_artifact_dir(
            &args.model,
            endpoint.kind.name(),
            concurrency,
            args.request_rate,
        )
    })
}

/// The `input_config` echo, shaped like AIPerf's resolved configuration.
pub(crate) fn input_config(
    args: &Args,
    urls: &[String],
    endpoint: &EndpointConfig,
    stop: &StopCondition,
    seed: u64,
    tokenizer: &str,
    artifact_dir: &std::path::Path,
) -> Value {
    json!({
        "models": {"items": [{"name": args.model}]},
        "endpoint": {
            "urls": urls,
            "type": endpoint.kind.name(),
            "path": endpoint.request_path(),
            "streaming": endpoint.streaming,
            "timeout": args.request_timeout_seconds,
            "extra": Value::Object(endpoint.extra_inputs.clone()),
        },
        "datasets": [{
            "name": "synthetic",
            "type": "synthetic",
            "entries": args.num_dataset_entries,
            "random_seed": seed,
            "prompts": {
                "isl": {"mean": args.isl, "stddev": args.isl_stddev},
                "osl": {"mean": args.osl, "stddev": args.osl_stddev},
                "prefix_prompt": {"pool_size": args.num_prefix_prompts, "length": args.prefix_prompt_length},
            },
        }],
        "phases": [
            {"name": "warmup", "kind": "warmup", "requests": args.warmup_request_count, "exclude_from_results": true},
            {
                "name": "profiling", "kind": "profiling",
                "type": if args.request_rate.is_some() { "request_rate" } else { "concurrency" },
                "requests": stop.request_count,
                "duration": stop.duration.map(|d| d.as_secs_f64()),
                "grace_period": stop.grace_period.as_secs_f64(),
                "concurrency": args.concurrency,
                "request_rate": args.request_rate,
                "request_rate_mode": args.request_rate.map(|_| format!("{:?}", args.request_rate_mode).to_lowercase()),
                "exclude_from_results": false,
            },
        ],
        "artifacts": {"dir": artifact_dir},
        "tokenizer": {"name": tokenizer},
        "goodput": args.goodput,
    })
}

/// `run_info`.
pub(crate) fn run_info(benchmark_id: &str, seed: u64) -> Value {
    let cli = redact_command_line(std::env::args());
    json!({
        "benchmark_id": benchmark_id,
        "random_seed": seed,
        "trial": 0,
        "cli_command": cli.join(" "),
    })
}
