//! Streamed chat and completion responses: chunk shapes, order, lengths, usage, timings.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use servebench_mocker::{
    FinishReason, FixedTiming, FixedTimingConfig, GenerateEvent, GenerateRequest, ServerConfig,
    ServerTimings, TokenSource,
};
use servebench_tokenize::{BuiltinTokenizer, Tokenizer};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::support::*;

fn assert_one_builtin_token(text: &str) {
    let tok = BuiltinTokenizer::new();
    let ids = tok.encode(text);
    assert_eq!(ids.len(), 1, "{text:?} is not one token");
    assert!(
        ids[0] < tok.word_count(),
        "{text:?} is not a vocabulary word"
    );
}

#[tokio::test]
async fn chat_stream_has_role_tokens_finish_usage_done_in_order() {
    let server = start(config()).await;
    let body = chat_body(
        "What is 2+2?",
        json!({"stream": true, "max_tokens": 12, "ignore_eos": true,
               "stream_options": {"include_usage": true}}),
    );
    let reply = post(&server, "/v1/chat/completions", &body).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "text/event-stream");
    let chunks = reply.chunks();
    assert_eq!(chunks.len(), 1 + 12 + 1 + 1, "{chunks:#?}");
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"));
    assert_eq!(reply.header("x-servebench-request-id"), id);
    for c in &chunks {
        assert_eq!(c["id"], id);
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["model"], "test-model");
        assert!(c["created"].as_u64().unwrap() > 1_600_000_000);
    }
    // Role first, with empty content and no finish reason.
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    assert_eq!(chunks[0]["choices"][0]["finish_reason"], Value::Null);
    // One built-in token per chunk.
    for c in &chunks[1..13] {
        let choice = &c["choices"][0];
        assert_eq!(choice["index"], 0);
        assert_eq!(choice["finish_reason"], Value::Null);
        assert_one_builtin_token(choice["delta"]["content"].as_str().unwrap());
    }
    // Finish reason last among the choices, with the server timings.
    let last = &chunks[13];
    assert_eq!(last["choices"][0]["delta"], json!({}));
    assert_eq!(last["choices"][0]["finish_reason"], "length");
    let sb = &last["servebench"];
    for key in [
        "queue_ms",
        "prefill_ms",
        "ttft_ms",
        "cached_tokens",
        "prompt_tokens",
        "worker_id",
    ] {
        assert!(sb[key].is_number(), "servebench.{key} missing: {sb}");
    }
    // Usage after it, with no choices.
    let usage_chunk = &chunks[14];
    assert_eq!(usage_chunk["choices"], json!([]));
    let prompt_tokens = BuiltinTokenizer::new().count_tokens("What is 2+2?") as u64;
    assert_eq!(
        usage_chunk["usage"],
        json!({"prompt_tokens": prompt_tokens, "completion_tokens": 12,
               "total_tokens": prompt_tokens + 12,
               "prompt_tokens_details": {"cached_tokens": 0}})
    );
    assert_eq!(sb["prompt_tokens"], prompt_tokens);
    server.shutdown().await;
}

#[tokio::test]
async fn completion_stream_has_text_chunks_and_no_usage_unless_asked() {
    let server = start(config()).await;
    let body = completion_body(
        "Once upon a time",
        json!({"stream": true, "max_tokens": 5, "ignore_eos": true}),
    );
    let reply = post(&server, "/v1/completions", &body).await;
    assert_eq!(reply.status, 200);
    let chunks = reply.chunks();
    assert_eq!(chunks.len(), 5 + 1);
    for c in &chunks[..5] {
        assert_eq!(c["object"], "text_completion");
        assert!(c["id"].as_str().unwrap().starts_with("cmpl-"));
        assert_one_builtin_token(c["choices"][0]["text"].as_str().unwrap());
        assert_eq!(c["choices"][0]["finish_reason"], Value::Null);
    }
    assert_eq!(chunks[5]["choices"][0]["finish_reason"], "length");
    assert_eq!(chunks[5]["choices"][0]["text"], "");
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    server.shutdown().await;
}

#[tokio::test]
async fn max_min_tokens_and_ignore_eos_are_honoured_exactly() {
    let server = start(ServerConfig {
        mean_output_tokens: 6.0,
        ..config()
    })
    .await;
    let mut saw_stop = false;
    let mut saw_length = false;
    for i in 0..40 {
        // Without ignore_eos: never more than max_tokens; stop below it, length at it.
        let body = chat_body(
            "hi",
            json!({"stream": true, "max_tokens": 8,
                                          "stream_options": {"include_usage": true}}),
        );
        let chunks = post(&server, "/v1/chat/completions", &body).await.chunks();
        let n = token_texts(&chunks).len();
        let finish = chunks[chunks.len() - 2]["choices"][0]["finish_reason"].clone();
        assert!((1..=8).contains(&n), "request {i}: {n} tokens");
        assert_eq!(
            chunks.last().unwrap()["usage"]["completion_tokens"],
            n as u64
        );
        if n < 8 {
            assert_eq!(finish, "stop");
            saw_stop = true;
        } else {
            saw_length |= finish == "length";
        }
        // min_tokens raises the floor; max_completion_tokens wins over max_tokens.
        let body = chat_body(
            "hi",
            json!({"stream": true, "min_tokens": 20,
                                          "max_completion_tokens": 25, "max_tokens": 3}),
        );
        let n = token_texts(&post(&server, "/v1/chat/completions", &body).await.chunks()).len();
        assert!(
            (20..=25).contains(&n),
            "request {i}: {n} tokens with min 20 max 25"
        );
        // ignore_eos (top level or nvext) gives exactly max_tokens.
        let body = chat_body(
            "hi",
            json!({"stream": true, "max_tokens": 17, "nvext": {"ignore_eos": true}}),
        );
        let n = token_texts(&post(&server, "/v1/chat/completions", &body).await.chunks()).len();
        assert_eq!(n, 17);
    }
    assert!(
        saw_stop && saw_length,
        "mean 6 with max 8 must give both finish reasons"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn images_and_multiple_messages_count_prompt_tokens() {
    let server = start(ServerConfig {
        tokens_per_image: 10,
        ..config()
    })
    .await;
    let body = json!({
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "image_url", "image_url": {"url": "https://example.invalid/b.png"}},
                {"type": "text", "text": "this?"}
            ]}
        ],
        "max_tokens": 2, "ignore_eos": true, "stream": true,
        "stream_options": {"include_usage": true}
    });
    let chunks = post(&server, "/v1/chat/completions", &body).await.chunks();
    let text_tokens = BuiltinTokenizer::new().count_tokens("Be brief. What is this?") as u64;
    assert_eq!(
        chunks.last().unwrap()["usage"]["prompt_tokens"],
        text_tokens + 20
    );
    // The model is echoed from the request, and defaults to the served name when absent.
    assert_eq!(chunks[0]["model"], "test-model");
    server.shutdown().await;
}

