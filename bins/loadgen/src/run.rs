//! The whole `loadgen` run: compose, execute, report, exit code.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use servebench_loadgen_core::profile::{LiveProgress, ProfileConfig, profile};
use servebench_loadgen_core::{CancelHandle, LoadMode, RunConfig};
use servebench_metrics::{Goodput, MetricOptions, RunClock};
use servebench_tokenize::TokenizerSpec;

use crate::args::Args;
use crate::embedded::EmbeddedEngine;
use crate::{compose, console, signals, ui, workload};

/// Every request failed.
const EXIT_ALL_FAILED: u8 = 1;
/// Bad flags or a run that could not start.
pub(crate) const EXIT_USAGE: u8 = 2;
/// The client was too slow to measure accurately (see `client_health`).
const EXIT_CLIENT_SATURATED: u8 = 3;
/// Interrupted (the exports were written, marked `was_cancelled`).
const EXIT_INTERRUPTED: u8 = 130;

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let spec: TokenizerSpec = args.tokenizer.parse().unwrap_or_default();
    let tokenizer = servebench_tokenize::load(&spec).with_context(|| {
        format!(
            "failed to load tokenizer {spec} (servebench works offline: give `builtin` or the \
             path of a local tokenizer.json or of the directory holding it; hub ids are not \
             downloaded)"
        )
    })?;
    let goodput = args
        .goodput
        .as_deref()
        .map(Goodput::parse)
        .transpose()
        .context("invalid --goodput")?;

    let embedded = if args.urls.is_empty() {
        let engine = EmbeddedEngine::start(args.mocker_speedup_ratio, &args.model, spec.clone())?;
        eprintln!(
            "loadgen: no --url: benchmarking the embedded simulated engine at {} (Dynamo mocker \
             timing, speed-up {})",
            engine.url(),
            args.mocker_speedup_ratio
        );
        Some(engine)
    } else {
        None
    };
    let urls = match &embedded {
        Some(e) => vec![e.url().to_owned()],
        None => args.urls.clone(),
    };

    let streaming = compose::streaming(&args, embedded.is_some());
    let endpoint = compose::endpoint(&args, streaming)?;
    let prepare_start = std::time::Instant::now();
    let data = workload::build(&args, &*tokenizer)?;
    let prepared_in = prepare_start.elapsed();
    let seed = data.seed;
    let fixed_schedule = data.schedule.is_some();
    let load = match data.schedule {
        Some(offsets) => LoadMode::OpenLoop {
            arrivals: Box::new(offsets.into_iter()),
            max_in_flight: args.concurrency,
        },
        None => match (args.replay.user_centric_rate, args.replay.num_users) {
            (Some(rate), Some(users)) => {
                if !(rate.is_finite() && rate > 0.0) || users == 0 {
                    anyhow::bail!("--user-centric-rate must be > 0 and --num-users at least 1");
                }
                LoadMode::Concurrency(users)
            }
            _ => compose::load_mode(&args, seed)?,
        },
    };
    let mut stop = compose::stop_condition(&args)?;
    if args.request_count.is_none()
        && args.benchmark_duration.is_none()
        && let Some(n) = data.default_requests
    {
        stop.request_count = Some(n);
    }
    if fixed_schedule {
        // A schedule sends each of its entries once.
        let entries = data.entries.len() as u64;
        stop.request_count = Some(stop.request_count.map_or(entries, |n| n.min(entries)));
    }
    let artifact_dir = workload::artifact_dir(&args, &endpoint, fixed_schedule)
        .unwrap_or_else(|| compose::artifact_dir(&args, &endpoint));

    let clock = RunClock::start();
    let mut run_config = RunConfig::new(clock, urls.clone(), endpoint.clone());
    run_config.stop = stop;
    run_config.request_timeout = compose::request_timeout(&args)?;
    run_config.warmup_requests = args.warmup_request_count;
    run_config.http2 = args.http2;
    run_config.sampling = data.sampling;
    run_config.sampling_seed = seed;
    run_config.user_pacing = args
        .replay
        .user_centric_rate
        .zip(args.replay.num_users)
        .map(|(rate, users)| std::time::Duration::try_from_secs_f64(users as f64 / rate))
        .transpose()
        .context("--user-centric-rate is too small for --num-users")?;

    let benchmark_id = format!(
        "{:016x}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    );
    let mut config = ProfileConfig::new(
        run_config,
        data.entries.into(),
        Arc::clone(&tokenizer),
        artifact_dir.clone(),
    );
    config.metric_options = MetricOptions {
        use_server_token_count: args.use_server_token_count,
    };
    config.goodput = goodput;
    config.measure_process_cpu = embedded.is_none();
    config.fixed_schedule = fixed_schedule;
    config.input_config = compose::input_config(
        &args,
        &urls,
        &endpoint,
        &stop,
        seed,
        tokenizer.name(),
        &artifact_dir,
    );
    config.input_config["datasets"] = data.echo;
    if fixed_schedule {
        config.input_config["phases"][1]["type"] = "fixed_schedule".into();
    }
    config.run_info = compose::run_info(&benchmark_id, seed);
    config.benchmark_id = benchmark_id;

    eprintln!(
        "loadgen: {} {} requests to {} ({} tokenizer, {}, seed {seed}); exports in {}",
        match &load {
            _ if fixed_schedule => format!(
                "fixed schedule (speed-up {}):",
                args.replay.fixed_schedule_speedup
            ),
            LoadMode::Concurrency(n) => format!("concurrency {n}:"),
            LoadMode::OpenLoop { .. } => format!(
                "request rate {}/s ({:?}):",
                args.request_rate.unwrap_or_default(),
                args.request_rate_mode
            ),
        },
        stop.request_count
            .map_or_else(|| "timed".to_owned(), |n| n.to_string()),
        urls.join(", "),
        tokenizer.name(),
        match &args.replay.input_file {
            Some(path) => format!(
                "dataset {} prepared in {:.3} s",
                path.display(),
                prepared_in.as_secs_f64()
            ),
            None => format!("ISL {} tokens", args.isl),
        },
        artifact_dir.display()
    );

    let live = Arc::new(LiveProgress::new(Arc::clone(&config.run.progress)));
    let total = stop.request_count.map(|n| n + args.warmup_request_count);
    let progress = ui::Progress::start(args.ui, Arc::clone(&live), total);
    let cancel = CancelHandle::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to build the client runtime")?;
    let outcome = runtime.block_on(async {
        signals::watch(cancel.clone());
        profile(config, load, cancel, live).await
    });
    progress.finish();
    drop(embedded);
    let outcome = outcome?;

    print!("{}", console::render(&outcome));
    if let Some(e) = &outcome.jsonl_error {
        eprintln!("loadgen: warning: profile_export.jsonl is incomplete: {e}");
    }
    let p = &outcome.report.profiling;
    if outcome.report.was_cancelled {
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if p.records > 0 && p.succeeded == 0 {
        eprintln!("loadgen: every request failed ({} errors)", p.failed());
        return Ok(ExitCode::from(EXIT_ALL_FAILED));
    }
    if outcome.verdict.saturated {
        if args.allow_client_saturation {
            eprintln!("loadgen: client saturated (allowed by --allow-client-saturation)");
        } else {
            eprintln!(
                "loadgen: exiting with status {EXIT_CLIENT_SATURATED}: the client was saturated \
                 (pass --allow-client-saturation to accept these numbers)"
            );
            return Ok(ExitCode::from(EXIT_CLIENT_SATURATED));
        }
    }
    Ok(ExitCode::SUCCESS)
}
