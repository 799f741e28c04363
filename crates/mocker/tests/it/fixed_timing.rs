//! The fixed-timing source's gaps, measured in this process, match the configured ones.
//!
//! Tolerances (chosen to survive a loaded 2-core machine): no token ever arrives before its
//! absolute deadline (`send + ttft + k·itl`, a hard invariant since the client stamps after the
//! server sent); the median gap error is under half the gap; the mean gap over the stream is within 2 ms
//! of the configured gap (deadlines are absolute, so lateness does not accumulate). Reading the
//! source directly (no HTTP, no request parsing), the median lateness against the absolute
//! deadline is also under 5 ms.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use servebench_mocker::{
    FixedTiming, FixedTimingConfig, GenerateEvent, GenerateRequest, TokenSource,
};

use crate::support::*;

/// Checks arrivals against `start + ttft + k·itl`; returns the median lateness.
fn check_arrivals(start: Instant, arrivals: &[Instant], ttft: Duration, itl: Duration) -> Duration {
    let mut lateness: Vec<Duration> = Vec::new();
    for (k, at) in arrivals.iter().enumerate() {
        let deadline = start + ttft + itl * k as u32;
        assert!(
            *at >= deadline,
            "token {k} arrived {:?} early",
            deadline - *at
        );
        lateness.push(*at - deadline);
    }
    lateness.sort();
    let mut gap_errors: Vec<Duration> = arrivals
        .windows(2)
        .map(|w| (w[1] - w[0]).abs_diff(itl))
        .collect();
    gap_errors.sort();
    let median_gap_error = gap_errors[gap_errors.len() / 2];
    assert!(
        median_gap_error < itl / 2,
        "median gap error {median_gap_error:?}"
    );
    let n = arrivals.len() as u32;
    let mean_gap = (arrivals[arrivals.len() - 1] - arrivals[0]) / (n - 1);
    assert!(
        mean_gap.abs_diff(itl) < Duration::from_millis(2),
        "mean gap {mean_gap:?} vs {itl:?}"
    );
    lateness[lateness.len() / 2]
}

#[tokio::test]
async fn source_gaps_match_configuration() {
    let (ttft, itl) = (Duration::from_millis(25), Duration::from_millis(8));
    let source = FixedTiming::new(FixedTimingConfig { ttft, itl }).unwrap();
    let start = Instant::now();
    let mut rx = source.submit(GenerateRequest {
        prompt_tokens: vec![1; 16],
        output_tokens: 30,
    });
    let mut arrivals = Vec::new();
    while let Some(ev) = rx.recv().await {
        if matches!(ev, GenerateEvent::Token { .. }) {
            arrivals.push(Instant::now());
        }
    }
    assert_eq!(arrivals.len(), 30);
    let median = check_arrivals(start, &arrivals, ttft, itl);
    assert!(
        median < Duration::from_millis(5),
        "median lateness {median:?}"
    );
}

#[tokio::test]
async fn streamed_gaps_over_http_match_configuration() {
    let (ttft, itl) = (Duration::from_millis(30), Duration::from_millis(10));
    let source: Arc<dyn TokenSource> =
        Arc::new(FixedTiming::new(FixedTimingConfig { ttft, itl }).unwrap());
    let server = start_with(config(), source, None).await;
    let body = chat_body(
        "hi",
        json!({"stream": true, "max_tokens": 20, "ignore_eos": true}),
    );
    let reply = post(&server, "/v1/chat/completions", &body).await;
    let arrivals: Vec<Instant> = reply
        .events()
        .iter()
        .filter(|(_, e)| e.contains("\"content\":\" "))
        .map(|(at, _)| *at)
        .collect();
    assert_eq!(arrivals.len(), 20);
    // `sent_at` precedes the server's arrival stamp, so deadlines from it are conservative.
    let _ = check_arrivals(reply.sent_at, &arrivals, ttft, itl);
    // The server's own TTFT (arrival to first token handed to HTTP) is at least the configured one.
    let chunks = reply.chunks();
    let server_ttft = chunks[chunks.len() - 1]["servebench"]["ttft_ms"]
        .as_f64()
        .unwrap();
    assert!(server_ttft >= 30.0, "server ttft {server_ttft}");
    server.shutdown().await;
}

#[tokio::test]
async fn many_concurrent_streams_keep_their_schedule() {
    let (ttft, itl) = (Duration::from_millis(10), Duration::from_millis(5));
    let source = Arc::new(FixedTiming::new(FixedTimingConfig { ttft, itl }).unwrap());
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let source = Arc::clone(&source);
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let mut rx = source.submit(GenerateRequest {
                prompt_tokens: vec![],
                output_tokens: 20,
            });
            let mut arrivals = Vec::new();
            while let Some(ev) = rx.recv().await {
                if matches!(ev, GenerateEvent::Token { .. }) {
                    arrivals.push(Instant::now());
                }
            }
            (start, arrivals)
        }));
    }
    for t in tasks {
        let (start, arrivals) = t.await.unwrap();
        assert_eq!(arrivals.len(), 20);
        for (k, at) in arrivals.iter().enumerate() {
            assert!(*at >= start + ttft + itl * k as u32, "early token");
        }
    }
}
