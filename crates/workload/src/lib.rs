//! Workload tools built on `servebench-trace-formats`: the BurstGPT and Azure converters to
//! Mooncake JSONL, the prefix-sharing synthesizer and analyzer behind `datagen`, the sine-wave
//! generator behind `sin-synth`, the conversion report, and the Python `random` emulation
//! ([`pycompat`]) that makes the converters' output byte-identical to the Python originals.
//!
//! Generate a short sine-wave trace into memory:
//!
//! ```
//! use rand::SeedableRng;
//! use rand::rngs::StdRng;
//! use servebench_trace_formats::{JsonStyle, MooncakeWriter};
//! use servebench_workload::SinSynthConfig;
//!
//! let mut config = SinSynthConfig::default();
//! config.time_duration = 5;
//! let mut writer = MooncakeWriter::new(Vec::new(), "trace.jsonl", JsonStyle::Python);
//! let summary = config.generate(&mut StdRng::seed_from_u64(7), &mut writer, &mut |_| {})?;
//! let bytes = writer.finish()?;
//! assert_eq!(summary.per_interval.len(), 5);
//! assert_eq!(bytes.iter().filter(|b| **b == b'\n').count() as u64, summary.requests);
//! # Ok::<(), servebench_trace_formats::Error>(())
//! ```
#![deny(missing_docs)]

pub mod analyze;
mod convert;
pub mod pycompat;
mod report;
mod sin_synth;
pub mod synthesize;

pub use convert::azure::{AzureConversion, AzureConvertOptions, convert_azure};
pub use convert::burstgpt::{
    BurstGptConversion, BurstGptConvertOptions, ConvertProgress, PipelineCounts, convert_burstgpt,
};
pub use convert::stats::{LengthStats, RateTimeline, TraceStats};
pub use report::{CONVERSION_REPORT_VERSION, ConversionReport};
pub use sin_synth::{DefaultedFloats, SinSynthConfig, SinSynthSummary, sine_value};
