//! Command-line flags: loadgen's dataset and schedule flags, Dynamo mocker's engine and router
//! flags, and the cluster layout (data parallelism, disaggregated prefill and decode).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use servebench_loadgen_core::replay::{DEFAULT_BLOCK_SIZE, DatasetSpec, DatasetType};
use servebench_mocker::{
    BlockSize, ClusterLayout, DEFAULT_KV_BYTES_PER_TOKEN, DisaggConfig, EngineConfig, PoolConfig,
    PreemptionMode, RouterConfig, RouterMode,
};
use servebench_sim_replay::{DEFAULT_OUTPUT_TOKENS, Replay, SimConfig};
use servebench_tokenize::TokenizerSpec;

/// Replay a trace or dataset (Mooncake with hash_ids, AIPerf single_turn / multi_turn JSONL,
/// sessions) through simulated workers and their router on a virtual clock, and write the
/// exports a real `loadgen` run writes (profile_export.jsonl, profile_export_aiperf.json/.csv,
/// server_metrics_export.json/.csv with each engine's prefix-cache hits and queries).
///
/// A file with timestamps replays on its fixed schedule; otherwise --concurrency closed-loop
/// users send the entries in order. The client adds no latency: TTFT and ITL are the simulated
/// server's, exactly.
#[derive(Debug, Parser)]
#[command(name = "sim-replay", version)]
pub(crate) struct Args {
    /// `--log-level` / `-v`.
    #[command(flatten)]
    pub(crate) log: servebench_cli_support::logging::LogArgs,

    /// The trace or dataset file.
    #[arg(long, help_heading = "Dataset")]
    pub(crate) input_file: PathBuf,
    /// Its format (detected when not given): single_turn, multi_turn, random_pool,
    /// mooncake_trace, burst_gpt_trace, inputs_json.
    #[arg(long, help_heading = "Dataset")]
    pub(crate) custom_dataset_type: Option<DatasetType>,
    /// Tokens per trace hash id.
    #[arg(long, default_value_t = DEFAULT_BLOCK_SIZE, help_heading = "Dataset")]
    pub(crate) prompt_input_tokens_block_size: u64,
    /// Output length of entries that give none.
    #[arg(long, default_value_t = u64::from(DEFAULT_OUTPUT_TOKENS), help_heading = "Dataset")]
    pub(crate) osl: u64,
    /// Seed of the rendered prompts.
    #[arg(long, default_value_t = 0, help_heading = "Dataset")]
    pub(crate) random_seed: u64,
    /// Prompt tokenizer: `builtin` or a tokenizer.json (use the mocker's choice).
    #[arg(long, default_value = "builtin", help_heading = "Dataset")]
    pub(crate) tokenizer: TokenizerSpec,

    /// Replay the file's timestamps (the default when it has them).
    #[arg(long, help_heading = "Load")]
    pub(crate) fixed_schedule: bool,
    /// Never replay timestamps: closed-loop users instead.
    #[arg(long, conflicts_with = "fixed_schedule", help_heading = "Load")]
    pub(crate) no_fixed_schedule: bool,
    /// Trace time divided by this (2 replays twice as fast).
    #[arg(long, default_value_t = 1.0, help_heading = "Load")]
    pub(crate) fixed_schedule_speedup: f64,
    /// Measure times from the first kept timestamp.
    #[arg(long, help_heading = "Load")]
    pub(crate) fixed_schedule_auto_offset: bool,
    /// Drop entries before this trace time (ms).
    #[arg(long, help_heading = "Load")]
    pub(crate) fixed_schedule_start_offset: Option<u64>,
    /// Drop entries after this trace time (ms).
    #[arg(long, help_heading = "Load")]
    pub(crate) fixed_schedule_end_offset: Option<u64>,
    /// Closed-loop users when there is no fixed schedule.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Load")]
    pub(crate) concurrency: u64,
    /// Requests to send (default: every entry once).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Load")]
    pub(crate) request_count: Option<u64>,

