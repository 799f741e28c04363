//! Routing over HTTP: direct mode follows the worker a request names (body or header), and the
//! KV router's queue releases a higher-priority request first when the worker is busy.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use servebench_mocker::{
    EngineConfig, PoolConfig, RouterConfig, RouterMode, RunningServer, spawn_simulated,
};

use crate::support::*;

async fn pool_server(pool: PoolConfig) -> RunningServer {
    spawn_simulated(&pool, config()).await.unwrap()
}

fn worker_of(reply: &Reply) -> u64 {
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body())
    );
    reply.json()["servebench"]["worker_id"].as_u64().unwrap()
}

#[tokio::test]
async fn direct_mode_serves_on_the_named_worker_and_refuses_otherwise() {
    let server = pool_server(PoolConfig {
        engine: EngineConfig {
            speedup_ratio: 0.0,
            ..EngineConfig::default()
        },
        num_workers: 3,
        router: RouterConfig {
            mode: RouterMode::Direct,
            ..RouterConfig::default()
        },
    })
    .await;
    let body = |nvext: Value| chat_body("hi", json!({"max_tokens": 2, "nvext": nvext}));
    for w in [2, 0, 1, 2] {
        let reply = post(
            &server,
            "/v1/chat/completions",
            &body(json!({"backend_instance_id": w})),
        )
        .await;
        assert_eq!(worker_of(&reply), w);
    }
    // The header wins over the body.
    let reply = post_with_headers(
        &server,
        "/v1/chat/completions",
        &body(json!({"backend_instance_id": 0})),
        &[("x-worker-instance-id", "1")],
    )
    .await;
    assert_eq!(worker_of(&reply), 1);
    for (nvext, headers) in [
        (json!({}), &[][..]),
        (json!({"backend_instance_id": 3}), &[]),
        (json!({}), &[("x-worker-instance-id", "9")]),
    ] {
        let reply = post_with_headers(&server, "/v1/chat/completions", &body(nvext), headers).await;
        assert_eq!(reply.status, 400);
        let error = &reply.json()["error"];
        assert_eq!(error["param"], "nvext.backend_instance_id", "{error}");
    }
    let reply = post_with_headers(
        &server,
        "/v1/chat/completions",
        &body(json!({})),
        &[("x-worker-instance-id", "one")],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "x-worker-instance-id");
}

/// One worker and threshold 0: the worker is busy while any prefill is pending. A 8000-token
/// prompt keeps it busy for about 165 ms (Dynamo's prefill polynomial); two 500-token requests
/// sent meanwhile wait in the router's queue. The one with the higher priority leaves first, so
/// it finishes first although it came second; with equal priorities the earlier one does.
#[tokio::test]
async fn a_busy_worker_takes_queued_requests_in_priority_order() {
    for (late_priority, late_first) in [(10, true), (0, false)] {
        let server = pool_server(PoolConfig {
            num_workers: 1,
            router: RouterConfig {
                mode: RouterMode::Kv,
                queue_threshold: Some(0.0),
                ..RouterConfig::default()
            },
            ..PoolConfig::default()
        })
        .await;
        let server = std::sync::Arc::new(server);
        let request = |base: u32, len: u32, priority: i32| {
            let tokens: Vec<u32> = (base..base + len).collect();
            completion_body(
                "",
                json!({"prompt": tokens, "max_tokens": 1,
                       "nvext": {"agent_hints": {"priority": priority}}}),
            )
        };
        let spawn = |body: Value| {
            let server = std::sync::Arc::clone(&server);
            tokio::spawn(async move {
                let reply = post(&server, "/v1/completions", &body).await;
                assert_eq!(reply.status, 200);
                Instant::now()
            })
        };
        let long = spawn(request(0, 8000, 0));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let early = spawn(request(10_000, 500, 0));
        tokio::time::sleep(Duration::from_millis(5)).await;
        let late = spawn(request(20_000, 500, late_priority));
        let (long, early, late) = (
            long.await.unwrap(),
            early.await.unwrap(),
            late.await.unwrap(),
        );
        assert!(long < early && long < late);
        assert_eq!(late < early, late_first, "late priority {late_priority}");
    }
}

/// A request that waits in the router's queue and whose client goes away is never handed to a
/// worker: with one worker busy on an 8000-token prompt (threshold 0), two 500-token requests
/// queue; the first one's receiver is dropped, so the engine only ever admits 8000 + 500 prompt
/// tokens. (The router's release skips it; after a step this long the worker's own scan for
/// abandoned requests would also drop it before scheduling, so this checks the outcome, not which
/// of the two did it.)
#[tokio::test]
async fn a_queued_request_whose_client_left_never_reaches_a_worker() {
    use servebench_mocker::{EnginePool, GenerateEvent, GenerateRequest, RouteHints, TokenSource};
    let pool = EnginePool::start(&PoolConfig {
        num_workers: 1,
        router: RouterConfig {
            mode: RouterMode::Kv,
            queue_threshold: Some(0.0),
            ..RouterConfig::default()
        },
        ..PoolConfig::default()
    })
    .unwrap();
    let request = |base: u32, len: u32| GenerateRequest {
        prompt_tokens: (base..base + len).collect(),
        output_tokens: 1,
    };
    let hints = RouteHints::default();
    let mut long = pool.submit_routed(request(0, 8000), &hints).unwrap();
    let gone = pool.submit_routed(request(10_000, 500), &hints).unwrap();
    let mut kept = pool.submit_routed(request(20_000, 500), &hints).unwrap();
    assert_eq!(pool.queued_requests(), 2);
    drop(gone);
    for rx in [&mut long, &mut kept] {
        loop {
            match rx.recv().await {
                Some(GenerateEvent::Finished { .. }) => break,
                Some(GenerateEvent::Token { .. }) => {}
                None => panic!("stream closed without Finished"),
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while pool.metrics().requests_finished_total < 2 {
        assert!(Instant::now() < deadline, "metrics never caught up");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(pool.queued_requests(), 0);
    assert_eq!(pool.metrics().prompt_tokens_total, 8500);
}
