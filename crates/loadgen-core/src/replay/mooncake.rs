//! Mooncake traces: `hash_ids` rendered as token blocks, or `text_input` / `messages` /
//! `payload` used verbatim; `session_id` + `delay` make multi-turn sessions.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use servebench_trace_formats::{
    CheckState, FieldProblem, JsonlReader, JsonlRecord, MooncakeRecord, ReadOptions,
};

use super::content::Origin;
use super::{BlockPrompt, LoadContext, ReplayError};
use crate::dataset::{DatasetEntry, EntryExtras, SessionTurn};

/// A Mooncake line with the AIPerf fields our trace reader leaves out.
#[derive(Deserialize)]
struct Line {
    #[serde(flatten)]
    record: MooncakeRecord,
    #[serde(default)]
    messages: Option<Vec<Value>>,
    #[serde(default)]
    payload: Option<Value>,
    #[serde(default)]
    extra: Option<Map<String, Value>>,
}

impl JsonlRecord for Line {
    const FORMAT: &'static str = "mooncake";

    fn check(&self, state: &mut CheckState, options: &ReadOptions) -> Result<(), FieldProblem> {
        self.record.check(state, options)
    }

    fn diagnose(value: &Value) -> Option<FieldProblem> {
        MooncakeRecord::diagnose(value)
    }
}

/// Bit marking synthetic block ids of lines without `hash_ids` (ids never shared with the trace's).
const UNIQUE_ID_BIT: u64 = 1 << 63;

pub(crate) fn load(
    path: &Path,
    cx: &mut LoadContext<'_>,
) -> Result<Vec<DatasetEntry>, ReplayError> {
    let name = path.display().to_string();
    let options = ReadOptions::default()
        .monotonic_timestamps(false)
        .require_hash_ids(false);
    let mut reader = JsonlReader::<_, Line>::open(path, options)?;
    let mut entries = Vec::new();
    let mut sessions: HashMap<String, (u64, u32)> = HashMap::new();
    while let Some(line) = reader.read_record()? {
        let origin = Origin {
            source_name: &name,
            line: reader.last_line(),
        };
        let r = &line.record;
        let mut extras = EntryExtras {
            payload: line.payload,
            extra: line.extra,
            timestamp: r.timestamp.map(Duration::from_millis),
            // Checked finite and non-negative by the reader; absurdly large delays saturate.
            delay: r
                .delay
                .map(|ms| Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX)),
            ..EntryExtras::default()
        };
        if let Some(id) = &r.session_id {
            let next = sessions.len() as u64;
            let slot = sessions.entry(id.clone()).or_insert((next, 0));
            extras.session = Some(SessionTurn {
                session: slot.0,
                session_id: id.clone(),
                turn: slot.1,
            });
            slot.1 += 1;
        }
        let mut prompt = String::new();
        let input_tokens;
        if let Some(text) = &r.text_input {
            prompt.clone_from(text);
            input_tokens = cx.tokenizer.count_tokens(text) as u64;
        } else if let Some(messages) = line.messages {
            input_tokens = messages_tokens(&messages, cx);
            extras.messages = Some(messages);
        } else if extras.payload.is_some() {
            input_tokens = r.input_length;
        } else {
            extras.blocks = Some(block_prompt(r, &origin, cx)?);
            input_tokens = r.input_length;
        }
        entries.push(DatasetEntry {
            prompt,
            input_tokens,
            max_output_tokens: Some(r.output_length),
            extras: Some(Arc::new(extras)),
            ..DatasetEntry::default()
        });
    }
    Ok(group_sessions(entries))
}

/// Tokens of the text contents of chat messages.
fn messages_tokens(messages: &[Value], cx: &LoadContext<'_>) -> u64 {
    let mut text = String::new();
    for m in messages {
        match m.get("content") {
            Some(Value::String(s)) => text.push_str(s),
            Some(Value::Array(parts)) => {
                for p in parts {
                    if let Some(Value::String(s)) = p.get("text") {
                        text.push_str(s);
                    }
                }
            }
            _ => {}
        }
    }
    cx.tokenizer.count_tokens(&text) as u64
}

fn block_prompt(
    r: &MooncakeRecord,
    origin: &Origin<'_>,
    cx: &mut LoadContext<'_>,
) -> Result<BlockPrompt, ReplayError> {
    let blocks = cx.blocks()?;
    let size = blocks.block_size();
    let ids: Arc<[u64]> = if r.hash_ids.is_empty() {
        // No ids: blocks unique to this line, never shared with another.
        let n = r.input_length.div_ceil(size);
        (0..n)
            .map(|k| UNIQUE_ID_BIT | (origin.line << 24) | k)
            .collect()
    } else {
        let n = r.hash_ids.len() as u64;
        if r.input_length > n * size || r.input_length <= (n - 1) * size {
            return Err(origin.error(
                "input_length",
                format!(
                    "{} tokens do not fit {n} hash ids of {size}-token blocks (the last block \
                     must hold 1 to {size} tokens; check --prompt-input-tokens-block-size)",
                    r.input_length
                ),
            ));
        }
        r.hash_ids.as_slice().into()
    };
    Ok(BlockPrompt::new(blocks, ids, r.input_length))
}

/// Puts the turns of each session together (first-appearance order of sessions), keeping file
/// order within a session; lines without a session stay where they are relative to each other.
fn group_sessions(entries: Vec<DatasetEntry>) -> Vec<DatasetEntry> {
    if entries.iter().all(|e| e.session().is_none()) {
        return entries;
    }
    let mut keyed: Vec<(u64, DatasetEntry)> = entries
        .into_iter()
        .map(|e| (e.session().map_or(u64::MAX, |s| s.session), e))
        .collect();
    // Stable: file order is kept within a session and among lines without one.
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, e)| e).collect()
}
