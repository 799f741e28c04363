//! Azure LLM inference CSV → Mooncake JSONL.
//!
//! Timestamps become milliseconds after the first row (rounded down; divided by `speed_ratio`
//! when it is not 1). The Azure data has no prefix information, so hash ids are synthesised the
//! way `burstgpt-convert` does it: row `idx` (0-based) gets `ceil(ContextTokens / block_size)`
//! blocks drawn with Python's `random.seed(idx)` + `randint(0, num_hash_blocks)`, chained through
//! one rolling hasher for the file. Rows must be in time order (the published files are);
//! a row earlier than its predecessor is malformed.

use std::io::{Read, Write};

use crate::pycompat::PyRandom;
use servebench_trace_formats::AzureReader;
use servebench_trace_formats::BlockHasher;
use servebench_trace_formats::{Error, ReadReport};
use servebench_trace_formats::{MooncakeRecord, MooncakeWriter};

/// Options of [`convert_azure`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AzureConvertOptions {
    /// Tokens per hash block (> 0). Default: 512, the Mooncake block size.
    pub block_size: u64,
    /// Block values are drawn from `0..=num_hash_blocks`. Default: 10000.
    pub num_hash_blocks: u64,
    /// Timestamps are divided by this (> 0). Default: 1.0.
    pub speed_ratio: f64,
}

impl Default for AzureConvertOptions {
    fn default() -> Self {
        Self {
            block_size: 512,
            num_hash_blocks: 10_000,
            speed_ratio: 1.0,
        }
    }
}

/// Result of [`convert_azure`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AzureConversion {
    /// Records written.
    pub written: u64,
    /// Malformed rows seen by the reader.
    pub read_report: ReadReport,
}

/// Converts every row of `reader` (whose [`servebench_trace_formats::ReadOptions`] decide what happens to malformed
/// rows; time order is always enforced) into `writer`.
pub fn convert_azure<R: Read, W: Write>(
    mut reader: AzureReader<R>,
    writer: &mut MooncakeWriter<W>,
    options: &AzureConvertOptions,
) -> Result<AzureConversion, Error> {
    if !(options.speed_ratio > 0.0 && options.speed_ratio.is_finite()) {
        return Err(Error::invalid_option(
            "speed_ratio",
            format!("must be a positive number, got {}", options.speed_ratio),
        ));
    }
    if options.block_size == 0 {
        return Err(Error::invalid_option("block_size", "must be at least 1"));
    }
    if options.num_hash_blocks == u64::MAX {
        return Err(Error::invalid_option(
            "num_hash_blocks",
            "must be below 2^64 - 1",
        ));
    }
    reader.force_monotonic();
    let mut hasher = BlockHasher::default();
    let mut first = None;
    let mut written = 0u64;
    let mut blocks = Vec::new();
    while let Some(row) = reader.read_record()? {
        let start = *first.get_or_insert(row.timestamp.unix_nanos());
        let elapsed_ns = row.timestamp.unix_nanos() - start;
        let ts_ms = if options.speed_ratio == 1.0 {
            elapsed_ns / 1_000_000
        } else {
            (elapsed_ns as f64 / options.speed_ratio / 1e6).floor() as i64
        };
        let mut rng = PyRandom::seed(written);
        blocks.clear();
        blocks.extend(
            (0..row.context_tokens.div_ceil(options.block_size))
                .map(|_| rng.randint_from_zero(options.num_hash_blocks)),
        );
        let mut hash_ids = Vec::with_capacity(blocks.len());
        hasher.hash_into(&blocks, &mut hash_ids);
        let record = MooncakeRecord::new(
            Some(ts_ms.max(0) as u64),
            row.context_tokens,
            row.generated_tokens,
            hash_ids,
        );
        writer.write(&record)?;
        written += 1;
    }
    Ok(AzureConversion {
        written,
        read_report: reader.report().clone(),
    })
}
