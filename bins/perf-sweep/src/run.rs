//! The whole perf-sweep run: compose, start the embedded engine if needed, lay out the output,
//! sweep, print, exit status.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use servebench_cli_support::exit::{
    CLIENT_SATURATED, ERROR_RATE, FAILED, Failure, INTERRUPTED, OUTPUT_FAILED, WithStatus,
};
use servebench_cli_support::signals::{self, CancelToken, FirstInterrupt};
use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::profile::SaturationThresholds;
use servebench_loadgen_core::redact::redact_command_line;
use servebench_mocker::EmbeddedServer;
use servebench_sweep::layout::{create_next, earlier_configs};
use servebench_sweep::{Flavour, Progress, SweepError, SweepRun, SweepStop, run_sweep};
use servebench_tokenize::{LoadOptions, TokenizerSpec, choose_tokenizer};

use crate::args::Args;
use crate::compose::{WrapperEnv, compose};
use crate::console;

/// Server metrics scrape period during each point (AIPerf's default).
const SCRAPE_EVERY: Duration = Duration::from_secs(5);

/// Test hook: when set, any measured client lateness counts as saturation (zero thresholds), to
/// test the saturated stop end to end.
const STRICT_SATURATION_HOOK_VAR: &str = "SERVEBENCH_TEST_STRICT_SATURATION";

/// Printed on the first Ctrl-C / SIGTERM.
const INTERRUPT_MESSAGE: &str =
    "no new requests; the running concurrency writes its exports, then the sweep ends";

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let composed = compose(args, &WrapperEnv::from_process())?;
    for warning in &composed.warnings {
        eprintln!("perf-sweep: {warning}");
    }
    let plan = composed.plan;
    let tokenizer_name = args.tokenizer.as_deref();
    let chosen = choose_tokenizer(tokenizer_name, &plan.model, &LoadOptions::default())
        .with_context(|| match tokenizer_name {
            Some(name) => format!("--tokenizer {name}"),
            None => format!("--model {}", plan.model),
        })?;
    if let Some(notice) = &chosen.notice {
        eprintln!("perf-sweep: {notice} (pass --tokenizer to choose one)");
    }
    let tokenizer = Arc::clone(&chosen.tokenizer);

    let (embedded, urls) = match &args.url {
        Some(url) => (None, vec![url.clone()]),
        None => {
            let engine = EmbeddedServer::simulated(
                args.mocker_speedup_ratio,
                &plan.model,
                TokenizerSpec::shared(Arc::clone(&tokenizer)),
            )
            .context("failed to start the embedded simulated engine")?;
            eprintln!(
                "perf-sweep: no --url: sweeping the embedded simulated engine at {} (Dynamo \
                 mocker timing, speed-up {})",
                engine.url(),
                args.mocker_speedup_ratio
            );
            let urls = vec![engine.url().to_owned()];
            (Some(engine), urls)
        }
    };

    let base = output_base(&plan.flavour, &composed.root)?;
    let run = SweepRun {
        urls,
        tokenizer,
        measure_process_cpu: embedded.is_none(),
        thresholds: if std::env::var_os(STRICT_SATURATION_HOOK_VAR).is_some() {
            SaturationThresholds {
                max_event_loop_lag_p99: Duration::ZERO,
                max_event_loop_lag_fraction: 0.0,
                max_schedule_lag_p99: Duration::ZERO,
            }
        } else {
            SaturationThresholds::default()
        },
        max_error_rate_pct: args.max_error_rate,
        stop_on_saturation: !args.allow_client_saturation,
        server_metrics_every: Some(SCRAPE_EVERY),
        cli_command: redact_command_line(std::env::args()).join(" "),
    };

    let cancel = CancelHandle::new();
    let token = CancelToken::new();
    signals::watch(
        "perf-sweep",
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
    let result = runtime.block_on(async {
        run_sweep(&plan, &base, &run, cancel, |event| {
            eprintln!("{}", console::progress_line(&event));
            if let Progress::Starting { point, .. } = &event
                && let Some(warning) = &point.warning
            {
                eprintln!("perf-sweep: warning: {warning}");
            }
        })
        .await
    });
    drop(embedded);
    let outcome = result.map_err(|e| {
        let status = match &e {
            SweepError::Write { .. } => OUTPUT_FAILED,
            _ => FAILED,
        };
        Failure::new(status, anyhow::Error::new(e).context("the sweep failed"))
    })?;

    print!("{}", console::table(&outcome));
    if plan.deployment.is_some() {
        println!("deployment_config.json written to {}", base.display());
    }
    let report = write_report(&plan.flavour, &base);
    Ok(match &outcome.stop {
        SweepStop::Completed => {
            if let Err(e) = report {
                eprintln!(
                    "perf-sweep: error: the sweep ran, but its HTML report could not be \
                     written: {e:#}"
                );
                return Ok(ExitCode::from(OUTPUT_FAILED));
            }
            let saturated: Vec<String> = outcome
                .points
                .iter()
                .filter(|p| p.outcome.outcome.verdict.saturated)
                .map(|p| p.plan.concurrency.to_string())
                .collect();
            if !saturated.is_empty() {
                eprintln!(
                    "perf-sweep: the client was saturated at concurrency {} (kept by \
                     --allow-client-saturation: those latencies may be inflated)",
                    saturated.join(", ")
                );
            }
            println!("Results in {}", base.display());
            println!("Benchmarking Successful!!!");
            ExitCode::SUCCESS
        }
        SweepStop::Saturated {
            concurrency,
            reasons,
            set_aside,
        } => {
            eprintln!(
                "perf-sweep: stopping the sweep: the client itself was saturated at concurrency \
                 {concurrency}, so its latencies are not trustworthy: {}",
                reasons.join("; ")
            );
            match set_aside {
                Some(path) => eprintln!(
                    "perf-sweep: that point's summary was renamed to {} so plots leave it out; \
                     the points before it are complete. Run the client on a less loaded machine \
                     or lower the concurrency (--allow-client-saturation keeps sweeping)",
                    path.display()
                ),
                None => eprintln!(
                    "perf-sweep: that point's summary could not be set aside: remove it before \
                     plotting"
                ),
            }
            ExitCode::from(CLIENT_SATURATED)
        }
        SweepStop::ErrorRate {
            concurrency,
            pct,
            top,
        } => {
            eprintln!(
                "perf-sweep: stopping the sweep: {pct:.1} % of the requests at concurrency \
                 {concurrency} failed on the server's side, above --max-error-rate {}: {}",
                args.max_error_rate,
                top.join(", ")
            );
            ExitCode::from(ERROR_RATE)
        }
        SweepStop::Cancelled => {
            eprintln!("perf-sweep: interrupted; the points above are complete");
            ExitCode::from(INTERRUPTED)
        }
    })
}

