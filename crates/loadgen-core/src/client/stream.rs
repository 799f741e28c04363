//! Turning response events into a record: content chunks, non-content events, usage, errors.

use servebench_metrics::{ContentChunk, ErrorKind, MonoNs, RequestError, RequestRecord};

use crate::response::{ChunkTemplate, ResponseChunk};
use crate::sse::SseEvent;

/// Longest piece of a response quoted in an error message.
pub(crate) const QUOTE_LIMIT: usize = 512;

/// Accumulates the events of one streamed response into its record; lives for the whole stream
/// (across body frames).
pub(crate) struct StreamState<'u> {
    url: &'u str,
    /// Events seen (for error messages).
    events: u64,
    /// The cumulative `completion_tokens` of the previous usage object (per-chunk usage).
    previous_completion_tokens: u64,
    /// Decodes chunks, reusing the shape of the previous one.
    decoder: ChunkTemplate,
    /// The last non-null `finish_reason` of the stream.
    pub(crate) finish_reason: Option<String>,
    /// The first failure; the stream is abandoned when set.
    pub(crate) error: Option<RequestError>,
}

impl<'u> StreamState<'u> {
    pub(crate) fn new(url: &'u str) -> Self {
        Self {
            url,
            events: 0,
            previous_completion_tokens: 0,
            decoder: ChunkTemplate::default(),
            finish_reason: None,
            error: None,
        }
    }

    /// Handles one SSE event delivered by read `read_index` stamped `stamp_ns`.
    pub(crate) fn on_event(
        &mut self,
        record: &mut RequestRecord,
        event: SseEvent<'_>,
        read_index: u32,
        stamp_ns: MonoNs,
    ) {
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
            record.non_content_events += 1;
            return;
        }
        let chunk = match self.decoder.parse(data) {
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
            record.usage = Some(usage);
        }
        if let Some(timing) = chunk.server_timing() {
            record.server_timing = Some(timing.clone());
        }
        if let Some(reason) = chunk.finish_reason() {
            self.finish_reason = Some(reason.to_owned());
        }
        let (text, reasoning) = (chunk.text(), chunk.reasoning());
        if text.is_empty() && reasoning.is_empty() {
            record.non_content_events += 1;
        } else {
            record.chunks.push(ContentChunk {
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
    judge_completion(record, url, chunk.finish_reason());
}

/// Judges a token-producing response that ended cleanly: one that the server gave up on
/// (`finish_reason` `"abort"` or `"error"`) or that carried no content although output tokens
/// were requested is an error of its own kind, not a success.
pub(crate) fn judge_completion(record: &mut RequestRecord, url: &str, finish_reason: Option<&str>) {
    if record.error.is_some() {
        return;
    }
    if let Some(reason @ ("abort" | "error")) = finish_reason {
        record.error = Some(RequestError {
            kind: ErrorKind::Aborted,
            code: None,
            message: format!(
                "{url} ended the response with finish_reason \"{reason}\" after {} content chunks",
                record.chunks.len()
            ),
        });
        return;
    }
    let requested = record.requested_output_tokens;
    if record.chunks.is_empty() && requested != Some(0) {
        let asked = requested.map_or_else(
            || "output tokens were requested".to_owned(),
            |n| format!("{n} output tokens were requested"),
        );
        let finish = finish_reason.map_or_else(
            || "no finish_reason".to_owned(),
            |r| format!("finish_reason \"{r}\""),
        );
        let status = record.status.map_or_else(String::new, |s| format!(" {s}"));
        record.error = Some(RequestError {
            kind: ErrorKind::EmptyResponse,
            code: None,
            message: format!("{url} answered{status} with no content ({finish}) although {asked}"),
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

#[cfg(test)]
mod tests {
    use servebench_metrics::{RecordBuilder, RequestRecord};

    use super::*;

    fn record() -> RequestRecord {
        let mut record = RecordBuilder::new(0).status(200).build();
        record.streaming = true;
        record
    }

    fn event(data: &str) -> SseEvent<'_> {
        SseEvent {
            event: b"",
            data: data.as_bytes(),
        }
    }

    #[test]
    fn per_chunk_usage_is_differenced_across_reads_and_texts_kept() {
        let mut record = record();
        let mut state = StreamState::new("http://x");
        let chunk = |text: &str, cumulative: u64| {
            format!(
                r#"{{"choices":[{{"delta":{{"content":"{text}"}}}}],"usage":{{"completion_tokens":{cumulative}}}}}"#
            )
        };
        // One state per stream, events from different reads (read_index 0, 1, 2).
        state.on_event(&mut record, event(&chunk("a", 1)), 0, 10);
        state.on_event(&mut record, event(&chunk("bc", 3)), 1, 20);
        state.on_event(
            &mut record,
            event(r#"{"choices":[{"delta":{"content":"d"}}]}"#),
            2,
            30,
        );
        state.on_event(
            &mut record,
            event(r#"{"choices":[{"delta":{"content":"e"}}]}"#),
            2,
            30,
        );
        state.on_event(&mut record, event("[DONE]"), 2, 30);
        assert!(state.error.is_none());
        let got: Vec<(&str, Option<u32>, u32)> = record
            .chunks
            .iter()
            .map(|c| (c.text.as_str(), c.usage_tokens, c.read_index))
            .collect();
        assert_eq!(
            got,
            [
                ("a", Some(1), 0),
                ("bc", Some(2), 1),
                ("d", None, 2),
                ("e", None, 2)
            ]
        );
        assert_eq!(record.non_content_events, 1);
    }
}
