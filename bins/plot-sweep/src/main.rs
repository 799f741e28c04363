//! `plot-sweep`: the pictures and summary of a concurrency sweep, a re-creation of Dynamo's
//! `benchmarks/utils/plot.py` (same flags, file names and SUMMARY.txt) on servebench's or
//! AIPerf's artifacts, plus one self-contained HTML report. Thin glue over `servebench-report`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogArgs, LogLevel};

/// Plot a concurrency sweep: p50 and average inter-token latency, request throughput and average
/// time to first token against concurrency, GPU efficiency against per-user throughput, and
/// SUMMARY.txt (the five PNGs and the summary of Dynamo's benchmarks/utils/plot.py), plus
/// report.html, one self-contained page with the same plots and every run's details.
///
/// Every sub-directory of --data-dir except `plots` is one series (its name is the label) holding
/// one directory per concurrency (`c<N>/`, or AIPerf's `<model>-openai-chat-concurrency<N>/`)
/// with a profile_export_aiperf.json at any depth. A directory whose sub-directories are
/// themselves runs (AIPerf's default artifacts/ directory, or a perf-sweep artifacts_N/) is one
/// series. Runs named otherwise count with the concurrency recorded in their export.
///
/// The efficiency plot uses each run's measured output tokens/s (the original multiplied the
/// request rate by a fixed 200 tokens) and divides by the GPUs of the series'
/// deployment_config.json (1 when there is none).
#[derive(Debug, Parser)]
#[command(name = "plot-sweep", version, about, long_about)]
struct Args {
    /// Directory holding the benchmark results.
    #[arg(long, alias = "data_dir")]
    data_dir: PathBuf,
    /// Where the plots go [default: DATA_DIR/plots].
    #[arg(long, alias = "output_dir")]
    output_dir: Option<PathBuf>,
    /// Plot only this series (repeatable; default: all).
    #[arg(long, alias = "benchmark_name")]
    benchmark_name: Vec<String>,
    /// Do not write report.html.
    #[arg(long)]
    no_html: bool,
    #[command(flatten)]
    log: LogArgs,
}

fn run(args: Args) -> anyhow::Result<()> {
    let out = args
        .output_dir
        .clone()
        .unwrap_or_else(|| args.data_dir.join(servebench_report::PLOTS_DIR));
    let done = servebench_report::plot_sweep(&args.data_dir, &out, &args.benchmark_name)
        .context("cannot plot the sweep")?;
    for s in &done.series {
        tracing::info!(series = %s.label, runs = s.points.len(), "plotted");
    }
    if !args.no_html {
        let html = servebench_report::sweep_report_html(&done.series)
            .context("cannot render report.html")?;
        servebench_report::write_atomic(
            &out.join(servebench_report::REPORT_HTML),
            html.as_bytes(),
        )?;
    }
    println!("Plots written to {}", out.display());
    println!("Summary: {}", done.summary.display());
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    logging::init(&args.log, LogLevel::Warn);
    exit::report("plot-sweep", run(args))
}
