//! Command-line flags: loadgen's dataset and schedule flags, Dynamo mocker's engine and router
//! flags, and the cluster layout (data parallelism, disaggregated prefill and decode).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use servebench_loadgen_core::replay::{DEFAULT_BLOCK_SIZE, DatasetSpec, DatasetType};
use servebench_mocker::cli::EngineArgs;
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

    /// Engine, cluster and router flags (shared with the mocker server).
    #[command(flatten)]
    pub(crate) engine: EngineArgs,

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

        let mut sim = SimConfig::new(self.engine.pool_config(self.seed));
        sim.layout = self.engine.layout();
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
