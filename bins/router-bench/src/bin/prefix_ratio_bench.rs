//! `prefix-ratio-bench`: Dynamo's `prefix_ratio_benchmark.py`. TTFT and ITL against the share of
//! each prompt that is a shared prefix, with theoretical and achieved prefix reuse; with no
//! --url, against an embedded simulated cluster, and with --compare-routers under several router
//! modes.

#[path = "../shared.rs"]
mod shared;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};
use servebench_router_bench::prefix_ratio::{PrefixRatioConfig, Target, run_prefix_ratio};
use servebench_router_bench::summary::{comparison_table, write_outputs};

/// TTFT and ITL as the prefix ratio grows (a drop-in for prefix_ratio_benchmark.py).
///
/// Writes OUTPUT_DIR/prefix_ratio_R_seed_S/ (AIPerf exports), results_summary.json and
/// prefix_ratio_performance.png. With no --url it starts an embedded cluster whose default KV
/// capacity per worker is smaller than the workload's prefix pool, so routing matters; with
/// --compare-routers rr,kv each mode gets OUTPUT_DIR/MODE/ plus router_comparison.{csv,json,png}.
#[derive(Debug, Parser)]
#[command(name = "prefix-ratio-bench", version, about, long_about)]
struct Args {
    #[command(flatten)]
    common: shared::CommonArgs,
    /// Where results go.
    #[arg(long, default_value = "kv_router")]
    output_dir: PathBuf,
    /// Number of distinct shared prefixes.
    #[arg(long, default_value_t = 20)]
    num_prefix_prompts: usize,
    /// Input length of each request, in tokens.
    #[arg(long, default_value_t = 14000)]
    isl: u64,
    /// Output length of each request, in tokens.
    #[arg(long, default_value_t = 200)]
    osl: u64,
    /// Requests per ratio.
    #[arg(long, default_value_t = 200)]
    requests: u64,
    /// Concurrent requests.
    #[arg(long, default_value_t = 20)]
    concurrency: usize,
    /// Prefix ratios to test (shares of the input that are a shared prefix).
    #[arg(long, num_args = 1.., default_values_t = [0.1, 0.3, 0.5, 0.7, 0.9])]
    prefix_ratios: Vec<f64>,
    /// Run the same workload under each of these router modes on the embedded cluster
    /// (comma-separated: rr,random,least-loaded,kv) and compare them.
    #[arg(long)]
    compare_routers: Option<String>,
    #[command(flatten)]
    cluster: shared::ClusterArgs,
}

fn run(args: Args) -> anyhow::Result<()> {
    const TOOL: &str = "prefix-ratio-bench";
    let common = shared::common(TOOL, &args.common)?;
    let mut config = PrefixRatioConfig::new(common);
    config.output_dir = args.output_dir;
    config.num_prefix_prompts = args.num_prefix_prompts;
    config.isl = args.isl;
    config.osl = args.osl;
    config.requests = args.requests;
    config.concurrency = args.concurrency;
    config.prefix_ratios = args.prefix_ratios;
    let target = if args.common.url.is_empty() {
        let workers = args.cluster.mocker_workers;
        let blocks = config.pressure_blocks(workers, args.cluster.mocker_block_size);
        let cluster = args.cluster.cluster(&config.common.model, blocks);
        let routers = shared::compare_routers(args.compare_routers.as_deref(), &[])?
            .unwrap_or_else(|| vec![args.cluster.mocker_router_mode]);
        shared::announce_comparison(TOOL, &cluster, &routers);
        Target::Embedded { cluster, routers }
    } else {
        shared::compare_routers(args.compare_routers.as_deref(), &args.common.url)?;
        Target::Urls {
            urls: args.common.url.clone(),
            reuse_block_size: args.common.server_block_size,
        }
    };
    let cancel = shared::watch_interrupts(TOOL)?;
    let rt = shared::runtime()?;
    let modes = rt.block_on(run_prefix_ratio(&config, &target, &cancel, &mut |line| {
        println!("{line}");
    }))?;
    let written = write_outputs(&config, &modes)?;
    println!();
    print!("{}", comparison_table(&modes));
    println!(
        "(reuse: prompt tokens served from cache; theoretical = infinite cache over the requests sent)"
    );
    for w in written {
        println!("wrote {}", w.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    logging::init(&args.common.log, LogLevel::Warn);
    exit::report("prefix-ratio-bench", run(args))
}
