//! One profiling measurement, run in-process with the flags Dynamo's profiler passes to
//! `aiperf profile` (spec §8.2): a prefill TTFT at one ISL, or a decode ITL and throughput at
//! one (ISL, OSL, concurrency).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use servebench_loadgen_core::bench::{BenchLoad, Benchmark, run_benchmark};
use servebench_loadgen_core::{CancelHandle, EndpointConfig, EndpointKind};
use servebench_metrics::Metric;
use servebench_metrics::PhaseSummary;
use servebench_tokenize::Tokenizer;

use crate::error::ProfilerError;

/// Output length of a prefill measurement (`PREFILL_BENCHMARK_OSL`).
pub const PREFILL_OSL: u64 = 5;
/// Warm-up requests per attention-DP rank (`WARMUP_REQUESTS_PER_RANK`).
pub const WARMUP_PER_RANK: u64 = 3;
/// Requests per DP rank of a DEP prefill measurement (`ATTN_DP_NUM_REQ_RATIO`).
pub const DEP_RATIO: u64 = 4;
/// Flips the seed of a prefill warm-up run so its prompts differ from the measured one's.
const WARMUP_SEED_MASK: u64 = 0x5EED_0000_0000;
/// The default random seed of the aiperf helpers.
pub const DEFAULT_SEED: u64 = 100;

/// The endpoint under test and the client settings every measurement shares.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL (`http://host:port`).
    pub url: String,
    /// Model name sent in every body.
    pub model: String,
    /// Sizes the synthetic prompts.
    pub tokenizer: Arc<dyn Tokenizer>,
    /// Per-request timeout (`--request-timeout-seconds 1800`).
    pub request_timeout: Duration,
    /// Random seed of prefill measurements (aiperf's `--random-seed`, 100; each ISL adds itself).
    pub seed: u64,
    /// Attention data-parallel size (`--attention_dp_size`, 1).
    pub attention_dp_size: u64,
    /// Warm-up requests per attention-DP rank before each prefill measurement (aiperf
    /// `--warmup-request-count`, 3).
    pub warmup_per_rank: u64,
}

impl Target {
    /// A target with the helpers' defaults: 1800 s timeout, seed 100, attention DP 1.
    pub fn new(
        url: impl Into<String>,
        model: impl Into<String>,
        tokenizer: Arc<dyn Tokenizer>,
    ) -> Self {
        Self {
            url: url.into(),
            model: model.into(),
            tokenizer,
            request_timeout: Duration::from_secs(1800),
            seed: DEFAULT_SEED,
            attention_dp_size: 1,
            warmup_per_rank: WARMUP_PER_RANK,
        }
    }

    /// The benchmark of `count` requests of `isl` → `osl` tokens at concurrency `count`-capped
    /// `concurrency`, streaming chat with the output length pinned (`ignore_eos`, min = max).
    fn benchmark(
        &self,
        isl: u64,
        osl: u64,
        concurrency: usize,
        count: u64,
        seed: u64,
        dir: PathBuf,
    ) -> Benchmark {
        let mut endpoint = EndpointConfig::new(EndpointKind::Chat, self.model.clone());
        endpoint.streaming = true;
        endpoint.path = Some("/v1/chat/completions".into());
        let mut extra = Map::new();
        extra.insert("ignore_eos".into(), Value::Bool(true));
        extra.insert("nvext".into(), json!({ "ignore_eos": true }));
        extra.insert("max_tokens".into(), json!(osl));
        extra.insert("min_tokens".into(), json!(osl));
        endpoint.extra_inputs = extra;
        let mut bench = Benchmark::new(
            vec![self.url.clone()],
            endpoint,
            Arc::clone(&self.tokenizer),
            dir,
        );
        let synthetic = &mut bench.dataset.synthetic;
        synthetic.isl_mean = isl;
        synthetic.isl_stddev = 0.0;
        synthetic.osl_mean = Some(osl);
        synthetic.osl_stddev = 0.0;
        synthetic.seed = Some(seed);
        bench.load = BenchLoad::Concurrency(concurrency.max(1));
        bench.request_count = Some(count.max(1));
        bench.warmup_requests = 0;
        bench.request_timeout = self.request_timeout;
        bench.server_metrics_every = None;
        bench.measure_process_cpu = false;
        bench.cli_command = format!(
            "aiperf profile --model {} --url {} --endpoint-type chat --streaming \
             --synthetic-input-tokens-mean {isl} --output-tokens-mean {osl} --concurrency {concurrency} \
             --request-count {count} --random-seed {seed}",
            self.model, self.url
        );
        bench
    }
}

/// A decode measurement: ITL (ms) and output throughput (tokens/s, all GPUs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeSample {
    /// `inter_token_latency.avg`, ms.
    pub itl_ms: f64,
    /// `output_token_throughput.avg`, tokens/s.
    pub output_tps: f64,
}

