//! The chat prompt tokenization cache (`ServerConfig::tokenizer_cache_bytes`): a repeated chat
//! prompt is counted exactly as a fresh encode counts it, the cache's hits and misses show in
//! `/metrics`, completion prompts bypass it, and a budget of 0 turns it off.

use serde_json::json;
use servebench_mocker::ServerConfig;
use servebench_tokenize::{Tokenizer, TokenizerSpec};

use crate::support::*;

const QWEN3: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/tokenizers/qwen3/tokenizer.json"
);

/// A few thousand tokens of mixed text: words, digits, punctuation, runs of spaces and
/// newlines, non-ASCII (the pre-tokenizer's awkward cases).
fn long_text() -> String {
    (0..400)
        .map(|i| format!("Line {i}:  naïve café, {}\n\n  x{} — ok?", i * 37, i % 7))
        .collect()
}

fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{metrics}"))
}

async fn hits_and_misses(server: &servebench_mocker::RunningServer) -> (u64, u64) {
    let text = String::from_utf8(send(server, "GET", "/metrics", None).await.body()).unwrap();
    (
        counter(&text, "servebench:tokenizer_cache_hits_total"),
        counter(&text, "servebench:tokenizer_cache_misses_total"),
    )
}

async fn prompt_tokens(
    server: &servebench_mocker::RunningServer,
    path: &str,
    body: &serde_json::Value,
) -> usize {
    post(server, path, body)
        .await
        .header("x-servebench-prompt-tokens")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn repeated_chat_prompts_hit_the_cache_with_unchanged_counts() {
    let spec = TokenizerSpec::HfFile(QWEN3.into());
    let tokenizer = servebench_tokenize::load(&spec).unwrap();
    let text = long_text();
    let expected = tokenizer.encode(&text).len();
    assert!(expected > 3000, "{expected}");
    let server = start(ServerConfig {
        tokenizer: spec,
        ..config()
    })
    .await;
    let chat = chat_body(&text, json!({"max_tokens": 1}));
    for round in 0..3 {
        assert_eq!(
            prompt_tokens(&server, "/v1/chat/completions", &chat).await,
            expected,
            "round {round}"
        );
    }
    assert_eq!(hits_and_misses(&server).await, (2, 1));
    // A different prompt is a miss, and counted right.
    let other = format!("{text} and one more line");
    let chat_other = chat_body(&other, json!({"max_tokens": 1}));
    assert_eq!(
        prompt_tokens(&server, "/v1/chat/completions", &chat_other).await,
        tokenizer.encode(&other).len()
    );
    assert_eq!(hits_and_misses(&server).await, (2, 2));
    // Completions are tokenized every time and never looked up.
    let completion = completion_body(&text, json!({"max_tokens": 1}));
    assert_eq!(
        prompt_tokens(&server, "/v1/completions", &completion).await,
        expected
    );
    assert_eq!(hits_and_misses(&server).await, (2, 2));
    server.shutdown().await;
}

#[tokio::test]
async fn a_zero_budget_turns_the_cache_off() {
    let text = long_text();
    let expected = servebench_tokenize::BuiltinTokenizer::new()
        .encode(&text)
        .len();
    let server = start(ServerConfig {
        tokenizer_cache_bytes: 0,
        ..config()
    })
    .await;
    let chat = chat_body(&text, json!({"max_tokens": 1}));
    for _ in 0..2 {
        assert_eq!(
            prompt_tokens(&server, "/v1/chat/completions", &chat).await,
            expected
        );
    }
    assert_eq!(hits_and_misses(&server).await, (0, 0));
    server.shutdown().await;
}

/// `frontend_overhead` delays every generation request before it reaches the token source:
/// with a zero-delay source the first token cannot come sooner (a lower bound only, so a loaded
/// machine cannot fail it), and without it a request is not held that long.
#[tokio::test]
async fn the_frontend_overhead_comes_before_the_first_token() {
    let overhead = std::time::Duration::from_millis(40);
    let server = start(ServerConfig {
        frontend_overhead: overhead,
        ..config()
    })
    .await;
    let body = chat_body("hello there", json!({"max_tokens": 1}));
    for _ in 0..3 {
        let sent = std::time::Instant::now();
        post(&server, "/v1/chat/completions", &body).await;
        assert!(sent.elapsed() >= overhead, "{:?}", sent.elapsed());
    }
    server.shutdown().await;
}
