//! Reasoning-model output: the first share of a chat response's tokens come as
//! `reasoning_content`, then `content`; usage reports the reasoning tokens.

use serde_json::{Value, json};
use servebench_mocker::{EngineConfig, PoolConfig, RunningServer, ServerConfig, spawn_simulated};

use crate::support::*;

async fn reasoning_server(share: f64) -> RunningServer {
    spawn_simulated(
        &PoolConfig {
            engine: EngineConfig {
                speedup_ratio: 0.0,
                ..EngineConfig::default()
            },
            ..PoolConfig::default()
        },
        ServerConfig {
            reasoning_share: Some(share),
            ..config()
        },
    )
    .await
    .unwrap()
}

fn delta_texts(chunks: &[Value], field: &str) -> Vec<String> {
    chunks
        .iter()
        .filter_map(|c| {
            c["choices"].get(0)?["delta"][field]
                .as_str()
                .map(str::to_owned)
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// Share 0.25 of 8 tokens: 2 reasoning tokens, then 6 content tokens.
#[tokio::test]
async fn streamed_chat_sends_reasoning_first_then_content() {
    let server = reasoning_server(0.25).await;
    let body = chat_body(
        "think",
        json!({"stream": true, "max_tokens": 8, "ignore_eos": true,
               "stream_options": {"include_usage": true}}),
    );
    let reply = post(&server, "/v1/chat/completions", &body).await;
    let chunks = reply.chunks();
    let reasoning = delta_texts(&chunks, "reasoning_content");
    let content = delta_texts(&chunks, "content");
    assert_eq!((reasoning.len(), content.len()), (2, 6));
    // Every reasoning chunk comes before the first content chunk.
    let first_content = chunks
        .iter()
        .position(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        })
        .unwrap();
    let last_reasoning = chunks
        .iter()
        .rposition(|c| c["choices"][0]["delta"]["reasoning_content"].is_string())
        .unwrap();
    assert!(last_reasoning < first_content);
    let usage = &chunks.last().unwrap()["usage"];
    assert_eq!(usage["completion_tokens"], 8);
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 2);
}

#[tokio::test]
async fn non_streamed_chat_has_a_reasoning_field_and_completions_are_unchanged() {
    let server = reasoning_server(0.5).await;
    let body = chat_body("think", json!({"max_tokens": 6, "ignore_eos": true}));
    let v = post(&server, "/v1/chat/completions", &body).await.json();
    let message = &v["choices"][0]["message"];
    let words = |s: &Value| s.as_str().unwrap().split_whitespace().count();
    assert_eq!(
        (
            words(&message["reasoning_content"]),
            words(&message["content"])
        ),
        (3, 3)
    );
    assert_eq!(
        v["usage"]["completion_tokens_details"]["reasoning_tokens"],
        3
    );

    let body = completion_body("think", json!({"max_tokens": 6, "ignore_eos": true}));
    let v = post(&server, "/v1/completions", &body).await.json();
    assert_eq!(words(&v["choices"][0]["text"]), 6);
    assert!(v["usage"].get("completion_tokens_details").is_none());
}
