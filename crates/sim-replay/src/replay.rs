//! One offline replay from dataset to exports: the dataset built as `loadgen` builds it
//! (loadgen-core's readers and fixed-schedule options), simulated, and written as the files a
//! real `loadgen` run writes (`profile_export.jsonl`, `profile_export_aiperf.json` / `.csv`,
//! `server_metrics_export.json` / `.csv` with each engine's prefix-cache counters).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use servebench_loadgen_core::profile::{
    DatasetEcho, InputEcho, LoadEcho, ProfileConfig, benchmark_id, input_config, run_info,
};
use servebench_loadgen_core::replay::{DatasetError, DatasetSpec, build_dataset};
use servebench_loadgen_core::server_metrics::{EndpointMetrics, MetricType, Sample, ServerMetrics};
use servebench_loadgen_core::{DatasetEntry, EndpointConfig, EndpointKind, RunConfig};
use servebench_metrics::{
    Aggregator, AggregatorConfig, DEFAULT_EXACT_SAMPLE_CAP, ExportContext, JSONL_FILE,
    MetricOptions, RecordJsonlWriter, RecordMetrics, RunClock, Summary, commit_partial,
    partial_path, write_summary_exports,
};
use servebench_mocker::{EngineMetrics, EngineRole, EngineSlot};
use servebench_tokenize::Tokenizer;

use crate::prompts::PromptTokens;
use crate::sim::{SimConfig, SimError, SimLoad, SimReport, simulate};

/// The URL named in the exports for the simulated cluster.
pub const SIMULATED_URL: &str = "sim://virtual-cluster";

/// AIPerf's request count when neither a count nor the dataset gives one.
const DEFAULT_REQUEST_COUNT: u64 = 10;

/// One offline replay as plain data.
#[derive(Debug, Clone)]
pub struct Replay {
    /// Engines, router, layout, output length and request limit.
    pub sim: SimConfig,
    /// The dataset, exactly as `loadgen`'s flags describe it (a file with timestamps replays on
    /// its fixed schedule, with its speed-up and offsets).
    pub dataset: DatasetSpec,
    /// Closed-loop users when the dataset has no schedule (AIPerf `--concurrency`, 1).
    pub concurrency: usize,
    /// Counts and renders prompts (use the mocker's tokenizer choice).
    pub tokenizer: Arc<dyn Tokenizer>,
    /// Where the exports go (created if missing).
    pub artifact_dir: PathBuf,
    /// Model name echoed in the exports.
    pub model: String,
    /// The command line echoed in `run_info.cli_command`.
    pub cli_command: String,
}

/// What a replay produced.
#[derive(Debug)]
pub struct ReplayOutcome {
    /// The metrics, as in `profile_export_aiperf.json`.
    pub summary: Summary,
    /// Requests, virtual duration and engine counters.
    pub report: SimReport,
    /// Whether the dataset was replayed on its fixed schedule.
    pub fixed_schedule: bool,
    /// Where the exports were written.
    pub artifact_dir: PathBuf,
}

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The dataset could not be built.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The simulation could not run.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// An export could not be written.
    #[error("cannot write the exports: {0}")]
    Export(#[from] servebench_metrics::Error),
    /// The artifact directory could not be created.
    #[error("cannot create the artifact directory {}", path.display())]
    ArtifactDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Builds the dataset, simulates it and writes every export.
///
/// # Errors
/// [`ReplayError`]: a dataset that cannot be built, invalid settings, or exports that cannot be
/// written.
pub fn run_replay(replay: &Replay) -> Result<ReplayOutcome, ReplayError> {
    let data = build_dataset(&replay.dataset, &*replay.tokenizer)?;
    let fixed_schedule = data.schedule.is_some();
    let (load, load_echo) = match data.schedule {
        Some(offsets) => (
            SimLoad::Schedule(offsets),
            LoadEcho {
                concurrency: None,
                request_rate: None,
                request_rate_mode: None,
            },
        ),
        None => (
            SimLoad::Concurrency(replay.concurrency),
            LoadEcho {
                concurrency: Some(replay.concurrency),
                request_rate: None,
                request_rate_mode: None,
            },
        ),
    };
    let mut sim = replay.sim.clone();
    if !fixed_schedule {
        sim.request_limit = sim
            .request_limit
            .or(data.default_requests)
            .or(Some(DEFAULT_REQUEST_COUNT));
    }
    let dir = &replay.artifact_dir;
    std::fs::create_dir_all(dir).map_err(|source| ReplayError::ArtifactDir {
        path: dir.clone(),
        source,
    })?;

    let clock = RunClock::start();
    let entries: Arc<[DatasetEntry]> = data.entries.into();
    let jsonl_path = dir.join(JSONL_FILE);
    let jsonl_partial = partial_path(&jsonl_path);
    let mut jsonl = RecordJsonlWriter::create(&jsonl_partial, clock)?;
    let mut aggregator = Aggregator::new(AggregatorConfig {
        streaming: true,
        produces_tokens: true,
        goodput: None,
        exact_sample_cap: DEFAULT_EXACT_SAMPLE_CAP,
    });
    // Token counts come from the simulated server's usage (no texts to re-tokenize).
    let options = MetricOptions {
        use_server_token_count: true,
    };
    let mut prompts = PromptTokens::new(Arc::clone(&replay.tokenizer));
    let mut write_error = None;
    let report = simulate(&sim, &entries, &load, &mut prompts, &mut |record| {
        let metrics = RecordMetrics::compute(&record, &*replay.tokenizer, &options);
        if let Err(e) = jsonl.write(&record, &metrics) {
            write_error.get_or_insert(e);
        }
        aggregator.push(&record, &metrics);
    })?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    jsonl.flush()?;
    drop(jsonl);
    commit_partial(&jsonl_partial, &jsonl_path)?;

    let summary = aggregator.summary(&clock);
    let mut context = ExportContext::new(
        benchmark_id(&clock),
        echo(
            replay,
            &entries,
            &data.echo,
            load_echo,
            fixed_schedule,
            clock,
        ),
    );
    context.run_info = run_info(&context.benchmark_id, data.seed, &replay.cli_command);
    context.run_info["simulated"] = true.into();
    context
        .extra_sections
        .push(("simulation".into(), simulation_section(&sim, &report)));
    write_summary_exports(dir, &summary, &context)?;
    server_metrics(&report, &replay.model).write(dir)?;
    Ok(ReplayOutcome {
        summary,
        report,
        fixed_schedule,
        artifact_dir: dir.clone(),
    })
}

/// `input_config`, as loadgen-core echoes it, for a streamed completions endpoint at the
/// simulated cluster.
fn echo(
    replay: &Replay,
    entries: &Arc<[DatasetEntry]>,
    datasets: &Value,
    load: LoadEcho,
    fixed_schedule: bool,
    clock: RunClock,
) -> Value {
    let mut endpoint = EndpointConfig::new(EndpointKind::Completions, &replay.model);
    endpoint.streaming = true;
    let run = RunConfig::new(clock, vec![SIMULATED_URL.into()], endpoint);
    let mut config = ProfileConfig::new(
        run,
        Arc::clone(entries),
        Arc::clone(&replay.tokenizer),
        replay.artifact_dir.clone(),
    );
    config.fixed_schedule = fixed_schedule;
    config.metric_options = MetricOptions {
        use_server_token_count: true,
    };
    input_config(
        &config,
        &InputEcho {
            dataset: DatasetEcho::Described(datasets),
            load,
            goodput: None,
        },
    )
}

fn role_name(role: EngineRole) -> &'static str {
    match role {
        EngineRole::Aggregated => "aggregated",
        EngineRole::Prefill => "prefill",
        EngineRole::Decode => "decode",
    }
}

