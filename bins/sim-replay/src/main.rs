//! `sim-replay`: replay a trace or dataset through simulated workers and their router on a
//! virtual clock (no HTTP, no sleeping) and write the AIPerf-format exports a real `loadgen` run
//! against the mocker writes.

mod args;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging;
use servebench_metrics::Metric;
use servebench_sim_replay::run_replay;

fn main() -> ExitCode {
    let args = args::Args::parse();
    logging::init(&args.log, logging::LogLevel::Info);
    exit::report("sim-replay", run(&args))
}

fn run(args: &args::Args) -> anyhow::Result<()> {
    let replay = args.replay()?;
    let started = Instant::now();
    let outcome = run_replay(&replay).context("replay failed")?;
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
