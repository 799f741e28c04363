//! Workload trace formats for servebench: record types, streaming readers and writers for
//! Mooncake JSONL, AIPerf single-turn / multi-turn / random-pool JSONL, BurstGPT CSV and the
//! Azure LLM inference CSV, the read-policy and error types, the Python-compatible text the
//! writers produce, and the block ids ([`block_ids`]) that define what a Mooncake hash id means.
//!
//! Everything here is synchronous and streaming: readers yield one record at a time and report a
//! malformed line with its file, line number and field. Converters, synthesizers and analyses
//! built on these formats live in `servebench-workload`.
//!
//! Read and write one Mooncake line:
//!
//! ```
//! use servebench_trace_formats::{
//!     JsonStyle, MooncakeReader, MooncakeRecord, MooncakeWriter, ReadOptions,
//! };
//!
//! let line = "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n";
//! let records: Vec<MooncakeRecord> =
//!     MooncakeReader::new(line.as_bytes(), "trace.jsonl", ReadOptions::default())
//!         .collect::<Result<_, _>>()?;
//! assert_eq!(records[0].hash_ids, [0, 1]);
//!
//! let mut writer = MooncakeWriter::new(Vec::new(), "out.jsonl", JsonStyle::Python);
//! writer.write(&records[0])?;
//! assert_eq!(writer.finish()?, line.as_bytes());
//! # Ok::<(), servebench_trace_formats::Error>(())
//! ```
#![deny(missing_docs)]

mod aiperf;
mod azure;
pub mod block_ids;
mod burstgpt;
mod csvrows;
mod error;
mod jsonl;
mod lines;
mod mooncake;
mod pytext;
mod sink;

pub use aiperf::{
    ContentItem, MultiTurn, MultiTurnReader, MultiTurnWriter, RandomPoolEntry, RandomPoolReader,
    RandomPoolWriter, SingleTurn, SingleTurnReader, SingleTurnWriter,
};
pub use azure::{AZURE_HEADER, AzureReader, AzureRecord, AzureTimestamp, AzureWriter};
pub use block_ids::{BlockHasher, RollingHasher, token_ids_to_hash_ids};
pub use burstgpt::{BURSTGPT_HEADER, BurstGptReader, BurstGptRecord, BurstGptWriter};
pub use error::{
    Error, ErrorPolicy, FieldProblem, ReadOptions, ReadReport, RecordError, RecordErrorKind,
};
pub use jsonl::{CheckState, JsonlReader, JsonlRecord, JsonlWriter};
pub use mooncake::{
    JsonStyle, MooncakeReader, MooncakeRecord, MooncakeWriter, format_mooncake_line, open_mooncake,
};
pub use pytext::{push_python_json_string, python_float_repr, python_number_text};
