//! OpenAI response parsing: what one streamed chunk (or a whole non-streaming body) contains.
//!
//! Only the fields the metrics need are decoded; text is borrowed from the input when it has no
//! JSON escapes. Recognised text: chat `choices[0].delta.content`, `reasoning_content`,
//! `reasoning`; completions `choices[0].text`; non-streaming `choices[0].message.*`;
//! `choices[0].finish_reason`. Also
//! `usage` (with `prompt_tokens_details.cached_tokens` and
//! `completion_tokens_details.reasoning_tokens`), a top-level `error` object, and servebench's
//! optional `servebench` object (the simulated server's queue/prefill timings).
//!
//! [`ResponseChunk::parse`] first tries a specialised one-pass scanner (`fast`) that handles the
//! common chunk shapes and gives up on anything else; serde then decodes what it gave up on, so
//! the result is always serde's.

#[cfg(test)]
mod chunk_gen;
mod fast;
#[cfg(test)]
mod fast_equivalence;
mod template;

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use servebench_metrics::{ServerTiming, Usage};

pub use template::ChunkTemplate;

/// The decoded parts of one response JSON object.
#[derive(Debug, Default, Deserialize)]
pub struct ResponseChunk<'a> {
    /// The first element of `choices` (others are ignored), if any.
    #[serde(default, borrow)]
    choices: FirstChoice<'a>,
    /// `usage`, when present and not null.
    #[serde(default)]
    usage: Option<UsageJson>,
    /// A top-level `error` value (vLLM reports mid-stream failures this way).
    #[serde(default)]
    error: Option<serde_json::Value>,
    /// `data` of an embeddings response.
    #[serde(default)]
    data: Option<IgnoredAny>,
    /// servebench's server-side timings (the simulated server's `servebench` object).
    #[serde(default, rename = "servebench")]
    servebench_timing: Option<ServerTiming>,
}

impl<'a> ResponseChunk<'a> {
    /// Parses one JSON object.
    pub fn parse(json: &'a [u8]) -> Result<Self, serde_json::Error> {
        match fast::scan(json) {
            Some(chunk) => Ok(chunk),
            None => Self::parse_with_serde(json),
        }
    }

    /// Parses one JSON object with serde only, without the fast path of [`ResponseChunk::parse`]
    /// (same result; for benchmarks and equivalence checks).
    pub fn parse_with_serde(json: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json)
    }

    /// Visible text: `delta.content`, `message.content` or `text` (empty when none).
    pub fn text(&self) -> &str {
        let Some(choice) = &self.choices.0 else {
            return "";
        };
        content_of(choice.delta.as_ref())
            .or_else(|| content_of(choice.message.as_ref()))
            .or(choice.text.as_deref())
            .unwrap_or("")
    }

    /// Reasoning text: `reasoning_content` or `reasoning` of the delta or message.
    pub fn reasoning(&self) -> &str {
        let Some(choice) = &self.choices.0 else {
            return "";
        };
        reasoning_of(choice.delta.as_ref())
            .or_else(|| reasoning_of(choice.message.as_ref()))
            .unwrap_or("")
    }

    /// `choices[0].finish_reason`, when it is a string (`"stop"`, `"length"`, `"abort"`, ...).
    pub fn finish_reason(&self) -> Option<&str> {
        self.choices.0.as_ref()?.finish_reason.as_deref()
    }

    /// Whether the object had a non-empty `choices` list.
    pub fn has_choices(&self) -> bool {
        self.choices.0.is_some()
    }

    /// Whether the object had a `data` field (embeddings).
    pub fn has_data(&self) -> bool {
        self.data.is_some()
    }

    /// The `usage` object, converted.
    pub fn usage(&self) -> Option<Usage> {
        self.usage.as_ref().map(UsageJson::to_usage)
    }

    /// The top-level `error` value, if the server sent one.
    pub fn error(&self) -> Option<&serde_json::Value> {
        self.error.as_ref().filter(|e| !e.is_null())
    }

    /// servebench's server timings, if present.
    pub fn server_timing(&self) -> Option<&ServerTiming> {
        self.servebench_timing.as_ref()
    }
}

