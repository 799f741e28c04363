//! The real-clock pool in disaggregated mode: a request is prefilled on a prefill engine, waits
//! for its KV transfer, and is decoded on a decode engine; a client that goes away in any of the
//! three phases frees what it held; a panicking prefill worker fails the pool.
//!
//! Step times are the polynomials written out by hand: prefill(n) = 4.209989e-7 n² +
//! 1.518344e-2 n + 16.50142 ms, divided by the speed-up ratio.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;

use super::pool::eventually;
use super::{bs, prompt, request};
use crate::protocol::{GenerateEvent, ServerTimings, TokenSource};
use crate::simulator::{
    ClusterLayout, DisaggConfig, EngineConfig, EnginePool, EngineRole, PoolConfig, RouterConfig,
    RouterMode,
};

fn prefill_ms(n: f64) -> f64 {
    4.209989e-7 * n * n + 1.518344e-2 * n + 16.50142
}

/// One decode worker (engine 0) and one prefill worker (engine 1); block 16, 1000 blocks, no
/// chunking; `transfer_ms_per_token` of KV transfer per prompt token (before the speed-up).
fn disagg_pool(speedup_ratio: f64, transfer_ms_per_token: f64) -> EnginePool {
    disagg_pool_with(
        EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            enable_chunked_prefill: false,
            speedup_ratio,
            ..EngineConfig::default()
        },
        transfer_ms_per_token,
    )
}

fn disagg_pool_with(engine: EngineConfig, transfer_ms_per_token: f64) -> EnginePool {
    let config = PoolConfig {
        engine,
        num_workers: 1,
        router: RouterConfig {
            mode: RouterMode::RoundRobin,
            ..RouterConfig::default()
        },
    };
    let layout = ClusterLayout {
        data_parallel_size: 1,
        disagg: Some(DisaggConfig {
            prefill_workers: 1,
            kv_bytes_per_token: 1000,
            // 1000 bytes at 1e6 / x bytes per second: x ms.
            transfer_bandwidth: 1e6 / transfer_ms_per_token,
        }),
    };
    EnginePool::start_with_layout(&config, &layout).expect("pool starts")
}

/// Reads a stream to its end: token count, when the first token came (after `sent`), timings.
async fn drain(
    rx: &mut UnboundedReceiver<GenerateEvent>,
    sent: Instant,
) -> (usize, Duration, ServerTimings) {
    let mut tokens = 0;
    let mut first = None;
    loop {
        match rx.recv().await.expect("stream stays open until Finished") {
            GenerateEvent::Token { .. } => {
                tokens += 1;
                first.get_or_insert_with(|| sent.elapsed());
            }
            GenerateEvent::Finished { timings, .. } => {
                return (tokens, first.unwrap_or_default(), timings);
            }
        }
    }
}

#[tokio::test]
async fn a_request_is_prefilled_transferred_then_decoded_on_another_engine() {
    // Speed-up 10: prefill(100) / 10 = 1.8024 ms, transfer 100 tokens x 1 ms / 10 = 10 ms.
    let p = disagg_pool(10.0, 1.0);
    assert_eq!(p.engine_roles(), [EngineRole::Decode, EngineRole::Prefill]);
    let sent = Instant::now();
    let mut rx = p.submit(request(prompt(0, 100), 5));
    let (tokens, first, timings) = drain(&mut rx, sent).await;
    assert_eq!(tokens, 5);
    let expected_ms = (prefill_ms(100.0) + 100.0) / 10.0;
    // The reported prefill is prefill compute plus transfer, on the engines' schedule.
    let prefill = timings.prefill.as_secs_f64() * 1000.0;
    assert!(
        (prefill - expected_ms).abs() < 1e-6,
        "prefill + transfer {prefill} ms, expected {expected_ms} ms"
    );
    let seen = first.as_secs_f64() * 1000.0;
    assert!(
        seen >= expected_ms,
        "first token after {seen} ms, before the transfer landed at {expected_ms} ms"
    );
    assert_eq!(
        (timings.worker_id, timings.prompt_tokens),
        (0, 100),
        "served by the decode engine"
    );
    assert!(eventually(
        || p.worker_metrics()[0].requests_finished_total == 1
    ));
    let [decode, prefill] = [p.worker_metrics()[0], p.worker_metrics()[1]];
    // The prefill engine computed the prompt and the first token; the decode engine the other 4,
    // with the prompt's blocks present (no prefix lookup, no prefill).
    assert_eq!(
        (
            prefill.prefix_cache_queries_tokens,
            prefill.generation_tokens_total,
            prefill.requests_finished_total
        ),
        (100, 1, 1)
    );
    assert_eq!(
        (
            decode.prefix_cache_queries_tokens,
            decode.generation_tokens_total,
            decode.kv_blocks_active
        ),
        (0, 4, 0)
    );
}

