//! Prefix-sharing statistics of a Mooncake trace: Dynamo's `prefix_analyzer.py` (spec §6.2).
//!
//! Per row it derives the context (shared prefix) length, the unique prompt length and the
//! theoretical prefix-cache hit rate of an infinite cache filled in file order; then it
//! summarises each metric with [`SummaryStats`].

mod stats;
mod table;

use serde::Serialize;

use rustc_hash::{FxHashMap, FxHashSet};
use servebench_trace_formats::MooncakeRecord;

pub use stats::{STATS_COLUMNS, SummaryStats, percentile_linear};
pub use table::render_stats_table;

/// Metric names (table row labels) in Dynamo's order.
pub const ANALYSIS_METRICS: [&str; 5] = [
    "Input Length",
    "Context Length",
    "Unique Prompt Length",
    "Output Length",
    "Theoretical Hit Rates",
];

/// Accumulates trace rows, then computes the prefix statistics in [`PrefixAnalyzer::finish`].
///
/// Memory: the rows' lengths, 4 bytes per block, one counter and one map entry per distinct
/// `(position, hash_id)` pair, and one set entry per distinct id.
#[derive(Debug, Clone)]
pub struct PrefixAnalyzer {
    block_size: u64,
    input_lengths: Vec<u64>,
    output_lengths: Vec<u64>,
    /// For every block of every row, back to back, the index of its `(position, hash_id)` pair
    /// in `pair_counts`; row `i` is `pairs[ends[i-1]..ends[i]]`.
    pairs: Vec<u32>,
    ends: Vec<usize>,
    pair_index: FxHashMap<(usize, u64), u32>,
    pair_counts: Vec<u32>,
    seen: FxHashSet<u64>,
    hit_rates: Vec<f64>,
}

impl PrefixAnalyzer {
    /// An empty analyzer for blocks of `block_size` tokens (Dynamo's default is 512).
    pub fn new(block_size: u64) -> Self {
        Self {
            block_size,
            input_lengths: Vec::new(),
            output_lengths: Vec::new(),
            pairs: Vec::new(),
            ends: Vec::new(),
            pair_index: FxHashMap::default(),
            pair_counts: Vec::new(),
            seen: FxHashSet::default(),
            hit_rates: Vec::new(),
        }
    }

    /// Adds the next row, in file order (the hit rate depends on the order).
    pub fn push(&mut self, record: &MooncakeRecord) {
        let hash_ids = &record.hash_ids;
        self.input_lengths.push(record.input_length);
        self.output_lengths.push(record.output_length);
        for (position, &id) in hash_ids.iter().enumerate() {
            let next = self.pair_counts.len() as u32;
            let index = *self.pair_index.entry((position, id)).or_insert(next);
            if index == next {
                self.pair_counts.push(0);
            }
            self.pair_counts[index as usize] += 1;
            self.pairs.push(index);
        }
        self.ends.push(self.pairs.len());
        // Infinite cache in file order: the hit is the prefix before the first never-seen id.
        // Rows without blocks have no hit rate at all (Dynamo skips them).
        if !hash_ids.is_empty() {
            // Inserting while scanning is equivalent to "scan, then add the row": the first id
            // that is new to the set is the first one unseen before this row.
            let mut first_unseen = hash_ids.len();
            for (position, &id) in hash_ids.iter().enumerate() {
                if self.seen.insert(id) && first_unseen == hash_ids.len() {
                    first_unseen = position;
                }
            }
            self.hit_rates
                .push(first_unseen as f64 / hash_ids.len() as f64);
        }
    }

    /// Number of rows pushed so far.
    pub fn len(&self) -> usize {
        self.input_lengths.len()
    }

