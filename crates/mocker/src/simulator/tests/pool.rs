//! The real-clock pool: tokens arrive, timings are filled, cancellation frees blocks.

use std::time::{Duration, Instant};

use crate::protocol::{GenerateEvent, TokenSource};
use crate::simulator::{
    EngineConfig, EnginePool, OUTPUT_VOCAB, PoolConfig, RouterConfig, RouterMode,
};

use super::{bs, prefill_poly, prompt, request};

fn pool(engine: EngineConfig, workers: u32, mode: RouterMode) -> EnginePool {
    let config = PoolConfig {
        engine,
        num_workers: workers,
        router: RouterConfig {
            mode,
            ..RouterConfig::default()
        },
    };
    EnginePool::start(&config).expect("pool starts")
}

/// Polls `cond` for up to 10 s (the machine may be loaded; the condition, not the wait, is tested).
pub(super) fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

#[tokio::test]
async fn pool_delivers_tokens_and_timings() {
    let p = pool(
        EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            speedup_ratio: 10.0,
            ..Default::default()
        },
        2,
        RouterMode::RoundRobin,
    );
    let sent = Instant::now();
    let mut rx = p.submit(request(prompt(0, 100), 5));
    let mut tokens = Vec::new();
    let mut first_token_after = None;
    let timings = loop {
        match rx.recv().await.expect("stream stays open until Finished") {
            GenerateEvent::Token { token_id } => {
                first_token_after.get_or_insert_with(|| sent.elapsed());
                tokens.push(token_id);
            }
            GenerateEvent::Finished { timings, .. } => break timings,
        }
    };
    assert_eq!(tokens.len(), 5);
    assert!(tokens.iter().all(|&t| t < OUTPUT_VOCAB));
    assert_eq!(
        (
            timings.worker_id,
            timings.prompt_tokens,
            timings.cached_tokens
        ),
        (0, 100, 0)
    );
    // The engine's own prefill stamp is the modelled step time exactly.
    let modelled = prefill_poly(100.0) / 10.0;
    assert!((timings.prefill.as_secs_f64() * 1000.0 - modelled).abs() < 1e-6);
    // The client cannot see the token before the engine's deadline.
    let seen = first_token_after.expect("a token").as_secs_f64() * 1000.0;
    assert!(
        seen >= modelled,
        "first token after {seen} ms, modelled {modelled} ms"
    );
    assert!(rx.recv().await.is_none(), "nothing after Finished");
    assert!(eventually(|| p.metrics().requests_finished_total == 1));
    let m = p.metrics();
    assert_eq!(
        (
            m.num_workers,
            m.generation_tokens_total,
            m.prompt_tokens_total
        ),
        (2, 5, 100)
    );
    // Round-robin: the next request is served by worker 1.
    let mut rx = p.submit(request(prompt(0, 10), 1));
    let worker = loop {
        if let Some(GenerateEvent::Finished { timings, .. }) = rx.recv().await {
            break timings.worker_id;
        }
    };
    assert_eq!(worker, 1);
}

#[tokio::test]
async fn dropping_the_receiver_cancels_and_frees_blocks() {
    let p = pool(
        EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            speedup_ratio: 20.0,
            ..Default::default()
        },
        1,
        RouterMode::Kv,
    );
    let mut rx = p.submit(request(prompt(0, 500), 100_000));
    assert!(matches!(rx.recv().await, Some(GenerateEvent::Token { .. })));
    // Metrics are published right after each step's delivery: wait for that snapshot.
    assert!(eventually(|| p.metrics().requests_running == 1));
    assert!(
        p.metrics().kv_blocks_active >= 32,
        "500 prompt tokens hold 32 blocks"
    );
    drop(rx);
    assert!(
        eventually(|| {
            let m = p.metrics();
            m.requests_cancelled_total == 1 && m.kv_blocks_active == 0 && m.requests_running == 0
        }),
        "blocks not freed: {:?}",
        p.metrics()
    );
    // Waiting requests whose client left are dropped too.
    let p = pool(
        EngineConfig {
            max_num_seqs: 1,
            speedup_ratio: 20.0,
            ..Default::default()
        },
        1,
        RouterMode::RoundRobin,
    );
    let mut busy = p.submit(request(prompt(0, 10), 100_000));
    assert!(busy.recv().await.is_some());
    drop(p.submit(request(prompt(100, 10), 5)));
    assert!(
        eventually(|| p.metrics().requests_cancelled_total == 1),
        "{:?}",
        p.metrics()
    );
    assert_eq!(p.metrics().requests_waiting, 0);
}

