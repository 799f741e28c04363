//! A worker that dies does not leave a server that looks healthy: `/health` and new requests get
//! 503, requests in flight end with an error (an SSE error event, or a 500 body).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use servebench_mocker::{EngineConfig, EnginePool, EngineStats, PoolConfig, TokenSource};

use crate::support::*;

/// Log lines written by the process-wide tracing subscriber this test installs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn a_panicked_worker_turns_the_server_unhealthy_and_fails_open_requests() {
    // The worker logs from its own thread, so the subscriber must be the global one.
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("no other test installs a global subscriber");
    let pool = Arc::new(
        EnginePool::start(&PoolConfig {
            engine: EngineConfig::default(),
            num_workers: 1,
            ..PoolConfig::default()
        })
        .unwrap(),
    );
    let source: Arc<dyn TokenSource> = pool.clone();
    let stats: Arc<dyn EngineStats> = pool.clone();
    let server = Arc::new(start_with(config(), source, Some(stats)).await);
    assert_eq!(send(&server, "GET", "/health", None).await.status, 200);

    // Two long requests (2000 tokens at several ms each), one streaming, one not.
    let long = |stream: bool| {
        chat_body(
            "hello there",
            json!({"stream": stream, "max_tokens": 2000, "ignore_eos": true}),
        )
    };
    let streaming = tokio::spawn({
        let server = Arc::clone(&server);
        let body = long(true);
        async move { post(&server, "/v1/chat/completions", &body).await }
    });
    let whole = tokio::spawn({
        let server = Arc::clone(&server);
        let body = long(false);
        async move { post(&server, "/v1/chat/completions", &body).await }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let m = pool.metrics();
        if m.requests_running + m.requests_waiting >= 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "requests never arrived"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(pool.inject_worker_panic(0));

    let reply = streaming.await.unwrap();
    assert_eq!(reply.status, 200);
    let chunks = reply.chunks();
    let last = chunks.last().unwrap();
    assert_eq!(last["error"]["code"], 500, "{last}");
    let message = last["error"]["message"].as_str().unwrap();
    assert!(message.contains("panicked"), "{message}");
    assert!(
        chunks
            .iter()
            .all(|c| c["choices"][0]["finish_reason"] != "abort"),
        "no hollow abort: {chunks:?}"
    );

    let reply = whole.await.unwrap();
    assert_eq!(
        reply.status,
        500,
        "{}",
        String::from_utf8_lossy(&reply.body())
    );
    assert_eq!(reply.json()["error"]["type"], "internal_server_error");

    let health = send(&server, "GET", "/health", None).await;
    assert_eq!(health.status, 503);
    assert!(
        health.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("injected fault")
    );
    for stream in [true, false] {
        let reply = post(
            &server,
            "/v1/chat/completions",
            &chat_body("hi", json!({"stream": stream, "max_tokens": 3})),
        )
        .await;
        assert_eq!(reply.status, 503);
        let v: Value = reply.json();
        assert_eq!(v["error"]["type"], "service_unavailable");
        assert_eq!(v["error"]["code"], 503);
    }
    let text = log.text();
    assert!(
        text.contains("ERROR")
            && text.contains("engine worker panicked")
            && text.contains("injected fault: worker 0 was told to panic"),
        "the cause is not in the log:\n{text}"
    );
    let metrics = send(&server, "GET", "/metrics", None).await;
    let text = String::from_utf8(metrics.body()).unwrap();
    assert!(
        text.contains(
            "servebench:requests_rejected_total{model_name=\"test-model\",reason=\"engine_failed\"} 2\n"
        ),
        "{text}"
    );
}
