//! Each injected fault happens when configured: always at rate 1, about half the time at 0.5.

use std::time::Duration;

use serde_json::json;
use servebench_mocker::{FaultConfig, ServerConfig};

use crate::support::*;

fn with_faults(faults: FaultConfig) -> ServerConfig {
    ServerConfig {
        faults,
        seed: 11,
        ..config()
    }
}

fn stream_body(max_tokens: u32) -> serde_json::Value {
    chat_body(
        "hi",
        json!({"stream": true, "max_tokens": max_tokens, "ignore_eos": true}),
    )
}

#[tokio::test]
async fn error_statuses_at_rate_one() {
    for (faults, status, kind) in [
        (
            FaultConfig {
                http_500_rate: 1.0,
                ..Default::default()
            },
            500,
            "internal_server_error",
        ),
        (
            FaultConfig {
                http_429_rate: 1.0,
                ..Default::default()
            },
            429,
            "rate_limit_error",
        ),
    ] {
        let server = start(with_faults(faults)).await;
        for stream in [true, false] {
            let body = chat_body("hi", json!({"stream": stream, "max_tokens": 3}));
            let reply = post(&server, "/v1/chat/completions", &body).await;
            assert_eq!(reply.status, status);
            assert_eq!(reply.json()["error"]["type"], kind);
            if status == 429 {
                assert_eq!(reply.header("retry-after"), "1");
            }
        }
        server.shutdown().await;
    }
}

#[tokio::test]
async fn disconnect_at_rate_one_cuts_every_stream_before_done() {
    let server = start(with_faults(FaultConfig {
        disconnect_rate: 1.0,
        ..Default::default()
    }))
    .await;
    for _ in 0..10 {
        let reply = post(&server, "/v1/chat/completions", &stream_body(20)).await;
        assert_eq!(reply.status, 200);
        assert!(reply.body_error.is_some(), "stream ended cleanly");
        let body = String::from_utf8(reply.body()).unwrap();
        assert!(!body.contains("[DONE]"));
        // The role chunk and at least one token arrived, as whole events, before the cut.
        assert!(body.ends_with("\n\n"), "{body:?}");
        assert!(body.matches("\"content\":\" ").count() >= 1, "{body:?}");
    }
    // Non-streaming: the headers arrive, then the connection closes instead of the body.
    let plain = post(
        &server,
        "/v1/chat/completions",
        &chat_body("hi", json!({"max_tokens": 3})),
    )
    .await;
    assert_eq!(plain.status, 200);
    assert!(plain.body_error.is_some());
    assert!(plain.body().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn stall_at_rate_one_pauses_each_stream_once() {
    let stall = Duration::from_millis(120);
    let server = start(with_faults(FaultConfig {
        stall_rate: 1.0,
        stall,
        ..Default::default()
    }))
    .await;
    for _ in 0..3 {
        let reply = post(&server, "/v1/chat/completions", &stream_body(10)).await;
        // The stream completes...
        assert_eq!(token_texts(&reply.chunks()).len(), 10);
        // ...and somewhere it went silent for at least the stall (zero-delay source otherwise).
        let mut stamps = vec![reply.sent_at];
        stamps.extend(reply.frames.iter().map(|(at, _)| *at));
        let longest = stamps.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert!(longest >= stall, "longest silence {longest:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_at_rate_one_breaks_exactly_one_chunk() {
    let server = start(with_faults(FaultConfig {
        malformed_rate: 1.0,
        ..Default::default()
    }))
    .await;
    for _ in 0..10 {
        let reply = post(&server, "/v1/chat/completions", &stream_body(8)).await;
        let events = reply.events();
        assert_eq!(events.last().unwrap().1, "[DONE]");
        let broken = events[..events.len() - 1]
            .iter()
            .filter(|(_, e)| serde_json::from_str::<serde_json::Value>(e).is_err())
            .count();
        assert_eq!(broken, 1, "{events:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn half_rates_strike_about_half_the_requests() {
    let faults = FaultConfig {
        http_500_rate: 0.5,
        disconnect_rate: 0.5,
        ..Default::default()
    };
    let server = start(with_faults(faults)).await;
    let n = 200;
    let (mut errors, mut cut, mut clean) = (0, 0, 0);
    for _ in 0..n {
        let reply = post(&server, "/v1/chat/completions", &stream_body(4)).await;
        if reply.status == 500 {
            errors += 1;
        } else if reply.body_error.is_some() {
            cut += 1;
        } else {
            clean += 1;
        }
    }
    // Binomial(200, 0.5) has standard deviation ~7; 100 ± 30 is over 4 deviations.
    assert!((70..=130).contains(&errors), "{errors} errors of {n}");
    // Disconnects apply to the ~100 requests that were not errors: about 50 ± 25.
    assert!((25..=75).contains(&cut), "{cut} disconnects");
    assert_eq!(errors + cut + clean, n);
    server.shutdown().await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let faults = FaultConfig {
        http_500_rate: 0.5,
        ..Default::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = start(with_faults(faults.clone())).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(
                post(
                    &server,
                    "/v1/completions",
                    &completion_body("x", json!({"max_tokens": 1})),
                )
                .await
                .status,
            );
        }
        runs.push(statuses);
        server.shutdown().await;
    }
    assert_eq!(runs[0], runs[1]);
}
