//! Prefix-sharing trace synthesis: Dynamo's `synthesizer.py` (spec §6.4).
//!
//! [`Synthesizer::learn`] turns a Mooncake trace into a core radix tree of shared prefixes plus
//! empirical distributions (requests per timestamp, timestamp gaps, last-block fill, output
//! lengths, unique-leaf lengths); [`Synthesizer::synthesize_requests`] then samples new requests
//! whose prefix-sharing structure, lengths and arrival pattern follow the original.
//!
//! Randomness: every distribution and the path sampler own an independent
//! `Xoshiro256PlusPlus` stream derived from [`SynthesizerConfig::seed`], so a run is
//! reproducible from its seed. The streams are not numpy's: outputs follow the same
//! distributions as Dynamo's but are not the same draws.

mod error;
mod output;
mod sampler;
mod tree;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use servebench_trace_formats::{MooncakeRecord, RollingHasher};

pub use error::SynthesizeError;
pub use output::{
    OutputNameParts, PythonJsonFormatter, SyntheticRequest, default_output_path,
    write_synthetic_jsonl,
};
pub use sampler::EmpiricalSampler;
use sampler::stream_seed;
use tree::{CoreTree, Outcome, PrefixTree, ROOT};

/// Default seed of [`SynthesizerConfig`] and `datagen synthesize --seed`.
pub const DEFAULT_SEED: u64 = 0;

/// Stop after this many consecutive draws rejected by the input-length filters (Dynamo loops
/// forever instead).
const MAX_CONSECUTIVE_REJECTIONS: u64 = 1_000_000;

/// Learning and sampling knobs, with Dynamo's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthesizerConfig {
    /// Tokens per block (512).
    pub block_size: u64,
    /// Timestamp gaps are divided by this (1.0; must be > 0).
    pub speedup_ratio: f64,
    /// Copies of the core tree; each request lands in a uniformly random copy (1; integer ≥ 1).
    pub prefix_root_multiplier: u32,
    /// Scales core (shared) chain lengths; > 1 is rounded up to an integer (1.0; must be > 0).
    pub prefix_len_multiplier: f64,
    /// Scales unique-leaf lengths, `max(1, round(len·m))` (1.0; must be > 0).
    pub prompt_len_multiplier: f64,
    /// Scales sampled output lengths, truncated to an integer (1.0).
    pub osl_multiplier: f64,
    /// Seed of all random streams ([`DEFAULT_SEED`]).
    pub seed: u64,
    /// Drop rows whose `input_length` does not fit their `hash_ids` instead of failing
    /// (Dynamo fails). The number dropped is in [`Synthesizer::skipped_rows`].
    pub skip_invalid_rows: bool,
}

impl Default for SynthesizerConfig {
    fn default() -> Self {
        Self {
            block_size: 512,
            speedup_ratio: 1.0,
            prefix_root_multiplier: 1,
            prefix_len_multiplier: 1.0,
            prompt_len_multiplier: 1.0,
            osl_multiplier: 1.0,
            seed: DEFAULT_SEED,
            skip_invalid_rows: false,
        }
    }
}

impl SynthesizerConfig {
    /// Checks every value's range (also done by [`Synthesizer::learn`]); errors name the setting.
    pub fn validate(&self) -> Result<(), SynthesizeError> {
        let invalid = |name, reason: &str| {
            Err(SynthesizeError::InvalidConfig {
                name,
                reason: reason.to_owned(),
            })
        };
        if self.block_size == 0 {
            return invalid("block_size", "must be at least 1");
        }
        if self.prefix_root_multiplier == 0 {
            return invalid("prefix_root_multiplier", "must be an integer >= 1");
        }
        let positive = [
            ("speedup_ratio", self.speedup_ratio),
            ("prefix_len_multiplier", self.prefix_len_multiplier),
            ("prompt_len_multiplier", self.prompt_len_multiplier),
        ];
        for (name, value) in positive {
            if !(value > 0.0 && value.is_finite()) {
                return invalid(name, "must be a positive finite number");
            }
        }
        if !(self.osl_multiplier >= 0.0 && self.osl_multiplier.is_finite()) {
            return invalid("osl_multiplier", "must be a finite number >= 0");
        }
        Ok(())
    }
}

