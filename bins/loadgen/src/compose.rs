//! Turns command-line flags into the library crates' configurations.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use servebench_loadgen_core::arrivals::{ArrivalMode, ArrivalPattern, Arrivals};
use servebench_loadgen_core::profile::{LoadEcho, default_artifact_dir};
use servebench_loadgen_core::prompts::SyntheticConfig;
use servebench_loadgen_core::ramp::RateRamp;
use servebench_loadgen_core::redact::redact_command_line;
use servebench_loadgen_core::{
    EndpointConfig, EndpointKind, LoadMode, ModelChoice, ModelStrategy, RequestCancellation,
    StopCondition, parse_extra_inputs, parse_header,
};

use crate::args::{Args, EndpointKind as CliEndpoint, ModelSelection, RateMode};

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

impl From<CliEndpoint> for EndpointKind {
    fn from(kind: CliEndpoint) -> Self {
        match kind {
            CliEndpoint::Chat => Self::Chat,
            CliEndpoint::Completions => Self::Completions,
            CliEndpoint::Embeddings => Self::Embeddings,
        }
    }
}

impl From<RateMode> for ArrivalMode {
    fn from(mode: RateMode) -> Self {
        match mode {
            RateMode::Constant => Self::Constant,
            RateMode::Poisson => Self::Poisson,
            RateMode::Gamma => Self::Gamma,
        }
    }
}

/// The endpoint, body and header options.
pub(crate) fn endpoint(args: &Args, streaming: bool) -> anyhow::Result<EndpointConfig> {
    let mut config = EndpointConfig::new(args.endpoint_type.into(), first_model(args));
    config.streaming = streaming;
    // AIPerf accepts `v1/chat/completions` as well as `/v1/chat/completions`.
    config.path = args.endpoint_path.as_ref().map(|p| {
        if p.starts_with('/') {
            p.clone()
        } else {
            format!("/{p}")
        }
    });
    config.use_legacy_max_tokens = args.use_legacy_max_tokens;
    config.pin_output_length = args.ignore_eos;
    config.extra_inputs = parse_extra_inputs(&args.extra_inputs)?;
    config.extra_headers = crate::aiperf_compat::expand_headers(&args.headers)?
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<_, _>>()?;
    config.api_key = args.api_key.clone();
    Ok(config)
}

