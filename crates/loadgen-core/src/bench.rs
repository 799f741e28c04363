//! One benchmark described as plain data and run in-process: what the sweep, router and profiler
//! tools call instead of spawning `loadgen` (or `aiperf profile`) once per point.
//!
//! A [`Benchmark`] holds the settings those tools pass to `aiperf profile` (endpoint, dataset,
//! load, request and warm-up counts, artifact directory); [`run_benchmark`] builds the dataset,
//! runs [`crate::profile::profile`], optionally scrapes the servers' Prometheus metrics around the
//! run, and writes every export into the artifact directory, exactly as a `loadgen` run with the
//! same flags would.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use servebench_loadgen_core::bench::{Benchmark, BenchLoad, run_benchmark};
//! use servebench_loadgen_core::{CancelHandle, EndpointConfig, EndpointKind};
//! use servebench_tokenize::BuiltinTokenizer;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let mut endpoint = EndpointConfig::new(EndpointKind::Chat, "my-model");
//! endpoint.streaming = true;
//! let mut bench = Benchmark::new(
//!     vec!["http://127.0.0.1:8000".into()],
//!     endpoint,
//!     Arc::new(BuiltinTokenizer::new()),
//!     "artifacts/c8".into(),
//! );
//! bench.dataset.synthetic.isl_mean = 3000;
//! bench.dataset.synthetic.osl_mean = Some(150);
//! bench.load = BenchLoad::Concurrency(8);
//! bench.request_count = Some(80);
//! bench.warmup_requests = 16;
//! let done = run_benchmark(bench, CancelHandle::new()).await?;
//! println!("{} records", done.outcome.jsonl_lines);
//! # Ok(())
//! # }
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use servebench_metrics::{Goodput, MetricOptions, RunClock};
use servebench_tokenize::Tokenizer;

use crate::arrivals::{ArrivalMode, ArrivalPattern, Arrivals};
use crate::profile::{
    DatasetEcho, InputEcho, LoadEcho, ProfileConfig, ProfileError, ProfileOutcome,
    SaturationThresholds, benchmark_id, input_config, profile, run_info,
};
use crate::replay::{DatasetError, DatasetSpec, build_dataset};
use crate::server_metrics::{Collector, ServerMetrics, metrics_url};
use crate::{CancelHandle, DatasetEntry, EndpointConfig, LoadMode, RunConfig, StopCondition};

/// AIPerf's request count when neither a count nor the dataset gives one.
const DEFAULT_REQUEST_COUNT: u64 = 10;

/// How requests are issued.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BenchLoad {
    /// Closed loop with this many virtual users (AIPerf `--concurrency`).
    Concurrency(usize),
    /// Open loop at `rate` requests per second (AIPerf `--request-rate`), optionally capped in
    /// flight (`--concurrency` with a rate).
    Rate {
        /// Requests per second.
        rate: f64,
        /// Inter-arrival distribution.
        mode: ArrivalMode,
        /// Cap on requests in flight.
        max_in_flight: Option<usize>,
    },
}

/// One benchmark run as plain data; [`Benchmark::new`] gives AIPerf's defaults.
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// Base URLs of the servers, used round-robin.
    pub urls: Vec<String>,
    /// Endpoint, body and header options.
    pub endpoint: EndpointConfig,
    /// The dataset: synthetic prompts (the default) or a dataset / trace file. A file with
    /// timestamps is replayed on its fixed schedule (in-flight cap: `BenchLoad::Concurrency`'s
    /// users, if any), as `loadgen` does.
    pub dataset: DatasetSpec,
    /// Closed or open loop (ignored by a fixed-schedule replay, except as its in-flight cap).
    pub load: BenchLoad,
    /// Profiling requests; `None`: every entry of a dataset file once, else 10.
    pub request_count: Option<u64>,
    /// Stop issuing after this long instead of (or as well as) a request count.
    pub duration: Option<Duration>,
    /// Warm-up requests before profiling (recorded as warm-up, not in the metrics).
    pub warmup_requests: u64,
    /// Per-request timeout (AIPerf `--request-timeout-seconds`, 600 s).
    pub request_timeout: Duration,
    /// Where the exports go (created if missing).
    pub artifact_dir: PathBuf,
    /// Counts tokens and sizes the prompts.
    pub tokenizer: Arc<dyn Tokenizer>,
    /// How output tokens are counted.
    pub metric_options: MetricOptions,
    /// Goodput SLOs.
    pub goodput: Option<Goodput>,
    /// Scrape each server's `/metrics` at the start, every this long, and at the end, and write
    /// `server_metrics_export.json` / `.csv` (`None`: no scraping).
    pub server_metrics_every: Option<Duration>,
    /// Count this process's CPU as the client's (turn off when the server runs in-process).
    pub measure_process_cpu: bool,
    /// When the client counts as saturated.
    pub thresholds: SaturationThresholds,
    /// The command line echoed in `run_info.cli_command` (already redacted by the caller).
    pub cli_command: String,
}

