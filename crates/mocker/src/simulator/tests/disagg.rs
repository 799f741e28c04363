//! Disaggregated prefill/decode and data-parallel ranks on the virtual clock. Step times are the
//! polynomials written out by hand: prefill(n) = 4.209989e-7 n² + 1.518344e-2 n + 16.50142 ms,
//! decode(p) = -25.74 p² + 54.01 p + 5.74 ms at KV usage p = active blocks / total blocks.

use std::time::Duration;

use super::{assert_close, bs, ms, prompt, request};
use crate::protocol::GenerateEvent;
use crate::simulator::{
    ClusterEvent, ClusterLayout, DisaggConfig, EngineConfig, EngineRole, PoolConfig, RouterConfig,
    RouterMode, VirtualCluster,
};

fn prefill_ms(n: f64) -> f64 {
    4.209989e-7 * n * n + 1.518344e-2 * n + 16.50142
}

fn decode_ms(p: f64) -> f64 {
    -25.74 * p * p + 54.01 * p + 5.74
}

/// Block 16, 1000 blocks, no chunking, a 100-token step budget (one 100-token prompt per step).
fn pool(workers: u32, mode: RouterMode) -> PoolConfig {
    PoolConfig {
        engine: EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            max_num_batched_tokens: 100,
            enable_chunked_prefill: false,
            ..EngineConfig::default()
        },
        num_workers: workers,
        router: RouterConfig {
            mode,
            ..RouterConfig::default()
        },
    }
}

/// 1000 bytes per token at 1 MB/s: 1 ms per prompt token.
fn disagg(prefill_workers: u32) -> ClusterLayout {
    ClusterLayout {
        data_parallel_size: 1,
        disagg: Some(DisaggConfig {
            prefill_workers,
            kv_bytes_per_token: 1000,
            transfer_bandwidth: 1e6,
        }),
    }
}

fn token_times(events: &[ClusterEvent], id: u64) -> Vec<f64> {
    events
        .iter()
        .filter(|e| e.request == id && matches!(e.event, GenerateEvent::Token { .. }))
        .map(|e| ms(e.at))
        .collect()
}

#[test]
fn ttft_is_queue_plus_prefill_plus_transfer() {
    let mut cluster =
        VirtualCluster::with_layout(&pool(1, RouterMode::RoundRobin), &disagg(1)).expect("valid");
    let mut events = Vec::new();
    let (a, pa) = cluster.submit(Duration::ZERO, request(prompt(0, 100), 3), &mut events);
    let (b, pb) = cluster.submit(Duration::ZERO, request(prompt(5000, 100), 3), &mut events);
    // Engine 0 is the decode worker, engine 1 the prefill worker.
    assert_eq!((pa, pb), (Some(1), Some(1)));
    assert_eq!(cluster.slot(1).map(|s| s.role), Some(EngineRole::Prefill));
    cluster.run_until_idle(&mut events);

    let p = prefill_ms(100.0); // 18.023973989 ms
    let transfer = 100.0; // 100 tokens x 1000 B / 1e6 B/s
    let ta = token_times(&events, a);
    let tb = token_times(&events, b);
    // A: no queue. B waits for A's prefill step (the 100-token budget is spent).
    assert_close(ta[0], p + transfer);
    assert_close(tb[0], p + p + transfer);
    // The first token comes from the decode engine's side (engine 0).
    let first = events
        .iter()
        .find(|e| e.request == a && matches!(e.event, GenerateEvent::Token { .. }))
        .expect("a token");
    assert_eq!(first.worker, 0);
    // Then A decodes alone on the decode worker: prompt + 1 token = 101 tokens, 7 blocks of 16
    // in use of 1000 -> p = 0.007; the next token (102 tokens) still fits 7 blocks.
    let d = decode_ms(7.0 / 1000.0);
    assert_close(ta[1] - ta[0], d);
    assert_close(ta[2] - ta[1], d);
    assert_eq!(ta.len(), 3);
    // Server timings: queue and prefill (prefill compute plus transfer).
    let timings = events
        .iter()
        .find_map(|e| match &e.event {
            GenerateEvent::Finished { timings, .. } if e.request == b => Some(*timings),
            _ => None,
        })
        .expect("finished");
    assert_close(ms(timings.queue_wait), p);
    assert_close(ms(timings.prefill), p + transfer);
    assert_eq!(timings.worker_id, 0);
    assert_eq!(timings.prompt_tokens, 100);
}

