//! Workload trace formats for servebench: readers and writers for Mooncake JSONL, AIPerf
//! single-turn / multi-turn / random-pool JSONL, BurstGPT CSV and the Azure LLM inference CSV;
//! converters between them; and the trace synthesizers behind `sin-synth` and `datagen`.
//!
//! Everything here is synchronous and streaming: readers yield one record at a time and report a
//! malformed line with its file, line number and field.
#![deny(missing_docs)]

pub mod analyze;
mod hasher;
mod mooncake;
pub mod synthesize;

pub use analyze::{PrefixAnalysis, PrefixAnalyzer};
pub use hasher::RollingHasher;
pub use mooncake::MooncakeRecord;
pub use synthesize::{RequestFilters, Synthesizer, SynthesizerConfig, SyntheticRequest};