fn content_of<'s>(delta: Option<&'s Delta<'_>>) -> Option<&'s str> {
    delta.and_then(|d| d.content.as_deref())
}

fn reasoning_of<'s>(delta: Option<&'s Delta<'_>>) -> Option<&'s str> {
    delta.and_then(|d| d.reasoning_content.as_deref().or(d.reasoning.as_deref()))
}

#[derive(Debug, Default, Deserialize)]
struct Choice<'a> {
    #[serde(default, borrow)]
    delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    message: Option<Delta<'a>>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    reasoning: Option<Cow<'a, str>>,
}

/// `choices`, keeping only the first element (no `Vec` allocation per chunk).
#[derive(Debug, Default)]
struct FirstChoice<'a>(Option<Choice<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstChoice<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FirstVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for FirstVisitor<'a> {
            type Value = FirstChoice<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of choices or null")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(FirstChoice(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(FirstChoice(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let first: Option<Choice<'a>> = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FirstChoice(first))
            }
        }
        deserializer.deserialize_option(FirstVisitor(std::marker::PhantomData))
    }
}

#[derive(Debug, Default, Deserialize)]
struct UsageJson {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl UsageJson {
    fn to_usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            total_tokens: self.total_tokens,
            cached_tokens: self
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens),
            reasoning_tokens: self
                .completion_tokens_details
                .as_ref()
                .and_then(|d| d.reasoning_tokens),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_delta_content_borrowed_and_escaped() {
        let c = ResponseChunk::parse(
            br#"{"id":"x","choices":[{"index":0,"delta":{"content":"a\"b"}},{"delta":{"content":"z"}}]}"#,
        )
        .unwrap();
        assert_eq!(c.text(), "a\"b");
        assert_eq!(c.reasoning(), "");
        assert!(c.usage().is_none());
    }

    #[test]
    fn reasoning_fields() {
        let c =
            ResponseChunk::parse(br#"{"choices":[{"delta":{"reasoning_content":"hm"}}]}"#).unwrap();
        assert_eq!((c.text(), c.reasoning()), ("", "hm"));
        let c =
            ResponseChunk::parse(br#"{"choices":[{"delta":{"content":null,"reasoning":"r"}}]}"#)
                .unwrap();
        assert_eq!((c.text(), c.reasoning()), ("", "r"));
    }

    #[test]
    fn completions_text_and_non_streaming_message() {
        let c =
            ResponseChunk::parse(br#"{"choices":[{"text":"abc","finish_reason":null}]}"#).unwrap();
        assert_eq!(c.text(), "abc");
        let c = ResponseChunk::parse(
            br#"{"choices":[{"message":{"role":"assistant","content":"full answer"}}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#,
        )
        .unwrap();
        assert_eq!(c.text(), "full answer");
        assert_eq!(c.usage().unwrap().completion_tokens, Some(2));
    }

    #[test]
    fn usage_only_chunk_with_details() {
        let c = ResponseChunk::parse(
            br#"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":1}}}"#,
        )
        .unwrap();
        assert!(!c.has_choices());
        assert_eq!(
            c.usage(),
            Some(Usage {
                prompt_tokens: Some(10),
                completion_tokens: Some(3),
                total_tokens: Some(13),
                cached_tokens: Some(8),
                reasoning_tokens: Some(1),
            })
        );
    }

    #[test]
    fn null_usage_null_choices_error_and_timing() {
        let c = ResponseChunk::parse(br#"{"choices":null,"usage":null}"#).unwrap();
        assert!(c.usage().is_none() && !c.has_choices() && c.error().is_none());
        let c = ResponseChunk::parse(br#"{"error":{"message":"boom","code":500}}"#).unwrap();
        assert_eq!(c.error().unwrap()["message"], "boom");
        let c = ResponseChunk::parse(
            br#"{"choices":[],"servebench":{"queue_ms":1.5,"prefill_ms":2.0,"cached_tokens":4,"worker_id":1}}"#,
        )
        .unwrap();
        assert_eq!(c.server_timing().unwrap().queue_ms, Some(1.5));
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(ResponseChunk::parse(b"{\"choices\": [").is_err());
        assert!(ResponseChunk::parse(b"not json").is_err());
    }
}
