//! `real-data-bench`: Dynamo's `real_data_benchmark.py`. Replays a Mooncake trace on its fixed
//! schedule, synthesized first with `datagen synthesize`'s options when any is given; with no
//! --url, against an embedded simulated cluster.

#[path = "../shared.rs"]
mod shared;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};
use servebench_router_bench::point::percent;
use servebench_router_bench::replay::{TraceKind, TraceRun, run_real_data};
use servebench_router_bench::reuse::AchievedReuse;
use servebench_router_bench::trace::{SynthesisOptions, prepare_trace_dataset};
use servebench_workload::synthesize::RequestFilters;

/// Replay a (possibly synthesized) Mooncake trace on its schedule (a drop-in for
/// real_data_benchmark.py).
///
/// Writes OUTPUT_DIR/aiperf_artifacts/ and, when synthesizing, OUTPUT_DIR/synthetic_trace.jsonl.
/// With --compare-routers rr,kv (embedded cluster only) each mode gets OUTPUT_DIR/MODE/aiperf_artifacts/
/// plus OUTPUT_DIR/router_comparison.{csv,json,png}.
#[derive(Debug, Parser)]
#[command(name = "real-data-bench", version, about, long_about)]
struct Args {
    #[command(flatten)]
    common: shared::CommonArgs,
    /// Where results go.
    #[arg(long, default_value = "real_data_benchmark_results")]
    output_dir: PathBuf,
    /// The Mooncake trace.
    #[arg(long, default_value = "mooncake_trace.jsonl")]
    input_dataset: PathBuf,
    /// Requests to synthesize [default: the trace's line count; giving it synthesizes].
    #[arg(long)]
    num_requests: Option<usize>,
    /// Divide inter-arrival gaps by this.
    #[arg(long, default_value_t = 1.0)]
    speedup_ratio: f64,
    /// Multiply shared-prefix lengths.
    #[arg(long, default_value_t = 1.0)]
    prefix_len_multiplier: f64,
    /// Copies of the prefix tree.
    #[arg(long, default_value_t = 1)]
    prefix_root_multiplier: u32,
    /// Multiply unique-prompt lengths.
    #[arg(long, default_value_t = 1.0)]
    prompt_len_multiplier: f64,
    /// Drop synthesized requests with a longer input.
    #[arg(long)]
    max_isl: Option<u64>,
    /// Drop synthesized requests with a shorter input.
    #[arg(long)]
    min_isl: Option<u64>,
    /// Raise shorter outputs to this.
    #[arg(long)]
    min_osl: Option<u64>,
    /// Cut longer outputs to this.
    #[arg(long)]
    max_osl: Option<u64>,
    /// Multiply output lengths.
    #[arg(long, default_value_t = 1.0)]
    osl_multiplier: f64,
    /// Tokens per hash id of the trace.
    #[arg(long, default_value_t = 512)]
    block_size: u64,
    /// Run the same trace under each of these router modes on the embedded cluster
    /// (comma-separated: rr,random,least-loaded,kv,p2c) and compare them: OUTPUT_DIR/MODE/ per
    /// mode plus OUTPUT_DIR/router_comparison.{csv,json,png}. Not with --url.
    #[arg(long, value_name = "MODES")]
    compare_routers: Option<String>,
    #[command(flatten)]
    cluster: shared::ClusterArgs,
}

fn run(args: Args) -> anyhow::Result<()> {
    const TOOL: &str = "real-data-bench";
    let compare = shared::compare_routers(args.compare_routers.as_deref(), &args.common.url)?;
    let common = shared::common(TOOL, &args.common)?;
    let options = SynthesisOptions {
        input_dataset: args.input_dataset.clone(),
        num_requests: args.num_requests,
        speedup_ratio: args.speedup_ratio,
        prefix_len_multiplier: args.prefix_len_multiplier,
        prefix_root_multiplier: args.prefix_root_multiplier,
        prompt_len_multiplier: args.prompt_len_multiplier,
        filters: RequestFilters {
            max_isl: args.max_isl,
            min_isl: args.min_isl,
            min_osl: args.min_osl,
            max_osl: args.max_osl,
        },
        osl_multiplier: args.osl_multiplier,
        block_size: args.block_size,
    };
    let trace = prepare_trace_dataset(
        &options,
        common.seed,
        common.use_expected_osl,
        &args.output_dir,
    )?;
    if trace != args.input_dataset {
        println!("trace: {}", trace.display());
    }
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
            TraceKind::RealData,
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
    if args.common.url.len() > 1 {
        eprintln!("{TOOL}: note: only the first --url is used (as the original)");
    }
    let run = TraceRun {
        common,
        trace,
        block_size: args.block_size,
        output_dir: args.output_dir,
        reuse_block_size: reuse_bs,
    };
    let cancel = shared::watch_interrupts(TOOL)?;
    let point = shared::runtime()?.block_on(run_real_data(&run, url, cancel))?;
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
    exit::report("real-data-bench", run(args))
}
