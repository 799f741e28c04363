//! BurstGPT CSV → Mooncake JSONL, exactly as Dynamo's `benchmarks/burstgpt_loadgen/convert.py`.
//!
//! Pipeline, in order: model filter, log-type filter, drop the first `skip` rows, keep the first
//! `num_prompt` rows, renumber the kept rows 0..n−1, divide timestamps by `speed_ratio` (when it is
//! not 1), shift so the earliest kept timestamp is 0. Row `idx` becomes
//! `{"timestamp": int(ts·1000), "input_length": Request tokens, "output_length": Response tokens,
//! "hash_ids": ...}` where the hash ids are the chained ids (one rolling hasher, as [`servebench_trace_formats::RollingHasher`], for the
//! whole file) of `ceil(input_length / block_size)` blocks, each `random.randint(0, num_hash_blocks)`
//! drawn after `random.seed(idx)` with Python's own generator ([`PyRandom`]). Output lines are
//! compact JSON, as pandas' `to_json(orient="records", lines=True)` writes them, so the output is
//! byte-identical to the original script's for the same input.
//!
//! The output's timestamps are shifted by the earliest kept timestamp, which is known only after
//! the last row, so a scan pass reads the whole file first (counting rows and malformed rows,
//! finding the timestamp range) and keeps the selected rows in memory, 24 bytes each, up to
//! [`BurstGptConvertOptions::max_buffered_rows`]; the conversion pass then works from memory. A
//! larger selection is read from the file a second time instead, so memory stays bounded: the
//! row buffer, plus the block-id table (about 8 bytes per distinct block id, as before).
//! Where the original would crash or silently misbehave this converter reports instead:
//! malformed rows (named by line and column) follow the [`servebench_trace_formats::ErrorPolicy`], and negative
//! counts or timestamps are malformed.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use serde::Serialize;

use crate::convert::draws::{CHUNK, DrawPool, Drawn};
use crate::convert::kept_rows::{KeptRow, KeptRows, Selection};
use crate::convert::line_stage::LineStage;
use crate::convert::stats::TraceStats;
use servebench_trace_formats::BlockHasher;
use servebench_trace_formats::BurstGptReader;
use servebench_trace_formats::{Error, ReadOptions, ReadReport};

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
    /// Threads drawing hash blocks (parsing, hashing and writing stay on the calling thread; one
    /// more thread formats the output lines). The output does not depend on it. Default: the available parallelism, at most 4.
    pub draw_threads: usize,
    /// Kept rows held in memory (24 bytes each) so that the CSV is parsed once; when more rows
    /// are kept the file is read a second time instead. The output does not depend on it.
    /// Default: 16,777,216 (384 MB).
    pub max_buffered_rows: u64,
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
            draw_threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            max_buffered_rows: 1 << 24,
        }
    }
}

