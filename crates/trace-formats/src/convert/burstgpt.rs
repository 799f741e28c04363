//! BurstGPT CSV → Mooncake JSONL, exactly as Dynamo's `benchmarks/burstgpt_loadgen/convert.py`.
//!
//! Pipeline, in order: model filter, log-type filter, drop the first `skip` rows, keep the first
//! `num_prompt` rows, renumber the kept rows 0..n−1, divide timestamps by `speed_ratio` (when it is
//! not 1), shift so the earliest kept timestamp is 0. Row `idx` becomes
//! `{"timestamp": int(ts·1000), "input_length": Request tokens, "output_length": Response tokens,
//! "hash_ids": ...}` where the hash ids are the chained ids (one [`RollingHasher`] for the whole
//! file) of `ceil(input_length / block_size)` blocks, each `random.randint(0, num_hash_blocks)`
//! drawn after `random.seed(idx)` with Python's own generator ([`PyRandom`]). Output lines are
//! compact JSON, as pandas' `to_json(orient="records", lines=True)` writes them, so the output is
//! byte-identical to the original script's for the same input.
//!
//! Memory stays constant apart from the hasher's table (one entry per distinct block id): the
//! file is read twice, first to find the earliest and latest kept timestamps, then to convert.
//! Where the original would crash or silently misbehave this converter reports instead:
//! malformed rows (named by line and column) follow the [`crate::ErrorPolicy`], and negative
//! counts or timestamps are malformed.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use serde::Serialize;

use crate::burstgpt::BurstGptReader;
use crate::convert::stats::TraceStats;
use crate::error::{Error, ReadOptions, ReadReport};
use crate::hasher::RollingHasher;
use crate::mooncake::{JsonStyle, MooncakeRecord, MooncakeWriter};
use crate::pyrandom::{LANES, PyRandom, seed_lanes};

/// Options of [`convert_burstgpt`], with the original's defaults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BurstGptConvertOptions {
    /// Keep only rows whose `Model` equals this. Default: all.
    pub model: Option<String>,
    /// Keep only rows whose `Log Type` equals this. Default: all.
    pub log_type: Option<String>,
    /// Drop this many rows after filtering. Default: 0.
    pub skip: u64,
    /// Keep at most this many rows after skipping. Default: all.
    pub num_prompt: Option<u64>,
    /// Timestamps are divided by this (> 0). Default: 1.0.
    pub speed_ratio: f64,
    /// Tokens per hash block (> 0). Default: 128.
    pub block_size: u64,
    /// Block values are drawn from `0..=num_hash_blocks`. Default: 10000.
    pub num_hash_blocks: u64,
    /// Malformed-row handling. Default: stop at the first.
    pub read: ReadOptions,
}

impl Default for BurstGptConvertOptions {
    fn default() -> Self {
        Self {
            model: None,
            log_type: None,
            skip: 0,
            num_prompt: None,
            speed_ratio: 1.0,
            block_size: 128,
            num_hash_blocks: 10_000,
            read: ReadOptions::default().monotonic_timestamps(false),
        }
    }
}

impl BurstGptConvertOptions {
    fn validate(&self) -> Result<(), Error> {
        if !(self.speed_ratio > 0.0 && self.speed_ratio.is_finite()) {
            return Err(Error::invalid_option(
                "speed_ratio",
                format!("must be a positive number, got {}", self.speed_ratio),
            ));
        }
        if self.block_size == 0 {
            return Err(Error::invalid_option("block_size", "must be at least 1"));
        }
        if self.num_hash_blocks == u64::MAX {
            return Err(Error::invalid_option(
                "num_hash_blocks",
                "must be below 2^64 - 1",
            ));
        }
        Ok(())
    }

    fn keeps(&self, model: &str, log_type: &str) -> (bool, bool) {
        let model_ok = self.model.as_deref().is_none_or(|m| m == model);
        let log_ok = self.log_type.as_deref().is_none_or(|l| l == log_type);
        (model_ok, model_ok && log_ok)
    }
}

/// Row counts after each pipeline step (what the original prints as "After ... filter: N rows").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PipelineCounts {
    /// Well-formed rows read.
    pub rows_read: u64,
    /// Rows left after the model filter.
    pub after_model: u64,
    /// Rows left after the log-type filter.
    pub after_log_type: u64,
    /// Rows left after skipping.
    pub after_skip: u64,
    /// Rows converted (after the head limit).
    pub converted: u64,
}

/// Result of [`convert_burstgpt`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct BurstGptConversion {
    /// Rows after each step.
    pub counts: PipelineCounts,
    /// Earliest and latest kept `Timestamp` as read (seconds), if any row was kept.
    pub input_range_s: Option<(f64, f64)>,
    /// Earliest kept timestamp in seconds, after the speed ratio and before the zero offset.
    pub offset_s: f64,
    /// Statistics of the output.
    pub stats: TraceStats,
    /// Malformed rows of the conversion pass.
    #[serde(skip)]
    pub read_report: ReadReport,
}

/// Where a conversion is, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConvertProgress {
    /// 1 for the scan pass, 2 for the conversion pass.
    pub pass: u8,
    /// Input bytes consumed in this pass.
    pub bytes: u64,
    /// Rows written so far (pass 2).
    pub rows_written: u64,
}

