//! One AIPerf turn (`single_turn` line, `multi_turn` turn, `random_pool` entry) as a dataset entry.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use servebench_trace_formats::ContentItem;

use super::{LoadContext, ReplayError};
use crate::dataset::{DatasetEntry, EntryExtras, SessionTurn};

/// The content fields of a turn, borrowed from whichever record type holds them.
pub(crate) struct TurnContent<'a> {
    pub(crate) text: Option<&'a String>,
    pub(crate) texts: Option<&'a Vec<ContentItem>>,
    pub(crate) image: Option<&'a String>,
    pub(crate) images: Option<&'a Vec<ContentItem>>,
    pub(crate) has_audio_or_video: bool,
    pub(crate) role: Option<&'a String>,
}

/// Where a turn came from, for error messages.
pub(crate) struct Origin<'a> {
    pub(crate) source_name: &'a str,
    pub(crate) line: u64,
}

impl Origin<'_> {
    pub(crate) fn error(&self, field: &'static str, message: impl Into<String>) -> ReplayError {
        ReplayError::Record {
            source_name: self.source_name.to_owned(),
            line: self.line,
            field,
            message: message.into(),
        }
    }
}

fn items(list: Option<&Vec<ContentItem>>) -> impl Iterator<Item = &String> {
    list.into_iter().flatten().flat_map(|item| match item {
        ContentItem::Plain(s) => std::slice::from_ref(s).iter(),
        ContentItem::Named { contents, .. } => contents.iter(),
    })
}

/// Timing and session details of a turn.
#[derive(Default)]
pub(crate) struct TurnMeta {
    pub(crate) output_length: Option<u64>,
    pub(crate) timestamp_ms: Option<u64>,
    pub(crate) delay_ms: Option<u64>,
    pub(crate) extra: Option<Map<String, Value>>,
    pub(crate) session: Option<SessionTurn>,
}

/// Builds the entry of one turn: the texts joined by newlines as the prompt; images (URLs or data
/// URIs) make the chat message a content list.
pub(crate) fn turn_entry(
    content: &TurnContent<'_>,
    meta: TurnMeta,
    origin: &Origin<'_>,
    cx: &LoadContext<'_>,
) -> Result<DatasetEntry, ReplayError> {
    if content.has_audio_or_video {
        return Err(origin.error(
            "audio",
            "audio and video content are not supported by servebench",
        ));
    }
    let texts: Vec<&String> = content
        .text
        .into_iter()
        .chain(items(content.texts))
        .collect();
    let prompt = texts
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let images: Vec<&String> = content
        .image
        .into_iter()
        .chain(items(content.images))
        .collect();
    let role = content.role.map_or("user", String::as_str);
    let messages = if images.is_empty() && role == "user" {
        None
    } else if images.is_empty() {
        Some(vec![json!({"role": role, "content": prompt})])
    } else {
        let mut parts = Vec::new();
        if !prompt.is_empty() {
            parts.push(json!({"type": "text", "text": prompt}));
        }
        for url in images {
            parts.push(json!({"type": "image_url", "image_url": {"url": url}}));
        }
        Some(vec![json!({"role": role, "content": parts})])
    };
    let input_tokens = cx.tokenizer.count_tokens(&prompt) as u64;
    let extras = EntryExtras {
        messages,
        extra: meta.extra,
        timestamp: meta.timestamp_ms.map(Duration::from_millis),
        delay: meta.delay_ms.map(Duration::from_millis),
        session: meta.session,
        ..EntryExtras::default()
    };
    Ok(DatasetEntry {
        prompt,
        input_tokens,
        max_output_tokens: meta.output_length.or(cx.options.default_output_tokens),
        extras: Some(Arc::new(extras)),
        ..DatasetEntry::default()
    })
}