/// A source that reports fixed engine-side timings, to check they reach the client.
struct CachedSource;

impl TokenSource for CachedSource {
    fn submit(&self, request: GenerateRequest) -> UnboundedReceiver<GenerateEvent> {
        let (tx, rx) = unbounded_channel();
        for k in 0..request.output_tokens {
            let _ = tx.send(GenerateEvent::Token { token_id: k });
        }
        let _ = tx.send(GenerateEvent::Finished {
            reason: FinishReason::Length,
            timings: ServerTimings {
                worker_id: 2,
                queue_wait: Duration::from_micros(3250),
                prefill: Duration::from_millis(40),
                cached_tokens: 4,
                prompt_tokens: request.prompt_tokens.len() as u32,
            },
        });
        rx
    }
}

#[tokio::test]
async fn engine_timings_reach_the_final_chunk_usage_and_headers() {
    let server = start_with(config(), Arc::new(CachedSource), None).await;
    let text = BuiltinTokenizer::new().synthetic_text(0, 10);
    let stream = chat_body(
        &text,
        json!({"stream": true, "max_tokens": 3, "ignore_eos": true,
                                         "stream_options": {"include_usage": true}}),
    );
    let chunks = post(&server, "/v1/chat/completions", &stream)
        .await
        .chunks();
    let sb = &chunks[chunks.len() - 2]["servebench"];
    assert_eq!(sb["queue_ms"], 3.25);
    assert_eq!(sb["prefill_ms"], 40.0);
    assert_eq!(sb["cached_tokens"], 4);
    assert_eq!(sb["worker_id"], 2);
    assert_eq!(sb["prompt_tokens"], 10);
    assert_eq!(
        chunks.last().unwrap()["usage"]["prompt_tokens_details"]["cached_tokens"],
        4
    );

    let plain = chat_body(&text, json!({"max_tokens": 3, "ignore_eos": true}));
    let reply = post(&server, "/v1/chat/completions", &plain).await;
    assert_eq!(reply.header("x-servebench-queue-ms"), "3.250");
    assert_eq!(reply.header("x-servebench-prefill-ms"), "40.000");
    assert_eq!(reply.header("x-servebench-cached-tokens"), "4");
    assert_eq!(reply.header("x-servebench-worker-id"), "2");
    assert_eq!(reply.header("x-servebench-prompt-tokens"), "10");
    let ttft: f64 = reply.header("x-servebench-ttft-ms").parse().unwrap();
    assert!(ttft >= 0.0);
    assert_eq!(
        reply.json()["usage"]["prompt_tokens_details"]["cached_tokens"],
        4
    );
    server.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_lets_open_streams_finish() {
    let source = Arc::new(
        FixedTiming::new(FixedTimingConfig {
            ttft: Duration::ZERO,
            itl: Duration::from_millis(5),
        })
        .unwrap(),
    );
    let server = start_with(config(), source, None).await;
    let addr = server.local_addr();
    let body = chat_body(
        "hi",
        json!({"stream": true, "max_tokens": 40, "ignore_eos": true}),
    );
    let client = {
        let body = body.to_string();
        // A second handle on the same address: the test client only needs the address.
        let probe = ServerProbe(addr);
        tokio::spawn(async move { probe.post_stream(&body).await })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    server.shutdown().await;
    let events = client.await.unwrap();
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let tokens = events
        .iter()
        .filter(|e| e.contains("\"content\":\" "))
        .count();
    assert_eq!(tokens, 40);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

/// Posts to an address without holding the server handle.
struct ServerProbe(std::net::SocketAddr);

impl ServerProbe {
    async fn post_stream(&self, body: &str) -> Vec<String> {
        use http_body_util::{BodyExt, Full};
        let stream = tokio::net::TcpStream::connect(self.0).await.unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(conn);
        let req = http::Request::post("/v1/chat/completions")
            .header("host", "localhost")
            .body(Full::new(bytes::Bytes::from(body.to_owned())))
            .unwrap();
        let bytes = sender
            .send_request(req)
            .await
            .unwrap()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .split_terminator("\n\n")
            .map(|e| e.trim_start_matches("data: ").to_owned())
            .collect()
    }
}