/// Writes the sweep's self-contained HTML report (`report.html` in the sweep's directory) and
/// prints where it is; after an early stop a failure is only a note (there may be no point left
/// to plot), which the caller decides.
fn write_report(flavour: &Flavour, base: &std::path::Path) -> anyhow::Result<PathBuf> {
    let dir = match flavour {
        Flavour::PerfSh => base.to_owned(),
        Flavour::Utils { benchmark_name, .. } => base.join(benchmark_name),
    };
    match servebench_report::write_sweep_report(&dir) {
        Ok(path) => {
            println!("HTML report: {}", path.display());
            Ok(path)
        }
        Err(e) => {
            eprintln!("perf-sweep: note: no HTML report: {e}");
            Err(e.into())
        }
    }
}

/// Where the points go: a new `root/artifacts_N` (printing the earlier deployment configs, as
/// perf.sh does) or, for the wrapper, the root itself.
fn output_base(flavour: &Flavour, root: &std::path::Path) -> anyhow::Result<PathBuf> {
    match flavour {
        Flavour::PerfSh => {
            let dir = create_next(root)
                .context("--artifacts-root-dir")
                .status(OUTPUT_FAILED)?;
            for (path, text) in earlier_configs(root, dir.index) {
                match text {
                    Ok(text) => {
                        println!("{}:", path.display());
                        println!("{}", text.trim_end());
                    }
                    Err(e) => eprintln!("perf-sweep: note: {}: {e}", path.display()),
                }
            }
            eprintln!("perf-sweep: writing this sweep to {}", dir.path.display());
            Ok(dir.path)
        }
        Flavour::Utils { benchmark_name, .. } => {
            eprintln!(
                "perf-sweep: writing this sweep to {}",
                root.join(benchmark_name).display()
            );
            Ok(root.to_owned())
        }
    }
}