/// Prefill TTFT (ms) of `isl` input tokens, or `None` when no request succeeded (the point is
/// skipped, as the original skips a failed aiperf run). With attention DP `a > 1`: `4a`
/// concurrent requests and `max TTFT / 4`.
///
/// The 3·a warm-up requests run first as a run of their own into `<artifact_dir>_warmup`, with
/// prompts of another seed: a warm-up that sent the measured prompt would make it a prefix-cache
/// hit. The measured prompt's seed is `seed + isl`, so the ISL points share no prefix either.
///
/// # Errors
/// A benchmark that cannot run (bad settings, exports that cannot be written).
pub async fn prefill_ttft(
    target: &Target,
    isl: u64,
    artifact_dir: &Path,
    cancel: &CancelHandle,
) -> Result<Option<f64>, ProfilerError> {
    let dp = target.attention_dp_size.max(1);
    let (concurrency, count) = if dp > 1 {
        (DEP_RATIO * dp, DEP_RATIO * dp)
    } else {
        (1, 1)
    };
    let concurrency = usize::try_from(concurrency).unwrap_or(usize::MAX);
    // The warm-up requests run first with prompts of their own (another seed), so the measured
    // prompt is not a prefix-cache hit; each ISL gets its own seed for the same reason.
    let seed = target.seed.wrapping_add(isl);
    let warm_dir = sibling(artifact_dir, "_warmup");
    let warmups = target.warmup_per_rank * dp;
    let mut warm = target.benchmark(
        isl,
        PREFILL_OSL,
        concurrency,
        warmups,
        seed ^ WARMUP_SEED_MASK,
        warm_dir.clone(),
    );
    warm.warmup_requests = 0;
    if warmups > 0 {
        run_benchmark(warm, cancel.clone())
            .await
            .map_err(|source| ProfilerError::Benchmark {
                dir: warm_dir,
                source: Box::new(source),
            })?;
    }
    let mut bench = target.benchmark(
        isl,
        PREFILL_OSL,
        concurrency,
        count,
        seed,
        artifact_dir.to_path_buf(),
    );
    bench.warmup_requests = 0;
    let done = run_benchmark(bench, cancel.clone())
        .await
        .map_err(|source| ProfilerError::Benchmark {
            dir: artifact_dir.to_path_buf(),
            source: Box::new(source),
        })?;
    let ttft = done
        .outcome
        .summary
        .profiling
        .stats(Metric::TimeToFirstToken)
        .copied();
    Ok(ttft.map(|s| {
        if dp > 1 {
            s.max / DEP_RATIO as f64
        } else {
            s.avg
        }
    }))
}

/// Decode ITL and throughput of `n` concurrent requests of `isl` → `osl`: a warm-up run into
/// `<artifact_dir>_warmup`, then the measured run with the same seed, so the prompts are the same
/// and their prefill is a prefix-cache hit. `None` when no request of the measured run succeeded.
///
/// # Errors
/// A benchmark that cannot run.
pub async fn decode_point(
    target: &Target,
    isl: u64,
    osl: u64,
    n: usize,
    seed: u64,
    artifact_dir: &Path,
    cancel: &CancelHandle,
) -> Result<Option<DecodeSample>, ProfilerError> {
    let count = n as u64;
    let warm_dir = sibling(artifact_dir, "_warmup");
    let mut warm = target.benchmark(isl, osl, n, count, seed, warm_dir.clone());
    warm.dataset.synthetic.num_entries = n.max(1);
    warm.warmup_requests = 0;
    run_benchmark(warm, cancel.clone())
        .await
        .map_err(|source| ProfilerError::Benchmark {
            dir: warm_dir,
            source: Box::new(source),
        })?;
    let mut bench = target.benchmark(isl, osl, n, count, seed, artifact_dir.to_path_buf());
    bench.dataset.synthetic.num_entries = n.max(1);
    bench.warmup_requests = 0;
    let done = run_benchmark(bench, cancel.clone())
        .await
        .map_err(|source| ProfilerError::Benchmark {
            dir: artifact_dir.to_path_buf(),
            source: Box::new(source),
        })?;
    Ok(decode_sample(&done.outcome.summary.profiling))
}

/// `dir` with `suffix` appended to its last component.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn decode_sample(summary: &PhaseSummary) -> Option<DecodeSample> {
    let itl = summary.stats(Metric::InterTokenLatency)?.avg;
    let tps = summary
        .scalar(Metric::OutputTokenThroughput)
        .or_else(|| summary.stats(Metric::OutputTokenThroughput).map(|s| s.avg))?;
    (itl.is_finite() && tps.is_finite()).then_some(DecodeSample {
        itl_ms: itl,
        output_tps: tps,
    })
}
