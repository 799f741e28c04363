//! Flags and start-up shared by the four router benchmark binaries (included by each with
//! `#[path]`, so every binary stays one file of glue): `common.py`'s arguments, the embedded
//! cluster's flags, the tokenizer choice, the interrupt waiter and the runtime.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use servebench_cli_support::logging::LogArgs;
use servebench_cli_support::signals::{self, CancelToken, FirstInterrupt};
use servebench_loadgen_core::CancelHandle;
use servebench_router_bench::cluster::{Cluster, ClusterConfig, RouterChoice};
use servebench_router_bench::common::Common;
use servebench_router_bench::replay::{
    TraceKind, TraceRun, run_trace_comparison, write_trace_comparison,
};
use servebench_tokenize::LoadOptions;

/// `common.py`'s shared arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct CommonArgs {
    /// Model name sent in requests.
    #[arg(long, default_value = servebench_router_bench::common::DEFAULT_MODEL)]
    pub(crate) model: String,
    /// Tokenizer (a Hugging Face id or tokenizer.json) [default: the model's, else builtin].
    #[arg(long)]
    pub(crate) tokenizer: Option<String>,
    /// Server URL(s) [default: an embedded simulated cluster on 127.0.0.1, see "Embedded cluster"].
    #[arg(long, num_args = 1..)]
    pub(crate) url: Vec<String>,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Send each request's expected output length as nvext.agent_hints.osl.
    #[arg(long)]
    pub(crate) use_expected_osl: bool,
    /// KV block size of the servers at --url (Dynamo's default 64), for the theoretical reuse.
    #[arg(long, default_value_t = 64)]
    pub(crate) server_block_size: u64,
    #[command(flatten)]
    pub(crate) log: LogArgs,
}

/// The embedded cluster used when no --url is given.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Embedded cluster (no --url)")]
pub(crate) struct ClusterArgs {
    /// Workers behind the router.
    #[arg(long, default_value_t = 2)]
    pub(crate) mocker_workers: u32,
    /// Router mode: rr, random, least-loaded or kv.
    #[arg(long, default_value = "kv")]
    pub(crate) mocker_router_mode: RouterChoice,
    /// KV blocks per worker [default: the benchmark's, see --help of each tool].
    #[arg(long)]
    pub(crate) mocker_num_gpu_blocks: Option<u32>,
    /// Tokens per KV block.
    #[arg(long, default_value_t = 64)]
    pub(crate) mocker_block_size: u32,
    /// Divide every engine step time by this (0: no delays).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) mocker_speedup_ratio: f64,
}

impl ClusterArgs {
    /// The cluster, with `default_blocks` when --mocker-num-gpu-blocks is not given.
    pub(crate) fn cluster(&self, model: &str, default_blocks: u32) -> ClusterConfig {
        let mut c = ClusterConfig::new(self.mocker_workers, self.mocker_router_mode, model);
        c.num_gpu_blocks = self.mocker_num_gpu_blocks.unwrap_or(default_blocks);
        c.block_size = self.mocker_block_size;
        c.speedup_ratio = self.mocker_speedup_ratio;
        c
    }
}

/// Starts the embedded cluster the tools use without --url (16384 KV blocks per worker unless
/// --mocker-num-gpu-blocks says otherwise) and says so on stderr.
#[allow(
    dead_code,
    reason = "shared by the bins through #[path]; prefix-ratio-bench sizes and starts its clusters per router"
)]
pub(crate) fn embedded_cluster(
    tool: &str,
    args: &ClusterArgs,
    common: &Common,
) -> anyhow::Result<Cluster> {
    let c = args.cluster(&common.model, 16384);
    eprintln!(
        "{tool}: no --url: embedded cluster of {} workers ({} router), {} KV blocks of {} tokens each",
        c.workers,
        c.router.name(),
        c.num_gpu_blocks,
        c.block_size
    );
    Ok(Cluster::start(&c, common.tokenizer.clone())?)
}

/// Says on stderr which embedded cluster the router comparison (`--compare-routers`) runs on.
#[allow(
    dead_code,
    reason = "shared by the bins through #[path]; image-bench compares no routers"
)]
pub(crate) fn announce_comparison(tool: &str, cluster: &ClusterConfig, routers: &[RouterChoice]) {
    let names: Vec<&str> = routers.iter().map(|r| r.name()).collect();
    eprintln!(
        "{tool}: no --url: embedded cluster of {} workers, {} KV blocks of {} tokens each, \
         speed-up {}, router {}",
        cluster.workers,
        cluster.num_gpu_blocks,
        cluster.block_size,
        cluster.speedup_ratio,
        names.join(", ")
    );
}

