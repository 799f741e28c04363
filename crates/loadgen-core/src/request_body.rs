//! OpenAI request bodies: what is sent for one dataset entry.
//!
//! [`build_body`] returns the JSON value and [`body_bytes`] its exact serialized bytes (what goes
//! on the wire and what `inputs.json` should show). Keys come out in alphabetical order (serde_json
//! without `preserve_order`).

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::dataset::DatasetEntry;

/// Which OpenAI API the endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// `/v1/chat/completions`: `messages` in, `choices[].delta.content` out.
    Chat,
    /// `/v1/completions`: `prompt` in, `choices[].text` out.
    Completions,
    /// `/v1/embeddings`: `input` in, vectors out (never streamed, no text).
    Embeddings,
}

impl EndpointKind {
    /// The default request path.
    pub fn default_path(self) -> &'static str {
        match self {
            EndpointKind::Chat => "/v1/chat/completions",
            EndpointKind::Completions => "/v1/completions",
            EndpointKind::Embeddings => "/v1/embeddings",
        }
    }

    /// AIPerf's name of the endpoint type.
    pub fn name(self) -> &'static str {
        match self {
            EndpointKind::Chat => "chat",
            EndpointKind::Completions => "completions",
            EndpointKind::Embeddings => "embeddings",
        }
    }

    /// Whether the endpoint can stream its response.
    pub fn supports_streaming(self) -> bool {
        !matches!(self, EndpointKind::Embeddings)
    }
}

/// How to talk to the endpoint: body options and headers. Its `Debug` output never shows the
/// API key (nor the values of headers marked sensitive, see [`crate::parse_header`]).
#[derive(Clone, PartialEq)]
pub struct EndpointConfig {
    /// The API.
    pub kind: EndpointKind,
    /// `model` field of every body.
    pub model: String,
    /// Ask for a streamed (SSE) response.
    pub streaming: bool,
    /// Path override (AIPerf `--endpoint`); `None` uses [`EndpointKind::default_path`].
    pub path: Option<String>,
    /// Send `max_tokens` instead of `max_completion_tokens` on chat (AIPerf
    /// `--use-legacy-max-tokens`). Completions always use `max_tokens`.
    pub use_legacy_max_tokens: bool,
    /// Pin the output length: also send `min_tokens` = max and `ignore_eos: true`.
    pub pin_output_length: bool,
    /// Extra fields merged into every body last (they override the generated ones).
    pub extra_inputs: Map<String, Value>,
    /// Extra request headers, parsed (e.g. by [`crate::parse_header`]); later ones replace
    /// earlier ones and the generated ones of the same name.
    pub extra_headers: Vec<(HeaderName, HeaderValue)>,
    /// Sent as `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
}

impl std::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("kind", &self.kind)
            .field("model", &self.model)
            .field("streaming", &self.streaming)
            .field("path", &self.path)
            .field("use_legacy_max_tokens", &self.use_legacy_max_tokens)
            .field("pin_output_length", &self.pin_output_length)
            .field("extra_inputs", &self.extra_inputs)
            .field("extra_headers", &self.extra_headers)
            .field(
                "api_key",
                &self.api_key.as_ref().map(|_| crate::redact::REDACTED),
            )
            .finish()
    }
}

impl EndpointConfig {
    /// A configuration with AIPerf's defaults for `kind` and `model` (not streaming, no extras).
    pub fn new(kind: EndpointKind, model: impl Into<String>) -> Self {
        Self {
            kind,
            model: model.into(),
            streaming: false,
            path: None,
            use_legacy_max_tokens: false,
            pin_output_length: false,
            extra_inputs: Map::new(),
            extra_headers: Vec::new(),
            api_key: None,
        }
    }

    /// The request path (the override or the default).
    pub fn request_path(&self) -> &str {
        self.path.as_deref().unwrap_or(self.kind.default_path())
    }

    /// Whether the request actually streams (never for embeddings).
    pub fn streams(&self) -> bool {
        self.streaming && self.kind.supports_streaming()
    }

    /// The output length the body asks for, as recorded in `requested_output_tokens`.
    pub fn requested_output_tokens(&self, entry: &DatasetEntry) -> Option<u64> {
        match self.kind {
            EndpointKind::Embeddings => None,
            EndpointKind::Chat | EndpointKind::Completions => entry.max_output_tokens,
        }
    }
}

