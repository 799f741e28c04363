//! Output text re-tokenizes to exactly the generated token count under the server's tokenizer, so
//! a client that counts tokens by re-tokenizing (AIPerf, loadgen) agrees with `usage`.

use std::sync::Arc;

use serde_json::json;
use servebench_mocker::{ServerConfig, TokenSource};
use servebench_tokenize::TokenizerSpec;

use crate::support::*;

const QWEN3: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/tokenizers/qwen3/tokenizer.json"
);

/// Output lengths: every one up to 40, then a spread up to 500.
fn lengths() -> Vec<u32> {
    (1..=40)
        .chain((41..=500).step_by(23))
        .chain([499, 500])
        .collect()
}

async fn check(spec: TokenizerSpec, source: Arc<dyn TokenSource>) {
    let tokenizer = servebench_tokenize::load(&spec).unwrap();
    let server = start_with(
        ServerConfig {
            tokenizer: spec,
            ..config()
        },
        source,
        None,
    )
    .await;
    for n in lengths() {
        let extra = json!({
            "stream": true, "max_tokens": n, "ignore_eos": true,
            "stream_options": {"include_usage": true},
        });
        let reply = post(&server, "/v1/chat/completions", &chat_body("hi", extra)).await;
        let chunks = reply.chunks();
        let text: String = token_texts(&chunks).concat();
        let usage = &chunks.last().unwrap()["usage"];
        assert_eq!(usage["completion_tokens"], n);
        assert_eq!(
            tokenizer.encode(&text).len(),
            n as usize,
            "{}: {n} tokens streamed as {text:?}",
            tokenizer.name()
        );

        let extra = json!({"max_tokens": n, "ignore_eos": true});
        let reply = post(&server, "/v1/completions", &completion_body("hi", extra)).await;
        let v = reply.json();
        assert_eq!(v["usage"]["completion_tokens"], n);
        let text = v["choices"][0]["text"].as_str().unwrap();
        assert_eq!(tokenizer.encode(text).len(), n as usize, "{text:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn builtin_output_re_encodes_to_the_generated_count() {
    check(TokenizerSpec::Builtin, instant_source()).await;
}

#[tokio::test]
async fn qwen3_output_re_encodes_to_the_generated_count() {
    check(TokenizerSpec::HfFile(QWEN3.into()), instant_source()).await;
}

#[tokio::test]
async fn qwen3_output_of_the_simulated_engine_re_encodes_too() {
    let pool = servebench_mocker::PoolConfig {
        engine: servebench_mocker::EngineConfig {
            speedup_ratio: 0.0,
            ..Default::default()
        },
        num_workers: 1,
        ..Default::default()
    };
    let engine: Arc<dyn TokenSource> =
        Arc::new(servebench_mocker::EnginePool::start(&pool).unwrap());
    check(TokenizerSpec::HfFile(QWEN3.into()), engine).await;
}
