//! Pre-rendered response bytes: SSE chunks, full bodies and error bodies, written directly.
//!
//! Everything that stays the same within a request (id, created, model, the JSON around the
//! token text) is rendered once; a token chunk is then three slice copies, with the token text
//! taken from the server's table of pre-escaped output words (`super::vocab`).

use std::sync::Arc;
use std::time::Duration;

use super::json;
use super::request::Endpoint;
use super::vocab::OutputVocab;

const CHAT_TOKEN_SUFFIX: &[u8] = br#""},"logprobs":null,"finish_reason":null}]}"#;
const TEXT_TOKEN_SUFFIX: &[u8] = br#"","logprobs":null,"finish_reason":null}]}"#;
const EVENT_END: &[u8] = b"\n\n";
/// The stream terminator.
pub(crate) const DONE: &[u8] = b"data: [DONE]\n\n";

/// Token counts of a finished request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) prompt_tokens: u32,
    pub(crate) completion_tokens: u32,
    pub(crate) cached_tokens: u32,
    /// Of the completion tokens, those sent as reasoning (`None`: reasoning output is off, and
    /// `completion_tokens_details` is left out).
    pub(crate) reasoning_tokens: Option<u32>,
}

/// Server-side timings reported in the `servebench` object and `x-servebench-*` headers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timings {
    pub(crate) queue: Duration,
    pub(crate) prefill: Duration,
    /// From request arrival to the first token handed to the HTTP layer.
    pub(crate) ttft: Duration,
    pub(crate) cached_tokens: u32,
    pub(crate) prompt_tokens: u32,
    pub(crate) worker_id: u32,
}

/// Writes the response of one request.
#[derive(Debug)]
pub(crate) struct Renderer {
    endpoint: Endpoint,
    id: String,
    created: u64,
    model: String,
    vocab: Arc<OutputVocab>,
    /// `data: {...,"choices":[{"index":0,"delta":{"content":"` (or `"text":"`).
    token_prefix: Vec<u8>,
    /// How many leading output tokens are reasoning (chat only; 0 = none).
    reasoning_tokens: u32,
    /// `data: {...,"choices":[{"index":0,"delta":{"reasoning_content":"`.
    reasoning_prefix: Vec<u8>,
}

impl Renderer {
    /// A renderer for a response with this id, creation time (Unix seconds) and model.
    pub(crate) fn new(
        endpoint: Endpoint,
        id: String,
        created: u64,
        model: String,
        vocab: Arc<OutputVocab>,
    ) -> Self {
        let mut r = Self {
            endpoint,
            id,
            created,
            model,
            vocab,
            token_prefix: Vec::new(),
            reasoning_tokens: 0,
            reasoning_prefix: Vec::new(),
        };
        let mut prefix = b"data: ".to_vec();
        r.head(&mut prefix, r.chunk_object());
        let mut reasoning = prefix.clone();
        prefix.extend_from_slice(match endpoint {
            Endpoint::Chat => br#","choices":[{"index":0,"delta":{"content":""#.as_slice(),
            Endpoint::Completion => br#","choices":[{"index":0,"text":""#.as_slice(),
        });
        reasoning.extend_from_slice(br#","choices":[{"index":0,"delta":{"reasoning_content":""#);
        r.token_prefix = prefix;
        r.reasoning_prefix = reasoning;
        r
    }

    /// Sends the first `tokens` output tokens as reasoning (`reasoning_content` deltas, a
    /// `reasoning_content` message field, `completion_tokens_details.reasoning_tokens` in usage).
    /// Chat only: completions have no reasoning field, so this does nothing there.
    #[must_use]
    pub(crate) fn with_reasoning(mut self, tokens: u32) -> Self {
        if self.endpoint == Endpoint::Chat {
            self.reasoning_tokens = tokens;
        }
        self
    }

    /// Whether output token number `position` (from 0) is reasoning.
    pub(crate) fn is_reasoning(&self, position: u32) -> bool {
        position < self.reasoning_tokens
    }

    /// Reasoning tokens among `completion_tokens` sent, for usage (`None` when off).
    pub(crate) fn reasoning_count(&self, completion_tokens: u32) -> Option<u32> {
        (self.reasoning_tokens > 0).then(|| completion_tokens.min(self.reasoning_tokens))
    }

    /// The JSON-escaped text of generated token `id`.
    pub(crate) fn token_text(&self, id: u32) -> &[u8] {
        self.vocab.text(id)
    }

    /// The response id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    fn chunk_object(&self) -> &'static str {
        match self.endpoint {
            Endpoint::Chat => "chat.completion.chunk",
            Endpoint::Completion => "text_completion",
        }
    }

