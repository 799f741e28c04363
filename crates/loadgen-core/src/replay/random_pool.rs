//! AIPerf `random_pool` JSONL: a file is one pool of entries; a directory holds one pool per file,
//! and each entry of the dataset combines one random draw from every pool (AIPerf's behaviour,
//! e.g. a pool of queries with a pool of passages).

use std::path::{Path, PathBuf};

use servebench_trace_formats::{RandomPoolEntry, RandomPoolReader, ReadOptions};

use super::content::{Origin, TurnContent, TurnMeta, turn_entry};
use super::{LoadContext, ReplayError};
use crate::DatasetEntry;
use crate::prompts::seeded_rng;

fn content(e: &RandomPoolEntry) -> TurnContent<'_> {
    TurnContent {
        text: e.text.as_ref(),
        texts: e.texts.as_ref(),
        image: e.image.as_ref(),
        images: e.images.as_ref(),
        has_audio_or_video: e.audio.is_some()
            || e.audios.is_some()
            || e.video.is_some()
            || e.videos.is_some(),
        role: None,
    }
}

fn read_pool(path: &Path, cx: &LoadContext<'_>) -> Result<Vec<DatasetEntry>, ReplayError> {
    let name = path.display().to_string();
    let mut reader = RandomPoolReader::open(path, ReadOptions::default())?;
    let mut entries = Vec::new();
    while let Some(record) = reader.read_record()? {
        let origin = Origin {
            source_name: &name,
            line: reader.last_line(),
        };
        entries.push(turn_entry(
            &content(&record),
            TurnMeta::default(),
            &origin,
            cx,
        )?);
    }
    if entries.is_empty() {
        return Err(ReplayError::Empty { path: name });
    }
    Ok(entries)
}

pub(crate) fn load(
    path: &Path,
    cx: &mut LoadContext<'_>,
) -> Result<Vec<DatasetEntry>, ReplayError> {
    if !path.is_dir() {
        return read_pool(path, cx);
    }
    let io = |source| ReplayError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    files.retain(|p| p.is_file());
    files.sort();
    if files.is_empty() {
        return Err(ReplayError::Empty {
            path: path.display().to_string(),
        });
    }
    let pools = files
        .iter()
        .map(|f| read_pool(f, cx))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rng = seeded_rng(cx.options.seed, "random-pool");
    let mut entries = Vec::with_capacity(cx.options.pool_entries);
    for _ in 0..cx.options.pool_entries {
        let picks: Vec<&DatasetEntry> = pools
            .iter()
            .map(|pool| &pool[crate::prompts::sampling_index(&mut rng, pool.len())])
            .collect();
        entries.push(combine(&picks, cx));
    }
    Ok(entries)
}

/// One entry from one draw of every pool: texts joined by newlines, image parts kept.
fn combine(picks: &[&DatasetEntry], cx: &LoadContext<'_>) -> DatasetEntry {
    let prompt = picks
        .iter()
        .map(|e| e.prompt.as_str())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let mut parts = Vec::new();
    for e in picks {
        if let Some(messages) = e.extras.as_deref().and_then(|x| x.messages.as_ref()) {
            for m in messages {
                if let Some(list) = m.get("content").and_then(|c| c.as_array()) {
                    parts.extend(
                        list.iter()
                            .filter(|p| p.get("type").and_then(|t| t.as_str()) != Some("text"))
                            .cloned(),
                    );
                }
            }
        }
    }
    let mut entry = DatasetEntry::new(
        prompt.clone(),
        cx.tokenizer.count_tokens(&prompt) as u64,
        cx.options.default_output_tokens,
    );
    if !parts.is_empty() {
        let mut content = vec![serde_json::json!({"type": "text", "text": prompt})];
        content.extend(parts);
        entry.extras = Some(std::sync::Arc::new(crate::dataset::EntryExtras {
            messages: Some(vec![
                serde_json::json!({"role": "user", "content": content}),
            ]),
            ..Default::default()
        }));
    }
    entry
}
