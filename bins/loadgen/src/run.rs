//! The whole `loadgen` run: compose, execute, report, exit code.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use servebench_cli_support::exit::{
    self as status, CLIENT_SATURATED, ERROR_RATE, FAILED, INTERRUPTED, OUTPUT_FAILED, WithStatus,
};
use servebench_cli_support::signals::{self, CancelToken, FirstInterrupt};
use servebench_loadgen_core::ArrivalMode;
use servebench_loadgen_core::profile::{
    DatasetEcho, InputEcho, ProfileConfig, benchmark_id, input_config, profile,
};
use servebench_loadgen_core::server_metrics::Collector;
use servebench_loadgen_core::{CancelHandle, LoadMode, RunConfig};
use servebench_metrics::{Goodput, MetricOptions, RunClock};
use servebench_mocker::EmbeddedServer;
use servebench_tokenize::{LoadOptions, TokenizerSpec};

use crate::args::Args;
use crate::{
    compose, console, export_names, limits, media_args, safety, server_metrics, tokenizer_choice,
    ui, workload,
};

/// Test hook: block the client runtime this many milliseconds every 10 ms (see
/// `RunConfig::stall_event_loop`), to test the client-saturation exit end to end.
const STALL_HOOK_VAR: &str = "SERVEBENCH_TEST_STALL_EVENT_LOOP_MS";

