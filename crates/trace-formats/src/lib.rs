//! Workload trace formats for servebench: readers and writers for Mooncake JSONL, AIPerf
//! single-turn / multi-turn / random-pool JSONL, BurstGPT CSV and the Azure LLM inference CSV;
//! converters between them; and the trace synthesizers behind `sin-synth` and `datagen`.
//!
//! Everything here is synchronous and streaming: readers yield one record at a time and report a
//! malformed line with its file, line number and field.
#![deny(missing_docs)]

mod aiperf;
pub mod analyze;
mod azure;
mod burstgpt;
mod convert;
mod csvrows;
mod error;
mod hasher;
mod jsonl;
mod lines;
mod mooncake;
mod pyrandom;
mod pytext;
mod report;
mod sin_synth;
mod sink;
pub mod synthesize;
mod token_hashes;

pub use aiperf::{
    ContentItem, MultiTurn, MultiTurnReader, MultiTurnWriter, RandomPoolEntry, RandomPoolReader,
    RandomPoolWriter, SingleTurn, SingleTurnReader, SingleTurnWriter,
};
pub use analyze::{PrefixAnalysis, PrefixAnalyzer};
pub use azure::{AZURE_HEADER, AzureReader, AzureRecord, AzureTimestamp, AzureWriter};
pub use burstgpt::{BURSTGPT_HEADER, BurstGptReader, BurstGptRecord, BurstGptWriter};
pub use convert::azure::{AzureConversion, AzureConvertOptions, convert_azure};
pub use convert::burstgpt::{
    BurstGptConversion, BurstGptConvertOptions, ConvertProgress, PipelineCounts, convert_burstgpt,
};
pub use convert::stats::{LengthStats, RateTimeline, TraceStats};
pub use error::{
    Error, ErrorPolicy, FieldProblem, ReadOptions, ReadReport, RecordError, RecordErrorKind,
};
pub use hasher::RollingHasher;
pub use jsonl::{CheckState, JsonlReader, JsonlRecord, JsonlWriter};
pub use mooncake::{
    JsonStyle, MooncakeReader, MooncakeRecord, MooncakeWriter, format_mooncake_line, open_mooncake,
};
pub use pyrandom::{LANES, LaneRandoms, PyRandom, seed_lanes};
pub use pytext::{push_python_json_string, python_float_repr, python_number_text};
pub use report::{CONVERSION_REPORT_VERSION, ConversionReport};
pub use sin_synth::{DefaultedFloats, SinSynthConfig, SinSynthSummary, sine_value};
pub use synthesize::{RequestFilters, Synthesizer, SynthesizerConfig, SyntheticRequest};
pub use token_hashes::token_ids_to_hash_ids;