/// `--model-names a,b`: the names, in order (empty pieces dropped).
pub(crate) fn model_names(args: &Args) -> Vec<String> {
    args.model
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first model (the one every body names unless several are given).
pub(crate) fn first_model(args: &Args) -> String {
    model_names(args)
        .into_iter()
        .next()
        .unwrap_or_else(|| args.model.clone())
}

/// Several models: which one each request names (`None` for one model).
pub(crate) fn model_choice(args: &Args, seed: u64) -> Option<ModelChoice> {
    let models = model_names(args);
    (models.len() > 1).then_some(ModelChoice {
        models,
        strategy: match args.model_selection_strategy {
            ModelSelection::RoundRobin => ModelStrategy::RoundRobin,
            ModelSelection::Random => ModelStrategy::Random,
        },
        seed,
    })
}

/// `--request-cancellation-rate` (percent) and `--request-cancellation-delay` (seconds).
pub(crate) fn cancellation(args: &Args, seed: u64) -> anyhow::Result<Option<RequestCancellation>> {
    let Some(rate) = args.request_cancellation_rate else {
        if args.request_cancellation_delay.is_some() {
            bail!("--request-cancellation-delay needs --request-cancellation-rate");
        }
        return Ok(None);
    };
    if !(0.0..=100.0).contains(&rate) {
        bail!("--request-cancellation-rate must be a percentage in 0..=100, got {rate}");
    }
    let delay = args.request_cancellation_delay.unwrap_or(0.0);
    if !(delay.is_finite() && delay >= 0.0) {
        bail!("--request-cancellation-delay must be >= 0 seconds, got {delay}");
    }
    Ok(Some(RequestCancellation {
        fraction: rate / 100.0,
        delay: Duration::from_secs_f64(delay),
        seed,
    }))
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

/// Virtual users when no `--request-rate` and no `--concurrency` is given (AIPerf's default).
const DEFAULT_CONCURRENCY: usize = 1;

/// `--concurrency` as the run uses it: the closed-loop default when no rate is given, else the
/// optional in-flight cap.
pub(crate) fn concurrency(args: &Args) -> Option<usize> {
    let given = args.concurrency.map(NonZeroUsize::get);
    match args.request_rate {
        None => Some(given.unwrap_or(DEFAULT_CONCURRENCY)),
        Some(_) => given,
    }
}

/// Closed loop at [`concurrency`], or open loop at `--request-rate`.
pub(crate) fn load_mode(args: &Args, seed: u64) -> anyhow::Result<LoadMode> {
    let concurrency = concurrency(args);
    let Some(rate) = args.request_rate else {
        return Ok(LoadMode::Concurrency(
            concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        ));
    };
    let pattern = ArrivalPattern::new(args.request_rate_mode.into(), args.arrival_smoothness)
        .context("invalid --request-rate-mode / --arrival-smoothness")?;
    let arrivals = Arrivals::new(rate, pattern, seed).context("invalid --request-rate")?;
    let arrivals: Box<dyn Iterator<Item = Duration> + Send> = match seconds(
        args.request_rate_ramp_duration,
        "--request-rate-ramp-duration",
    )? {
        Some(ramp) => Box::new(RateRamp::new(arrivals, ramp)),
        None => Box::new(arrivals),
    };
    Ok(LoadMode::OpenLoop {
        arrivals,
        max_in_flight: concurrency,
    })
}

/// The load as the exports echo it.
pub(crate) fn load_echo(args: &Args) -> LoadEcho {
    LoadEcho {
        concurrency: concurrency(args),
        request_rate: args.request_rate,
        request_rate_mode: args.request_rate.map(|_| args.request_rate_mode.into()),
    }
}

/// A positive, finite number of seconds given to `flag`.
pub(crate) fn seconds(value: Option<f64>, flag: &str) -> anyhow::Result<Option<Duration>> {
    match value {
        Some(v) if !(v.is_finite() && v > 0.0) => bail!("{flag} must be > 0 seconds, got {v}"),
        v => Ok(v.map(Duration::from_secs_f64)),
    }
}

/// `--request-count` and/or `--benchmark-duration`; 10 requests when neither is given.
pub(crate) fn stop_condition(args: &Args) -> anyhow::Result<StopCondition> {
    let duration = match args.benchmark_duration {
        Some(d) if !(d.is_finite() && d > 0.0) => bail!("--benchmark-duration must be > 0 seconds"),
        Some(d) => Some(Duration::from_secs_f64(d)),
        None => None,
    };
    let grace = args.benchmark_grace_period;
    if grace.is_nan() || grace < 0.0 {
        bail!("--benchmark-grace-period must be >= 0 seconds (or inf)");
    }
    // `inf` (AIPerf: wait for every in-flight response): ten years stands for forever.
    let grace_period = if grace.is_finite() {
        Duration::from_secs_f64(grace)
    } else {
        Duration::from_secs(10 * 365 * 24 * 3600)
    };
    let request_count = match (args.request_count, duration) {
        (Some(0), _) => bail!("--request-count must be at least 1"),
        (None, None) => Some(DEFAULT_REQUEST_COUNT),
        (count, _) => count,
    };
    Ok(StopCondition {
        request_count,
        duration,
        grace_period,
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
        default_artifact_dir(
            &first_model(args),
            endpoint.kind.name(),
            concurrency(args),
            args.request_rate,
        )
    })
}

/// `run_info`, with this process's command line (redacted).
pub(crate) fn run_info(benchmark_id: &str, seed: u64) -> Value {
    let cli = redact_command_line(std::env::args());
    servebench_loadgen_core::profile::run_info(benchmark_id, seed, &cli.join(" "))
}