#[tokio::test]
async fn a_one_token_request_ends_with_its_transfer_without_a_decode_engine() {
    let p = disagg_pool(10.0, 1.0);
    let mut rx = p.submit(request(prompt(0, 50), 1));
    let (tokens, _, timings) = drain(&mut rx, Instant::now()).await;
    assert_eq!(tokens, 1);
    let expected_ms = (prefill_ms(50.0) + 50.0) / 10.0;
    assert!((timings.prefill.as_secs_f64() * 1000.0 - expected_ms).abs() < 1e-6);
    assert!(rx.recv().await.is_none());
    assert_eq!(p.worker_metrics()[0].prompt_tokens_total, 0);
}

#[tokio::test]
async fn a_client_leaving_during_prefill_frees_the_prefill_engine() {
    // Chunks of 64 tokens: the 1000-token prefill takes 16 steps of about 17.5 ms (a client
    // that leaves is noticed between steps).
    let p = disagg_pool_with(
        EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            max_num_batched_tokens: 64,
            ..EngineConfig::default()
        },
        1.0,
    );
    let rx = p.submit(request(prompt(0, 1000), 5));
    assert!(eventually(|| p.worker_metrics()[1].requests_running == 1));
    assert!(p.worker_metrics()[1].kv_blocks_active > 0);
    drop(rx);
    assert!(
        eventually(|| {
            let m = p.worker_metrics()[1];
            m.requests_cancelled_total == 1 && m.kv_blocks_active == 0 && m.requests_running == 0
        }),
        "{:?}",
        p.worker_metrics()
    );
    assert_eq!(
        p.worker_metrics()[0].prompt_tokens_total,
        0,
        "never decoded"
    );
}

#[tokio::test]
async fn a_client_leaving_during_the_transfer_never_reaches_a_decode_engine() {
    // Speed-up 1: 10 prompt tokens at 30 ms each, a 300 ms transfer.
    let p = disagg_pool(1.0, 30.0);
    let rx = p.submit(request(prompt(0, 10), 5));
    assert!(eventually(
        || p.worker_metrics()[1].requests_finished_total == 1
    ));
    drop(rx);
    std::thread::sleep(Duration::from_millis(500));
    let decode = p.worker_metrics()[0];
    assert_eq!(
        (decode.prompt_tokens_total, decode.requests_running),
        (0, 0)
    );
    // The pool still serves: the next request goes through all three phases.
    let mut rx = p.submit(request(prompt(100, 10), 3));
    assert_eq!(drain(&mut rx, Instant::now()).await.0, 3);
}

#[tokio::test]
async fn a_client_leaving_during_decode_frees_the_decode_engine() {
    let p = disagg_pool(20.0, 0.01);
    let mut rx = p.submit(request(prompt(0, 500), 100_000));
    for _ in 0..3 {
        assert!(matches!(rx.recv().await, Some(GenerateEvent::Token { .. })));
    }
    assert!(eventually(|| p.worker_metrics()[0].requests_running == 1));
    assert!(
        p.worker_metrics()[0].kv_blocks_active >= 32,
        "500 prompt tokens, 32 blocks"
    );
    drop(rx);
    assert!(
        eventually(|| {
            let m = p.worker_metrics()[0];
            m.requests_cancelled_total == 1 && m.kv_blocks_active == 0 && m.requests_running == 0
        }),
        "{:?}",
        p.worker_metrics()
    );
}

#[tokio::test]
async fn a_panicking_prefill_worker_fails_the_pool() {
    // Speed-up 0.1: the first request's 1000-token prefill step takes about 320 ms; the second
    // request and the fault reach the prefill worker during it, so it panics holding the second.
    let p = disagg_pool(0.1, 0.01);
    let _first = p.submit(request(prompt(0, 1000), 2));
    // Metrics are published after a step, so give the worker time to start it.
    std::thread::sleep(Duration::from_millis(100));
    let mut rx = p.submit(request(prompt(5000, 100), 5));
    assert!(p.inject_worker_panic(1), "engine 1 is the prefill worker");
    assert!(eventually(|| p.failure().is_some()));
    let cause = p.failure().unwrap_or_default();
    assert!(cause.contains("engine worker 1 panicked"), "{cause}");
    // Its in-flight request's stream ends without Finished.
    while let Some(event) = rx.recv().await {
        assert!(!matches!(event, GenerateEvent::Finished { .. }));
    }
}
