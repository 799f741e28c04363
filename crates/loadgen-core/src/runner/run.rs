//! The entry point: validate, warm up, profile, supervise stop/grace/cancel, report.

use std::sync::mpsc::Sender;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use servebench_metrics::{MonoNs, Phase, RequestRecord};

use super::cancel::CancelHandle;
use super::config::{LoadMode, RunConfig};
use super::context::{PhaseSummary, RunContext};
use super::health::{ClientHealth, EventLoopProbe};
use super::issuers::{OpenLoop, start_closed_loop, start_open_loop, start_renderer};
use super::phase::PhaseRun;
use super::sessions::{Sessions, start_sessions};
use crate::client::HttpClient;
use crate::dataset::DatasetEntry;
use crate::error::RunConfigError;
use crate::replay::EntrySampler;
use crate::request_body::body_bytes;

/// What a run did (the per-request measurements went to the sink).
#[derive(Debug, Clone)]
pub struct RunReport {
    /// When the warm-up phase started (or the profiling phase, without warm-up).
    pub run_start_ns: MonoNs,
    /// When the profiling phase started: the origin of open-loop offsets.
    pub profiling_start_ns: MonoNs,
    /// When the profiling phase ended (all its records delivered).
    pub profiling_end_ns: MonoNs,
    /// Whether the run was cancelled through its [`CancelHandle`].
    pub was_cancelled: bool,
    /// Warm-up record counts.
    pub warmup: PhaseSummary,
    /// Profiling record counts.
    pub profiling: PhaseSummary,
    /// Records the sink did not accept (its receiver was dropped).
    pub records_undelivered: u64,
    /// Client-health measurements.
    pub health: ClientHealth,
}

/// Checks everything [`run`] would refuse, and more, before anything is sent or written: the
/// dataset, load mode and stop condition, every base URL (scheme, host, path), the headers, and
/// that every host resolves.
///
/// # Errors
/// The first setting, URL or header that cannot work.
pub async fn check_run(
    config: &RunConfig,
    dataset: &[DatasetEntry],
    load: &LoadMode,
) -> Result<(), RunConfigError> {
    validate(config, dataset, load)?;
    HttpClient::new(
        config.clock,
        &config.urls,
        &config.endpoint,
        config.http2,
        config.connection_reuse,
    )?
    .resolve_all()
    .await
}

