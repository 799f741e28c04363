//! `agent-bench`: Dynamo's `agent_benchmark.py`. Runs the sessions of a trace turn by turn,
//! `--concurrency` sessions at once, optionally overriding every later turn's delay; with no
//! --url, against an embedded simulated cluster.

#[path = "../shared.rs"]
mod shared;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};
use servebench_router_bench::point::percent;
use servebench_router_bench::replay::{TraceKind, TraceRun, run_agent};
use servebench_router_bench::reuse::AchievedReuse;
use servebench_router_bench::trace::override_delays;

/// Replay agent sessions (a drop-in for agent_benchmark.py).
///
/// Writes OUTPUT_DIR/aiperf_artifacts/ and, with --delay, OUTPUT_DIR/modified_trace.jsonl.
/// With --compare-routers rr,kv (embedded cluster only) each mode gets OUTPUT_DIR/MODE/aiperf_artifacts/
/// plus OUTPUT_DIR/router_comparison.{csv,json,png}.
#[derive(Debug, Parser)]
#[command(name = "agent-bench", version, about, long_about)]
struct Args {
    #[command(flatten)]
    common: shared::CommonArgs,
    /// Where results go.
    #[arg(long, default_value = "agent_benchmark_results")]
    output_dir: PathBuf,
    /// The session trace (Mooncake JSONL with session_id and delay).
    #[arg(long)]
    input_dataset: PathBuf,
    /// Concurrent sessions.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Delay in ms before each later turn (0 removes delays) [default: the trace's].
    #[arg(long)]
    delay: Option<f64>,
    /// Tokens per hash id of the trace.
    #[arg(long, default_value_t = 64)]
    block_size: u64,
    /// Requests to send [default: the trace's non-empty lines].
    #[arg(long)]
    request_count: Option<u64>,
    /// Run the same trace under each of these router modes on the embedded cluster
    /// (comma-separated: rr,random,least-loaded,kv,p2c) and compare them: OUTPUT_DIR/MODE/ per
    /// mode plus OUTPUT_DIR/router_comparison.{csv,json,png}. Not with --url.
    #[arg(long, value_name = "MODES")]
    compare_routers: Option<String>,
    #[command(flatten)]
    cluster: shared::ClusterArgs,
}

fn run(args: Args) -> anyhow::Result<()> {
    const TOOL: &str = "agent-bench";
    if let Some(d) = args.delay
        && !(d.is_finite() && d >= 0.0)
    {
        anyhow::bail!("--delay must be a finite number of milliseconds >= 0");
    }
    let compare = shared::compare_routers(args.compare_routers.as_deref(), &args.common.url)?;
    let common = shared::common(TOOL, &args.common)?;
    let trace = match args.delay {
        Some(d) => {
            let t = override_delays(&args.input_dataset, d, &args.output_dir)?;
            println!("trace: {}", t.display());
            t
        }
        None => args.input_dataset.clone(),
    };
    if let Some(routers) = compare {
        let run = TraceRun {
            common,
            trace,
            block_size: args.block_size,
            output_dir: args.output_dir,
            reuse_block_size: u64::from(args.cluster.mocker_block_size),
        };
        return shared::compare_trace_runs(
            TOOL,
            &run,
            TraceKind::Agent {
                concurrency: args.concurrency,
                request_count: args.request_count,
            },
            &args.cluster,
            &routers,
        );
    }
    let cluster = if args.common.url.is_empty() {
        Some(shared::embedded_cluster(TOOL, &args.cluster, &common)?)
    } else {
        None
    };
    let (url, reuse_bs) = match &cluster {
        Some(c) => (c.url().to_owned(), u64::from(c.config().block_size)),
        None => (args.common.url[0].clone(), args.common.server_block_size),
    };
    let run = TraceRun {
        common,
        trace,
        block_size: args.block_size,
        output_dir: args.output_dir,
        reuse_block_size: reuse_bs,
    };
    let cancel = shared::watch_interrupts(TOOL)?;
    let point = shared::runtime()?.block_on(run_agent(
        &run,
        url,
        args.concurrency,
        args.request_count,
        cancel,
    ))?;
    println!(
        "TTFT p50 {:.1} ms, ITL p50 {:.2} ms, {:.0} tok/s; reuse theoretical {} achieved {}",
        point.stats.ttft_p50,
        point.stats.itl_p50,
        point.stats.output_token_throughput,
        percent(point.theoretical.map(|t| t.token_hit_rate)),
        percent(point.achieved.as_ref().map(AchievedReuse::rate)),
    );
    println!("artifacts: {}", point.artifact_dir.display());
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    logging::init(&args.common.log, LogLevel::Warn);
    exit::report("agent-bench", run(args))
}
