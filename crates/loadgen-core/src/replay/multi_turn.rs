//! AIPerf `multi_turn` JSONL: one session per line, its turns sent in order.

use std::path::Path;

use servebench_metrics::session_id;
use servebench_trace_formats::{MultiTurnReader, ReadOptions};

use super::content::{Origin, TurnMeta, turn_entry};
use super::single_turn::content;
use super::{LoadContext, ReplayError};
use crate::DatasetEntry;
use crate::dataset::SessionTurn;

pub(crate) fn load(
    path: &Path,
    cx: &mut LoadContext<'_>,
) -> Result<Vec<DatasetEntry>, ReplayError> {
    let name = path.display().to_string();
    let mut reader =
        MultiTurnReader::open(path, ReadOptions::default().monotonic_timestamps(false))?;
    let mut entries = Vec::new();
    let mut session = 0u64;
    while let Some(record) = reader.read_record()? {
        let origin = Origin {
            source_name: &name,
            line: reader.last_line(),
        };
        let id = record
            .session_id
            .clone()
            .unwrap_or_else(|| session_id(session));
        for (turn_index, turn) in record.turns.iter().enumerate() {
            let meta = TurnMeta {
                output_length: turn.output_length,
                timestamp_ms: turn.timestamp,
                delay_ms: turn.delay,
                extra: turn.extra.clone(),
                session: Some(SessionTurn {
                    session,
                    session_id: id.clone(),
                    turn: u32::try_from(turn_index).unwrap_or(u32::MAX),
                }),
            };
            entries.push(turn_entry(&content(turn), meta, &origin, cx)?);
        }
        session += 1;
    }
    Ok(entries)
}
