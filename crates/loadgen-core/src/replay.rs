//! Datasets read from files: AIPerf's custom JSONL formats (`single_turn`, `multi_turn`,
//! `random_pool`), Mooncake traces (`hash_ids` rendered as token blocks, see [`BlockText`]),
//! BurstGPT CSV traces and the `inputs.json` of an earlier run, plus the fixed-schedule options
//! of trace replay and the dataset sampling strategies. [`build_dataset`] turns a whole
//! [`DatasetSpec`] (synthetic prompts, synthetic sessions or an input file, with its schedule) into
//! the [`PreparedDataset`] a run sends, as `loadgen` does.
//!
//! Files are read through `servebench-trace-formats`' streaming readers, so a malformed line is
//! reported as `file:line: field ...`.
//!
//! ```
//! use servebench_loadgen_core::replay::{DatasetType, ReplayOptions, load_dataset};
//! use servebench_tokenize::BuiltinTokenizer;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("trace.jsonl");
//! std::fs::write(&path, "{\"timestamp\": 0, \"input_length\": 20, \"output_length\": 4, \"hash_ids\": [7, 8]}\n")?;
//! let mut options = ReplayOptions::new(1);
//! options.block_size = 16;
//! let data = load_dataset(&path, DatasetType::MooncakeTrace, &options, &BuiltinTokenizer::new())?;
//! assert_eq!(data.entries.len(), 1);
//! assert_eq!(data.entries[0].input_tokens, 20);
//! assert!(data.has_timestamps);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod block_body;
mod blocks;
mod burst_gpt;
mod content;
mod error;
mod inputs_json;
mod mooncake;
mod multi_turn;
mod random_pool;
mod sampling;
mod schedule;
mod single_turn;
mod source;
mod synthetic_sessions;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use servebench_tokenize::Tokenizer;

pub(crate) use block_body::block_body;
pub use blocks::{BlockPrompt, BlockText};
pub use error::ReplayError;
pub(crate) use sampling::EntrySampler;
pub use sampling::SamplingStrategy;
pub use schedule::FixedSchedule;
pub use source::{DatasetError, DatasetSpec, PreparedDataset, build_dataset, detect_dataset_type};
pub use synthetic_sessions::{SessionConfig, synthetic_sessions};

use crate::DatasetEntry;

/// AIPerf's default `--prompt-input-tokens-block-size` (Mooncake's block size).
pub const DEFAULT_BLOCK_SIZE: u64 = 512;

/// The format of an `--input-file` (AIPerf `--custom-dataset-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetType {
    /// One request per line (`text`, `texts`, `image`, ..., optional `timestamp`).
    SingleTurn,
    /// One session per line, its `turns` sent in order.
    MultiTurn,
    /// Entries sampled from a file, or from every file of a directory at once.
    RandomPool,
    /// Mooncake trace: `timestamp`, `input_length`, `output_length`, `hash_ids`.
    MooncakeTrace,
    /// BurstGPT CSV trace (timestamps in seconds, token counts).
    BurstGptTrace,
    /// The `inputs.json` of an earlier run: its exact payloads.
    InputsJson,
}

impl DatasetType {
    /// AIPerf's name (underscore spelling).
    pub fn name(self) -> &'static str {
        match self {
            Self::SingleTurn => "single_turn",
            Self::MultiTurn => "multi_turn",
            Self::RandomPool => "random_pool",
            Self::MooncakeTrace => "mooncake_trace",
            Self::BurstGptTrace => "burst_gpt_trace",
            Self::InputsJson => "inputs_json",
        }
    }

    /// AIPerf's default sampling strategy for this source: `shuffle` for random pools,
    /// `sequential` for everything else (traces and conversations replay in file order).
    pub fn default_sampling(self) -> SamplingStrategy {
        match self {
            Self::RandomPool => SamplingStrategy::Shuffle,
            _ => SamplingStrategy::Sequential,
        }
    }
}

impl FromStr for DatasetType {
    type Err = String;

