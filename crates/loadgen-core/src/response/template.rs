//! A per-stream memo of the chunk shape: most chunks of a stream are byte-for-byte the same
//! except for one text string (`{"id":"chatcmpl-1","object":...,"choices":[{"index":0,"delta":
//! {"content":"` + text + `"},"logprobs":null,"finish_reason":null}]}`).
//!
//! When the fast scanner accepts a chunk whose only non-null text field is one string, the bytes
//! before that string token (the prefix) and after it (the suffix) are kept. A later chunk that
//! starts with the same prefix, continues with a valid string token and ends with the same suffix
//! decodes to the same chunk with that string replaced: the scanner reads left to right, its
//! state at the string depends only on the prefix bytes, the value of a string never changes how
//! the rest is read, and the suffix bytes are identical. So the result is exactly what the scanner
//! (and therefore serde) would give, for the cost of two byte comparisons and one string scan.

use super::fast::{self, Captures, TextSlot};
use super::{Choice, Delta, ResponseChunk};

/// Decodes the chunks of one stream, reusing the shape of the previous chunk when it fits; the
/// results are exactly [`ResponseChunk::parse`]'s. Use one per stream.
///
/// ```
/// use servebench_loadgen_core::ChunkTemplate;
///
/// let mut decoder = ChunkTemplate::default();
/// for text in ["Hel", "lo"] {
///     let json = format!(r#"{{"id":"c1","choices":[{{"index":0,"delta":{{"content":"{text}"}}}}]}}"#);
///     assert_eq!(decoder.parse(json.as_bytes()).unwrap().text(), text);
/// }
/// ```
#[derive(Debug, Default)]
pub struct ChunkTemplate {
    /// Bytes before the text string token; empty when nothing was learned.
    prefix: Vec<u8>,
    /// Bytes after the text string token.
    suffix: Vec<u8>,
    slot: Option<TextSlot>,
    /// Whether `choices[0].delta` was an object (it may be absent for `text` chunks).
    delta_present: bool,
}

impl ChunkTemplate {
    /// Decodes one response JSON object: exactly [`ResponseChunk::parse`]'s result.
    ///
    /// # Errors
    /// The input is not a JSON object serde can decode into a [`ResponseChunk`].
    pub fn parse<'a>(&mut self, json: &'a [u8]) -> Result<ResponseChunk<'a>, serde_json::Error> {
        if let Some(chunk) = self.apply(json) {
            return Ok(chunk);
        }
        match fast::scan_with_captures(json) {
            Some((chunk, captures)) => {
                self.learn(json, &chunk, &captures);
                Ok(chunk)
            }
            None => ResponseChunk::parse_with_serde(json),
        }
    }

    fn apply<'a>(&self, json: &'a [u8]) -> Option<ResponseChunk<'a>> {
        let slot = self.slot?;
        let rest = json.strip_prefix(self.prefix.as_slice())?;
        let (value, end) = fast::string_token(rest)?;
        if rest.get(end..)? != self.suffix.as_slice() {
            return None;
        }
        let mut chunk = ResponseChunk::default();
        let choice = chunk.choices.0.insert(Choice::default());
        if self.delta_present {
            choice.delta = Some(Delta::default());
        }
        match slot {
            TextSlot::Content => choice.delta.get_or_insert_default().content = Some(value),
            TextSlot::ReasoningContent => {
                choice.delta.get_or_insert_default().reasoning_content = Some(value);
            }
            TextSlot::Reasoning => choice.delta.get_or_insert_default().reasoning = Some(value),
            TextSlot::Text => choice.text = Some(value),
        }
        Some(chunk)
    }

    /// Keeps the shape of `chunk` if it is a plain one-text chunk; forgets the old shape if not.
    fn learn(&mut self, json: &[u8], chunk: &ResponseChunk<'_>, captures: &Captures) {
        self.slot = None;
        let Some((start, end, slot)) = captures.first else {
            return;
        };
        let Some(choice) = &chunk.choices.0 else {
            return;
        };
        let plain = captures.count == 1
            && chunk.usage.is_none()
            && chunk.error.is_none()
            && chunk.data.is_none()
            && chunk.servebench_timing.is_none()
            && choice.message.is_none()
            && choice.finish_reason.is_none()
            && (slot == TextSlot::Text || choice.delta.is_some());
        if !plain {
            return;
        }
        self.prefix.clear();
        self.prefix.extend_from_slice(&json[..start]);
        self.suffix.clear();
        self.suffix.extend_from_slice(&json[end..]);
        self.delta_present = choice.delta.is_some();
        self.slot = Some(slot);
    }
}

#[cfg(test)]
impl ChunkTemplate {
    /// Whether a chunk shape is currently learned.
    pub(super) fn is_learned(&self) -> bool {
        self.slot.is_some()
    }
}