/// The JSON body sent for `entry`.
///
/// An entry read from a file may override parts of it: a `payload` is sent verbatim, `messages`
/// replace the single user message (chat), and the entry's `extra` fields are merged last.
pub fn build_body(config: &EndpointConfig, entry: &DatasetEntry) -> Value {
    let extras = entry.extras.as_deref();
    if let Some(payload) = extras.and_then(|e| e.payload.as_ref()) {
        return payload.clone();
    }
    let prompt = entry.prompt_text();
    let mut body = Map::new();
    body.insert("model".into(), Value::String(config.model.clone()));
    match config.kind {
        EndpointKind::Chat => {
            let messages = match extras.and_then(|e| e.messages.as_ref()) {
                Some(messages) => messages.clone(),
                None => chat_messages(entry, prompt.into_owned()),
            };
            body.insert("messages".into(), Value::Array(messages));
        }
        EndpointKind::Completions => {
            body.insert("prompt".into(), Value::String(prompt.into_owned()));
        }
        EndpointKind::Embeddings => {
            body.insert(
                "input".into(),
                Value::Array(vec![Value::String(prompt.into_owned())]),
            );
        }
    }
    if config.kind.supports_streaming() {
        body.insert("stream".into(), Value::Bool(config.streaming));
        if config.streaming {
            let mut options = Map::new();
            options.insert("include_usage".into(), Value::Bool(true));
            body.insert("stream_options".into(), Value::Object(options));
        }
        if let Some(max) = entry.max_output_tokens {
            let key = if config.kind == EndpointKind::Chat && !config.use_legacy_max_tokens {
                "max_completion_tokens"
            } else {
                "max_tokens"
            };
            body.insert(key.into(), Value::from(max));
            if config.pin_output_length {
                body.insert("min_tokens".into(), Value::from(max));
                body.insert("ignore_eos".into(), Value::Bool(true));
            }
        }
    }
    for (key, value) in &config.extra_inputs {
        body.insert(key.clone(), value.clone());
    }
    if let Some(extra) = extras.and_then(|e| e.extra.as_ref()) {
        for (key, value) in extra {
            body.insert(key.clone(), value.clone());
        }
    }
    Value::Object(body)
}

/// The chat `messages` of `entry`: its system prompt and user context when present (as AIPerf
/// sends them: a `system` message, then a `user` message), then the user message. The user
/// message's content is the prompt as a string, or with images a list of parts as AIPerf sends
/// them: a `text` part (left out when the prompt is empty), then one
/// `{"type": "image_url", "image_url": {"url": ...}}` part per image.
fn chat_messages(entry: &DatasetEntry, prompt: String) -> Vec<Value> {
    let message = |role: &str, content: Value| {
        let mut m = Map::new();
        m.insert("role".into(), Value::String(role.into()));
        m.insert("content".into(), content);
        Value::Object(m)
    };
    let mut messages = Vec::with_capacity(3);
    if let Some(system) = &entry.system_prompt {
        messages.push(message("system", Value::String(system.to_string())));
    }
    if let Some(context) = &entry.user_context {
        messages.push(message("user", Value::String(context.to_string())));
    }
    let content = if entry.images.is_empty() {
        Value::String(prompt)
    } else {
        let mut parts = Vec::with_capacity(1 + entry.images.len());
        if !prompt.is_empty() {
            let mut text = Map::new();
            text.insert("type".into(), Value::String("text".into()));
            text.insert("text".into(), Value::String(prompt));
            parts.push(Value::Object(text));
        }
        for url in &entry.images {
            let mut image_url = Map::new();
            image_url.insert("url".into(), Value::String(url.clone()));
            let mut part = Map::new();
            part.insert("type".into(), Value::String("image_url".into()));
            part.insert("image_url".into(), Value::Object(image_url));
            parts.push(Value::Object(part));
        }
        Value::Array(parts)
    };
    messages.push(message("user", content));
    messages
}