/// Input-length filters (requests outside are redrawn) and output-length clipping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestFilters {
    /// Drop requests with a longer input.
    pub max_isl: Option<u64>,
    /// Drop requests with a shorter input.
    pub min_isl: Option<u64>,
    /// Raise shorter outputs to this.
    pub min_osl: Option<u64>,
    /// Cut longer outputs to this.
    pub max_osl: Option<u64>,
}

impl RequestFilters {
    /// Checks that each minimum is at most its maximum (also done by
    /// [`Synthesizer::synthesize_requests`], before any draw); errors name the setting.
    pub fn validate(&self) -> Result<(), SynthesizeError> {
        for (min_name, min, max_name, max) in [
            ("min_isl", self.min_isl, "max_isl", self.max_isl),
            ("min_osl", self.min_osl, "max_osl", self.max_osl),
        ] {
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                return Err(SynthesizeError::InvalidConfig {
                    name: min_name,
                    reason: format!("must not exceed `{max_name}` ({lo} > {hi})"),
                });
            }
        }
        Ok(())
    }
}

/// Size of the learned core tree, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreTreeSummary {
    /// Core nodes, without the super-root (Dynamo's `core_radix_tree_size`).
    pub size: usize,
    /// Longest root-to-node path in edges.
    pub depth: usize,
    /// Unique-leaf length samples.
    pub leaf_samples: usize,
}

/// A core tree node, as exposed for inspection and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreNodeInfo {
    /// Hash id of the node's last block (after relabelling); `None` for the super-root.
    pub id: Option<u64>,
    /// Blocks the node stands for.
    pub length: u64,
    /// Rows of the source trace passing through it.
    pub visited: u64,
    /// Rows branching off it into a unique suffix.
    pub to_leaf: u64,
    /// Rows ending at it.
    pub end: u64,
    /// Transition outcomes with their probabilities: `Some(child id)`, or `None` for
    /// "append a unique leaf" (CACHE_END); the "stop" probability (END_NODE) is `stop`.
    pub children: Vec<(u64, f64)>,
    /// Probability of appending a leaf and stopping.
    pub leaf: f64,
    /// Probability of stopping without a leaf.
    pub stop: f64,
}

/// A trace model learned from a Mooncake trace; see the module docs.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    config: SynthesizerConfig,
    tree: CoreTree,
    leaf_samples: usize,
    skipped_rows: Vec<usize>,
    out_of_order_rows: Vec<usize>,
    request_counts: EmpiricalSampler,
    timestamp_gaps: EmpiricalSampler,
    last_block_fill: EmpiricalSampler,
    output_lengths: EmpiricalSampler,
    leaf_lengths: EmpiricalSampler,
    path_rng: Xoshiro256PlusPlus,
    root_rng: Xoshiro256PlusPlus,
}