/// `rr,kv,...` as router modes.
#[allow(
    dead_code,
    reason = "shared by the bins through #[path]; image-bench has no --compare-routers"
)]
pub(crate) fn parse_routers(list: &str) -> anyhow::Result<Vec<RouterChoice>> {
    let routers = list
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()
        .context("--compare-routers")?;
    if routers.is_empty() {
        anyhow::bail!("--compare-routers: give at least one router mode (e.g. rr,kv)");
    }
    Ok(routers)
}

/// The router modes of --compare-routers, refused with --url: the comparison restarts the
/// embedded cluster under each mode, which a deployment's router cannot do.
#[allow(
    dead_code,
    reason = "shared by the bins through #[path]; image-bench has no --compare-routers"
)]
pub(crate) fn compare_routers(
    list: Option<&str>,
    urls: &[String],
) -> anyhow::Result<Option<Vec<RouterChoice>>> {
    let Some(list) = list else {
        return Ok(None);
    };
    if !urls.is_empty() {
        anyhow::bail!(
            "--compare-routers runs the workload under each router mode of the embedded cluster \
             and cannot be combined with --url (a deployment's router mode is set where it is \
             deployed: run the tool once per deployment instead)"
        );
    }
    parse_routers(list).map(Some)
}

/// `--compare-routers` of the trace tools: `run` under each of `routers` on a fresh embedded
/// cluster, one line per run, then the comparison table and the files written.
#[allow(
    dead_code,
    reason = "shared by the bins through #[path]; used by real-data-bench and agent-bench"
)]
pub(crate) fn compare_trace_runs(
    tool: &'static str,
    run: &TraceRun,
    kind: TraceKind,
    args: &ClusterArgs,
    routers: &[RouterChoice],
) -> anyhow::Result<()> {
    let cluster = args.cluster(&run.common.model, 16384);
    announce_comparison(tool, &cluster, routers);
    let cancel = watch_interrupts(tool)?;
    let runs = runtime()?.block_on(run_trace_comparison(
        run,
        kind,
        &cluster,
        routers,
        &cancel,
        &mut |line| println!("{line}"),
    ))?;
    let rows: Vec<_> = runs.iter().map(|r| r.row()).collect();
    println!();
    print!("{}", servebench_router_bench::compare::table(&rows));
    println!(
        "(reuse: prompt tokens served from cache; theoretical = infinite cache over the requests sent)"
    );
    for r in &runs {
        println!(
            "artifacts [{}]: {}",
            r.router.name(),
            r.point.artifact_dir.display()
        );
    }
    for w in write_trace_comparison(
        &run.output_dir,
        &format!("{tool}: router comparison"),
        &runs,
    )? {
        println!("wrote {}", w.display());
    }
    Ok(())
}

/// The tool's [`Common`]: tokenizer chosen (a notice printed when it falls back), the command
/// line redacted for the exports.
pub(crate) fn common(tool: &str, args: &CommonArgs) -> anyhow::Result<Common> {
    let chosen = servebench_tokenize::choose_tokenizer(
        args.tokenizer.as_deref(),
        &args.model,
        &LoadOptions::default(),
    )
    .with_context(|| match &args.tokenizer {
        Some(t) => format!("--tokenizer {t}"),
        None => format!("--model {}", args.model),
    })?;
    if let Some(n) = &chosen.notice {
        eprintln!("{tool}: {n} (pass --tokenizer to choose one)");
    }
    let mut common = Common::new(Arc::clone(&chosen.tokenizer));
    common.model.clone_from(&args.model);
    common.tokenizer_name.clone_from(&args.tokenizer);
    common.seed = args.seed;
    common.use_expected_osl = args.use_expected_osl;
    common.server_metrics_every = Duration::from_secs(1);
    common.cli_command =
        servebench_loadgen_core::redact::redact_command_line(std::env::args()).join(" ");
    common.embedded = args.url.is_empty();
    Ok(common)
}

/// Starts the interrupt waiter: the first Ctrl-C cancels `handle` (the run ends early and writes
/// what it has), the second exits.
pub(crate) fn watch_interrupts(tool: &'static str) -> anyhow::Result<CancelHandle> {
    let token = CancelToken::new();
    signals::watch(
        tool,
        FirstInterrupt::Cancel {
            token: token.clone(),
            message: "finishing the current run early, then writing the outputs",
        },
    )
    .context("cannot watch for interrupts")?;
    let handle = CancelHandle::new();
    let on_interrupt = handle.clone();
    token.on_cancel(move || on_interrupt.cancel());
    Ok(handle)
}

/// A runtime for the client (the runs' futures are driven on this thread).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot build the tokio runtime")
}