    /// Tokens per KV block.
    #[arg(long, default_value_t = BlockSize::default(), value_parser = parse_block_size, help_heading = "Engine")]
    pub(crate) block_size: BlockSize,
    /// KV blocks per engine.
    #[arg(long, default_value_t = 16384, help_heading = "Engine")]
    pub(crate) num_gpu_blocks_override: u32,
    /// Most sequences running at once per engine.
    #[arg(long, default_value_t = 256, help_heading = "Engine")]
    pub(crate) max_num_seqs: u32,
    /// Token budget of one engine step.
    #[arg(long, default_value_t = 8192, help_heading = "Engine")]
    pub(crate) max_num_batched_tokens: u32,
    /// Turn prefix caching off.
    #[arg(long, help_heading = "Engine")]
    pub(crate) no_enable_prefix_caching: bool,
    /// Turn chunked prefill off.
    #[arg(long, help_heading = "Engine")]
    pub(crate) no_enable_chunked_prefill: bool,
    /// Preempt the oldest running request instead of the newest.
    #[arg(long, help_heading = "Engine")]
    pub(crate) preempt_fifo: bool,
    /// Divides every step time (within [0.001, 1000000]).
    #[arg(long, default_value_t = 1.0, help_heading = "Engine")]
    pub(crate) speedup_ratio: f64,
    /// Step-time model file from the profiler instead of Dynamo's polynomials.
    #[arg(long, help_heading = "Engine")]
    pub(crate) planner_profile_data: Option<PathBuf>,

    /// Aggregated workers (ignored with --num-prefill-workers: see --num-decode-workers).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Cluster")]
    pub(crate) num_workers: u32,
    /// Engines (data-parallel ranks) per worker; with KV routing each rank is a routing target
    /// of its own, as Dynamo's router sees (worker, dp_rank) pairs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256), help_heading = "Cluster")]
    pub(crate) data_parallel_size: u32,
    /// Disaggregated serving: this many prefill workers (and --num-decode-workers decode ones).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), requires = "num_decode_workers", help_heading = "Cluster")]
    pub(crate) num_prefill_workers: Option<u32>,
    /// Decode workers of disaggregated serving.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), requires = "num_prefill_workers", help_heading = "Cluster")]
    pub(crate) num_decode_workers: Option<u32>,
    /// KV bytes per prompt token moved from prefill to decode (default: Llama-3.1-8B in bf16).
    #[arg(long, default_value_t = DEFAULT_KV_BYTES_PER_TOKEN, help_heading = "Cluster")]
    pub(crate) kv_bytes_per_token: u64,
    /// KV transfer bandwidth between a prefill and a decode worker, GB/s (1e9 bytes/s).
    #[arg(long, default_value_t = 25.0, help_heading = "Cluster")]
    pub(crate) kv_transfer_bandwidth: f64,

    /// How the router picks a worker.
    #[arg(long, value_enum, default_value_t = RouterChoice::RoundRobin, help_heading = "Router")]
    pub(crate) router_mode: RouterChoice,
    /// Weight of prefill tokens in the KV router's cost.
    #[arg(long, default_value_t = 1.0, help_heading = "Router")]
    pub(crate) kv_overlap_score_weight: f64,
    /// Softmax temperature of the KV router (0 = always the cheapest).
    #[arg(long, default_value_t = 0.0, help_heading = "Router")]
    pub(crate) router_temperature: f64,
    /// Seed of the router's random choices.
    #[arg(long, default_value_t = 0, help_heading = "Router")]
    pub(crate) seed: u64,

    /// Where the exports go.
    #[arg(long, default_value = "artifacts/sim-replay", help_heading = "Output")]
    pub(crate) artifact_dir: PathBuf,
    /// Model name echoed in the exports.
    #[arg(long, default_value = "servebench-mocker", help_heading = "Output")]
    pub(crate) model: String,
}

/// `--router-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RouterChoice {
    /// Workers in turn.
    RoundRobin,
    /// A uniformly random worker.
    Random,
    /// The worker with the fewest active requests.
    LeastLoaded,
    /// Dynamo's KV-aware cost.
    Kv,
    /// The less loaded of two random workers.
    PowerOfTwo,
}

