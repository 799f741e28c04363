//! One benchmark run from dataset to exports.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use servebench_metrics::{
    Aggregator, AggregatorConfig, DEFAULT_EXACT_SAMPLE_CAP, ExportContext, Goodput, INPUTS_FILE,
    InputsJsonWriter, JSONL_FILE, Metric, MetricOptions, Summary, commit_partial, partial_path,
    session_id, write_summary_exports,
};
use servebench_tokenize::Tokenizer;

use super::error::ProfileError;
use super::error_rate::ErrorRate;
use super::progress::LiveProgress;
use super::verdict::{ClientVerdict, SaturationThresholds, VerdictInput, assess};
use super::{cpu, processor};
use crate::{
    CancelHandle, DatasetEntry, EndpointKind, LoadMode, RunConfig, RunReport, build_body,
    check_run, run,
};

/// Everything a benchmark run needs besides its load mode.
#[derive(Debug, Clone)]
pub struct ProfileConfig {
    /// The runner's configuration (its clock stamps everything).
    pub run: RunConfig,
    /// The prompts, used round-robin.
    pub dataset: Arc<[DatasetEntry]>,
    /// Counts output tokens (and was used to size the prompts).
    pub tokenizer: Arc<dyn Tokenizer>,
    /// How token counts are taken.
    pub metric_options: MetricOptions,
    /// SLOs for goodput.
    pub goodput: Option<Goodput>,
    /// Exact samples kept per metric before the bounded histogram takes over.
    pub exact_sample_cap: usize,
    /// Where the exports go (created if missing).
    pub artifact_dir: PathBuf,
    /// Benchmark id for the exports.
    pub benchmark_id: String,
    /// The configuration echo (`input_config`).
    pub input_config: Value,
    /// `run_info`.
    pub run_info: Value,
    /// When the client counts as saturated.
    pub thresholds: SaturationThresholds,
    /// Report the process's CPU time as the client's. Turn off when the process also hosts the
    /// server (the embedded engine), whose CPU would be counted as the client's.
    pub measure_process_cpu: bool,
    /// The load is a fixed-schedule trace replay: the summary gets AIPerf's
    /// `replay_sched_lag_p50/p90/p99` and `replay_sched_degraded`.
    pub fixed_schedule: bool,
    /// Live state of the run for a progress display; built by [`ProfileConfig::new`] from
    /// `run.progress`.
    pub progress: Arc<LiveProgress>,
}

impl ProfileConfig {
    /// A configuration with default metric options, no goodput, default thresholds and empty
    /// echoes.
    pub fn new(
        run: RunConfig,
        dataset: Arc<[DatasetEntry]>,
        tokenizer: Arc<dyn Tokenizer>,
        artifact_dir: PathBuf,
    ) -> Self {
        Self {
            dataset,
            tokenizer,
            metric_options: MetricOptions::default(),
            goodput: None,
            exact_sample_cap: DEFAULT_EXACT_SAMPLE_CAP,
            artifact_dir,
            benchmark_id: String::from("servebench"),
            input_config: Value::Object(Default::default()),
            run_info: Value::Object(Default::default()),
            thresholds: SaturationThresholds::default(),
            measure_process_cpu: true,
            fixed_schedule: false,
            progress: Arc::new(LiveProgress::new(Arc::clone(&run.progress))),
            run,
        }
    }
}

/// What a finished (or cancelled) run produced.
#[derive(Debug)]
pub struct ProfileOutcome {
    /// The metrics.
    pub summary: Summary,
    /// The runner's counts and client-health measurements.
    pub report: RunReport,
    /// Whether the client was too late to trust the numbers.
    pub verdict: ClientVerdict,
    /// The profiling failures split by who caused them.
    pub error_rate: ErrorRate,
    /// Where the exports were written.
    pub artifact_dir: PathBuf,
    /// Lines written to `profile_export.jsonl`.
    pub jsonl_lines: u64,
    /// A JSONL write failure, if one happened (the summary exports are still complete).
    pub jsonl_error: Option<String>,
}