#[test]
fn prompt_tokens_are_counted_once_by_the_prefill_engine() {
    let mut cluster =
        VirtualCluster::with_layout(&pool(1, RouterMode::RoundRobin), &disagg(1)).expect("valid");
    let mut events = Vec::new();
    cluster.submit(Duration::ZERO, request(prompt(0, 100), 3), &mut events);
    cluster.submit(Duration::ZERO, request(prompt(5000, 60), 3), &mut events);
    cluster.run_until_idle(&mut events);
    // Engine 1 prefilled both prompts (100 + 60 tokens); engine 0 only decoded them.
    let prompt_tokens = |engine: usize| {
        cluster
            .engine(engine)
            .map(|e| e.metrics().prompt_tokens_total)
    };
    assert_eq!(prompt_tokens(1), Some(160));
    assert_eq!(prompt_tokens(0), Some(0));
}

#[test]
fn a_one_token_request_ends_with_its_transfer() {
    let mut cluster =
        VirtualCluster::with_layout(&pool(1, RouterMode::RoundRobin), &disagg(1)).expect("valid");
    let mut events = Vec::new();
    let (a, _) = cluster.submit(Duration::ZERO, request(prompt(0, 50), 1), &mut events);
    cluster.run_until_idle(&mut events);
    let done: Vec<f64> = events
        .iter()
        .filter(|e| e.request == a)
        .map(|e| ms(e.at))
        .collect();
    let expected = prefill_ms(50.0) + 50.0;
    assert_eq!(done.len(), 2, "one token, then finished");
    assert_close(done[0], expected);
    assert_close(done[1], expected);
    assert!(!cluster.engine(0).expect("decode engine").has_work());
}

/// One long decode, then five one-token 50-token prefills while it runs (they fit beside the
/// decode in an aggregated step): on separate prefill
/// workers its token times do not move; in an aggregated worker they do.
#[test]
fn decode_itl_is_unaffected_by_prefill_load_on_separate_workers() {
    let run = |layout: Option<ClusterLayout>, load: bool| {
        let mut cluster = match layout {
            Some(l) => VirtualCluster::with_layout(&pool(1, RouterMode::RoundRobin), &l),
            None => VirtualCluster::new(&pool(1, RouterMode::RoundRobin)),
        }
        .expect("valid");
        let mut events = Vec::new();
        let (id, _) = cluster.submit(Duration::ZERO, request(prompt(0, 100), 40), &mut events);
        if load {
            for k in 0..5u32 {
                let at = Duration::from_millis(150 + 20 * u64::from(k));
                cluster.submit(at, request(prompt(10_000 * (k + 1), 50), 1), &mut events);
            }
        }
        cluster.run_until_idle(&mut events);
        token_times(&events, id)
    };
    let quiet = run(Some(disagg(1)), false);
    let loaded = run(Some(disagg(1)), true);
    assert_eq!(quiet.len(), 40);
    assert_eq!(quiet, loaded, "decode token times moved under prefill load");
    // Hand-computed: gap k decodes a context of 101 + k tokens; blocks = ceil((101 + k) / 16).
    assert_close(quiet[0], prefill_ms(100.0) + 100.0);
    for k in 1..quiet.len() {
        // The step that produces token k (k >= 1) holds blocks for 100 + k tokens. Each step
        // is rounded to the nanosecond.
        let holding = f64::from((100 + k as u32).div_ceil(16));
        let gap = quiet[k] - quiet[k - 1];
        let expected = decode_ms(holding / 1000.0);
        assert!(
            (gap - expected).abs() < 1e-5,
            "gap {k}: {gap} ms, expected {expected} ms"
        );
    }
    // The same load on an aggregated worker slows the decode: the test can tell.
    let agg_quiet = run(None, false);
    let agg_loaded = run(None, true);
    assert!(
        agg_loaded.last() > agg_quiet.last(),
        "aggregated prefills should delay the decode"
    );
}