impl Benchmark {
    /// A benchmark with AIPerf's defaults: synthetic prompts (ISL 550), concurrency 1, 10
    /// requests, no warm-up, a 600 s timeout, server metrics scraped every 5 s.
    pub fn new(
        urls: Vec<String>,
        endpoint: EndpointConfig,
        tokenizer: Arc<dyn Tokenizer>,
        artifact_dir: PathBuf,
    ) -> Self {
        Self {
            urls,
            endpoint,
            dataset: DatasetSpec::default(),
            load: BenchLoad::Concurrency(1),
            request_count: None,
            duration: None,
            warmup_requests: 0,
            request_timeout: Duration::from_secs(600),
            artifact_dir,
            tokenizer,
            metric_options: MetricOptions::default(),
            goodput: None,
            server_metrics_every: Some(Duration::from_secs(5)),
            measure_process_cpu: true,
            thresholds: SaturationThresholds::default(),
            cli_command: String::new(),
        }
    }
}

/// What a finished (or cancelled) benchmark produced.
#[derive(Debug)]
pub struct BenchOutcome {
    /// The run's metrics, verdict and error rate (exports are in `outcome.artifact_dir`).
    pub outcome: ProfileOutcome,
    /// The server-metrics scrape, when asked for and at least one scrape succeeded.
    pub server_metrics: Option<ServerMetrics>,
    /// The dataset entries the run drew its requests from.
    pub entries: Arc<[DatasetEntry]>,
    /// The seed the dataset used (given or drawn).
    pub seed: u64,
    /// Whether the run replayed a fixed schedule.
    pub fixed_schedule: bool,
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The dataset could not be built.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// A setting is out of range.
    #[error("invalid benchmark setting: {0}")]
    Invalid(String),
    /// The run or its exports failed.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The server-metrics exports could not be written.
    #[error("cannot write the server-metrics exports")]
    ServerMetrics(#[source] servebench_metrics::Error),
}

/// Builds the dataset, runs the benchmark and writes every export (also
/// `server_metrics_export.json` / `.csv` when scraping is on and a scrape succeeded).
///
/// # Errors
/// [`BenchError`]: a dataset that cannot be built, an invalid setting, a configuration the runner
/// refuses, or exports that cannot be written.
pub async fn run_benchmark(
    bench: Benchmark,
    cancel: CancelHandle,
) -> Result<BenchOutcome, BenchError> {
    if bench.urls.is_empty() {
        return Err(BenchError::Invalid("no server URL".into()));
    }
    let data = build_dataset(&bench.dataset, &*bench.tokenizer)?;
    let seed = data.seed;
    let fixed_schedule = data.schedule.is_some();
    let (load, load_echo) = load_mode(bench.load, data.schedule, seed)?;
    let mut stop = StopCondition {
        request_count: bench.request_count.or(data.default_requests),
        duration: bench.duration,
        grace_period: StopCondition::requests(1).grace_period,
    };
    if stop.request_count.is_none() && stop.duration.is_none() {
        stop.request_count = Some(DEFAULT_REQUEST_COUNT);
    }
    if stop.request_count == Some(0) {
        return Err(BenchError::Invalid(
            "the request count must be at least 1".into(),
        ));
    }
    if fixed_schedule {
        // A schedule sends each of its entries once.
        let entries = data.entries.len() as u64;
        stop.request_count = Some(stop.request_count.map_or(entries, |n| n.min(entries)));
    }

    let mut run = RunConfig::new(RunClock::start(), bench.urls.clone(), bench.endpoint);
    run.stop = stop;
    run.request_timeout = bench.request_timeout;
    run.warmup_requests = bench.warmup_requests;
    run.sampling = data.sampling;
    run.sampling_seed = seed;

    let entries: Arc<[DatasetEntry]> = data.entries.into();
    let mut config = ProfileConfig::new(
        run,
        Arc::clone(&entries),
        Arc::clone(&bench.tokenizer),
        bench.artifact_dir.clone(),
    );
    config.metric_options = bench.metric_options;
    config.goodput = bench.goodput;
    config.measure_process_cpu = bench.measure_process_cpu;
    config.thresholds = bench.thresholds;
    config.fixed_schedule = fixed_schedule;
    config.input_config = input_config(
        &config,
        &InputEcho {
            dataset: DatasetEcho::Described(&data.echo),
            load: load_echo,
            goodput: None,
        },
    );
    if fixed_schedule {
        config.input_config["phases"][1]["type"] = "fixed_schedule".into();
    }
    let benchmark_id = benchmark_id(&config.run.clock);
    config.run_info = run_info(&benchmark_id, seed, &bench.cli_command);
    config.benchmark_id = benchmark_id;

    let collector = match bench.server_metrics_every {
        Some(every) => {
            let targets = bench.urls.iter().map(|u| metrics_url(u)).collect();
            Some(Collector::start(targets, every).await)
        }
        None => None,
    };
    let outcome = profile(config, load, cancel).await;
    let scraped = match collector {
        Some(c) => Some(c.finish().await),
        None => None,
    };
    let outcome = outcome?;
    let server_metrics = scraped.filter(|s| s.endpoints.iter().any(|e| !e.snapshots.is_empty()));
    if let Some(scraped) = &server_metrics {
        scraped
            .write(&outcome.artifact_dir)
            .map_err(BenchError::ServerMetrics)?;
    }
    Ok(BenchOutcome {
        outcome,
        server_metrics,
        entries,
        seed,
        fixed_schedule,
    })
}

/// The runner's load mode and its echo.
fn load_mode(
    load: BenchLoad,
    schedule: Option<Vec<Duration>>,
    seed: u64,
) -> Result<(LoadMode, LoadEcho), BenchError> {
    if let Some(offsets) = schedule {
        let cap = match load {
            BenchLoad::Concurrency(n) => Some(n),
            BenchLoad::Rate { max_in_flight, .. } => max_in_flight,
        };
        let echo = LoadEcho {
            concurrency: cap,
            request_rate: None,
            request_rate_mode: None,
        };
        let mode = LoadMode::OpenLoop {
            arrivals: Box::new(offsets.into_iter()),
            max_in_flight: cap,
        };
        return Ok((mode, echo));
    }
    match load {
        BenchLoad::Concurrency(0) => Err(BenchError::Invalid(
            "the concurrency must be at least 1".into(),
        )),
        BenchLoad::Concurrency(n) => Ok((
            LoadMode::Concurrency(n),
            LoadEcho {
                concurrency: Some(n),
                request_rate: None,
                request_rate_mode: None,
            },
        )),
        BenchLoad::Rate {
            rate,
            mode,
            max_in_flight,
        } => {
            let pattern =
                ArrivalPattern::new(mode, None).map_err(|e| BenchError::Invalid(e.to_string()))?;
            let arrivals = Arrivals::new(rate, pattern, seed)
                .map_err(|e| BenchError::Invalid(e.to_string()))?;
            Ok((
                LoadMode::OpenLoop {
                    arrivals: Box::new(arrivals),
                    max_in_flight,
                },
                LoadEcho {
                    concurrency: max_in_flight,
                    request_rate: Some(rate),
                    request_rate_mode: Some(mode),
                },
            ))
        }
    }
}