    /// Accepts the underscore and dashed spellings (`single_turn`, `single-turn`).
    fn from_str(s: &str) -> Result<Self, String> {
        let all = [
            Self::SingleTurn,
            Self::MultiTurn,
            Self::RandomPool,
            Self::MooncakeTrace,
            Self::BurstGptTrace,
            Self::InputsJson,
        ];
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        all.into_iter().find(|t| t.name() == wanted).ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|t| t.name()).collect();
            format!(
                "unknown dataset type {s:?} (expected one of {})",
                names.join(", ")
            )
        })
    }
}

/// How files are turned into entries.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Tokens per Mooncake hash id (AIPerf `--prompt-input-tokens-block-size`, default 512).
    pub block_size: u64,
    /// Seed of block texts and random-pool draws.
    pub seed: u64,
    /// Output length for entries that give none (AIPerf `--osl`); `None`: the server decides.
    pub default_output_tokens: Option<u64>,
    /// Entries drawn from a directory of random pools (AIPerf `--conversation-num`, default 100).
    pub pool_entries: usize,
}

impl ReplayOptions {
    /// Defaults with `seed`: 512-token blocks, no default output length, 100 pool entries.
    pub fn new(seed: u64) -> Self {
        Self {
            block_size: DEFAULT_BLOCK_SIZE,
            seed,
            default_output_tokens: None,
            pool_entries: 100,
        }
    }
}

/// Entries read from a file.
#[derive(Debug, Clone)]
pub struct ReplayDataset {
    /// The entries in file order (a session's turns are consecutive, in order).
    pub entries: Vec<DatasetEntry>,
    /// Whether the first entry has a timestamp (fixed-schedule replay is then the default).
    pub has_timestamps: bool,
    /// Number of multi-turn sessions (0 when the entries are independent requests).
    pub sessions: usize,
}

/// Shared by the per-format loaders.
pub(crate) struct LoadContext<'a> {
    pub(crate) tokenizer: &'a dyn Tokenizer,
    pub(crate) options: &'a ReplayOptions,
    blocks: Option<Arc<BlockText>>,
}

impl LoadContext<'_> {
    /// The block renderer (built on first use).
    pub(crate) fn blocks(&mut self) -> Result<Arc<BlockText>, ReplayError> {
        if let Some(b) = &self.blocks {
            return Ok(Arc::clone(b));
        }
        let b = Arc::new(BlockText::new(
            self.tokenizer,
            self.options.block_size,
            self.options.seed,
        )?);
        self.blocks = Some(Arc::clone(&b));
        Ok(b)
    }
}

/// Reads `path` as a `kind` dataset, measuring prompts with `tokenizer`.
///
/// # Errors
/// A file that cannot be read, a malformed record (named `file:line: field`), a record that
/// cannot be replayed, or an empty file.
pub fn load_dataset(
    path: &Path,
    kind: DatasetType,
    options: &ReplayOptions,
    tokenizer: &dyn Tokenizer,
) -> Result<ReplayDataset, ReplayError> {
    let mut cx = LoadContext {
        tokenizer,
        options,
        blocks: None,
    };
    let entries = match kind {
        DatasetType::SingleTurn => single_turn::load(path, &mut cx)?,
        DatasetType::MultiTurn => multi_turn::load(path, &mut cx)?,
        DatasetType::RandomPool => random_pool::load(path, &mut cx)?,
        DatasetType::MooncakeTrace => mooncake::load(path, &mut cx)?,
        DatasetType::BurstGptTrace => burst_gpt::load(path, &mut cx)?,
        DatasetType::InputsJson => inputs_json::load(path, &mut cx)?,
    };
    if entries.is_empty() {
        return Err(ReplayError::Empty {
            path: path.display().to_string(),
        });
    }
    Ok(describe(entries))
}

/// Wraps entries with what a run needs to know about them.
pub(crate) fn describe(entries: Vec<DatasetEntry>) -> ReplayDataset {
    let has_timestamps = entries.first().and_then(DatasetEntry::timestamp).is_some();
    let mut sessions = 0;
    let mut last = None;
    for e in &entries {
        if let Some(s) = e.session()
            && last != Some(s.session)
        {
            sessions += 1;
            last = Some(s.session);
        }
    }
    ReplayDataset {
        entries,
        has_timestamps,
        sessions,
    }
}