#[tokio::test]
async fn zero_speedup_serves_many_requests_at_full_speed() {
    let p = pool(
        EngineConfig {
            speedup_ratio: 0.0,
            ..Default::default()
        },
        2,
        RouterMode::LeastLoaded,
    );
    let receivers: Vec<_> = (0..50)
        .map(|i| p.submit(request(prompt(i * 1000, 200), 20)))
        .collect();
    for mut rx in receivers {
        let mut n = 0;
        loop {
            match rx.recv().await.expect("open") {
                GenerateEvent::Token { .. } => n += 1,
                GenerateEvent::Finished { timings, .. } => {
                    assert_eq!(timings.prefill, Duration::ZERO);
                    break;
                }
            }
        }
        assert_eq!(n, 20);
    }
    assert!(eventually(|| p.metrics().generation_tokens_total == 1000));
}

#[tokio::test]
async fn dropping_the_pool_stops_workers_and_closes_streams() {
    let p = pool(
        EngineConfig {
            speedup_ratio: 20.0,
            ..Default::default()
        },
        2,
        RouterMode::RoundRobin,
    );
    let mut rx = p.submit(request(prompt(0, 10), 1_000_000));
    assert!(matches!(rx.recv().await, Some(GenerateEvent::Token { .. })));
    drop(p);
    // The worker exited: the stream ends (after any tokens already sent) without Finished.
    let mut tail = Vec::new();
    while let Some(event) = rx.recv().await {
        tail.push(event);
    }
    assert!(
        tail.iter()
            .all(|e| matches!(e, GenerateEvent::Token { .. }))
    );
}

async fn finish(rx: &mut tokio::sync::mpsc::UnboundedReceiver<GenerateEvent>) -> (u32, u32) {
    loop {
        match rx.recv().await.expect("stream stays open until Finished") {
            GenerateEvent::Token { .. } => {}
            GenerateEvent::Finished { timings, .. } => {
                break (timings.worker_id, timings.cached_tokens);
            }
        }
    }
}

/// Two workers of two ranks, round-robin: workers alternate, and within a worker the rank with
/// nothing in flight is taken (engines 0, 2, then 1, 3 while the first two still run).
#[tokio::test]
async fn data_parallel_ranks_round_robin_over_workers_then_least_busy_rank() {
    let config = PoolConfig {
        engine: EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            // Slow enough that the first requests are still in flight at the next submission.
            speedup_ratio: 0.01,
            ..Default::default()
        },
        num_workers: 2,
        router: RouterConfig::default(),
    };
    let layout = crate::simulator::ClusterLayout {
        data_parallel_size: 2,
        disagg: None,
    };
    let p = EnginePool::start_with_layout(&config, &layout).expect("pool starts");
    assert_eq!(p.num_workers(), 4, "one engine thread per rank");
    let mut streams: Vec<_> = (0..4)
        .map(|k| p.submit(request(prompt(1000 * k, 32), 1)))
        .collect();
    let mut engines = Vec::new();
    for rx in &mut streams {
        engines.push(finish(rx).await.0);
    }
    assert_eq!(engines, [0, 2, 1, 3]);
}

/// KV routing over ranks: a repeated prompt returns to the very rank that cached it.
#[tokio::test]
async fn kv_routing_returns_a_prompt_to_the_rank_that_cached_it() {
    let config = PoolConfig {
        engine: EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            speedup_ratio: 0.0,
            ..Default::default()
        },
        num_workers: 2,
        router: RouterConfig {
            mode: RouterMode::Kv,
            ..RouterConfig::default()
        },
    };
    let layout = crate::simulator::ClusterLayout {
        data_parallel_size: 3,
        disagg: None,
    };
    let p = EnginePool::start_with_layout(&config, &layout).expect("pool starts");
    let (first, cached) = finish(&mut p.submit(request(prompt(0, 64), 2))).await;
    assert_eq!(cached, 0);
    // The router learns the blocks from the engine's events after its step; wait for them.
    let mut again = (u32::MAX, 0);
    for _ in 0..50 {
        again = finish(&mut p.submit(request(prompt(0, 64), 2))).await;
        if again.1 > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        again,
        (first, 64),
        "same engine, all 4 of its 16-token blocks cached"
    );
}