/// Runs a benchmark and writes every export. The endpoint is checked first ([`check_run`]):
/// a URL that cannot work fails before any file is written. Then `inputs.json`, then
/// `profile_export.jsonl` as each request finishes (streamed to `profile_export.jsonl.partial`,
/// renamed into place after the last record, so a hard-killed run keeps its records in the
/// `.partial` file), then `profile_export_aiperf.json` and `.csv`. Every export is written to a
/// `.partial` sidecar and renamed into place when complete. A cancelled run (see
/// [`CancelHandle`]) still writes all of them, with `was_cancelled: true`.
///
/// # Errors
/// A configuration the runner rejects, or exports that cannot be written.
pub async fn profile(
    config: ProfileConfig,
    load: LoadMode,
    cancel: CancelHandle,
) -> Result<ProfileOutcome, ProfileError> {
    // Nothing is written for a configuration that cannot work.
    check_run(&config.run, &config.dataset, &load).await?;
    let dir = config.artifact_dir.clone();
    std::fs::create_dir_all(&dir).map_err(|source| ProfileError::ArtifactDir {
        path: dir.clone(),
        source,
    })?;
    write_inputs(&config)?;

    let endpoint = &config.run.endpoint;
    let aggregator = Aggregator::new(AggregatorConfig {
        streaming: endpoint.streams(),
        produces_tokens: endpoint.kind != EndpointKind::Embeddings,
        goodput: config.goodput.clone(),
        exact_sample_cap: config.exact_sample_cap,
    });
    let uncapped_open_loop = matches!(
        load,
        LoadMode::OpenLoop {
            max_in_flight: None,
            ..
        }
    );
    let clock = config.run.clock;
    let (sender, receiver) = std::sync::mpsc::channel();
    // Streamed to the sidecar during the run (a hard-killed run keeps its records there) and
    // renamed into place once the last record is in, also after a cancel.
    let jsonl_path = dir.join(JSONL_FILE);
    let jsonl_partial = partial_path(&jsonl_path);
    let worker = processor::spawn(
        receiver,
        aggregator,
        Arc::clone(&config.tokenizer),
        config.metric_options,
        &jsonl_partial,
        clock,
        Arc::clone(&config.progress),
    )?;

    let cpu_before = cpu::process_cpu_time();
    let wall_start = Instant::now();
    let report = run(
        config.run.clone(),
        Arc::clone(&config.dataset),
        load,
        sender,
        cancel,
    )
    .await;
    let wall = wall_start.elapsed();
    let cpu_used = cpu::process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before))
        .filter(|_| config.measure_process_cpu);
    // The runner dropped its sender when it returned, so the thread ends after the last record.
    let processed = tokio::task::spawn_blocking(move || worker.join())
        .await
        .map_err(|e| ProfileError::Processor(e.to_string()))?
        .map_err(|_| ProfileError::Processor("the thread panicked".into()))?;
    let report = report?;
    let mut processed = processed;
    if processed.jsonl_error.is_none()
        && let Err(e) = std::fs::rename(&jsonl_partial, &jsonl_path)
    {
        // The records stay in the sidecar: nothing is deleted.
        processed.jsonl_error = Some(format!(
            "cannot rename {} to {}: {e}",
            jsonl_partial.display(),
            jsonl_path.display()
        ));
    }

    let summary = processed.aggregator.summary(&clock);
    let streaming = config.run.endpoint.streams();
    let reference_latency = if streaming {
        summary
            .profiling
            .stats(Metric::TimeToFirstToken)
            .map(|s| ("TTFT", s.p50))
    } else {
        summary
            .profiling
            .stats(Metric::RequestLatency)
            .map(|s| ("request latency", s.p50))
    };
    let client_resource_errors = report
        .profiling
        .errors
        .iter()
        .filter(|(kind, _)| kind.is_client_side())
        .map(|(_, count)| count)
        .sum();
    let verdict = assess(VerdictInput {
        health: &report.health,
        uncapped_open_loop,
        process_cpu: cpu_used,
        wall,
        thresholds: config.thresholds,
        reference_latency,
        client_errors: client_resource_errors,
    });
    let error_rate = ErrorRate::of(&report.profiling, verdict.saturated);
    let mut context = ExportContext::new(config.benchmark_id.clone(), config.input_config.clone());
    context.run_info = config.run_info.clone();
    context.was_cancelled = report.was_cancelled;
    if report.was_cancelled {
        context.incomplete_reason = Some("cancelled by the user".into());
    } else if let Some(e) = &processed.jsonl_error {
        context.incomplete_reason = Some(format!("profile_export.jsonl is incomplete: {e}"));
    }
    context
        .extra_sections
        .push(("client_health".into(), verdict.details.clone()));
    if config.fixed_schedule {
        context
            .extra_sections
            .extend(super::replay_lag::sections(&report.health.send_lag.stats()));
    }
    context
        .extra_sections
        .push(("error_attribution".into(), error_rate.to_json()));
    write_summary_exports(&dir, &summary, &context).map_err(ProfileError::Summary)?;
    Ok(ProfileOutcome {
        summary,
        report,
        verdict,
        error_rate,
        artifact_dir: dir,
        jsonl_lines: processed.jsonl_lines,
        jsonl_error: processed.jsonl_error,
    })
}

/// `inputs.json`: the exact body of every dataset entry, one session per entry, or per
/// multi-turn session with one payload per turn (as the dataset gives it: the replies a turn
/// will carry are not known before the run).
fn write_inputs(config: &ProfileConfig) -> Result<(), ProfileError> {
    let path = config.artifact_dir.join(INPUTS_FILE);
    let partial = partial_path(&path);
    let written = write_inputs_to(config, &partial);
    if written.is_err() {
        // The sidecar is this run's own file: never left behind.
        let _ = std::fs::remove_file(&partial);
    }
    written?;
    commit_partial(&partial, &path)?;
    Ok(())
}

fn write_inputs_to(config: &ProfileConfig, partial: &std::path::Path) -> Result<(), ProfileError> {
    let mut inputs = InputsJsonWriter::create(partial)?;
    let mut pending: Option<(u64, Vec<Value>)> = None;
    for (i, entry) in config.dataset.iter().enumerate() {
        let payload = build_body(&config.run.endpoint, entry);
        let number = entry.session().map_or(i as u64, |s| s.session);
        match &mut pending {
            Some((current, payloads)) if *current == number && entry.session().is_some() => {
                payloads.push(payload);
            }
            _ => {
                if let Some((done, payloads)) = pending.take() {
                    inputs.write_session(&session_id(done), &payloads)?;
                }
                pending = Some((number, vec![payload]));
            }
        }
    }
    if let Some((done, payloads)) = pending {
        inputs.write_session(&session_id(done), &payloads)?;
    }
    inputs.finish()?;
    Ok(())
}
