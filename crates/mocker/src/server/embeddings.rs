//! `POST /v1/embeddings`: OpenAI's embeddings API. Each input is tokenized, run through the token
//! source as a prefill-only request (so it queues, batches and takes prefill time like any other
//! request), and answered with a deterministic unit vector derived from its token ids.

use std::sync::Arc;

use http::StatusCode;
use serde_json::{Map, Value};

use super::api_error::ApiError;
use super::handler::{check_prompt_length, refuse_if_failed};
use super::json;
use super::request::{json_object, optional_model};
use super::state::{AppState, unix_now};
use crate::protocol::{GenerateEvent, GenerateRequest};

/// Vector length when the request gives no `dimensions`.
pub(crate) const DEFAULT_DIMENSIONS: u32 = 1024;
/// Largest `dimensions` accepted.
const MAX_DIMENSIONS: u32 = 65_536;
/// Most inputs in one request (OpenAI's limit).
const MAX_INPUTS: usize = 2048;

/// One input, before tokenization.
#[derive(Debug, Clone, PartialEq)]
enum Input {
    Text(String),
    Tokens(Vec<u32>),
}

/// A validated embeddings request.
#[derive(Debug, Clone, PartialEq)]
struct EmbeddingsRequest {
    model: Option<String>,
    inputs: Vec<Input>,
    dimensions: u32,
    base64: bool,
}

fn invalid(message: impl Into<String>, param: &str) -> ApiError {
    ApiError::invalid(message, Some(param))
}

fn token_ids(items: &[Value]) -> Option<Vec<u32>> {
    items
        .iter()
        .map(|v| v.as_u64().and_then(|n| u32::try_from(n).ok()))
        .collect()
}

fn parse(body: &[u8]) -> Result<EmbeddingsRequest, ApiError> {
    let obj = json_object(body)?;
    let model = optional_model(&obj)?;
    let inputs = parse_input(&obj)?;
    let dimensions = match obj.get("dimensions") {
        None | Some(Value::Null) => DEFAULT_DIMENSIONS,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=MAX_DIMENSIONS).contains(n))
            .ok_or_else(|| {
                invalid(
                    format!("'dimensions' must be an integer within [1, {MAX_DIMENSIONS}]"),
                    "dimensions",
                )
            })?,
    };
    let base64 = match obj.get("encoding_format") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "float" => false,
        Some(Value::String(s)) if s == "base64" => true,
        Some(_) => {
            return Err(invalid(
                "'encoding_format' must be \"float\" or \"base64\"",
                "encoding_format",
            ));
        }
    };
    Ok(EmbeddingsRequest {
        model,
        inputs,
        dimensions,
        base64,
    })
}

/// A string, an array of strings, an array of token ids, or an array of token-id arrays.
fn parse_input(obj: &Map<String, Value>) -> Result<Vec<Input>, ApiError> {
    const SHAPE: &str = "'input' must be a string, an array of strings, an array of token ids or \
                         an array of token-id arrays";
    let inputs = match obj.get("input") {
        None | Some(Value::Null) => return Err(invalid("'input' is required", "input")),
        Some(Value::String(s)) => vec![Input::Text(s.clone())],
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(invalid("'input' must not be empty", "input"));
        }
        Some(Value::Array(items)) if items[0].is_number() => {
            vec![Input::Tokens(
                token_ids(items).ok_or_else(|| invalid(SHAPE, "input"))?,
            )]
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Some(Input::Text(s.clone())),
                Value::Array(ids) => token_ids(ids).map(Input::Tokens),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid(SHAPE, "input"))?,
        Some(_) => return Err(invalid(SHAPE, "input")),
    };
    if inputs.len() > MAX_INPUTS {
        return Err(invalid(
            format!(
                "'input' has {} items; at most {MAX_INPUTS} are allowed",
                inputs.len()
            ),
            "input",
        ));
    }
    Ok(inputs)
}

