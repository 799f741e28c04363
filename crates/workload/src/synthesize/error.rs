//! Errors of the prefix synthesizer.

use thiserror::Error;

/// Why a synthesizer could not be learned or could not produce requests.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum SynthesizeError {
    /// A configuration value is out of range (other setting names in `reason` are in backticks).
    #[error("invalid setting `{name}`: {reason}")]
    InvalidConfig {
        /// Flag or field name.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The trace has no rows.
    #[error("the trace has no requests to learn from")]
    EmptyTrace,
    /// A row lacks its timestamp.
    #[error("row {row}: missing field `timestamp`")]
    MissingTimestamp {
        /// 0-based row index.
        row: usize,
    },
    /// Rows whose last block is empty or overfull: `input_length − (len(hash_ids) − 1)·block_size`
    /// must lie in `(0, block_size]` (Dynamo asserts this).
    #[error(
        "{count} row(s) break 0 < input_length - (len(hash_ids) - 1) * {block_size} <= {block_size}; first: row {first_row} has input_length {input_length} and {blocks} hash id(s)"
    )]
    BlockMismatch {
        /// Number of offending rows.
        count: usize,
        /// Block size in tokens.
        block_size: u64,
        /// 0-based index of the first offending row.
        first_row: usize,
        /// Its input length.
        input_length: u64,
        /// Its number of hash ids.
        blocks: usize,
    },
    /// A block was reached from two different parents.
    #[error("prefix graph is not a tree: hash id {hash_id} has parents {parents}")]
    NotATree {
        /// Renormalized hash id.
        hash_id: u64,
        /// The conflicting parents.
        parents: String,
    },
    /// A core node has no outcome with positive weight (a trace of a single request).
    #[error("node {} has no outgoing weight; the trace needs at least two requests", hash_id.map_or("-1 (super-root)".to_owned(), |h| h.to_string()))]
    DegenerateTree {
        /// Renormalized hash id, `None` for the super-root.
        hash_id: Option<u64>,
    },
    /// The ISL filters rejected so many draws in a row that they probably reject everything.
    #[error(
        "{rejected} consecutive synthesized requests were rejected by the input-length filters (`min_isl` {}, `max_isl` {}); loosen them",
        limit_text(*min_isl),
        limit_text(*max_isl)
    )]
    FiltersRejectEverything {
        /// Consecutive rejections before giving up.
        rejected: u64,
        /// `--min-isl`.
        min_isl: Option<u64>,
        /// `--max-isl`.
        max_isl: Option<u64>,
    },
}

/// A filter limit as text: the number, or "none".
fn limit_text(limit: Option<u64>) -> String {
    limit.map_or_else(|| "none".to_owned(), |v| v.to_string())
}
