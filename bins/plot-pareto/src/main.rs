//! `plot-pareto`: the Pareto chart and table of several deployment sweeps, a re-creation of
//! Dynamo's `benchmarks/llm/plot_pareto.py` (same flags, `pareto_plot.png`, `results.csv`) on
//! servebench's or AIPerf's artifacts. Thin glue over `servebench-report`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogArgs, LogLevel};

/// Pareto chart of output tokens/s per GPU against output tokens/s per user for every run below
/// ARTIFACTS_ROOT_DIR/artifacts_*/ (as perf.sh or perf-sweep lay them out), one series and one
/// frontier per `{kind}_{mode}` of each directory's deployment_config.json, which also gives the
/// GPU count (aggregated: tp × dp; disaggregated: prefill tp × dp + decode tp × dp). Writes
/// pareto_plot.png and results.csv (the columns of plot_pareto.py).
///
/// A run's concurrency is the `-concurrency<N>` in its path (AIPerf's directory names), or, when
/// the path has none, the concurrency recorded in its profile_export_aiperf.json.
#[derive(Debug, Parser)]
#[command(name = "plot-pareto", version, about, long_about)]
struct Args {
    /// Directory holding the artifacts_* directories.
    #[arg(long, alias = "artifacts_root_dir")]
    artifacts_root_dir: PathBuf,
    /// Chart title: "Pareto - TITLE".
    #[arg(long, default_value = "Single Node")]
    title: String,
    /// Where pareto_plot.png and results.csv go (the original writes into the current
    /// directory).
    #[arg(long, default_value = ".")]
    output_dir: PathBuf,
    #[command(flatten)]
    log: LogArgs,
}

fn run(args: Args) -> anyhow::Result<()> {
    let done =
        servebench_report::plot_pareto(&args.artifacts_root_dir, &args.title, &args.output_dir)
            .context("cannot build the Pareto chart")?;
    let efficient = done.rows.iter().filter(|r| r.is_pareto_efficient).count();
    println!(
        "{} runs, {efficient} Pareto-efficient; wrote {} and {}",
        done.rows.len(),
        done.plot.display(),
        done.csv.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    logging::init(&args.log, LogLevel::Warn);
    exit::report("plot-pareto", run(args))
}
