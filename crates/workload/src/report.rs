//! The conversion report: the one file format servebench defines in this crate.
//!
//! Mooncake, AIPerf, BurstGPT and Azure files are other projects' formats: they are read and
//! written exactly as those projects do, with no added keys (so no version field). The
//! conversion report (`burstgpt-convert --report-json`) is servebench's own and carries
//! `format_version` ([`CONVERSION_REPORT_VERSION`]).

use serde::Serialize;

use crate::convert::burstgpt::{BurstGptConversion, PipelineCounts};
use crate::convert::stats::TraceStats;

/// Version of the [`ConversionReport`] layout. Bumped whenever a key that carries meaning is added,
/// removed or changes meaning.
pub const CONVERSION_REPORT_VERSION: u32 = 1;

/// Machine-readable summary of a conversion (`burstgpt-convert --report-json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ConversionReport {
    /// Always [`CONVERSION_REPORT_VERSION`].
    pub format_version: u32,
    /// The tool that wrote it, e.g. `burstgpt-convert`.
    pub tool: String,
    /// Input path.
    pub input: String,
    /// Output path.
    pub output: String,
    /// Rows after each pipeline step.
    pub counts: PipelineCounts,
    /// Malformed rows skipped.
    pub malformed_rows: u64,
    /// The first malformed-row messages (`file:line: field ...: message`).
    pub first_errors: Vec<String>,
    /// Seconds subtracted from every timestamp (after the speed ratio).
    pub offset_s: f64,
    /// Output statistics.
    pub stats: TraceStats,
}

impl ConversionReport {
    /// The report of a BurstGPT conversion.
    pub fn from_burstgpt(conversion: &BurstGptConversion, input: &str, output: &str) -> Self {
        Self {
            format_version: CONVERSION_REPORT_VERSION,
            tool: "burstgpt-convert".into(),
            input: input.into(),
            output: output.into(),
            counts: conversion.counts.clone(),
            malformed_rows: conversion.read_report.malformed,
            first_errors: conversion
                .read_report
                .first_errors
                .iter()
                .map(ToString::to_string)
                .collect(),
            offset_s: conversion.offset_s,
            stats: conversion.stats.clone(),
        }
    }
}