    /// `{"id":..,"object":..,"created":..,"model":..` (object left open).
    fn head(&self, out: &mut Vec<u8>, object: &str) {
        out.extend_from_slice(br#"{"id":"#);
        out.extend_from_slice(&json::quoted(&self.id));
        out.extend_from_slice(br#","object":"#);
        out.extend_from_slice(&json::quoted(object));
        out.extend_from_slice(br#","created":"#);
        json::push_u64(out, self.created);
        out.extend_from_slice(br#","model":"#);
        out.extend_from_slice(&json::quoted(&self.model));
    }

    /// The chat role chunk (`delta: {role: assistant, content: ""}`); nothing for completions.
    pub(crate) fn role_chunk(&self, out: &mut Vec<u8>) {
        if self.endpoint == Endpoint::Chat {
            out.extend_from_slice(b"data: ");
            self.head(out, self.chunk_object());
            out.extend_from_slice(
                br#","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
            );
            out.extend_from_slice(EVENT_END);
        }
    }

    /// The chunk of output token number `position`: reasoning or content.
    #[inline]
    pub(crate) fn output_chunk(&self, out: &mut Vec<u8>, token_id: u32, position: u32) {
        if self.is_reasoning(position) {
            out.extend_from_slice(&self.reasoning_prefix);
            out.extend_from_slice(self.vocab.text(token_id));
            out.extend_from_slice(CHAT_TOKEN_SUFFIX);
            out.extend_from_slice(EVENT_END);
        } else {
            self.token_chunk(out, token_id);
        }
    }

    /// One token's chunk.
    #[inline]
    pub(crate) fn token_chunk(&self, out: &mut Vec<u8>, token_id: u32) {
        out.extend_from_slice(&self.token_prefix);
        out.extend_from_slice(self.vocab.text(token_id));
        out.extend_from_slice(match self.endpoint {
            Endpoint::Chat => CHAT_TOKEN_SUFFIX,
            Endpoint::Completion => TEXT_TOKEN_SUFFIX,
        });
        out.extend_from_slice(EVENT_END);
    }

    /// An injected fault: the token's chunk cut off after its text (invalid JSON).
    pub(crate) fn malformed_chunk(&self, out: &mut Vec<u8>, token_id: u32) {
        out.extend_from_slice(&self.token_prefix);
        out.extend_from_slice(self.vocab.text(token_id));
        out.extend_from_slice(b"\"");
        out.extend_from_slice(EVENT_END);
    }

    /// The chunk carrying `finish_reason`, with an empty delta and the `servebench` timings.
    pub(crate) fn final_chunk(&self, out: &mut Vec<u8>, finish: &str, timings: &Timings) {
        out.extend_from_slice(b"data: ");
        self.head(out, self.chunk_object());
        out.extend_from_slice(match self.endpoint {
            Endpoint::Chat => {
                br#","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"#.as_slice()
            }
            Endpoint::Completion => {
                br#","choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"#.as_slice()
            }
        });
        out.extend_from_slice(&json::quoted(finish));
        out.extend_from_slice(br#"}],"servebench":"#);
        servebench_object(out, timings);
        out.push(b'}');
        out.extend_from_slice(EVENT_END);
    }

    /// The usage chunk (`choices: []`), sent when `stream_options.include_usage` is true.
    pub(crate) fn usage_chunk(&self, out: &mut Vec<u8>, usage: &Usage) {
        out.extend_from_slice(b"data: ");
        self.head(out, self.chunk_object());
        out.extend_from_slice(br#","choices":[],"usage":"#);
        usage_object(out, usage);
        out.push(b'}');
        out.extend_from_slice(EVENT_END);
    }

    /// A complete non-streaming body; `text` and `reasoning` are already JSON-escaped
    /// (`reasoning` is written only when reasoning output is on).
    pub(crate) fn full_body(
        &self,
        out: &mut Vec<u8>,
        text: &[u8],
        reasoning: &[u8],
        finish: &str,
        usage: &Usage,
        timings: &Timings,
    ) {
        match self.endpoint {
            Endpoint::Chat => {
                self.head(out, "chat.completion");
                out.extend_from_slice(
                    br#","choices":[{"index":0,"message":{"role":"assistant","content":""#,
                );
                out.extend_from_slice(text);
                if self.reasoning_tokens > 0 {
                    out.extend_from_slice(br#"","reasoning_content":""#);
                    out.extend_from_slice(reasoning);
                }
                out.extend_from_slice(br#""},"logprobs":null,"finish_reason":"#);
            }
            Endpoint::Completion => {
                self.head(out, "text_completion");
                out.extend_from_slice(br#","choices":[{"index":0,"text":""#);
                out.extend_from_slice(text);
                out.extend_from_slice(br#"","logprobs":null,"finish_reason":"#);
            }
        }
        out.extend_from_slice(&json::quoted(finish));
        out.extend_from_slice(br#"}],"usage":"#);
        usage_object(out, usage);
        out.extend_from_slice(br#","servebench":"#);
        servebench_object(out, timings);
        out.push(b'}');
    }
}

fn usage_object(out: &mut Vec<u8>, u: &Usage) {
    out.extend_from_slice(br#"{"prompt_tokens":"#);
    json::push_u64(out, u64::from(u.prompt_tokens));
    out.extend_from_slice(br#","completion_tokens":"#);
    json::push_u64(out, u64::from(u.completion_tokens));
    out.extend_from_slice(br#","total_tokens":"#);
    json::push_u64(
        out,
        u64::from(u.prompt_tokens) + u64::from(u.completion_tokens),
    );
    out.extend_from_slice(br#","prompt_tokens_details":{"cached_tokens":"#);
    json::push_u64(out, u64::from(u.cached_tokens));
    out.push(b'}');
    if let Some(reasoning) = u.reasoning_tokens {
        out.extend_from_slice(br#","completion_tokens_details":{"reasoning_tokens":"#);
        json::push_u64(out, u64::from(reasoning));
        out.push(b'}');
    }
    out.push(b'}');
}

/// `{"queue_ms":..,"prefill_ms":..,"ttft_ms":..,"cached_tokens":..,"prompt_tokens":..,"worker_id":..}`
fn servebench_object(out: &mut Vec<u8>, t: &Timings) {
    out.extend_from_slice(br#"{"queue_ms":"#);
    json::push_ms(out, t.queue);
    out.extend_from_slice(br#","prefill_ms":"#);
    json::push_ms(out, t.prefill);
    out.extend_from_slice(br#","ttft_ms":"#);
    json::push_ms(out, t.ttft);
    out.extend_from_slice(br#","cached_tokens":"#);
    json::push_u64(out, u64::from(t.cached_tokens));
    out.extend_from_slice(br#","prompt_tokens":"#);
    json::push_u64(out, u64::from(t.prompt_tokens));
    out.extend_from_slice(br#","worker_id":"#);
    json::push_u64(out, u64::from(t.worker_id));
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use servebench_tokenize::{BuiltinTokenizer, Tokenizer};

    use super::*;

    fn vocab() -> Arc<OutputVocab> {
        Arc::new(OutputVocab::build(&BuiltinTokenizer::new()).unwrap())
    }

    fn events(bytes: &[u8]) -> Vec<Value> {
        let text = std::str::from_utf8(bytes).unwrap();
        text.split_terminator("\n\n")
            .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
            .collect()
    }

    fn timings() -> Timings {
        Timings {
            queue: Duration::from_micros(1500),
            prefill: Duration::from_millis(20),
            ttft: Duration::from_millis(22),
            cached_tokens: 64,
            prompt_tokens: 100,
            worker_id: 3,
        }
    }

    #[test]
    fn chat_chunks_are_valid_json_with_escaped_model() {
        let r = Renderer::new(
            Endpoint::Chat,
            "chatcmpl-1".into(),
            5,
            "m\"1".into(),
            vocab(),
        );
        let mut out = Vec::new();
        r.role_chunk(&mut out);
        r.token_chunk(&mut out, 0);
        r.token_chunk(&mut out, 8192 + 5);
        r.final_chunk(&mut out, "length", &timings());
        let usage = Usage {
            prompt_tokens: 100,
            completion_tokens: 2,
            cached_tokens: 64,
            reasoning_tokens: None,
        };
        r.usage_chunk(&mut out, &usage);
        let ev = events(&out);
        assert_eq!(ev[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(ev[0]["model"], "m\"1");
        let word = BuiltinTokenizer::new().decode(&[0]);
        assert_eq!(ev[1]["choices"][0]["delta"]["content"], word.as_str());
        assert_eq!(
            ev[2]["choices"][0]["delta"]["content"],
            BuiltinTokenizer::new().decode(&[5])
        );
        assert_eq!(ev[3]["choices"][0]["finish_reason"], "length");
        assert_eq!(ev[3]["servebench"]["queue_ms"], 1.5);
        assert_eq!(ev[3]["servebench"]["worker_id"], 3);
        assert_eq!(ev[4]["usage"]["total_tokens"], 102);
        assert_eq!(ev[4]["usage"]["prompt_tokens_details"]["cached_tokens"], 64);
        assert_eq!(ev[4]["choices"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn reasoning_tokens_come_first_as_reasoning_content_then_content() {
        let r = Renderer::new(Endpoint::Chat, "c".into(), 5, "m".into(), vocab()).with_reasoning(2);
        let mut out = Vec::new();
        for position in 0..3 {
            r.output_chunk(&mut out, position, position);
        }
        let ev = events(&out);
        let word = |id| BuiltinTokenizer::new().decode(&[id]);
        assert_eq!(
            ev[0]["choices"][0]["delta"]["reasoning_content"],
            word(0).as_str()
        );
        assert!(ev[0]["choices"][0]["delta"].get("content").is_none());
        assert_eq!(
            ev[1]["choices"][0]["delta"]["reasoning_content"],
            word(1).as_str()
        );
        assert_eq!(ev[2]["choices"][0]["delta"]["content"], word(2).as_str());
        assert_eq!(
            (r.reasoning_count(1), r.reasoning_count(5)),
            (Some(1), Some(2))
        );
        let usage = Usage {
            prompt_tokens: 3,
            completion_tokens: 5,
            cached_tokens: 0,
            reasoning_tokens: Some(2),
        };
        let mut body = Vec::new();
        r.full_body(&mut body, b" c", b" a b", "length", &usage, &timings());
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], " c");
        assert_eq!(v["choices"][0]["message"]["reasoning_content"], " a b");
        assert_eq!(
            v["usage"]["completion_tokens_details"]["reasoning_tokens"],
            2
        );
        // Completions have no reasoning field: every token is text.
        let c = Renderer::new(Endpoint::Completion, "c".into(), 5, "m".into(), vocab())
            .with_reasoning(2);
        assert_eq!(c.reasoning_count(4), None);
        let mut out = Vec::new();
        c.output_chunk(&mut out, 0, 0);
        assert_eq!(events(&out)[0]["choices"][0]["text"], word(0).as_str());
    }

    #[test]
    fn malformed_chunk_is_invalid_json() {
        let r = Renderer::new(
            Endpoint::Completion,
            "cmpl-1".into(),
            5,
            "m".into(),
            vocab(),
        );
        let mut out = Vec::new();
        r.malformed_chunk(&mut out, 1);
        let s = std::str::from_utf8(&out).unwrap();
        let payload = s.strip_prefix("data: ").unwrap().trim_end();
        assert!(serde_json::from_str::<Value>(payload).is_err());
    }

    #[test]
    fn full_bodies_carry_usage_and_timings() {
        let usage = Usage {
            prompt_tokens: 3,
            completion_tokens: 2,
            cached_tokens: 0,
            reasoning_tokens: None,
        };
        for (endpoint, object) in [
            (Endpoint::Chat, "chat.completion"),
            (Endpoint::Completion, "text_completion"),
        ] {
            let r = Renderer::new(endpoint, "x".into(), 5, "m".into(), vocab());
            let mut out = Vec::new();
            r.full_body(&mut out, b" a\\n", b"", "stop", &usage, &timings());
            let v: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["object"], object);
            assert_eq!(v["usage"]["completion_tokens"], 2);
            assert_eq!(v["choices"][0]["finish_reason"], "stop");
            assert_eq!(v["servebench"]["prefill_ms"], 20.0);
        }
    }
}
