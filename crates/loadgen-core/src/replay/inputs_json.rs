//! The `inputs.json` of an earlier run (ours or AIPerf's): `{"data": [{"session_id": ...,
//! "payloads": [...]}]}`. Every payload is sent verbatim; a session's payloads are its turns, in
//! order (they already hold the conversation, so no history is added).

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::{LoadContext, ReplayError};
use crate::dataset::{DatasetEntry, EntryExtras, SessionTurn};

#[derive(Deserialize)]
struct Document {
    data: Vec<Session>,
}

#[derive(Deserialize)]
struct Session {
    #[serde(default)]
    session_id: Option<String>,
    payloads: Vec<Value>,
}

pub(crate) fn load(
    path: &Path,
    cx: &mut LoadContext<'_>,
) -> Result<Vec<DatasetEntry>, ReplayError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ReplayError::Io {
        path: name.clone(),
        source,
    })?;
    let doc: Document = serde_json::from_slice(&bytes).map_err(|e| ReplayError::Document {
        path: name.clone(),
        message: format!(
            "not an inputs.json document ({{\"data\": [{{\"session_id\", \"payloads\"}}]}}): {e}"
        ),
    })?;
    let multi_turn = doc.data.iter().any(|s| s.payloads.len() > 1);
    let mut entries = Vec::new();
    for (index, session) in doc.data.into_iter().enumerate() {
        let id = session
            .session_id
            .unwrap_or_else(|| servebench_metrics::session_id(index as u64));
        for (turn, payload) in session.payloads.into_iter().enumerate() {
            if !payload.is_object() {
                return Err(ReplayError::Document {
                    path: name,
                    message: format!("data[{index}].payloads[{turn}]: not a JSON object"),
                });
            }
            let (prompt_tokens, max_output_tokens) = measure(&payload, cx);
            entries.push(DatasetEntry {
                prompt: String::new(),
                input_tokens: prompt_tokens,
                max_output_tokens,
                extras: Some(Arc::new(EntryExtras {
                    payload: Some(payload),
                    session: multi_turn.then(|| SessionTurn {
                        session: index as u64,
                        session_id: id.clone(),
                        turn: u32::try_from(turn).unwrap_or(u32::MAX),
                    }),
                    ..EntryExtras::default()
                })),
                ..DatasetEntry::default()
            });
        }
    }
    Ok(entries)
}

/// Prompt tokens (the text of `messages`, `prompt` or `input`) and requested output length.
fn measure(payload: &Value, cx: &LoadContext<'_>) -> (u64, Option<u64>) {
    let mut text = String::new();
    let mut push = |v: &Value| match v {
        Value::String(s) => text.push_str(s),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => text.push_str(s),
                    other => {
                        if let Some(Value::String(s)) = other.get("text") {
                            text.push_str(s);
                        }
                    }
                }
            }
        }
        _ => {}
    };
    if let Some(Value::Array(messages)) = payload.get("messages") {
        for m in messages {
            if let Some(c) = m.get("content") {
                push(c);
            }
        }
    }
    for key in ["prompt", "input"] {
        if let Some(v) = payload.get(key) {
            push(v);
        }
    }
    let max = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_u64));
    (cx.tokenizer.count_tokens(&text) as u64, max)
}
