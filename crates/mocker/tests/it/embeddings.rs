//! `POST /v1/embeddings` in OpenAI's shape: one unit vector per input, deterministic per input,
//! usage counted in prompt tokens, context length enforced.

use serde_json::{Value, json};
use servebench_tokenize::{BuiltinTokenizer, Tokenizer};

use crate::limits::small_engine;
use crate::support::*;

fn vector(item: &Value) -> Vec<f64> {
    item["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Standard base64 with padding, decoded by hand (RFC 4648 alphabet).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a') + 26,
        b'0'..=b'9' => u32::from(c - b'0') + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    for quad in text.as_bytes().chunks(4) {
        let data: Vec<u8> = quad.iter().copied().filter(|&c| c != b'=').collect();
        let n = data.iter().fold(0u32, |n, &c| (n << 6) | value(c)) << (6 * (4 - data.len()));
        out.extend_from_slice(&n.to_be_bytes()[1..data.len()]);
    }
    out
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[tokio::test]
async fn inputs_get_unit_vectors_and_usage_counts_prompt_tokens() {
    let server = small_engine(config()).await;
    let texts = ["the quick brown fox", "jumps over", "the quick brown fox"];
    let reply = post(
        &server,
        "/v1/embeddings",
        &json!({"model": "emb", "input": texts}),
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body())
    );
    let v = reply.json();
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], "emb");
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    let tok = BuiltinTokenizer::new();
    let expected: usize = texts.iter().map(|t| tok.count_tokens(t)).sum();
    assert_eq!(v["usage"]["prompt_tokens"], expected);
    assert_eq!(v["usage"]["total_tokens"], expected);
    let vectors: Vec<Vec<f64>> = data.iter().map(vector).collect();
    for (i, (item, vec)) in data.iter().zip(&vectors).enumerate() {
        assert_eq!(item["object"], "embedding");
        assert_eq!(item["index"], i);
        assert_eq!(vec.len(), 1024);
        assert!((norm(vec) - 1.0).abs() < 1e-3, "{}", norm(vec));
    }
    assert_eq!(vectors[0], vectors[2], "same input, same vector");
    assert_ne!(vectors[0], vectors[1]);
    server.shutdown().await;
}

#[tokio::test]
async fn dimensions_base64_token_ids_and_errors() {
    let server = small_engine(config()).await;
    let float = post(
        &server,
        "/v1/embeddings",
        &json!({"input": [5, 6, 7], "dimensions": 8}),
    )
    .await
    .json();
    let floats = vector(&float["data"][0]);
    assert_eq!(floats.len(), 8);
    assert_eq!(float["usage"]["prompt_tokens"], 3);

    let b64 = post(
        &server,
        "/v1/embeddings",
        &json!({"input": [[5, 6, 7]], "dimensions": 8, "encoding_format": "base64"}),
    )
    .await
    .json();
    let text = b64["data"][0]["embedding"].as_str().unwrap();
    let decoded: Vec<f32> = base64_decode(text)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let floats: Vec<f32> = floats.iter().map(|&x| x as f32).collect();
    assert_eq!(
        decoded, floats,
        "base64 carries the same little-endian f32 values"
    );

    let bad = post(&server, "/v1/embeddings", &json!({"input": {"x": 1}})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["param"], "input");

    // 16 blocks of 64 tokens: a 2000-token input does not fit.
    let long = BuiltinTokenizer::new().synthetic_text(3, 2000);
    let reply = post(&server, "/v1/embeddings", &json!({"input": long})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "input");
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("maximum context length is 1024"),
        "{message}"
    );

    let wrong_method = send(&server, "GET", "/v1/embeddings", None).await;
    assert_eq!(wrong_method.status, 405);
    server.shutdown().await;
}
