//! Parsing and validating OpenAI chat and completion request bodies.
//!
//! Bodies are read as untyped JSON and each field is checked by hand, so every error names the
//! offending field (`messages[2].content[0].type`) and unknown fields are ignored, like OpenAI
//! servers do.

use serde_json::{Map, Value};

use super::api_error::ApiError;
use crate::protocol::RouteHints;

/// Which API a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/v1/chat/completions`.
    Chat,
    /// `/v1/completions`.
    Completion,
}

/// The prompt of a request, before tokenization.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Prompt {
    /// Text (chat message texts joined with single spaces) plus image URLs in order.
    Text { text: String, images: Vec<String> },
    /// Token ids given directly (completions only).
    Tokens(Vec<u32>),
}

/// A validated request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedRequest {
    pub(crate) endpoint: Endpoint,
    pub(crate) model: Option<String>,
    pub(crate) stream: bool,
    pub(crate) include_usage: bool,
    /// `max_completion_tokens`, else `max_tokens`.
    pub(crate) max_tokens: Option<u32>,
    pub(crate) min_tokens: u32,
    /// `ignore_eos` at the top level or in `nvext`.
    pub(crate) ignore_eos: bool,
    pub(crate) prompt: Prompt,
    /// Routing hints from `nvext` (headers may override them later).
    pub(crate) route: RouteHints,
}

/// Parses a request body for `endpoint`.
pub(crate) fn parse(endpoint: Endpoint, body: &[u8]) -> Result<ParsedRequest, ApiError> {
    let obj = json_object(body)?;
    let model = optional_model(&obj)?;
    let stream = opt_bool(&obj, "stream")?.unwrap_or(false);
    let include_usage = match obj.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(Value::Object(o)) => opt_bool(o, "include_usage")
            .map_err(|e| e.prefixed("stream_options."))?
            .unwrap_or(false),
        Some(_) => return Err(type_error("stream_options", "an object")),
    };
    let max_tokens = match opt_u32(&obj, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => opt_u32(&obj, "max_tokens")?,
    };
    if max_tokens == Some(0) {
        return Err(ApiError::invalid(
            "max_tokens must be at least 1",
            Some("max_tokens"),
        ));
    }
    let min_tokens = opt_u32(&obj, "min_tokens")?.unwrap_or(0);
    if let Some(max) = max_tokens
        && min_tokens > max
    {
        return Err(ApiError::invalid(
            format!("min_tokens ({min_tokens}) must not exceed max_tokens ({max})"),
            Some("min_tokens"),
        ));
    }
    let (nvext_ignore_eos, route) = match obj.get("nvext") {
        None | Some(Value::Null) => (None, RouteHints::default()),
        Some(Value::Object(o)) => (
            opt_bool(o, "ignore_eos").map_err(|e| e.prefixed("nvext."))?,
            route_hints(o).map_err(|e| e.prefixed("nvext."))?,
        ),
        Some(_) => return Err(type_error("nvext", "an object")),
    };
    let ignore_eos = opt_bool(&obj, "ignore_eos")?
        .or(nvext_ignore_eos)
        .unwrap_or(false);
    if let Some(n) = opt_u32(&obj, "n")?
        && n != 1
    {
        return Err(ApiError::invalid("only n = 1 is supported", Some("n")));
    }
    let prompt = match endpoint {
        Endpoint::Chat => chat_prompt(&obj)?,
        Endpoint::Completion => completion_prompt(&obj)?,
    };
    Ok(ParsedRequest {
        endpoint,
        model,
        stream,
        include_usage,
        max_tokens,
        min_tokens,
        ignore_eos,
        prompt,
        route,
    })
}

/// Dynamo's routing fields of `nvext`: `backend_instance_id` and `agent_hints.{priority,
/// latency_sensitivity, strict_priority}`.
fn route_hints(nvext: &Map<String, Value>) -> Result<RouteHints, ApiError> {
    let worker = match nvext.get("backend_instance_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| type_error("backend_instance_id", "a non-negative integer"))?,
        ),
    };
    let mut hints = RouteHints {
        worker,
        ..RouteHints::default()
    };
    match nvext.get("agent_hints") {
        None | Some(Value::Null) => {}
        Some(Value::Object(a)) => {
            let number = |field: &str| -> Result<Option<f64>, ApiError> {
                match a.get(field) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v
                        .as_f64()
                        .filter(|x| x.is_finite())
                        .map(Some)
                        .ok_or_else(|| type_error(&format!("agent_hints.{field}"), "a number")),
                }
            };
            hints.priority = number("priority")?
                .or(number("latency_sensitivity")?)
                .unwrap_or(0.0);
            hints.strict_priority = opt_u32(a, "strict_priority")
                .map_err(|e| e.prefixed("agent_hints."))?
                .unwrap_or(0);
        }
        Some(_) => return Err(type_error("agent_hints", "an object")),
    }
    Ok(hints)
}