/// Converts the BurstGPT CSV at `input` to Mooncake JSONL written to `output` (wrap files in a
/// `BufWriter`). `progress` is called every few thousand rows.
pub fn convert_burstgpt<W: Write>(
    input: &Path,
    output: W,
    output_name: &str,
    options: &BurstGptConvertOptions,
    progress: &mut dyn FnMut(ConvertProgress),
) -> Result<BurstGptConversion, Error> {
    options.validate()?;
    let limit = options
        .num_prompt
        .map_or(u64::MAX, |n| options.skip.saturating_add(n));

    // Pass 1: counts, and the earliest and latest kept raw timestamps.
    let mut counts = PipelineCounts::default();
    let mut kept_range: Option<(f64, f64)> = None;
    let mut reader = open(input, options)?;
    loop {
        let row = reader.read_light(|ts, model, log_type| (ts, options.keeps(model, log_type)))?;
        let Some((ts, (model_ok, both_ok))) = row else {
            break;
        };
        counts.rows_read += 1;
        counts.after_model += u64::from(model_ok);
        if both_ok {
            let selected = counts.after_log_type;
            counts.after_log_type += 1;
            if selected >= options.skip && selected < limit {
                kept_range = Some(kept_range.map_or((ts, ts), |(lo, hi)| (lo.min(ts), hi.max(ts))));
            }
        }
        if counts.rows_read.is_multiple_of(8192) {
            progress(ConvertProgress {
                pass: 1,
                bytes: reader.byte_position(),
                rows_written: 0,
            });
        }
    }
    counts.after_skip = counts.after_log_type.saturating_sub(options.skip);

    let adjust = |ts: f64| {
        if options.speed_ratio == 1.0 {
            ts
        } else {
            ts / options.speed_ratio
        }
    };
    let offset_s = kept_range.map_or(0.0, |(lo, _)| adjust(lo));
    let to_ms = |ts: f64| {
        let t = adjust(ts);
        let t = if offset_s == 0.0 { t } else { t - offset_s };
        (t * 1000.0) as u64
    };
    let (min_ms, max_ms) = kept_range.map_or((0, 0), |(lo, hi)| (to_ms(lo), to_ms(hi)));
    let mut stats = TraceStats::new(min_ms, max_ms);

    // Pass 2: convert.
    let mut writer = MooncakeWriter::new(output, output_name, JsonStyle::Compact);
    let mut hasher = RollingHasher::new();
    let mut batch = Batch::default();
    let mut reader = open(input, options)?;
    let mut selected = 0u64;
    let mut written = 0u64;
    while selected < limit {
        let row = reader.read_borrowed(|ts, model, isl, osl, log_type| {
            (ts, isl, osl, options.keeps(model, log_type).1)
        })?;
        let Some((ts, isl, osl, keep)) = row else {
            break;
        };
        if !keep {
            continue;
        }
        selected += 1;
        if selected <= options.skip {
            continue;
        }
        batch.push(to_ms(ts), isl, osl);
        if batch.len == LANES {
            batch.flush(options, &mut hasher, &mut writer, &mut stats, written)?;
            written += batch.take() as u64;
            if written.is_multiple_of(8192) {
                progress(ConvertProgress {
                    pass: 2,
                    bytes: reader.byte_position(),
                    rows_written: written,
                });
            }
        }
    }
    batch.flush(options, &mut hasher, &mut writer, &mut stats, written)?;
    written += batch.take() as u64;
    writer.finish()?;
    counts.converted = written;
    progress(ConvertProgress {
        pass: 2,
        bytes: reader.byte_position(),
        rows_written: written,
    });
    Ok(BurstGptConversion {
        counts,
        input_range_s: kept_range,
        offset_s,
        stats,
        read_report: reader.report().clone(),
    })
}

fn open(
    input: &Path,
    options: &BurstGptConvertOptions,
) -> Result<BurstGptReader<BufReader<File>>, Error> {
    let name = input.display().to_string();
    let file = File::open(input).map_err(|e| Error::read(&name, e))?;
    BurstGptReader::new(
        BufReader::with_capacity(1 << 16, file),
        name,
        options.read.clone(),
    )
}

/// Up to [`LANES`] kept rows waiting for their generators to be seeded together.
#[derive(Default)]
struct Batch {
    rows: [(u64, u64, u64); LANES],
    len: usize,
    blocks: Vec<u64>,
    record: Option<MooncakeRecord>,
}

impl Batch {
    fn push(&mut self, ts_ms: u64, isl: u64, osl: u64) {
        self.rows[self.len] = (ts_ms, isl, osl);
        self.len += 1;
    }

    fn take(&mut self) -> usize {
        std::mem::take(&mut self.len)
    }

    /// Converts the waiting rows; the first has output index `first_index`.
    fn flush<W: Write>(
        &mut self,
        options: &BurstGptConvertOptions,
        hasher: &mut RollingHasher<u64>,
        writer: &mut MooncakeWriter<W>,
        stats: &mut TraceStats,
        first_index: u64,
    ) -> Result<(), Error> {
        if self.len == 0 {
            return Ok(());
        }
        let last_index = first_index + self.len as u64 - 1;
        let mut generators: Vec<PyRandom> =
            if self.len == LANES && last_index <= u64::from(u32::MAX) {
                seed_lanes(std::array::from_fn(|l| (first_index + l as u64) as u32)).into()
            } else {
                (0..self.len)
                    .map(|l| PyRandom::seed(first_index + l as u64))
                    .collect()
            };
        let record = self
            .record
            .get_or_insert_with(|| MooncakeRecord::new(Some(0), 0, 0, Vec::new()));
        for (rng, &(ts_ms, isl, osl)) in generators.iter_mut().zip(&self.rows[..self.len]) {
            let n_blocks = isl.div_ceil(options.block_size);
            self.blocks.clear();
            self.blocks
                .extend((0..n_blocks).map(|_| rng.randint_from_zero(options.num_hash_blocks)));
            record.timestamp = Some(ts_ms);
            record.input_length = isl;
            record.output_length = osl;
            record.hash_ids = hasher.hash_sequence(self.blocks.iter().copied());
            writer.write(record)?;
            stats.add(ts_ms, isl, osl);
        }
        Ok(())
    }
}