impl Synthesizer {
    /// Learns the model from `records` in file order (timestamps are required).
    pub fn learn(
        records: &[MooncakeRecord],
        config: SynthesizerConfig,
    ) -> Result<Self, SynthesizeError> {
        config.validate()?;
        if records.is_empty() {
            return Err(SynthesizeError::EmptyTrace);
        }
        let bs = config.block_size;
        // Last-block fill must lie in (0, bs]; Dynamo asserts it over the whole trace.
        let fill = |r: &MooncakeRecord| {
            r.input_length as i128 - (r.hash_ids.len() as i128 - 1) * bs as i128
        };
        let invalid: Vec<usize> = (0..records.len())
            .filter(|&i| {
                let f = fill(&records[i]);
                f <= 0 || f > bs as i128
            })
            .collect();
        if let (Some(&first), false) = (invalid.first(), config.skip_invalid_rows) {
            return Err(SynthesizeError::BlockMismatch {
                count: invalid.len(),
                block_size: bs,
                first_row: first,
                input_length: records[first].input_length,
                blocks: records[first].hash_ids.len(),
            });
        }
        let mut skip = invalid.iter().peekable();
        let mut kept = Vec::with_capacity(records.len() - invalid.len());
        for (i, r) in records.iter().enumerate() {
            if skip.peek() == Some(&&i) {
                skip.next();
                continue;
            }
            kept.push((i, r));
        }
        if kept.is_empty() {
            return Err(SynthesizeError::EmptyTrace);
        }

        let mut timestamps = Vec::with_capacity(kept.len());
        for (i, r) in &kept {
            timestamps.push(
                r.timestamp
                    .ok_or(SynthesizeError::MissingTimestamp { row: *i })?,
            );
        }
        // Renormalize through one fresh hasher: the same raw id under two parents becomes two
        // nodes, so the rows always form a tree.
        let mut hasher = RollingHasher::new();
        let rows: Vec<Vec<u64>> = kept
            .iter()
            .map(|(_, r)| hasher.hash_sequence(r.hash_ids.iter().copied()))
            .collect();
        let max_hash_id = rows.iter().flatten().copied().max();

        let mut tree = PrefixTree::build(&rows)?;
        tree.mark_to_leaf();
        tree.merge_chains();
        let mut leaf_lengths = tree.remove_leaves();
        if config.prompt_len_multiplier != 1.0 {
            for len in &mut leaf_lengths {
                let scaled = sampler::round_half_even(*len as f64 * config.prompt_len_multiplier);
                *len = (scaled as u64).max(1);
            }
        }
        let core = tree.into_core(config.prefix_len_multiplier, max_hash_id)?;

        let out_of_order_rows: Vec<usize> = (1..kept.len())
            .filter(|&k| timestamps[k] < timestamps[k - 1])
            .map(|k| kept[k].0)
            .collect();
        let request_counts: Vec<u64> = count_per_timestamp(&timestamps);
        let gaps: Vec<u64> = timestamps
            .windows(2)
            .filter(|w| w[1] > w[0])
            .map(|w| w[1] - w[0])
            .collect();
        let fills: Vec<u64> = kept.iter().map(|(_, r)| fill(r) as u64).collect();
        let outputs: Vec<u64> = kept.iter().map(|(_, r)| r.output_length).collect();
        let seed = config.seed;
        Ok(Self {
            tree: core,
            leaf_samples: leaf_lengths.len(),
            skipped_rows: invalid,
            out_of_order_rows,
            request_counts: EmpiricalSampler::new(&request_counts, stream_seed(seed, 0)),
            timestamp_gaps: EmpiricalSampler::new(&gaps, stream_seed(seed, 1)),
            last_block_fill: EmpiricalSampler::new(&fills, stream_seed(seed, 2)),
            output_lengths: EmpiricalSampler::new(&outputs, stream_seed(seed, 3)),
            leaf_lengths: EmpiricalSampler::new(&leaf_lengths, stream_seed(seed, 4)),
            path_rng: Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, 5)),
            root_rng: Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, 6)),
            config,
        })
    }

    /// Rows (0-based) dropped by [`SynthesizerConfig::skip_invalid_rows`].
    pub fn skipped_rows(&self) -> &[usize] {
        &self.skipped_rows
    }

    /// 0-based rows (of the input) whose timestamp is earlier than the previous kept row's. The
    /// gaps are learned from increasing timestamps only, so one row far ahead of its neighbours
    /// (an outlier) shows up as the row after it going back in time, and adds one huge gap.
    pub fn out_of_order_rows(&self) -> &[usize] {
        &self.out_of_order_rows
    }

    /// Size and depth of the learned core tree.
    pub fn core_tree_summary(&self) -> CoreTreeSummary {
        CoreTreeSummary {
            size: self.tree.nodes.len() - 1,
            depth: self.tree.depth(),
            leaf_samples: self.leaf_samples,
        }
    }

    /// The core tree's nodes (index 0 is the super-root), with transition probabilities.
    pub fn core_nodes(&self) -> Vec<CoreNodeInfo> {
        self.tree
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut info = CoreNodeInfo {
                    id: (i != ROOT).then_some(n.id),
                    length: n.length,
                    visited: n.visited,
                    to_leaf: n.to_leaf,
                    end: n.end,
                    children: Vec::new(),
                    leaf: 0.0,
                    stop: 0.0,
                };
                let mut previous = 0.0;
                for (o, c) in n.outcomes.iter().zip(&n.cdf) {
                    let p = c - previous;
                    previous = *c;
                    match *o {
                        Outcome::Child(k) => info.children.push((self.tree.nodes[k].id, p)),
                        Outcome::CacheEnd => info.leaf = p,
                        Outcome::End => info.stop = p,
                    }
                }
                info
            })
            .collect()
    }

    /// First id the next unique leaf will get (Dynamo's `max_hash_id + 1`).
    pub fn next_leaf_id(&self) -> u64 {
        self.tree.next_leaf_id
    }

    /// Samples one path: core ids, whether a leaf was appended, and the context length.
    pub fn synthesize_path(&mut self) -> (Vec<u64>, bool, u64) {
        let mut path = Vec::new();
        let mut context_len = 0;
        let mut current = ROOT;
        loop {
            let u: f64 = self.path_rng.random();
            match self.tree.step(current, u) {
                Outcome::End => return (path, false, context_len),
                Outcome::CacheEnd => break,
                Outcome::Child(next) => {
                    let node = &self.tree.nodes[next];
                    context_len += node.length * self.config.block_size;
                    let first = node.id + 1 - node.length;
                    path.extend(first..=node.id);
                    current = next;
                }
            }
        }
        let leaf_len = self.leaf_lengths.sample();
        let start = self.tree.next_leaf_id;
        path.extend(start..start + leaf_len);
        self.tree.next_leaf_id += leaf_len;
        (path, true, context_len)
    }

    /// Synthesizes `num_requests` requests (Dynamo's `synthesize_requests`), calling `progress`
    /// with the number accepted so far after each accepted request.
    pub fn synthesize_requests(
        &mut self,
        num_requests: usize,
        filters: &RequestFilters,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<SyntheticRequest>, SynthesizeError> {
        filters.validate()?;
        let bs = self.config.block_size;
        let mut requests = Vec::with_capacity(num_requests);
        let mut timestamp: u64 = 0;
        let mut rejected_in_a_row = 0;
        while requests.len() < num_requests {
            let per_interval = self.request_counts.sample();
            for _ in 0..per_interval {
                let (hash_ids, with_leaf, context_len) = self.synthesize_path();
                let input_length = if with_leaf {
                    (hash_ids.len() as u64).saturating_sub(1) * bs + self.last_block_fill.sample()
                } else {
                    hash_ids.len() as u64 * bs
                };
                let output = self.output_lengths.sample() as f64 * self.config.osl_multiplier;
                let mut output_length = output as u64;
                if filters.max_isl.is_some_and(|m| input_length > m)
                    || filters.min_isl.is_some_and(|m| input_length < m)
                {
                    rejected_in_a_row += 1;
                    if rejected_in_a_row >= MAX_CONSECUTIVE_REJECTIONS {
                        return Err(SynthesizeError::FiltersRejectEverything {
                            rejected: rejected_in_a_row,
                            min_isl: filters.min_isl,
                            max_isl: filters.max_isl,
                        });
                    }
                    continue;
                }
                rejected_in_a_row = 0;
                if let Some(m) = filters.min_osl {
                    output_length = output_length.max(m);
                }
                if let Some(m) = filters.max_osl {
                    output_length = output_length.min(m);
                }
                requests.push(SyntheticRequest {
                    timestamp,
                    input_length,
                    output_length,
                    hash_ids,
                    context_len,
                    unique_user_prompt_len: input_length as i64 - context_len as i64,
                });
                progress(requests.len());
                if requests.len() >= num_requests {
                    break;
                }
            }
            let gap = self.timestamp_gaps.sample() as f64 / self.config.speedup_ratio;
            timestamp += sampler::round_half_even(gap) as u64;
        }
        let copies = self.config.prefix_root_multiplier;
        if copies > 1 {
            // Uses the final id range, so copies never overlap any request's ids.
            let span = self.tree.next_leaf_id;
            for request in &mut requests {
                let offset = self.root_rng.random_range(0..u64::from(copies)) * span;
                for id in &mut request.hash_ids {
                    *id += offset;
                }
            }
        }
        Ok(requests)
    }
}

/// Number of rows per distinct timestamp (Dynamo's `Counter(timestamps).values()`).
fn count_per_timestamp(timestamps: &[u64]) -> Vec<u64> {
    let mut counts = std::collections::HashMap::<u64, u64>::new();
    for &t in timestamps {
        *counts.entry(t).or_insert(0) += 1;
    }
    counts.into_values().collect()
}

#[cfg(test)]
mod tests;
