//! The rows a BurstGPT conversion keeps, handed to the conversion pass either from memory
//! (collected by the scan pass, so the CSV is parsed once) or by reading the file again (when
//! more rows are kept than the converter may hold in memory).

use std::fs::File;
use std::io::BufReader;

use servebench_trace_formats::BurstGptReader;
use servebench_trace_formats::Error;

/// One kept row: `(Timestamp as read, Request tokens, Response tokens)`; 24 bytes.
pub(crate) type KeptRow = (f64, u64, u64);

/// Source of the kept rows, in file order.
pub(crate) enum KeptRows {
    /// Collected by the scan pass.
    Memory {
        rows: std::vec::IntoIter<KeptRow>,
        total: usize,
        /// Input size, for progress reports (bytes scale with the rows handed out).
        file_bytes: u64,
    },
    /// Read again, applying the filters, the skip and the head limit.
    File {
        reader: Box<BurstGptReader<BufReader<File>>>,
        /// Rows that passed both filters so far.
        selected: u64,
    },
}

/// The filters of a conversion, as the file source applies them.
pub(crate) struct Selection<'a> {
    /// Row kept by the model and log-type filters?
    pub(crate) keeps: &'a dyn Fn(&str, &str) -> bool,
    /// Filtered rows dropped first.
    pub(crate) skip: u64,
    /// `skip + num_prompt` (saturating), or `u64::MAX`.
    pub(crate) limit: u64,
}

impl KeptRows {
    /// Rows collected in memory.
    pub(crate) fn memory(rows: Vec<KeptRow>, file_bytes: u64) -> Self {
        let total = rows.len();
        Self::Memory {
            rows: rows.into_iter(),
            total,
            file_bytes,
        }
    }

    /// The next kept row, or `None` after the last.
    pub(crate) fn next(&mut self, selection: &Selection<'_>) -> Result<Option<KeptRow>, Error> {
        match self {
            Self::Memory { rows, .. } => Ok(rows.next()),
            Self::File { reader, selected } => loop {
                if *selected >= selection.limit {
                    return Ok(None);
                }
                let row = reader.read_borrowed(|ts, model, isl, osl, log_type| {
                    (ts, isl, osl, (selection.keeps)(model, log_type))
                })?;
                let Some((ts, isl, osl, keep)) = row else {
                    return Ok(None);
                };
                if !keep {
                    continue;
                }
                *selected += 1;
                if *selected > selection.skip {
                    return Ok(Some((ts, isl, osl)));
                }
            },
        }
    }

    /// Input bytes consumed so far (estimated from the rows handed out in memory mode).
    pub(crate) fn byte_position(&self) -> u64 {
        match self {
            Self::Memory {
                rows,
                total,
                file_bytes,
            } => {
                let done = (*total - rows.len()) as u128;
                (u128::from(*file_bytes) * done / (*total).max(1) as u128) as u64
            }
            Self::File { reader, .. } => reader.byte_position(),
        }
    }
}
