//! The command line of `burstgpt-convert`, and its translation into conversion options.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use servebench_cli_support::logging::LogArgs;
use servebench_trace_formats::{ErrorPolicy, ReadOptions};
use servebench_workload::BurstGptConvertOptions;

/// Convert a BurstGPT CSV (Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type)
/// to a Mooncake JSONL trace.
///
/// Pipeline: model filter, log-type filter, skip, head, renumber rows 0..n-1, divide timestamps
/// by the speed ratio, shift the earliest to 0. Row i gets ceil(input_length/block_size) blocks
/// drawn with Python's random.seed(i) and randint(0, num_hash_blocks), chained into hash_ids by
/// one rolling hasher. The random generator is a bit-exact port of CPython's Mersenne Twister,
/// so the output is byte-identical to Dynamo's convert.py for the same input and flags.
#[derive(Debug, Parser)]
#[command(
    name = "burstgpt-convert",
    version,
    about,
    long_about,
    allow_negative_numbers = true
)]
pub(crate) struct Args {
    /// Path to the input BurstGPT CSV file.
    #[arg(long)]
    pub(crate) input_file: PathBuf,
    /// Path to the output Mooncake JSONL [default: the input path with its extension replaced by .jsonl].
    #[arg(long)]
    pub(crate) output_file: Option<PathBuf>,
    /// Keep only this model [default: all].
    #[arg(long, value_enum)]
    pub(crate) model: Option<Model>,
    /// Keep only this log type [default: all].
    #[arg(long, value_enum)]
    pub(crate) log_type: Option<LogType>,
    /// Skip the first N rows after filtering (before --num-prompt).
    #[arg(long, default_value_t = 0)]
    pub(crate) skip_num_prompt: u64,
    /// Keep at most N rows after filtering and skipping [default: all].
    #[arg(long)]
    pub(crate) num_prompt: Option<u64>,
    /// Divide timestamps by this: > 1 speeds requests up, < 1 slows them down.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) speed_ratio: f64,
    /// Tokens per hash block: each request gets ceil(input_length / block_size) hash ids.
    #[arg(long, default_value_t = 128)]
    pub(crate) block_size: u64,
    /// Block values are drawn from 0..=num_hash_blocks (inclusive, like Python's randint).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) num_hash_blocks: u64,
    /// Skip malformed rows (counted and reported) instead of stopping at the first one.
    #[arg(long)]
    pub(crate) skip_malformed: bool,
    /// Threads drawing hash blocks; the output does not depend on it [default: CPUs, at most 4].
    #[arg(long)]
    pub(crate) draw_threads: Option<usize>,
    /// Also write a machine-readable report (JSON with format_version) to this path.
    #[arg(long)]
    pub(crate) report_json: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) log: LogArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Model {
    #[value(name = "ChatGPT")]
    ChatGpt,
    #[value(name = "GPT-4")]
    Gpt4,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogType {
    #[value(name = "Conversation log")]
    Conversation,
    #[value(name = "API log")]
    Api,
}

impl Args {
    /// The output path: `--output-file`, else the input path with its extension replaced by
    /// `.jsonl` (the original's default).
    pub(crate) fn output_path(&self) -> PathBuf {
        self.output_file
            .clone()
            .unwrap_or_else(|| self.input_file.with_extension("jsonl"))
    }

    /// The conversion options the flags ask for.
    pub(crate) fn options(&self) -> BurstGptConvertOptions {
        let mut options = BurstGptConvertOptions::default();
        options.model = self.model.map(|m| match m {
            Model::ChatGpt => "ChatGPT".to_owned(),
            Model::Gpt4 => "GPT-4".to_owned(),
        });
        options.log_type = self.log_type.map(|l| match l {
            LogType::Conversation => "Conversation log".to_owned(),
            LogType::Api => "API log".to_owned(),
        });
        options.skip = self.skip_num_prompt;
        options.num_prompt = self.num_prompt;
        options.speed_ratio = self.speed_ratio;
        options.block_size = self.block_size;
        options.num_hash_blocks = self.num_hash_blocks;
        let policy = if self.skip_malformed {
            ErrorPolicy::Skip
        } else {
            ErrorPolicy::Stop
        };
        options.read = ReadOptions::with_policy(policy).monotonic_timestamps(false);
        if let Some(threads) = self.draw_threads {
            options.draw_threads = threads.max(1);
        }
        options
    }
}