#[test]
fn kv_routing_sees_each_data_parallel_rank_as_a_target() {
    let layout = ClusterLayout {
        data_parallel_size: 2,
        disagg: None,
    };
    let mut cluster =
        VirtualCluster::with_layout(&pool(2, RouterMode::Kv), &layout).expect("valid");
    assert_eq!(cluster.num_engines(), 4);
    assert_eq!(cluster.router().num_workers(), 4, "(worker, rank) targets");
    let slots: Vec<(u32, u32)> = (0..4)
        .map(|i| {
            let s = cluster.slot(i).expect("slot");
            (s.worker, s.dp_rank)
        })
        .collect();
    assert_eq!(slots, [(0, 0), (0, 1), (1, 0), (1, 1)]);
    let mut events = Vec::new();
    let shared = prompt(0, 96);
    let (_, first) = cluster.submit(Duration::ZERO, request(shared.clone(), 2), &mut events);
    cluster.run_until_idle(&mut events);
    // Only that rank announced the 6 blocks; a follow-up sharing them goes to the same rank.
    let cached: Vec<usize> = (0..4).map(|t| cluster.router().cached_blocks(t)).collect();
    assert_eq!(cached.iter().sum::<usize>(), 6);
    let first = first.expect("routed at once");
    assert_eq!(cached[first as usize], 6);
    let mut follow = shared;
    follow.extend(prompt(9000, 32));
    let (_, again) = cluster.submit(Duration::from_secs(1), request(follow, 2), &mut events);
    assert_eq!(again, Some(first));
}

#[test]
fn other_modes_pick_a_worker_then_its_least_busy_rank() {
    let layout = ClusterLayout {
        data_parallel_size: 2,
        disagg: None,
    };
    let mut cluster =
        VirtualCluster::with_layout(&pool(2, RouterMode::RoundRobin), &layout).expect("valid");
    assert_eq!(cluster.router().num_workers(), 2, "workers are the targets");
    let mut events = Vec::new();
    // Round-robin over workers 0, 1, 0, 1; within a worker rank 0 then (busy) rank 1.
    let engines: Vec<u32> = (0..4)
        .map(|k| {
            cluster
                .submit(
                    Duration::ZERO,
                    request(prompt(1000 * k, 32), 2),
                    &mut events,
                )
                .1
                .expect("routed at once")
        })
        .collect();
    assert_eq!(engines, [0, 2, 1, 3]);
}

#[test]
fn layouts_out_of_range_are_refused_naming_the_setting() {
    let field = |layout: ClusterLayout| match VirtualCluster::with_layout(
        &pool(1, RouterMode::RoundRobin),
        &layout,
    ) {
        Err(crate::simulator::EngineError::Config { field, .. }) => field,
        other => panic!("expected a config error, got {other:?}"),
    };
    assert_eq!(
        field(ClusterLayout {
            data_parallel_size: 0,
            disagg: None
        }),
        "data_parallel_size"
    );
    let mut bad = disagg(1);
    if let Some(d) = bad.disagg.as_mut() {
        d.transfer_bandwidth = 0.0;
    }
    assert_eq!(field(bad), "transfer_bandwidth");
    let mut bad = disagg(0);
    bad.data_parallel_size = 1;
    assert_eq!(field(bad), "prefill_workers");
}
