//! AIPerf `single_turn` JSONL: one request per line.

use std::path::Path;

use servebench_trace_formats::{ReadOptions, SingleTurn, SingleTurnReader};

use super::content::{Origin, TurnContent, TurnMeta, turn_entry};
use super::{LoadContext, ReplayError};
use crate::DatasetEntry;

/// The content of a single-turn record (also a `multi_turn` turn).
pub(crate) fn content(t: &SingleTurn) -> TurnContent<'_> {
    TurnContent {
        text: t.text.as_ref(),
        texts: t.texts.as_ref(),
        image: t.image.as_ref(),
        images: t.images.as_ref(),
        has_audio_or_video: t.audio.is_some()
            || t.audios.is_some()
            || t.video.is_some()
            || t.videos.is_some(),
        role: t.role.as_ref(),
    }
}

pub(crate) fn load(
    path: &Path,
    cx: &mut LoadContext<'_>,
) -> Result<Vec<DatasetEntry>, ReplayError> {
    let name = path.display().to_string();
    let mut reader =
        SingleTurnReader::open(path, ReadOptions::default().monotonic_timestamps(false))?;
    let mut entries = Vec::new();
    while let Some(turn) = reader.read_record()? {
        let origin = Origin {
            source_name: &name,
            line: reader.last_line(),
        };
        let meta = TurnMeta {
            output_length: turn.output_length,
            timestamp_ms: turn.timestamp,
            delay_ms: turn.delay,
            extra: turn.extra.clone(),
            session: None,
        };
        entries.push(turn_entry(&content(&turn), meta, &origin, cx)?);
    }
    Ok(entries)
}