/// The `simulation` section: the cluster's shape and each engine's reuse.
fn simulation_section(sim: &SimConfig, report: &SimReport) -> Value {
    let engines: Vec<Value> = report
        .engines
        .iter()
        .enumerate()
        .map(|(i, (slot, m))| {
            json!({
                "engine": i,
                "role": role_name(slot.role),
                "worker": slot.worker,
                "dp_rank": slot.dp_rank,
                "prefix_cache_hit_tokens": m.prefix_cache_hits_tokens,
                "prefix_cache_query_tokens": m.prefix_cache_queries_tokens,
                "prompt_tokens": m.prompt_tokens_total,
                "generation_tokens": m.generation_tokens_total,
                "preemptions": m.preemptions_total,
                "steps": m.steps_total,
            })
        })
        .collect();
    let disagg = sim.layout.disagg.as_ref().map(|d| {
        json!({
            "prefill_workers": d.prefill_workers,
            "decode_workers": sim.pool.num_workers,
            "kv_bytes_per_token": d.kv_bytes_per_token,
            "transfer_bandwidth_bytes_per_s": d.transfer_bandwidth,
        })
    });
    json!({
        "virtual_duration_s": report.duration.as_secs_f64(),
        "requests": report.requests,
        "workers": sim.pool.num_workers,
        "data_parallel_size": sim.layout.data_parallel_size,
        "disaggregated": disagg,
        "engines": engines,
    })
}

/// Reads one counter of an engine's snapshot.
type Counter = fn(&EngineMetrics) -> u64;

/// The engines' counters as one scrape at the start (zeros) and one at the end, in vLLM's names
/// with an `engine` label, so `server_metrics_export.*` read as after a real run.
fn server_metrics(report: &SimReport, model: &str) -> ServerMetrics {
    let sample = |name: &str, slot: &EngineSlot, engine: usize, value: f64| {
        let mut labels = BTreeMap::new();
        labels.insert("engine".to_owned(), engine.to_string());
        labels.insert("model_name".to_owned(), model.to_owned());
        labels.insert("role".to_owned(), role_name(slot.role).to_owned());
        labels.insert("worker".to_owned(), slot.worker.to_string());
        labels.insert("dp_rank".to_owned(), slot.dp_rank.to_string());
        Sample {
            name: name.to_owned(),
            labels,
            value,
            kind: MetricType::Counter,
        }
    };
    let counters: [(&str, Counter); 6] = [
        ("vllm:prefix_cache_hits_total", |m| {
            m.prefix_cache_hits_tokens
        }),
        ("vllm:prefix_cache_queries_total", |m| {
            m.prefix_cache_queries_tokens
        }),
        ("vllm:prompt_tokens_total", |m| m.prompt_tokens_total),
        ("vllm:generation_tokens_total", |m| {
            m.generation_tokens_total
        }),
        ("vllm:num_preemptions_total", |m| m.preemptions_total),
        ("vllm:request_success_total", |m| m.requests_finished_total),
    ];
    let scrape = |end: bool| -> Vec<Sample> {
        let mut out = Vec::new();
        for (name, get) in counters {
            for (i, (slot, m)) in report.engines.iter().enumerate() {
                let v = if end { get(m) as f64 } else { 0.0 };
                out.push(sample(name, slot, i, v));
            }
        }
        out
    };
    let end_s = report.duration.max(Duration::from_nanos(1)).as_secs_f64();
    ServerMetrics {
        endpoints: vec![EndpointMetrics {
            url: format!("{SIMULATED_URL}/metrics"),
            snapshots: vec![(0.0, scrape(false)), (end_s, scrape(true))],
            errors: Vec::new(),
        }],
    }
}