    /// True when no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.input_lengths.is_empty()
    }

    /// Computes the per-row metrics (second pass over the stored rows).
    pub fn finish(self) -> PrefixAnalysis {
        let bs = self.block_size;
        let rows = self.input_lengths.len();
        let mut context_lengths = Vec::with_capacity(rows);
        let mut unique_prompt_lengths = Vec::with_capacity(rows);
        let mut prefix_exceeds_input = Vec::new();
        let mut too_few_blocks = Vec::new();
        let mut start = 0;
        for (row, (&end, &input)) in self.ends.iter().zip(&self.input_lengths).enumerate() {
            let pairs = &self.pairs[start..end];
            start = end;
            let repeated = pairs
                .iter()
                .filter(|&&p| self.pair_counts[p as usize] > 1)
                .count() as u64;
            // Every pair shared (including a row without blocks): the whole input is context.
            let (prefix, unique) = if repeated == pairs.len() as u64 {
                (input, 0)
            } else {
                let prefix = repeated * bs;
                (prefix, input as i64 - prefix as i64)
            };
            if prefix > input {
                prefix_exceeds_input.push(row);
            }
            if (pairs.len() as u64).saturating_mul(bs) < input {
                too_few_blocks.push(row);
            }
            context_lengths.push(prefix);
            unique_prompt_lengths.push(unique);
        }
        PrefixAnalysis {
            block_size: bs,
            rows,
            distinct_pairs: self.pair_counts.len(),
            repeated_pairs: self.pair_counts.iter().filter(|&&c| c > 1).count(),
            input_lengths: self.input_lengths,
            context_lengths,
            unique_prompt_lengths,
            output_lengths: self.output_lengths,
            hit_rates: self.hit_rates,
            prefix_exceeds_input,
            too_few_blocks,
        }
    }
}

/// Per-row prefix metrics of a trace, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixAnalysis {
    /// Block size used, in tokens.
    pub block_size: u64,
    /// Number of rows.
    pub rows: usize,
    /// Distinct `(position, hash_id)` pairs.
    pub distinct_pairs: usize,
    /// Pairs occurring more than once in the whole trace.
    pub repeated_pairs: usize,
    /// `input_length` of each row.
    pub input_lengths: Vec<u64>,
    /// Context (shared prefix) length: repeated pairs × block size, or the whole input when
    /// every pair of the row is repeated.
    pub context_lengths: Vec<u64>,
    /// `input_length − context length` (0 when every pair is repeated).
    pub unique_prompt_lengths: Vec<i64>,
    /// `output_length` of each row.
    pub output_lengths: Vec<u64>,
    /// Theoretical hit rate of each row that has blocks (rows without blocks are skipped).
    pub hit_rates: Vec<f64>,
    /// Rows (0-based) whose context length exceeds their input length (Dynamo warns).
    pub prefix_exceeds_input: Vec<usize>,
    /// Rows (0-based) with `len(hash_ids) · block_size < input_length` (Dynamo asserts).
    pub too_few_blocks: Vec<usize>,
}

impl PrefixAnalysis {
    /// Summary statistics of the five metrics, in [`ANALYSIS_METRICS`] order.
    pub fn summary(&self) -> Vec<MetricSummary> {
        let unique: Vec<f64> = self
            .unique_prompt_lengths
            .iter()
            .map(|&v| v as f64)
            .collect();
        let columns = [
            SummaryStats::from_values(&to_f64(&self.input_lengths)),
            SummaryStats::from_values(&to_f64(&self.context_lengths)),
            SummaryStats::from_values(&unique),
            SummaryStats::from_values(&to_f64(&self.output_lengths)),
            SummaryStats::from_values(&self.hit_rates),
        ];
        ANALYSIS_METRICS
            .iter()
            .zip(columns)
            .map(|(name, stats)| MetricSummary {
                name: (*name).to_owned(),
                stats,
            })
            .collect()
    }
}

/// Statistics of one metric (`stats` is `None` when the metric has no values).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSummary {
    /// Metric name, e.g. `"Input Length"`.
    pub name: String,
    /// Its statistics.
    pub stats: Option<SummaryStats>,
}

/// Converts token counts to floats for the statistics.
pub(crate) fn to_f64(values: &[u64]) -> Vec<f64> {
    values.iter().map(|&v| v as f64).collect()
}

#[cfg(test)]
mod tests;
