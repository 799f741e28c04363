//! Request bodies of block prompts, written without a JSON tree: the body is serialized once with
//! a marker in place of the prompt, and the prompt's words are written straight over the marker
//! (they are ASCII letters and spaces, which JSON does not escape). Byte-for-byte the same as
//! serializing [`crate::build_body`]'s value.

use bytes::Bytes;

use crate::dataset::{DatasetEntry, EntryExtras};
use crate::request_body::{EndpointConfig, build_body};

/// Stands for the prompt while the rest of the body is serialized.
const MARKER: &str = "\u{1}servebench-block-prompt\u{1}";

/// The body of a block-prompt entry, or `None` for any other entry (or a verbatim payload).
pub(crate) fn block_body(
    config: &EndpointConfig,
    entry: &DatasetEntry,
) -> Option<Result<Bytes, serde_json::Error>> {
    let extras = entry.extras.as_deref()?;
    let blocks = extras.blocks.as_ref()?;
    if extras.payload.is_some() || extras.messages.is_some() {
        return None;
    }
    let stand_in = DatasetEntry {
        prompt: MARKER.to_owned(),
        extras: Some(std::sync::Arc::new(EntryExtras {
            blocks: None,
            ..extras.clone()
        })),
        // Images and system / context prompts stay as the entry has them.
        ..entry.clone()
    };
    let shell = match serde_json::to_vec(&build_body(config, &stand_in)) {
        Ok(shell) => shell,
        Err(e) => return Some(Err(e)),
    };
    // The marker serializes as itself with its control characters escaped.
    let escaped = match serde_json::to_string(MARKER) {
        Ok(s) => s,
        Err(e) => return Some(Err(e)),
    };
    let needle = &escaped.as_bytes()[1..escaped.len() - 1];
    let at = memchr::memmem::find(&shell, needle)?;
    let mut out = Vec::with_capacity(shell.len() + blocks.max_len());
    out.extend_from_slice(&shell[..at]);
    blocks.render_bytes(&mut out);
    out.extend_from_slice(&shell[at + needle.len()..]);
    Some(Ok(Bytes::from(out)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use servebench_tokenize::BuiltinTokenizer;

    use super::*;
    use crate::replay::{BlockPrompt, BlockText};
    use crate::request_body::EndpointKind;

    #[test]
    fn spliced_body_equals_the_serialized_tree() {
        let text = Arc::new(BlockText::new(&BuiltinTokenizer::new(), 8, 3).unwrap());
        let mut entry = DatasetEntry::new(String::new(), 20, Some(4));
        let mut extra = serde_json::Map::new();
        extra.insert("temperature".into(), serde_json::json!(0.1));
        entry.extras = Some(Arc::new(EntryExtras {
            blocks: Some(BlockPrompt::new(text, Arc::from([1u64, 2, 3]), 20)),
            extra: Some(extra),
            ..EntryExtras::default()
        }));
        for kind in [
            EndpointKind::Chat,
            EndpointKind::Completions,
            EndpointKind::Embeddings,
        ] {
            let mut config = EndpointConfig::new(kind, "m");
            config.streaming = kind != EndpointKind::Embeddings;
            let fast = block_body(&config, &entry).unwrap().unwrap();
            let slow = serde_json::to_vec(&build_body(&config, &entry)).unwrap();
            assert_eq!(fast.as_ref(), slow.as_slice(), "{kind:?}");
        }
    }
}