/// The exact bytes sent for `entry` (the serialization of [`build_body`]).
pub fn body_bytes(
    config: &EndpointConfig,
    entry: &DatasetEntry,
) -> Result<Bytes, serde_json::Error> {
    if let Some(body) = crate::replay::block_body(config, entry) {
        return body;
    }
    serde_json::to_vec(&build_body(config, entry)).map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(max: Option<u64>) -> DatasetEntry {
        DatasetEntry::new("hi \"there\"".into(), 3, max)
    }

    #[test]
    fn streaming_chat_body_matches_aiperf_shape() {
        let mut config = EndpointConfig::new(EndpointKind::Chat, "mock");
        config.streaming = true;
        assert_eq!(
            build_body(&config, &entry(Some(50))),
            json!({
                "messages": [{"role": "user", "content": "hi \"there\""}],
                "model": "mock",
                "stream": true,
                "max_completion_tokens": 50,
                "stream_options": {"include_usage": true}
            })
        );
        assert_eq!(
            body_bytes(&config, &entry(Some(50))).unwrap().as_ref(),
            br#"{"max_completion_tokens":50,"messages":[{"content":"hi \"there\"","role":"user"}],"model":"mock","stream":true,"stream_options":{"include_usage":true}}"#
        );
    }

    #[test]
    fn legacy_max_tokens_pinning_and_extra_inputs() {
        let mut config = EndpointConfig::new(EndpointKind::Chat, "m");
        config.use_legacy_max_tokens = true;
        config.pin_output_length = true;
        config.extra_inputs.insert("temperature".into(), json!(0.0));
        config
            .extra_inputs
            .insert("model".into(), json!("override"));
        assert_eq!(
            build_body(&config, &entry(Some(7))),
            json!({
                "messages": [{"role": "user", "content": "hi \"there\""}],
                "model": "override",
                "stream": false,
                "max_tokens": 7,
                "min_tokens": 7,
                "ignore_eos": true,
                "temperature": 0.0
            })
        );
    }

    #[test]
    fn completions_use_max_tokens_and_prompt_and_omit_unset_max() {
        let config = EndpointConfig::new(EndpointKind::Completions, "m");
        assert_eq!(
            build_body(&config, &entry(Some(4))),
            json!({"prompt": "hi \"there\"", "model": "m", "stream": false, "max_tokens": 4})
        );
        assert_eq!(
            build_body(&config, &entry(None)),
            json!({"prompt": "hi \"there\"", "model": "m", "stream": false})
        );
    }

    #[test]
    fn embeddings_send_input_list_without_stream_or_max_tokens() {
        let mut config = EndpointConfig::new(EndpointKind::Embeddings, "e");
        config.streaming = true;
        assert!(!config.streams());
        assert_eq!(config.requested_output_tokens(&entry(Some(4))), None);
        assert_eq!(
            build_body(&config, &entry(Some(4))),
            json!({"input": ["hi \"there\""], "model": "e"})
        );
    }

    #[test]
    fn chat_with_images_sends_a_text_part_then_image_url_parts_as_aiperf() {
        let config = EndpointConfig::new(EndpointKind::Chat, "vlm");
        let mut e = entry(Some(1));
        e.images = vec![
            "http://127.0.0.1:9/a.png".into(),
            "data:image/jpeg;base64,AAAA".into(),
        ];
        assert_eq!(
            build_body(&config, &e),
            json!({
                "messages": [{"role": "user", "content": [
                    {"type": "text", "text": "hi \"there\""},
                    {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/a.png"}},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}}
                ]}],
                "model": "vlm",
                "stream": false,
                "max_completion_tokens": 1
            })
        );
        // An image-only request (AIPerf's `{"images": [...]}` lines) has no empty text part.
        e.prompt.clear();
        assert_eq!(
            build_body(&config, &e)["messages"][0]["content"],
            json!([
                {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/a.png"}},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}}
            ])
        );
    }

    #[test]
    fn system_prompt_and_user_context_come_before_the_user_message() {
        let config = EndpointConfig::new(EndpointKind::Chat, "m");
        let mut e = entry(None);
        e.system_prompt = Some("be brief".into());
        e.user_context = Some("I am user 7".into());
        assert_eq!(
            build_body(&config, &e)["messages"],
            json!([
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "I am user 7"},
                {"role": "user", "content": "hi \"there\""}
            ])
        );
        e.user_context = None;
        assert_eq!(
            build_body(&config, &e)["messages"],
            json!([
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "hi \"there\""}
            ])
        );
    }

    #[test]
    fn path_override() {
        let mut config = EndpointConfig::new(EndpointKind::Chat, "m");
        assert_eq!(config.request_path(), "/v1/chat/completions");
        config.path = Some("/custom/chat".into());
        assert_eq!(config.request_path(), "/custom/chat");
    }
}