/// The request body as a JSON object, or the 400 every endpoint gives for anything else.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}"), None))?;
    match value {
        Value::Object(obj) => Ok(obj),
        _ => Err(ApiError::invalid(
            "request body must be a JSON object",
            None,
        )),
    }
}

/// The optional `model` field: absent or null, or a string.
pub(crate) fn optional_model(obj: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match obj.get("model") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(type_error("model", "a string")),
    }
}

fn type_error(field: &str, expected: &str) -> ApiError {
    ApiError::invalid(format!("'{field}' must be {expected}"), Some(field))
}

fn opt_bool(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(type_error(field, "a boolean")),
    }
}

fn opt_u32(obj: &Map<String, Value>, field: &str) -> Result<Option<u32>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| type_error(field, "a non-negative integer below 2^32")),
    }
}

/// Texts of all messages joined with single spaces (how AIPerf counts chat input tokens), and
/// the image URLs in order of appearance.
fn chat_prompt(obj: &Map<String, Value>) -> Result<Prompt, ApiError> {
    let messages = match obj.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => {
            return Err(ApiError::invalid(
                "'messages' must not be empty",
                Some("messages"),
            ));
        }
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(
                "'messages' is required",
                Some("messages"),
            ));
        }
        Some(_) => return Err(type_error("messages", "an array")),
    };
    let mut texts: Vec<&str> = Vec::new();
    let mut images = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let Value::Object(m) = message else {
            return Err(type_error(&format!("messages[{i}]"), "an object"));
        };
        match m.get("role") {
            Some(Value::String(_)) => {}
            _ => return Err(type_error(&format!("messages[{i}].role"), "a string")),
        }
        match m.get("content") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => texts.push(s),
            Some(Value::Array(parts)) => {
                for (j, part) in parts.iter().enumerate() {
                    content_part(
                        part,
                        &format!("messages[{i}].content[{j}]"),
                        &mut texts,
                        &mut images,
                    )?;
                }
            }
            Some(_) => {
                return Err(type_error(
                    &format!("messages[{i}].content"),
                    "a string or an array of content parts",
                ));
            }
        }
    }
    Ok(Prompt::Text {
        text: texts.join(" "),
        images,
    })
}

fn content_part<'a>(
    part: &'a Value,
    at: &str,
    texts: &mut Vec<&'a str>,
    images: &mut Vec<String>,
) -> Result<(), ApiError> {
    let Value::Object(p) = part else {
        return Err(type_error(at, "an object"));
    };
    match p.get("type").and_then(Value::as_str) {
        Some("text") => match p.get("text") {
            Some(Value::String(s)) => texts.push(s),
            _ => return Err(type_error(&format!("{at}.text"), "a string")),
        },
        Some("image_url") => {
            let url = match p.get("image_url") {
                Some(Value::String(s)) => s,
                Some(Value::Object(o)) => match o.get("url") {
                    Some(Value::String(s)) => s,
                    _ => return Err(type_error(&format!("{at}.image_url.url"), "a string")),
                },
                _ => {
                    return Err(type_error(
                        &format!("{at}.image_url"),
                        "an object with a url",
                    ));
                }
            };
            images.push(url.clone());
        }
        Some(other) => {
            return Err(ApiError::invalid(
                format!("{at}.type '{other}' is not supported (text and image_url are)"),
                Some("messages"),
            ));
        }
        None => return Err(type_error(&format!("{at}.type"), "a string")),
    }
    Ok(())
}

