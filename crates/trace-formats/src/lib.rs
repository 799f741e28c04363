//! Workload trace formats for servebench: readers and writers for Mooncake JSONL, AIPerf
//! single-turn / multi-turn / random-pool JSONL, BurstGPT CSV and the Azure LLM inference CSV;
//! converters between them; and the trace synthesizers behind `sin-synth` and `datagen`.
//!
//! Everything here is synchronous and streaming: readers yield one record at a time and report a
//! malformed line with its file, line number and field.
//!
//! # Reading and writing
//!
//! ```
//! use servebench_trace_formats::{ErrorPolicy, JsonStyle, MooncakeReader, MooncakeWriter, ReadOptions};
//!
//! let input = "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n\
//!              not json\n";
//! let mut reader = MooncakeReader::new(input.as_bytes(), "trace.jsonl", ReadOptions::with_policy(ErrorPolicy::Skip));
//! let mut out = MooncakeWriter::new(Vec::new(), "out", JsonStyle::Compact);
//! for record in &mut reader {
//!     out.write(&record?)?;
//! }
//! assert_eq!(reader.report().malformed, 1);
//! assert!(reader.report().first_errors[0].to_string().starts_with("trace.jsonl:2: invalid JSON"));
//! let bytes = out.finish()?;
//! assert_eq!(bytes, b"{\"timestamp\":0,\"input_length\":600,\"output_length\":5,\"hash_ids\":[0,1]}\n");
//! # Ok::<(), servebench_trace_formats::Error>(())
//! ```
//!
//! # Python compatibility
//!
//! [`convert_burstgpt`] reproduces Dynamo's `burstgpt_loadgen/convert.py` byte for byte: its hash
//! blocks come from [`PyRandom`], a bit-exact port of CPython's `random.seed(int)` and `randint`
//! (checked against the machine's `python3` by the test suite), and its output is checked
//! against a standard-library Python re-statement of the original pipeline.
//!
//! # Formats and versions
//!
//! Mooncake, AIPerf, BurstGPT and Azure files are other projects' formats: they are read and
//! written exactly as those projects do, with no added keys. The one format servebench defines
//! here is the conversion report ([`ConversionReport`], written by `burstgpt-convert
//! --report-json`); it carries `format_version` ([`CONVERSION_REPORT_VERSION`]).
#![deny(missing_docs)]

mod aiperf;
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

pub use aiperf::{
    ContentItem, MultiTurn, MultiTurnReader, MultiTurnWriter, RandomPoolEntry, RandomPoolReader,
    RandomPoolWriter, SingleTurn, SingleTurnReader, SingleTurnWriter,
};
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
