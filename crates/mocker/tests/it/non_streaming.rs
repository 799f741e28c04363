//! Non-streaming chat and completion bodies.

use serde_json::json;
use servebench_tokenize::{BuiltinTokenizer, Tokenizer};

use crate::support::*;

#[tokio::test]
async fn chat_body_has_message_usage_and_timing_headers() {
    let server = start(config()).await;
    let reply = post(
        &server,
        "/v1/chat/completions",
        &chat_body("Say hi", json!({"max_tokens": 9, "ignore_eos": true})),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "application/json");
    let v = reply.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "test-model");
    let choice = &v["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["finish_reason"], "length");
    let content = choice["message"]["content"].as_str().unwrap();
    let tok = BuiltinTokenizer::new();
    assert_eq!(tok.count_tokens(content), 9, "{content:?}");
    let prompt = tok.count_tokens("Say hi") as u64;
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": prompt, "completion_tokens": 9, "total_tokens": prompt + 9,
                                  "prompt_tokens_details": {"cached_tokens": 0}})
    );
    assert_eq!(
        reply.header("x-servebench-prompt-tokens"),
        prompt.to_string()
    );
    for h in [
        "x-servebench-queue-ms",
        "x-servebench-prefill-ms",
        "x-servebench-ttft-ms",
        "x-servebench-cached-tokens",
        "x-servebench-worker-id",
    ] {
        let _ = reply.header(h);
    }
    assert_eq!(v["servebench"]["prompt_tokens"], prompt);
    server.shutdown().await;
}

#[tokio::test]
async fn completion_body_and_token_id_prompts() {
    let server = start(config()).await;
    let v = post(
        &server,
        "/v1/completions",
        &json!({"prompt": [1, 2, 3, 4], "max_tokens": 4, "ignore_eos": true}),
    )
    .await
    .json();
    assert_eq!(v["object"], "text_completion");
    assert_eq!(v["usage"]["prompt_tokens"], 4);
    assert_eq!(v["usage"]["completion_tokens"], 4);
    assert_eq!(
        BuiltinTokenizer::new().count_tokens(v["choices"][0]["text"].as_str().unwrap()),
        4
    );
    // Without a model in the request, the served model name is used.
    assert_eq!(v["model"], "test-model");
    server.shutdown().await;
}

#[tokio::test]
async fn health_and_models() {
    let server = start(config()).await;
    let health = send(&server, "GET", "/health", None).await;
    assert_eq!(health.status, 200);
    let models = send(&server, "GET", "/v1/models", None).await.json();
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "test-model");
    assert_eq!(models["data"][0]["object"], "model");
    server.shutdown().await;
}
