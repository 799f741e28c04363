//! `startup_time`: the server answers 503 on /health and on requests until it is ready.

use std::time::{Duration, Instant};

use serde_json::json;
use servebench_mocker::{EngineConfig, PoolConfig, ServerConfig, spawn_simulated};

use crate::support::*;

#[tokio::test]
async fn health_and_requests_get_503_until_the_start_up_is_over() {
    let startup = Duration::from_secs(1);
    let started = Instant::now();
    let server = spawn_simulated(
        &PoolConfig {
            engine: EngineConfig {
                speedup_ratio: 0.0,
                ..EngineConfig::default()
            },
            ..PoolConfig::default()
        },
        ServerConfig {
            startup_time: startup,
            ..config()
        },
    )
    .await
    .unwrap();
    let health = send(&server, "GET", "/health", None).await;
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["error"]["type"], "service_unavailable");
    let body = chat_body("hi", json!({"max_tokens": 2}));
    let early = post(&server, "/v1/chat/completions", &body).await;
    assert_eq!(early.status, 503);
    assert!(
        early.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("the engine is starting"),
    );
    let embed = post(&server, "/v1/embeddings", &json!({"input": "x"})).await;
    assert_eq!(embed.status, 503);
    // Models and metrics answer at once; the metrics count the refused requests.
    assert_eq!(send(&server, "GET", "/v1/models", None).await.status, 200);
    let metrics = String::from_utf8(send(&server, "GET", "/metrics", None).await.body()).unwrap();
    assert!(
        metrics.contains(
            r#"servebench:requests_rejected_total{model_name="test-model",reason="starting"} 2"#
        ),
        "{metrics}"
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if send(&server, "GET", "/health", None).await.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        started.elapsed() >= startup,
        "ready before the start-up time"
    );
    assert_eq!(
        post(&server, "/v1/chat/completions", &body).await.status,
        200
    );
}