/// A deterministic unit vector of `dims` components for `tokens`.
fn embedding(tokens: &[u32], dims: u32) -> Vec<f32> {
    let mut seed = 0xcbf2_9ce4_8422_2325u64;
    for &t in tokens {
        seed = (seed ^ u64::from(t)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut v: Vec<f64> = (0..u64::from(dims))
        .map(|i| {
            let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v.into_iter().map(|x| x as f32).collect()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (with padding) of `bytes`.
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(BASE64[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Answers one embeddings request body with the JSON response body.
pub(crate) async fn embeddings(state: &Arc<AppState>, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let req = parse(body)?;
    let mut prompts = Vec::with_capacity(req.inputs.len());
    for input in &req.inputs {
        let tokens = match input {
            Input::Text(text) => state.tokenizer.encode(text),
            Input::Tokens(ids) => ids.clone(),
        };
        let len = u32::try_from(tokens.len()).unwrap_or(u32::MAX);
        check_prompt_length(state, "input", len)?;
        prompts.push(tokens);
    }
    refuse_if_failed(state)?;
    // Submit every input at once (they batch in the engine), then wait for each prefill.
    let receivers: Vec<_> = prompts
        .iter()
        .map(|p| {
            state.source.submit(GenerateRequest {
                prompt_tokens: p.clone(),
                output_tokens: 0,
            })
        })
        .collect();
    for mut rx in receivers {
        loop {
            match rx.recv().await {
                Some(GenerateEvent::Finished { .. }) => break,
                Some(GenerateEvent::Token { .. }) => {}
                None => {
                    let cause = state
                        .source
                        .failure()
                        .unwrap_or_else(|| "the engine dropped the request".into());
                    return Err(ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal_server_error",
                        format!("embedding failed: {cause}"),
                    ));
                }
            }
        }
    }
    let model = req
        .model
        .clone()
        .unwrap_or_else(|| state.config.model_name.clone());
    let mut out = Vec::with_capacity(prompts.len() * (req.dimensions as usize * 12 + 64) + 128);
    out.extend_from_slice(br#"{"object":"list","data":["#);
    let mut prompt_tokens = 0u64;
    for (i, tokens) in prompts.iter().enumerate() {
        prompt_tokens += tokens.len() as u64;
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"object":"embedding","index":"#);
        json::push_u64(&mut out, i as u64);
        out.extend_from_slice(br#","embedding":"#);
        let vector = embedding(tokens, req.dimensions);
        if req.base64 {
            let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
            out.extend_from_slice(&json::quoted(&base64(&bytes)));
        } else {
            let items: Vec<String> = vector.iter().map(|x| format!("{x:?}")).collect();
            out.push(b'[');
            out.extend_from_slice(items.join(",").as_bytes());
            out.push(b']');
        }
        out.push(b'}');
    }
    out.extend_from_slice(br#"],"model":"#);
    out.extend_from_slice(&json::quoted(&model));
    out.extend_from_slice(br#","created":"#);
    json::push_u64(&mut out, unix_now());
    out.extend_from_slice(br#","usage":{"prompt_tokens":"#);
    json::push_u64(&mut out, prompt_tokens);
    out.extend_from_slice(br#","total_tokens":"#);
    json::push_u64(&mut out, prompt_tokens);
    out.extend_from_slice(b"}}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn inputs_of_every_shape_parse_and_bad_ones_name_the_field() {
        let p = |s: &str| parse(s.as_bytes());
        assert_eq!(
            p(r#"{"input":"a b"}"#).unwrap().inputs,
            vec![Input::Text("a b".into())]
        );
        assert_eq!(
            p(r#"{"input":[1,2]}"#).unwrap().inputs,
            vec![Input::Tokens(vec![1, 2])]
        );
        assert_eq!(
            p(r#"{"input":["x",[3]],"dimensions":8}"#).unwrap(),
            EmbeddingsRequest {
                model: None,
                inputs: vec![Input::Text("x".into()), Input::Tokens(vec![3])],
                dimensions: 8,
                base64: false,
            }
        );
        for (body, param) in [
            (r#"{}"#, "input"),
            (r#"{"input":[]}"#, "input"),
            (r#"{"input":[1,"a"]}"#, "input"),
            (r#"{"input":{"a":1}}"#, "input"),
            (r#"{"input":"a","dimensions":0}"#, "dimensions"),
            (
                r#"{"input":"a","encoding_format":"hex"}"#,
                "encoding_format",
            ),
        ] {
            let e = p(body).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(param), "{body}");
        }
    }
}
