//! Flags of dataset files, trace replay, sampling and multi-turn sessions (AIPerf's names).

use std::path::PathBuf;

use clap::{ArgAction, Args};

/// Dataset files, fixed-schedule replay, sampling and sessions.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReplayArgs {
    /// Dataset or trace file to replay instead of synthetic prompts (a directory for random_pool).
    #[arg(long, help_heading = "Dataset")]
    pub(crate) input_file: Option<PathBuf>,

    /// Format of --input-file: single_turn, multi_turn, random_pool, mooncake_trace,
    /// burst_gpt_trace or inputs_json (dashed spellings accepted). Default: detected from the
    /// file (a directory is a random pool, .csv BurstGPT, a JSON document inputs.json, a JSONL
    /// line with `turns` multi_turn, with `input_length` or `hash_ids` mooncake_trace, else
    /// single_turn).
    #[arg(long, help_heading = "Dataset")]
    pub(crate) custom_dataset_type: Option<String>,

    /// Tokens per Mooncake hash id.
    #[arg(
        long,
        alias = "isl-block-size",
        default_value_t = 512,
        help_heading = "Dataset"
    )]
    pub(crate) prompt_input_tokens_block_size: u64,

    /// How requests pick entries: sequential, random or shuffle. Default: AIPerf's per source
    /// (shuffle for synthetic prompts and random pools, sequential for traces and conversations).
    #[arg(long, help_heading = "Dataset")]
    pub(crate) dataset_sampling_strategy: Option<String>,

    /// Send each entry at its timestamp (default on when the first entry has one).
    #[arg(long, action = ArgAction::SetTrue, overrides_with = "no_fixed_schedule", help_heading = "Trace replay")]
    pub(crate) fixed_schedule: bool,

    /// Ignore the timestamps of the input file.
    #[arg(long, action = ArgAction::SetTrue, help_heading = "Trace replay")]
    pub(crate) no_fixed_schedule: bool,

    /// Measure the schedule from the first timestamp instead of from zero.
    #[arg(long, help_heading = "Trace replay")]
    pub(crate) fixed_schedule_auto_offset: bool,

    /// Skip entries before this trace time (ms); it becomes time zero.
    #[arg(long, help_heading = "Trace replay")]
    pub(crate) fixed_schedule_start_offset: Option<u64>,

    /// Skip entries after this trace time (ms).
    #[arg(long, help_heading = "Trace replay")]
    pub(crate) fixed_schedule_end_offset: Option<u64>,

    /// Replay the trace this many times faster (0.5: at half speed).
    #[arg(long, default_value_t = 1.0, help_heading = "Trace replay")]
    pub(crate) fixed_schedule_speedup: f64,

    /// User-centric load: requests per second over all users; each of --num-users users sends a
    /// turn every num-users/rate seconds (after its previous turn completed).
    #[arg(
        long,
        requires = "num_users",
        conflicts_with = "request_rate",
        help_heading = "Sessions"
    )]
    pub(crate) user_centric_rate: Option<f64>,

    /// Users of --user-centric-rate.
    #[arg(long, requires = "user_centric_rate", help_heading = "Sessions")]
    pub(crate) num_users: Option<usize>,

    /// Synthetic multi-turn: number of conversations.
    #[arg(long, help_heading = "Sessions")]
    pub(crate) conversation_num: Option<usize>,

    /// Synthetic multi-turn: mean turns per conversation.
    #[arg(long, default_value_t = 1.0, help_heading = "Sessions")]
    pub(crate) conversation_turn_mean: f64,

    /// Synthetic multi-turn: standard deviation of the turns per conversation.
    #[arg(long, default_value_t = 0.0, help_heading = "Sessions")]
    pub(crate) conversation_turn_stddev: f64,

    /// Mean delay (ms) before each turn after the first, from the previous turn's completion.
    #[arg(long, default_value_t = 0.0, help_heading = "Sessions")]
    pub(crate) conversation_turn_delay_mean: f64,

    /// Standard deviation of the turn delay (ms).
    #[arg(long, default_value_t = 0.0, help_heading = "Sessions")]
    pub(crate) conversation_turn_delay_stddev: f64,

    /// Factor applied to every turn delay.
    #[arg(long, default_value_t = 1.0, help_heading = "Sessions")]
    pub(crate) conversation_turn_delay_ratio: f64,
}