impl BurstGptConvertOptions {
    /// Checks every value's range (also done by [`convert_burstgpt`]); errors name the setting.
    pub fn validate(&self) -> Result<(), Error> {
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
    /// Malformed rows of the whole file (found by the scan pass).
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
///
/// The output is byte-identical to Dynamo's `burstgpt_loadgen/convert.py` for the same input and
/// options: hash blocks come from [`crate::pycompat::PyRandom`], a bit-exact port of CPython's
/// `random.seed(int)`/`randint`, and lines are compact JSON as pandas writes them. Unlike the
/// original, malformed rows (and negative numbers) are reported by line and column, per
/// `options.read`, instead of crashing or passing through.
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
    let mut kept_blocks = 0u64;
    let mut kept_rows = 0u64;
    let mut buffered: Option<Vec<KeptRow>> = Some(Vec::new());
    let mut reader = open(input, options)?;
    loop {
        let row = reader.read_light(|ts, isl, osl, model, log_type| {
            (ts, isl, osl, options.keeps(model, log_type))
        })?;
        let Some((ts, isl, osl, (model_ok, both_ok))) = row else {
            break;
        };
        counts.rows_read += 1;
        counts.after_model += u64::from(model_ok);
        if both_ok {
            let selected = counts.after_log_type;
            counts.after_log_type += 1;
            if selected >= options.skip && selected < limit {
                kept_range = Some(kept_range.map_or((ts, ts), |(lo, hi)| (lo.min(ts), hi.max(ts))));
                kept_blocks = kept_blocks.saturating_add(isl.div_ceil(options.block_size));
                kept_rows += 1;
                match &mut buffered {
                    Some(rows) if (rows.len() as u64) < options.max_buffered_rows => {
                        rows.push((ts, isl, osl));
                    }
                    _ => buffered = None,
                }
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
    // The scan pass reads every row (the conversion pass stops at the head limit).
    let read_report = reader.report().clone();
    let file_bytes = reader.byte_position();
    drop(reader);

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

    // Pass 2: convert. Rows go to the drawing threads in chunks and come back in order.
    let mut output = output;
    // Room for every block id up front (random blocks rarely repeat): 8 bytes per id.
    let mut sink = Sink {
        hasher: BlockHasher::with_capacity(
            kept_blocks.min(1 << 28) as usize,
            kept_rows.min(1 << 26) as usize,
            options.num_hash_blocks.saturating_add(1),
        ),
        written: 0,
        starts: Vec::with_capacity(CHUNK + 1),
    };
    let keeps = |model: &str, log_type: &str| options.keeps(model, log_type).1;
    let selection = Selection {
        keeps: &keeps,
        skip: options.skip,
        limit,
    };
    let mut source = match buffered {
        Some(rows) => KeptRows::memory(rows, file_bytes),
        None => KeptRows::File {
            reader: Box::new(open(input, options)?),
            selected: 0,
        },
    };
    std::thread::scope(|scope| -> Result<(), Error> {
        let mut pool = DrawPool::start(scope, options.draw_threads, options.num_hash_blocks);
        let mut lines = LineStage::start(scope);
        let mut queued: VecDeque<Vec<(u64, u64, u64)>> = VecDeque::new();
        let mut rows = Vec::with_capacity(CHUNK);
        let mut submitted = 0u64;
        loop {
            let row = source.next(&selection)?;
            let end = row.is_none();
            if let Some((ts, isl, osl)) = row {
                rows.push((to_ms(ts), isl, osl));
            }
            if rows.len() == CHUNK || (end && !rows.is_empty()) {
                let counts = rows
                    .iter()
                    .map(|r| r.1.div_ceil(options.block_size))
                    .collect();
                pool.submit(submitted, counts);
                submitted += rows.len() as u64;
                queued.push_back(std::mem::replace(&mut rows, Vec::with_capacity(CHUNK)));
                while let Some(drawn) = pool.next(false) {
                    sink.emit(
                        &drawn,
                        queued.pop_front().unwrap_or_default(),
                        &mut lines,
                        &mut stats,
                    )?;
                    lines.drain(&mut output, output_name, false)?;
                }
                progress(ConvertProgress {
                    pass: 2,
                    bytes: source.byte_position(),
                    rows_written: sink.written,
                });
            }
            if end {
                break;
            }
        }
        pool.close();
        while let Some(drawn) = pool.next(true) {
            sink.emit(
                &drawn,
                queued.pop_front().unwrap_or_default(),
                &mut lines,
                &mut stats,
            )?;
        }
        lines.drain(&mut output, output_name, true)
    })?;
    let written = sink.written;
    output.flush().map_err(|e| Error::write(output_name, e))?;
    counts.converted = written;
    progress(ConvertProgress {
        pass: 2,
        bytes: source.byte_position(),
        rows_written: written,
    });
    Ok(BurstGptConversion {
        counts,
        input_range_s: kept_range,
        offset_s,
        stats,
        read_report,
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

/// Rows whose first table accesses [`BlockHasher::warm`] issues together.
const WARM_ROWS: usize = 16;

/// Hashes drawn blocks into ids and writes the records, in order.
struct Sink {
    hasher: BlockHasher,
    written: u64,
    /// Start of each row's blocks in the current chunk (and the end of the last).
    starts: Vec<usize>,
}

impl Sink {
    /// Hashes the blocks of a chunk of rows and hands the chunk to the formatting stage.
    fn emit(
        &mut self,
        drawn: &Drawn,
        rows: Vec<(u64, u64, u64)>,
        lines: &mut LineStage,
        stats: &mut TraceStats,
    ) -> Result<(), Error> {
        self.starts.clear();
        self.starts.push(0);
        for &n in &drawn.counts {
            self.starts
                .push(self.starts[self.starts.len() - 1] + n as usize);
        }
        let row_blocks = |r: usize| &drawn.values[self.starts[r]..self.starts[r + 1]];
        let rows_in = drawn.counts.len().min(rows.len());
        let warm = |hasher: &BlockHasher, from: usize| {
            let to = (from + WARM_ROWS).min(rows_in);
            std::hint::black_box(hasher.warm((from.min(to)..to).map(row_blocks)));
        };
        warm(&self.hasher, 0);
        let mut ids = Vec::with_capacity(drawn.values.len());
        for (row, &(ts_ms, isl, osl)) in rows.iter().enumerate().take(rows_in) {
            if row % WARM_ROWS == 0 {
                // Touch the table for the next batch of rows together so that their cache
                // misses overlap, and are done by the time those rows are hashed.
                warm(&self.hasher, row + WARM_ROWS);
            }
            self.hasher.hash_into(row_blocks(row), &mut ids);
            stats.add(ts_ms, isl, osl);
            self.written += 1;
        }
        lines.push(rows, drawn.counts.clone(), ids);
        Ok(())
    }
}
