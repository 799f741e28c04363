//! `sim-replay`: replay a trace or dataset through simulated workers and their router on a
//! virtual clock (no HTTP, no sleeping) and write the AIPerf-format exports a real `loadgen` run
//! against the mocker writes.

mod args;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use servebench_cli_support::exit::{self, WithStatus};
use servebench_cli_support::{logging, output};
use servebench_metrics::Metric;
use servebench_sim_replay::{ReplayError, run_replay};

/// Every file a replay writes.
const EXPORT_FILES: [&str; 5] = [
    "profile_export.jsonl",
    "profile_export_aiperf.json",
    "profile_export_aiperf.csv",
    "server_metrics_export.json",
    "server_metrics_export.csv",
];

fn main() -> ExitCode {
    let args = args::Args::parse();
    logging::init(&args.log, logging::LogLevel::Info);
    exit::report("sim-replay", run(&args))
}

fn run(args: &args::Args) -> anyhow::Result<()> {
    let replay = args.replay().status(exit::USAGE)?;
    // No export may overwrite the trace it is made from.
    for name in EXPORT_FILES {
        output::check_not_input(&replay.artifact_dir.join(name), &[&args.input_file])
            .status(exit::USAGE)?;
    }
    let started = Instant::now();
    let outcome = run_replay(&replay).map_err(|e| {
        let status = match &e {
            ReplayError::Sim(_) => exit::USAGE,
            ReplayError::Export(_) | ReplayError::ArtifactDir { .. } => exit::OUTPUT_FAILED,
            _ => exit::FAILED,
        };
        anyhow::Error::from(exit::Failure::new(
            status,
            anyhow::Error::new(e).context("replay failed"),
        ))
    })?;
    let wall = started.elapsed();
    let p = &outcome.summary.profiling;
    let stat = |m: Metric| p.stats(m).map_or(f64::NAN, |s| s.p50);
    let (hits, queries) = outcome
        .report
        .engines
        .iter()
        .fold((0, 0), |(h, q), (_, m)| {
            (
                h + m.prefix_cache_hits_tokens,
                q + m.prefix_cache_queries_tokens,
            )
        });
    println!(
        "{} requests over {:.1} s of virtual time in {:.3} s ({}); TTFT p50 {:.1} ms, ITL p50 {:.2} ms, \
         prefix-cache hit rate {:.1}%",
        outcome.report.requests,
        outcome.report.duration.as_secs_f64(),
        wall.as_secs_f64(),
        if outcome.fixed_schedule {
            "fixed schedule"
        } else {
            "closed loop"
        },
        stat(Metric::TimeToFirstToken),
        stat(Metric::InterTokenLatency),
        if queries > 0 {
            100.0 * hits as f64 / queries as f64
        } else {
            0.0
        },
    );
    println!("exports in {}", outcome.artifact_dir.display());
    Ok(())
}
