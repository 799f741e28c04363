//! Turning response events into a record: content chunks, non-content events, usage, errors.

use servebench_metrics::{ContentChunk, ErrorKind, MonoNs, RequestError, RequestRecord};

use crate::response::ResponseChunk;
use crate::sse::SseEvent;

/// Longest piece of a response quoted in an error message.
pub(crate) const QUOTE_LIMIT: usize = 512;

/// Accumulates the events of one streamed response into its record.
pub(crate) struct StreamState<'r> {
    record: &'r mut RequestRecord,
    url: &'r str,
    /// Events seen (for error messages).
    events: u64,
    /// The cumulative `completion_tokens` of the previous usage object (per-chunk usage).
    previous_completion_tokens: u64,
    /// The first failure; the stream is abandoned when set.
    pub(crate) error: Option<RequestError>,
}

impl<'r> StreamState<'r> {
    pub(crate) fn new(record: &'r mut RequestRecord, url: &'r str) -> Self {
        Self {
            record,
            url,
            events: 0,
            previous_completion_tokens: 0,
            error: None,
        }
    }

    /// The record being filled.
    pub(crate) fn record(&mut self) -> &mut RequestRecord {
        self.record
    }

    /// Handles one SSE event delivered by read `read_index` stamped `stamp_ns`.
    pub(crate) fn on_event(&mut self, event: SseEvent<'_>, read_index: u32, stamp_ns: MonoNs) {
        if self.error.is_some() {
            return;
        }
        self.events += 1;
        if event.event == b"error" {
            self.error = Some(RequestError {
                kind: ErrorKind::ServerError,
                code: Some(502),
                message: format!(
                    "{} sent an SSE error event: {}",
                    self.url,
                    quote(event.data)
                ),
            });
            return;
        }
        let data = event.data.trim_ascii();
        if data.is_empty() || data == b"[DONE]" {
            self.record.non_content_events += 1;
            return;
        }
        let chunk = match ResponseChunk::parse(data) {
            Ok(chunk) => chunk,
            Err(e) => {
                self.error = Some(invalid_response(format!(
                    "invalid JSON in SSE event {} from {}: {e}; data: {}",
                    self.events,
                    self.url,
                    quote(data)
                )));
                return;
            }
        };
        if let Some(error) = chunk.error() {
            self.error = Some(server_error(self.url, error));
            return;
        }
        let mut usage_tokens = None;
        if let Some(usage) = chunk.usage() {
            if let Some(cumulative) = usage.completion_tokens {
                let own = cumulative.saturating_sub(self.previous_completion_tokens);
                usage_tokens = Some(u32::try_from(own).unwrap_or(u32::MAX));
                self.previous_completion_tokens = cumulative;
            }
            self.record.usage = Some(usage);
        }
        if let Some(timing) = chunk.server_timing() {
            self.record.server_timing = Some(timing.clone());
        }
        let (text, reasoning) = (chunk.text(), chunk.reasoning());
        if text.is_empty() && reasoning.is_empty() {
            self.record.non_content_events += 1;
        } else {
            self.record.chunks.push(ContentChunk {
                read_index,
                stamp_ns,
                text: text.to_owned(),
                reasoning: reasoning.to_owned(),
                usage_tokens,
            });
        }
    }
}

/// Fills a record from a whole non-streaming body (one chunk stamped at the end of the body).
pub(crate) fn apply_whole_body(
    record: &mut RequestRecord,
    url: &str,
    body: &[u8],
    embeddings: bool,
    read_index: u32,
    end_ns: MonoNs,
) {
    let chunk = match ResponseChunk::parse(body) {
        Ok(chunk) => chunk,
        Err(e) => {
            record.error = Some(invalid_response(format!(
                "invalid JSON response from {url}: {e}; body: {}",
                quote(body)
            )));
            return;
        }
    };
    if let Some(error) = chunk.error() {
        record.error = Some(server_error(url, error));
        return;
    }
    record.usage = chunk.usage();
    record.server_timing = chunk.server_timing().cloned();
    if embeddings {
        if !chunk.has_data() {
            record.error = Some(invalid_response(format!(
                "embeddings response from {url} has no `data` field; body: {}",
                quote(body)
            )));
        }
        return;
    }
    if !chunk.has_choices() {
        record.error = Some(invalid_response(format!(
            "response from {url} has no `choices`; body: {}",
            quote(body)
        )));
        return;
    }
    let (text, reasoning) = (chunk.text(), chunk.reasoning());
    if !text.is_empty() || !reasoning.is_empty() {
        record.chunks.push(ContentChunk {
            read_index,
            stamp_ns: end_ns,
            text: text.to_owned(),
            reasoning: reasoning.to_owned(),
            usage_tokens: None,
        });
    }
}

fn invalid_response(message: String) -> RequestError {
    RequestError {
        kind: ErrorKind::InvalidResponse,
        code: None,
        message,
    }
}

fn server_error(url: &str, error: &serde_json::Value) -> RequestError {
    let code = error
        .get("code")
        .and_then(serde_json::Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(502);
    RequestError {
        kind: ErrorKind::ServerError,
        code: Some(code),
        message: format!("{url} reported an error: {error}"),
    }
}

/// `bytes` as text for an error message, cut at [`QUOTE_LIMIT`] bytes.
pub(crate) fn quote(bytes: &[u8]) -> String {
    let cut = bytes.len().min(QUOTE_LIMIT);
    let mut text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if cut < bytes.len() {
        text.push_str("… (truncated)");
    }
    text
}
