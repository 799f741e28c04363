//! BurstGPT CSV traces: timestamps in seconds and token counts; each prompt is made of blocks no
//! other request shares (BurstGPT has no prefix information).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use servebench_trace_formats::{BurstGptReader, ReadOptions};

use super::{BlockPrompt, LoadContext, ReplayError};
use crate::dataset::{DatasetEntry, EntryExtras};

pub(crate) fn load(
    path: &Path,
    cx: &mut LoadContext<'_>,
) -> Result<Vec<DatasetEntry>, ReplayError> {
    let mut reader =
        BurstGptReader::open(path, ReadOptions::default().monotonic_timestamps(false))?;
    let blocks = cx.blocks()?;
    let size = blocks.block_size();
    let mut entries = Vec::new();
    let mut next_id = 0u64;
    while let Some(r) = reader.read_record()? {
        let n = r.request_tokens.div_ceil(size);
        let ids: Arc<[u64]> = (next_id..next_id + n).collect();
        next_id += n;
        let timestamp = Duration::try_from_secs_f64(r.timestamp).map_err(|_| {
            ReplayError::Record {
                source_name: path.display().to_string(),
                // Line 1 is the header.
                line: entries.len() as u64 + 2,
                field: "Timestamp",
                message: format!("{} is not a usable time in seconds", r.timestamp),
            }
        })?;
        entries.push(DatasetEntry {
            prompt: String::new(),
            input_tokens: r.request_tokens,
            // A failed request (0 response tokens) still asks for one token.
            max_output_tokens: Some(r.response_tokens.max(1)),
            extras: Some(Arc::new(EntryExtras {
                blocks: Some(BlockPrompt::new(Arc::clone(&blocks), ids, r.request_tokens)),
                timestamp: Some(timestamp),
                ..EntryExtras::default()
            })),
            ..DatasetEntry::default()
        });
    }
    Ok(entries)
}
