//! Requests that cannot fit are refused up front, the way vLLM refuses them: HTTP 400 with an
//! OpenAI error body naming the context length, counted in `/metrics`.

use serde_json::{Value, json};
use servebench_mocker::{
    BlockSize, EngineConfig, PoolConfig, RunningServer, ServerConfig, spawn_simulated,
};
use servebench_tokenize::{BuiltinTokenizer, Tokenizer};

use crate::support::*;

/// A simulated engine with 16 blocks of 64 tokens (1024 tokens of KV) and no delays.
pub(crate) async fn small_engine(server: ServerConfig) -> RunningServer {
    let pool = PoolConfig {
        engine: EngineConfig {
            block_size: BlockSize::default(),
            num_gpu_blocks: 16,
            speedup_ratio: 0.0,
            ..EngineConfig::default()
        },
        num_workers: 1,
        ..PoolConfig::default()
    };
    spawn_simulated(&pool, server).await.unwrap()
}

fn text(tokens: usize) -> String {
    let text = BuiltinTokenizer::new().synthetic_text(7, tokens);
    assert_eq!(BuiltinTokenizer::new().count_tokens(&text), tokens);
    text
}

fn rejected_count(metrics: &str) -> f64 {
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("servebench:requests_rejected_total{")
                && l.contains("reason=\"context_length\"")
        })
        .unwrap_or_else(|| panic!("no rejection counter in\n{metrics}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

fn assert_context_error(reply: &Reply, limit: u32, param: &str) {
    assert_eq!(
        reply.status,
        400,
        "{}",
        String::from_utf8_lossy(&reply.body())
    );
    let v: Value = reply.json();
    assert_eq!(v["error"]["type"], "invalid_request_error", "{v}");
    assert_eq!(v["error"]["code"], 400);
    assert_eq!(v["error"]["param"], param);
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "This model's maximum context length is {limit} tokens."
        )),
        "{message}"
    );
}

#[tokio::test]
async fn a_prompt_longer_than_the_kv_cache_gets_400_not_an_empty_success() {
    let server = small_engine(config()).await;
    let long = text(3000);
    let mut sent = 0.0;
    for stream in [false, true] {
        let chat = chat_body(
            &long,
            json!({"stream": stream, "max_tokens": 5, "ignore_eos": true}),
        );
        let reply = post(&server, "/v1/chat/completions", &chat).await;
        assert_context_error(&reply, 1024, "messages");
        assert!(
            reply.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("3000 input tokens")
        );
        let completion = completion_body(&long, json!({"stream": stream}));
        let reply = post(&server, "/v1/completions", &completion).await;
        assert_context_error(&reply, 1024, "prompt");
        sent += 2.0;
    }
    let metrics = send(&server, "GET", "/metrics", None).await;
    assert_eq!(
        rejected_count(std::str::from_utf8(&metrics.body()).unwrap()),
        sent
    );
    server.shutdown().await;
}

#[tokio::test]
async fn prompt_plus_max_tokens_must_fit_and_a_fitting_request_is_served() {
    let server = small_engine(config()).await;
    let prompt = text(1000);
    let too_long = chat_body(&prompt, json!({"max_tokens": 100, "ignore_eos": true}));
    let reply = post(&server, "/v1/chat/completions", &too_long).await;
    assert_context_error(&reply, 1024, "max_tokens");
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("requested 1100 tokens"), "{message}");

    let fits = chat_body(&prompt, json!({"max_tokens": 24, "ignore_eos": true}));
    let reply = post(&server, "/v1/chat/completions", &fits).await;
    assert_eq!(reply.status, 200);
    let v = reply.json();
    assert_eq!(v["usage"]["completion_tokens"], 24);
    assert_eq!(v["usage"]["prompt_tokens"], 1000);
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    server.shutdown().await;
}

#[tokio::test]
async fn max_model_len_lowers_the_limit_and_may_not_exceed_the_cache() {
    let server = small_engine(ServerConfig {
        max_model_len: Some(100),
        ..config()
    })
    .await;
    let reply = post(
        &server,
        "/v1/completions",
        &completion_body(&text(101), json!({"max_tokens": 1})),
    )
    .await;
    assert_context_error(&reply, 100, "prompt");
    let reply = post(
        &server,
        "/v1/completions",
        &completion_body(&text(99), json!({"max_tokens": 1})),
    )
    .await;
    assert_eq!(reply.status, 200);
    server.shutdown().await;

    let pool = PoolConfig {
        engine: EngineConfig {
            block_size: BlockSize::default(),
            num_gpu_blocks: 16,
            ..EngineConfig::default()
        },
        num_workers: 1,
        ..PoolConfig::default()
    };
    let err = spawn_simulated(
        &pool,
        ServerConfig {
            max_model_len: Some(1025),
            ..config()
        },
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("`max_model_len`: 1025 exceeds") && message.contains("1024 tokens"),
        "{message}"
    );
}

#[tokio::test]
async fn image_tokens_past_the_limit_are_refused_before_they_are_built() {
    let server = small_engine(ServerConfig {
        tokens_per_image: 1 << 20,
        ..config()
    })
    .await;
    let image = json!({"type": "image_url", "image_url": {"url": "data:x"}});
    let images: Vec<_> = (0..5000).map(|_| image.clone()).collect();
    let body = json!({
        "messages": [{"role": "user", "content": images}],
        "max_tokens": 1,
    });
    let reply = post(&server, "/v1/chat/completions", &body).await;
    assert_eq!(reply.status, 400, "5000 images of 2^20 tokens overflow u32");
    assert_eq!(reply.json()["error"]["param"], "messages");
    // One image of 2^20 tokens does not fit in the 1024-token cache.
    let body = json!({
        "messages": [{"role": "user", "content": [image]}],
        "max_tokens": 1,
    });
    let reply = post(&server, "/v1/chat/completions", &body).await;
    assert_eq!(reply.status, 400);
    assert_eq!(send(&server, "GET", "/health", None).await.status, 200);
    server.shutdown().await;
}