/// Printed on the first Ctrl-C / SIGTERM.
const INTERRUPT_MESSAGE: &str =
    "no new requests; waiting briefly for those in flight, then writing the exports";

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.max_error_rate.is_finite() && (0.0..=100.0).contains(&args.max_error_rate)) {
        bail!("--max-error-rate must be a percentage from 0 to 100");
    }
    if !(args.mocker_speedup_ratio.is_finite() && args.mocker_speedup_ratio >= 0.0) {
        bail!("--mocker-speedup-ratio must be a finite number >= 0 (0 = no delays)");
    }
    let open_files = limits::raise_open_files_limit();
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
        let engine = EmbeddedServer::simulated(
            args.mocker_speedup_ratio,
            &model,
            TokenizerSpec::shared(Arc::clone(&tokenizer)),
        )
        .context("failed to start the embedded simulated engine")?;
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
    let mut data = workload::build(&args, &*tokenizer)?;
    if args.apply_chat_template
        && let Some(notice) = tokenizer_choice::apply_chat_template(&chosen, &mut data.entries)
            .context("--apply-chat-template")?
    {
        eprintln!("{notice}");
    }
    let prepared_in = prepare_start.elapsed();
    let seed = data.seed;
    let fixed_schedule = data.schedule.is_some();
    let mut entries = data.entries;
    media_args::augment(&args, &endpoint, &mut entries, &*tokenizer, seed)?;
    let load = match data.schedule {
        Some(offsets) => LoadMode::OpenLoop {
            arrivals: Box::new(offsets.into_iter()),
            max_in_flight: args.concurrency.map(std::num::NonZeroUsize::get),
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
    if !args.http2 {
        let connections = match &load {
            LoadMode::Concurrency(n) => Some(*n),
            LoadMode::OpenLoop { max_in_flight, .. } => *max_in_flight,
        };
        if let Some(connections) = connections {
            limits::check_connections_fit(connections, embedded.is_some(), open_files)?;
        }
    }
    let mut stop = compose::stop_condition(&args)?;
    if args.request_count.is_none()
        && args.benchmark_duration.is_none()
        && let Some(n) = data.default_requests
    {
        stop.request_count = Some(n);
    }
    if fixed_schedule {
        // A schedule sends each of its entries once.
        let entries = entries.len() as u64;
        stop.request_count = Some(stop.request_count.map_or(entries, |n| n.min(entries)));
    }
    let artifact_dir = workload::artifact_dir(&args, &endpoint, fixed_schedule)
        .unwrap_or_else(|| compose::artifact_dir(&args, &endpoint));

    let clock = RunClock::start();
    let mut run_config = RunConfig::new(clock, urls.clone(), endpoint);
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
    run_config.connection_reuse = args.connection_reuse_strategy;
    run_config.sampling = data.sampling;
    run_config.sampling_seed = seed;
    run_config.stall_event_loop = std::env::var(STALL_HOOK_VAR)
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(Duration::from_millis);
    run_config.models = compose::model_choice(&args, seed);
    run_config.cancellation = compose::cancellation(&args, seed)?;
    run_config.user_pacing = args
        .replay
        .user_centric_rate
        .zip(args.replay.num_users)
        .map(|(rate, users)| std::time::Duration::try_from_secs_f64(users as f64 / rate))
        .transpose()
        .context("--user-centric-rate is too small for --num-users")?;
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

    let benchmark_id = benchmark_id(&clock);
    let mut config = ProfileConfig::new(
        run_config,
        entries.into(),
        Arc::clone(&tokenizer),
        artifact_dir.clone(),
    );
    config.metric_options = MetricOptions {
        use_server_token_count: args.use_server_token_count,
    };
    config.goodput = goodput;
    config.measure_process_cpu = embedded.is_none();
    config.fixed_schedule = fixed_schedule;
    config.input_config = input_config(
        &config,
        &InputEcho {
            dataset: DatasetEcho::Described(&data.echo),
            load: compose::load_echo(&args),
            goodput: args.goodput.as_deref(),
        },
    );
    config.input_config["datasets"] = data.echo;
    if fixed_schedule {
        config.input_config["phases"][1]["type"] = "fixed_schedule".into();
    }
    media_args::echo(&args.media, &mut config.input_config);
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
                "request rate {}/s ({}):",
                args.request_rate.unwrap_or_default(),
                ArrivalMode::from(args.request_rate_mode).name()
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

    let live = Arc::clone(&config.progress);
    let total = stop.request_count.map(|n| n + args.warmup_request_count);
    let progress = ui::Progress::start(args.ui, Arc::clone(&live), total);
    let cancel = CancelHandle::new();
    let token = CancelToken::new();
    signals::watch(
        "loadgen",
        FirstInterrupt::Cancel {
            token: token.clone(),
            message: INTERRUPT_MESSAGE,
        },
    )
    .context("cannot watch for interrupts")?;
    let on_interrupt = cancel.clone();
    token.on_cancel(move || on_interrupt.cancel());
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
    safety::check_exports(&args, &artifact_dir, export_base.as_deref())?;
    let (outcome, scraped) = runtime.block_on(async {
        let collector = match scrape {
            Some((urls, every)) => Some(Collector::start(urls, every).await),
            None => None,
        };
        let outcome = profile(config, load, cancel).await;
        let scraped = match collector {
            Some(c) => Some(c.finish().await),
            None => None,
        };
        (outcome, scraped)
    });
    progress.finish();
    let embedded_run = embedded.is_some();
    drop(embedded);
    let outcome = outcome.map_err(|e| {
        let after_run = e.is_after_run();
        let e = anyhow::Error::new(e);
        if after_run {
            status::Failure::new(OUTPUT_FAILED, e).into()
        } else {
            e
        }
    })?;

    print!("{}", console::render(&outcome, embedded_run));
    // Export failures after the run: each is reported, the other exports are still written,
    // and the run exits OUTPUT_FAILED.
    let mut failed_exports = Vec::new();
    if let Some(e) = &outcome.jsonl_error {
        failed_exports.push(format!("profile_export.jsonl is incomplete: {e}"));
    }
    if let Some(scraped) = &scraped
        && let Err(e) = server_metrics::report(scraped, &artifact_dir)
    {
        failed_exports.push(format!("{e:#}"));
    }
    if let Some(seconds) = slice_seconds {
        match servebench_metrics::timeslices::write(&artifact_dir, seconds) {
            Ok(n) => println!(
                "Time slices: {n} of {seconds} s in {}",
                servebench_metrics::timeslices::JSON_FILE
            ),
            Err(e) => failed_exports.push(format!("time-sliced export not written: {e:#}")),
        }
    }
    if let Some(base) = &export_base {
        export_names::apply(&artifact_dir, base).status(OUTPUT_FAILED)?;
    }
    if args.report {
        let (json, html) = match &export_base {
            Some(base) => (format!("{base}.json"), format!("{base}_report.html")),
            None => (
                servebench_report::EXPORT_JSON.to_owned(),
                servebench_report::REPORT_HTML.to_owned(),
            ),
        };
        let html = artifact_dir.join(html);
        match servebench_report::write_run_report_from(&artifact_dir.join(json), &html) {
            Ok(()) => println!("Report: {}", html.display()),
            Err(e) => failed_exports.push(format!("report not written: {e}")),
        }
    }
    if !failed_exports.is_empty() {
        for e in &failed_exports {
            eprintln!("loadgen: error: {e}");
        }
        eprintln!("loadgen: exiting with status {OUTPUT_FAILED}: an export could not be written");
        return Ok(ExitCode::from(OUTPUT_FAILED));
    }
    if outcome.report.was_cancelled {
        return Ok(ExitCode::from(INTERRUPTED));
    }
    let rate = &outcome.error_rate;
    if rate.exceeds(args.max_error_rate) {
        let top: Vec<String> = rate
            .server_kinds
            .iter()
            .take(5)
            .map(|(kind, count)| format!("{count} x {kind}"))
            .collect();
        eprintln!(
            "loadgen: exiting with status {ERROR_RATE}: {:.1} % of the requests failed on \
             the server's side ({} of {}), above --max-error-rate {}: {}",
            rate.server_error_pct(),
            rate.server_errors,
            rate.completed.saturating_sub(rate.client_errors),
            args.max_error_rate,
            top.join(", ")
        );
        return Ok(ExitCode::from(ERROR_RATE));
    }
    if outcome.verdict.saturated {
        if args.allow_client_saturation {
            eprintln!("loadgen: client saturated (allowed by --allow-client-saturation)");
        } else {
            eprintln!(
                "loadgen: exiting with status {CLIENT_SATURATED}: the client was saturated \
                 (pass --allow-client-saturation to accept these numbers)"
            );
            return Ok(ExitCode::from(CLIENT_SATURATED));
        }
    }
    let p = &outcome.report.profiling;
    if p.records > 0 && p.succeeded == 0 {
        eprintln!("loadgen: every request failed ({} errors)", p.failed());
        return Ok(ExitCode::from(FAILED));
    }
    Ok(ExitCode::SUCCESS)
}