fn parse_block_size(s: &str) -> Result<BlockSize, String> {
    let n: u32 = s.parse().map_err(|e| format!("{e}"))?;
    BlockSize::new(n).ok_or_else(|| "must be at least 1".to_owned())
}

impl Args {
    /// The replay these flags describe (loads the tokenizer).
    pub(crate) fn replay(&self) -> anyhow::Result<Replay> {
        let tokenizer = servebench_tokenize::load(&self.tokenizer)
            .with_context(|| format!("cannot load --tokenizer {}", self.tokenizer))?;
        let mut dataset = DatasetSpec {
            input_file: Some(self.input_file.clone()),
            dataset_type: self.custom_dataset_type,
            block_size: self.prompt_input_tokens_block_size,
            fixed_schedule: self.fixed_schedule,
            no_fixed_schedule: self.no_fixed_schedule,
            ..DatasetSpec::default()
        };
        dataset.synthetic.seed = Some(self.random_seed);
        dataset.synthetic.osl_mean = Some(self.osl);
        dataset.schedule.speedup = self.fixed_schedule_speedup;
        dataset.schedule.auto_offset = self.fixed_schedule_auto_offset;
        dataset.schedule.start_offset = self.fixed_schedule_start_offset.map(Duration::from_millis);
        dataset.schedule.end_offset = self.fixed_schedule_end_offset.map(Duration::from_millis);

        let timing = match &self.planner_profile_data {
            Some(path) => servebench_mocker::TimingModel::FromFile(path.clone()),
            None => servebench_mocker::TimingModel::Polynomial,
        };
        let engine = EngineConfig {
            block_size: self.block_size,
            num_gpu_blocks: self.num_gpu_blocks_override,
            max_num_seqs: self.max_num_seqs,
            max_num_batched_tokens: self.max_num_batched_tokens,
            enable_prefix_caching: !self.no_enable_prefix_caching,
            enable_chunked_prefill: !self.no_enable_chunked_prefill,
            preemption_mode: if self.preempt_fifo {
                PreemptionMode::Fifo
            } else {
                PreemptionMode::Lifo
            },
            speedup_ratio: self.speedup_ratio,
            timing,
            ..EngineConfig::default()
        };
        let router = RouterConfig {
            mode: match self.router_mode {
                RouterChoice::RoundRobin => RouterMode::RoundRobin,
                RouterChoice::Random => RouterMode::Random,
                RouterChoice::LeastLoaded => RouterMode::LeastLoaded,
                RouterChoice::Kv => RouterMode::Kv,
                RouterChoice::PowerOfTwo => RouterMode::PowerOfTwo,
            },
            overlap_score_weight: self.kv_overlap_score_weight,
            temperature: self.router_temperature,
            seed: self.seed,
            ..RouterConfig::default()
        };
        let disagg = self.num_prefill_workers.map(|p| DisaggConfig {
            prefill_workers: p,
            kv_bytes_per_token: self.kv_bytes_per_token,
            transfer_bandwidth: self.kv_transfer_bandwidth * 1e9,
        });
        let num_workers = self.num_decode_workers.unwrap_or(self.num_workers);
        let mut sim = SimConfig::new(PoolConfig {
            engine,
            num_workers,
            router,
        });
        sim.layout = ClusterLayout {
            data_parallel_size: self.data_parallel_size,
            disagg,
        };
        sim.default_output_tokens = u32::try_from(self.osl).unwrap_or(u32::MAX);
        sim.request_limit = self.request_count;
        Ok(Replay {
            sim,
            dataset,
            concurrency: usize::try_from(self.concurrency).unwrap_or(usize::MAX),
            tokenizer: Arc::clone(&tokenizer),
            artifact_dir: self.artifact_dir.clone(),
            model: self.model.clone(),
            cli_command: std::env::args().collect::<Vec<_>>().join(" "),
        })
    }
}