/// Runs a benchmark: warm-up (if configured), then the profiling phase under `load`, sending
/// every finished [`RequestRecord`] to `sink` as it completes.
///
/// Dataset entries are used round-robin (profiling request `k` of the phase sends entry
/// `k % len`, its `session_index`); base URLs round-robin by the run-wide request index
/// (`url_index`). Request failures never make this function fail: they are records with an
/// error. It returns `Err` only for an invalid configuration, before anything is sent.
///
/// Must be called inside a tokio runtime (multi-threaded recommended); the sink is never
/// blocked on.
pub async fn run(
    config: RunConfig,
    dataset: Arc<[DatasetEntry]>,
    load: LoadMode,
    sink: Sender<RequestRecord>,
    cancel: CancelHandle,
) -> Result<RunReport, RunConfigError> {
    let users = validate(&config, &dataset, &load)?;
    let client = HttpClient::new(
        config.clock,
        &config.urls,
        &config.endpoint,
        config.http2,
        config.connection_reuse,
    )?;
    // One body per dataset entry, for each model a request may name.
    let endpoints: Vec<_> = match &config.models {
        Some(choice) if !choice.models.is_empty() => choice
            .models
            .iter()
            .map(|model| {
                let mut endpoint = config.endpoint.clone();
                endpoint.model.clone_from(model);
                endpoint
            })
            .collect(),
        _ => vec![config.endpoint.clone()],
    };
    let bodies = endpoints
        .iter()
        .map(|endpoint| {
            dataset
                .iter()
                .enumerate()
                .map(|(index, entry)| {
                    if entry.renders_lazily() {
                        // Built when sent: block prompts are too large to keep rendered.
                        return Ok(bytes::Bytes::new());
                    }
                    body_bytes(endpoint, entry)
                        .map_err(|source| RunConfigError::Body { index, source })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let requested = dataset
        .iter()
        .map(|entry| config.endpoint.requested_output_tokens(entry))
        .collect();
    let clock = config.clock;
    let dataset_len = dataset.len();
    let sessions = Sessions::of(&dataset);
    if config.user_pacing.is_some() && matches!(load, LoadMode::OpenLoop { .. }) {
        return Err(RunConfigError::SessionsNeedConcurrency);
    }
    let sampled = sessions.as_ref().map_or(dataset.len(), |s| s.len());
    let sampler = EntrySampler::new(config.sampling, sampled, config.sampling_seed);
    let mut context = RunContext::new(
        clock,
        client,
        dataset,
        bodies,
        requested,
        config.endpoint.streams(),
        config.request_timeout,
        sink,
        Arc::clone(&config.progress),
        config.endpoint.clone(),
        sampler,
    );
    context.models = config.models.clone().filter(|m| !m.models.is_empty());
    context.cancellation = config.cancellation;
    let context = Arc::new(context);

    let runtime = tokio::runtime::Handle::current();
    let probe = EventLoopProbe::start(
        runtime.clone(),
        config.probe_period,
        config.stall_event_loop,
    )?;
    let run_start_ns = clock.now_ns();

    let mut was_cancelled = false;
    if config.warmup_requests > 0 || config.warmup_duration.is_some() {
        let warmup = Arc::new(PhaseRun::new(
            Phase::Warmup,
            (config.warmup_requests > 0).then_some(config.warmup_requests),
            &clock,
        ));
        // A multi-turn dataset warms up with whole sessions (their own turn counters).
        match Sessions::of(&context.dataset) {
            Some(warm_sessions) => {
                start_sessions(&context, &warmup, users.warmup, warm_sessions, None);
            }
            None => start_closed_loop(&context, &warmup, users.warmup, None),
        }
        // In-flight warm-up requests finish after a duration stop (no grace limit but the
        // request timeout), so profiling starts on an idle server.
        was_cancelled = supervise(
            &warmup,
            config.warmup_duration,
            config.request_timeout,
            &cancel,
            config.cancel_grace,
        )
        .await;
    }

    // Bodies rendered at send time are rendered ahead of an open loop's timer, from before the
    // profiling phase (and so its schedule) starts.
    let rendered = match (&load, &sessions) {
        (LoadMode::OpenLoop { .. }, None) if !was_cancelled => start_renderer(&context).await,
        _ => None,
    };
    let profiling = Arc::new(PhaseRun::new(
        Phase::Profiling,
        config.stop.request_count,
        &clock,
    ));
    if was_cancelled || cancel.is_cancelled() {
        was_cancelled = true;
    } else {
        match load {
            LoadMode::Concurrency(n) => match (sessions, config.user_pacing) {
                (Some(sessions), pacing) => {
                    start_sessions(&context, &profiling, n, sessions, pacing)
                }
                (None, Some(gap)) => start_sessions(
                    &context,
                    &profiling,
                    n,
                    Sessions::singles(dataset_len),
                    Some(gap),
                ),
                (None, None) => start_closed_loop(&context, &profiling, n, config.concurrency_ramp),
            },
            LoadMode::OpenLoop {
                arrivals,
                max_in_flight,
            } => start_open_loop(
                &context,
                &profiling,
                OpenLoop {
                    arrivals,
                    max_in_flight,
                    sessions,
                    rendered,
                },
                runtime,
            )?,
        }
        was_cancelled = supervise(
            &profiling,
            config.stop.duration,
            config.stop.grace_period,
            &cancel,
            config.cancel_grace,
        )
        .await;
    }
    let profiling_end_ns = clock.now_ns();
    let event_loop_lag = probe.finish();

    let tally = std::mem::take(&mut *context.tally.lock().unwrap_or_else(PoisonError::into_inner));
    let mut health = tally.health;
    health.event_loop_lag = event_loop_lag;
    Ok(RunReport {
        run_start_ns,
        profiling_start_ns: profiling.start_ns,
        profiling_end_ns,
        was_cancelled,
        warmup: tally.warmup,
        profiling: tally.profiling,
        records_undelivered: tally.undelivered,
        health,
    })
}

struct Users {
    warmup: usize,
}

fn validate(
    config: &RunConfig,
    dataset: &[DatasetEntry],
    load: &LoadMode,
) -> Result<Users, RunConfigError> {
    if dataset.is_empty() {
        return Err(RunConfigError::EmptyDataset);
    }
    if config.endpoint.streaming && !config.endpoint.kind.supports_streaming() {
        return Err(RunConfigError::StreamingUnsupported {
            endpoint: config.endpoint.kind.name(),
        });
    }
    if config.stop.request_count.is_none() && config.stop.duration.is_none() {
        return Err(RunConfigError::NoStopCondition);
    }
    let default_warmup = match load {
        LoadMode::Concurrency(0) => {
            return Err(RunConfigError::ZeroConcurrency {
                what: "concurrency",
            });
        }
        LoadMode::OpenLoop {
            max_in_flight: Some(0),
            ..
        } => {
            return Err(RunConfigError::ZeroConcurrency {
                what: "the in-flight cap",
            });
        }
        LoadMode::Concurrency(n) => *n,
        LoadMode::OpenLoop { max_in_flight, .. } => max_in_flight.unwrap_or(1),
    };
    let warmup = config.warmup_concurrency.unwrap_or(default_warmup);
    if warmup == 0 {
        return Err(RunConfigError::ZeroConcurrency {
            what: "the warm-up concurrency",
        });
    }
    Ok(Users { warmup })
}

/// Waits for a phase to finish, enforcing the duration, grace period and cancellation. Returns
/// whether the run was cancelled.
async fn supervise(
    phase: &PhaseRun,
    duration: Option<Duration>,
    grace: Duration,
    cancel: &CancelHandle,
    cancel_grace: Duration,
) -> bool {
    let stop_at = duration.map(|d| tokio::time::Instant::from_std(phase.start + d));
    let cancelled = tokio::select! {
        () = phase.tracker.idle() => return false,
        () = cancel.cancelled() => true,
        () = sleep_until_some(stop_at) => false,
    };
    phase.stop.raise();
    let (first_grace, reason) = if cancelled {
        (cancel_grace, "the run was cancelled")
    } else {
        (grace, "the benchmark grace period expired")
    };
    let cancelled_in_grace = tokio::select! {
        () = phase.tracker.idle() => return cancelled,
        () = tokio::time::sleep(first_grace) => false,
        () = cancel.cancelled(), if !cancelled => true,
    };
    if cancelled_in_grace {
        tokio::select! {
            () = phase.tracker.idle() => return true,
            () = tokio::time::sleep(cancel_grace) => {}
        }
    }
    phase.abort(if cancelled_in_grace {
        "the run was cancelled"
    } else {
        reason
    });
    phase.tracker.idle().await;
    cancelled || cancelled_in_grace
}

async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
