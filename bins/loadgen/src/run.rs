//! The whole `loadgen` run: compose, execute, report, exit code.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use servebench_loadgen_core::profile::{LiveProgress, ProfileConfig, profile};
use servebench_loadgen_core::prompts::synthesize;
use servebench_loadgen_core::server_metrics::Collector;
use servebench_loadgen_core::{CancelHandle, RunConfig};
use servebench_metrics::{Goodput, MetricOptions, RunClock};
use servebench_tokenize::{LoadOptions, TokenizerSpec};

use crate::args::Args;
use crate::embedded::EmbeddedEngine;
use crate::{
    compose, console, export_names, server_metrics, signals, timeslices, tokenizer_choice, ui,
};

/// Every request failed.
const EXIT_ALL_FAILED: u8 = 1;
/// Bad flags or a run that could not start.
pub(crate) const EXIT_USAGE: u8 = 2;
/// The client was too slow to measure accurately (see `client_health`).
const EXIT_CLIENT_SATURATED: u8 = 3;
/// Interrupted (the exports were written, marked `was_cancelled`).
const EXIT_INTERRUPTED: u8 = 130;

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    for notice in args.ignored.notices() {
        eprintln!("{notice}");
    }
    let load_options = LoadOptions {
        revision: args.tokenizer_revision.clone(),
        ..LoadOptions::default()
    };
    let model = compose::first_model(&args);
    let chosen = tokenizer_choice::choose(args.tokenizer.as_deref(), &model, &load_options)?;
    // servebench's own default model name needs no remark about placeholders.
    if let Some(notice) = &chosen.notice
        && !(args.tokenizer.is_none() && args.model == "servebench-mock")
    {
        eprintln!("{notice}");
    }
    let tokenizer = Arc::clone(&chosen.tokenizer);
    let goodput = args
        .goodput
        .as_deref()
        .map(Goodput::parse)
        .transpose()
        .context("invalid --goodput")?;

    let embedded = if args.urls.is_empty() {
        let engine = EmbeddedEngine::start(
            args.mocker_speedup_ratio,
            &model,
            TokenizerSpec::shared(Arc::clone(&tokenizer)),
        )?;
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
    let mut data =
        synthesize(&compose::dataset(&args), &*tokenizer).context("failed to build the dataset")?;
    if args.apply_chat_template
        && let Some(notice) = tokenizer_choice::apply_chat_template(&chosen, &mut data.entries)
            .context("--apply-chat-template")?
    {
        eprintln!("{notice}");
    }
    let seed = data.seed;
    let load = compose::load_mode(&args, seed)?;
    let stop = compose::stop_condition(&args)?;
    let artifact_dir = compose::artifact_dir(&args, &endpoint);

    let clock = RunClock::start();
    let mut run_config = RunConfig::new(clock, urls.clone(), endpoint.clone());
    run_config.stop = stop;
    run_config.request_timeout = compose::request_timeout(&args)?;
    run_config.warmup_requests = args.warmup_request_count;
    run_config.warmup_duration = match args.warmup_duration {
        Some(d) if !(d.is_finite() && d > 0.0) => {
            anyhow::bail!("--warmup-duration must be > 0 seconds")
        }
        d => d.map(std::time::Duration::from_secs_f64),
    };
    run_config.http2 = args.http2;
    run_config.models = compose::model_choice(&args, seed);
    run_config.cancellation = compose::cancellation(&args, seed)?;
    if args.request_rate.is_some() && args.concurrency_ramp_duration.is_some() {
        anyhow::bail!(
            "--concurrency-ramp-duration ramps the closed loop; with --request-rate use \
             --request-rate-ramp-duration"
        );
    }
    if args.request_rate.is_none() && args.request_rate_ramp_duration.is_some() {
        anyhow::bail!("--request-rate-ramp-duration needs --request-rate");
    }
    run_config.concurrency_ramp = compose::seconds(
        args.concurrency_ramp_duration,
        "--concurrency-ramp-duration",
    )?;

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
    config.input_config = compose::input_config(
        &args,
        &urls,
        &endpoint,
        &stop,
        seed,
        tokenizer.name(),
        &artifact_dir,
    );
    config.run_info = compose::run_info(&benchmark_id, seed);
    config.benchmark_id = benchmark_id;

    eprintln!(
        "loadgen: {} {} requests to {} ({} tokenizer, ISL {} tokens, seed {seed}); exports in {}",
        match &load {
            servebench_loadgen_core::LoadMode::Concurrency(n) => format!("concurrency {n}:"),
            servebench_loadgen_core::LoadMode::OpenLoop { .. } => format!(
                "request rate {}/s ({:?}):",
                args.request_rate.unwrap_or_default(),
                args.request_rate_mode
            ),
        },
        stop.request_count
            .map_or_else(|| "timed".to_owned(), |n| n.to_string()),
        urls.join(", "),
        tokenizer.name(),
        args.isl,
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
    let scrape = server_metrics::plan(&args, &urls)?;
    let slice_seconds = compose::seconds(args.slice_duration, "--slice-duration")?;
    let slice_seconds = slice_seconds.map(|d| d.as_secs_f64());
    let export_base = args
        .profile_export_prefix
        .as_deref()
        .map(export_names::base)
        .transpose()?;
    let (outcome, scraped) = runtime.block_on(async {
        signals::watch(cancel.clone());
        let collector = match scrape {
            Some((urls, every)) => Some(Collector::start(urls, every).await),
            None => None,
        };
        let outcome = profile(config, load, cancel, live).await;
        let scraped = match collector {
            Some(c) => Some(c.finish().await),
            None => None,
        };
        (outcome, scraped)
    });
    progress.finish();
    drop(embedded);
    let outcome = outcome?;

    print!("{}", console::render(&outcome));
    if let Some(scraped) = &scraped {
        server_metrics::report(scraped, &artifact_dir);
    }
    if let Some(seconds) = slice_seconds {
        match timeslices::write(&artifact_dir, seconds) {
            Ok(n) => println!(
                "Time slices: {n} of {seconds} s in {}",
                timeslices::JSON_FILE
            ),
            Err(e) => eprintln!("loadgen: warning: time-sliced export not written: {e:#}"),
        }
    }
    if let Some(base) = &export_base {
        export_names::apply(&artifact_dir, base)?;
    }
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