/// A string, an array of token ids, or a one-element array of either.
fn completion_prompt(obj: &Map<String, Value>) -> Result<Prompt, ApiError> {
    let prompt = match obj.get("prompt") {
        None | Some(Value::Null) => {
            return Err(ApiError::invalid("'prompt' is required", Some("prompt")));
        }
        Some(p) => p,
    };
    let single = match prompt {
        Value::Array(items) if items.len() == 1 && !items[0].is_number() => &items[0],
        other => other,
    };
    match single {
        Value::String(s) => Ok(Prompt::Text {
            text: s.clone(),
            images: Vec::new(),
        }),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_u64().and_then(|n| u32::try_from(n).ok()))
            .collect::<Option<Vec<u32>>>()
            .map(Prompt::Tokens)
            .ok_or_else(|| {
                ApiError::invalid(
                    "'prompt' must be a string or an array of token ids (batched prompts are not supported)",
                    Some("prompt"),
                )
            }),
        _ => Err(type_error("prompt", "a string or an array of token ids")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(body: &str) -> Result<ParsedRequest, ApiError> {
        parse(Endpoint::Chat, body.as_bytes())
    }

    #[test]
    fn chat_texts_are_joined_with_spaces_and_images_collected() {
        let r = chat(
            r#"{"model":"m","stream":true,"stream_options":{"include_usage":true},
               "max_completion_tokens":7,"max_tokens":99,"min_tokens":2,
               "messages":[{"role":"system","content":"Be brief."},
                           {"role":"user","content":[{"type":"text","text":"What is"},
                             {"type":"image_url","image_url":{"url":"data:a"}},
                             {"type":"text","text":"this?"}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            r.prompt,
            Prompt::Text {
                text: "Be brief. What is this?".into(),
                images: vec!["data:a".into()]
            }
        );
        assert_eq!((r.stream, r.include_usage), (true, true));
        assert_eq!(
            (r.max_tokens, r.min_tokens, r.ignore_eos),
            (Some(7), 2, false)
        );
        assert_eq!(r.model.as_deref(), Some("m"));
    }

    #[test]
    fn routing_hints_are_read_from_nvext() {
        let r = chat(
            r#"{"messages":[{"role":"user","content":"x"}],
               "nvext":{"backend_instance_id":3,"agent_hints":{"priority":10,"strict_priority":2}}}"#,
        )
        .unwrap();
        assert_eq!(
            r.route,
            RouteHints {
                worker: Some(3),
                priority: 10.0,
                strict_priority: 2
            }
        );
        let r = chat(
            r#"{"messages":[{"role":"user","content":"x"}],
               "nvext":{"agent_hints":{"latency_sensitivity":1.5}}}"#,
        )
        .unwrap();
        assert_eq!((r.route.worker, r.route.priority), (None, 1.5));
        for (body, needle) in [
            (r#"{"backend_instance_id":-1}"#, "nvext.backend_instance_id"),
            (
                r#"{"agent_hints":{"priority":"hi"}}"#,
                "nvext.agent_hints.priority",
            ),
            (
                r#"{"agent_hints":{"strict_priority":-2}}"#,
                "nvext.agent_hints.strict_priority",
            ),
            (r#"{"agent_hints":[]}"#, "nvext.agent_hints"),
        ] {
            let body =
                format!(r#"{{"messages":[{{"role":"user","content":"x"}}],"nvext":{body}}}"#);
            let err = chat(&body).expect_err(&body);
            assert!(err.message.contains(needle), "{body}: {}", err.message);
        }
    }

    #[test]
    fn ignore_eos_is_read_from_nvext_too() {
        let r = chat(r#"{"messages":[{"role":"user","content":"x"}],"nvext":{"ignore_eos":true}}"#)
            .unwrap();
        assert!(r.ignore_eos);
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("{", "invalid JSON"),
            ("[]", "JSON object"),
            (r#"{"model":"m"}"#, "'messages' is required"),
            (r#"{"messages":[]}"#, "must not be empty"),
            (r#"{"messages":"hi"}"#, "'messages' must be an array"),
            (r#"{"messages":[{"content":"x"}]}"#, "messages[0].role"),
            (
                r#"{"messages":[{"role":"user","content":5}]}"#,
                "messages[0].content",
            ),
            (
                r#"{"messages":[{"role":"user","content":[{"type":"input_audio"}]}]}"#,
                "messages[0].content[0].type 'input_audio'",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"max_tokens":-1}"#,
                "'max_tokens'",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"max_tokens":"5"}"#,
                "'max_tokens'",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"stream":"yes"}"#,
                "'stream'",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"max_tokens":2,"min_tokens":3}"#,
                "min_tokens (3)",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"n":2}"#,
                "n = 1",
            ),
        ];
        for (body, needle) in cases {
            let err = chat(body).expect_err(body);
            assert!(err.message.contains(needle), "{body}: {}", err.message);
        }
    }

    #[test]
    fn completion_prompts_accept_strings_and_token_ids() {
        let p = |b: &str| parse(Endpoint::Completion, b.as_bytes()).map(|r| r.prompt);
        assert_eq!(
            p(r#"{"prompt":"hi there"}"#).unwrap(),
            Prompt::Text {
                text: "hi there".into(),
                images: vec![]
            }
        );
        assert_eq!(
            p(r#"{"prompt":["hi"]}"#).unwrap(),
            Prompt::Text {
                text: "hi".into(),
                images: vec![]
            }
        );
        assert_eq!(
            p(r#"{"prompt":[1,2,3]}"#).unwrap(),
            Prompt::Tokens(vec![1, 2, 3])
        );
        assert_eq!(
            p(r#"{"prompt":[[4,5]]}"#).unwrap(),
            Prompt::Tokens(vec![4, 5])
        );
        assert!(p(r#"{"prompt":["a","b"]}"#).is_err());
        assert!(p(r#"{"prompt":7}"#).is_err());
        assert!(p(r#"{}"#).is_err());
    }
}
