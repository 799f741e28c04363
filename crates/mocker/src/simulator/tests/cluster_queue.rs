//! The virtual cluster through the router's queue and approximate index, on the virtual clock.
//! Step times are the prefill polynomial written out by hand:
//! prefill(n) = 4.209989e-7 n² + 1.518344e-2 n + 16.50142 ms.

use std::time::Duration;

use super::{assert_close, bs, ms, prompt, request};
use crate::protocol::{GenerateEvent, RouteHints, ServerTimings};
use crate::simulator::{
    ClusterEvent, ClusterLayout, DisaggConfig, EngineConfig, PoolConfig, RouterConfig, RouterMode,
    VirtualCluster,
};

/// prefill(100) = 0.004209989 + 1.518344 + 16.50142 ms.
const P100: f64 = 18.023_973_989;

/// One KV-routed worker, block 16, no chunking, a 100-token step budget and a queue threshold
/// of 0.5 × 100 = 50 pending prefill tokens: one 100-token prompt makes the worker busy.
fn queueing_pool() -> PoolConfig {
    PoolConfig {
        engine: EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            max_num_batched_tokens: 100,
            enable_chunked_prefill: false,
            ..EngineConfig::default()
        },
        num_workers: 1,
        router: RouterConfig {
            mode: RouterMode::Kv,
            queue_threshold: Some(0.5),
            seed: 3,
            ..RouterConfig::default()
        },
    }
}

fn hints(priority: f64) -> RouteHints {
    RouteHints {
        priority,
        ..RouteHints::default()
    }
}

fn first_token_ms(events: &[ClusterEvent], id: u64) -> f64 {
    events
        .iter()
        .find(|e| e.request == id && matches!(e.event, GenerateEvent::Token { .. }))
        .map(|e| ms(e.at))
        .expect("a first token")
}

fn timings(events: &[ClusterEvent], id: u64) -> ServerTimings {
    events
        .iter()
        .find_map(|e| match e.event {
            GenerateEvent::Finished { timings, .. } if e.request == id => Some(timings),
            _ => None,
        })
        .expect("finished")
}

/// A (t=0) is routed and makes the only worker busy (100 pending prefill tokens > 50); B
/// (priority 0) and C (priority 10) arrive at t=0 too and wait in the router's queue, not in the
/// engine. A's one token at P frees the worker: C leaves the queue first (higher priority), and
/// B once C's token comes at 2P. So A, C, B take P, 2P, 3P to their first token, and C and B
/// count P and 2P of queue wait. (Without the router's queue the engine would run B before C.)
#[test]
fn a_request_queued_while_every_worker_is_busy_starts_when_one_frees_higher_priority_first() {
    let mut cluster = VirtualCluster::new(&queueing_pool()).expect("valid");
    let mut events = Vec::new();
    let t0 = Duration::ZERO;
    let submit = |cluster: &mut VirtualCluster, events: &mut Vec<_>, base, priority| {
        cluster
            .submit_with_hints(t0, request(prompt(base, 100), 1), &hints(priority), events)
            .expect("routable")
    };
    let (a, ea) = submit(&mut cluster, &mut events, 0, 0.0);
    let (b, eb) = submit(&mut cluster, &mut events, 1000, 0.0);
    let (c, ec) = submit(&mut cluster, &mut events, 2000, 10.0);
    assert_eq!((ea, eb, ec), (Some(0), None, None));
    assert_eq!(cluster.queued_requests(), 2);
    assert_eq!(cluster.engine(0).map(|e| e.num_waiting()), Some(1));

    cluster.run_until_idle(&mut events);
    assert_eq!(cluster.queued_requests(), 0);
    assert_close(first_token_ms(&events, a), P100);
    assert_close(first_token_ms(&events, c), 2.0 * P100);
    assert_close(first_token_ms(&events, b), 3.0 * P100);
    assert_close(ms(timings(&events, a).queue_wait), 0.0);
    assert_close(ms(timings(&events, c).queue_wait), P100);
    assert_close(ms(timings(&events, b).queue_wait), 2.0 * P100);
}

/// The same three requests on a disaggregated layout (one prefill and one decode worker, 1 ms of
/// transfer per prompt token): the prefill router queues B and C, releases C when A's prefill
/// ends, and TTFT is queue + prefill + 100 ms of transfer: P + 100, 2P + 100, 3P + 100.
#[test]
fn the_prefill_router_queues_too_when_disaggregated() {
    let layout = ClusterLayout {
        data_parallel_size: 1,
        disagg: Some(DisaggConfig {
            prefill_workers: 1,
            kv_bytes_per_token: 1000,
            transfer_bandwidth: 1e6,
        }),
    };
    let mut cluster = VirtualCluster::with_layout(&queueing_pool(), &layout).expect("valid");
    let mut events = Vec::new();
    let mut submit = |base, priority| {
        cluster
            .submit_with_hints(
                Duration::ZERO,
                request(prompt(base, 100), 1),
                &hints(priority),
                &mut events,
            )
            .expect("routable")
    };
    // Engine 1 is the prefill worker.
    let (a, ea) = submit(0, 0.0);
    let (b, eb) = submit(1000, 0.0);
    let (c, ec) = submit(2000, 10.0);
    assert_eq!((ea, eb, ec), (Some(1), None, None));
    assert_eq!(cluster.queued_requests(), 2);
    cluster.run_until_idle(&mut events);
    assert_close(first_token_ms(&events, a), P100 + 100.0);
    assert_close(first_token_ms(&events, c), 2.0 * P100 + 100.0);
    assert_close(first_token_ms(&events, b), 3.0 * P100 + 100.0);
}

/// Without KV events the router predicts each worker's cache from its own decisions, for a TTL
/// of 10 s on the virtual clock. A 96-token prompt (6 blocks of 16) routed at t=0 counts as
/// cached on its worker until t=10; the same prompt at t=9 goes to that worker (cost there: 0
/// prefill tokens + 6 blocks = 6; on the other: 96/16 + 6 = 12) and refreshes the entries until
/// t=19, when the index forgets them. Another prompt routed at t=0 only is forgotten at t=10.
#[test]
fn the_predicted_index_forgets_a_prefix_after_its_ttl_on_the_virtual_clock() {
    let mut config = queueing_pool();
    config.num_workers = 2;
    config.router.queue_threshold = None;
    config.router.use_kv_events = false;
    config.router.ttl = Duration::from_secs(10);
    let mut cluster = VirtualCluster::new(&config).expect("valid");
    let mut events = Vec::new();
    let secs = Duration::from_secs;
    let (_, first) = cluster.submit(secs(0), request(prompt(0, 96), 1), &mut events);
    let w = first.expect("routed at once") as usize;
    // 32 tokens (2 blocks) go to the other worker: cost 32/16 + 2 = 4 there, (96 + 32)/16 + 6 + 2
    // = 16 here.
    let (_, other) = cluster.submit(secs(0), request(prompt(5000, 32), 1), &mut events);
    assert_eq!(other, Some(1 - w as u32));
    let cached =
        |c: &VirtualCluster| (c.router().cached_blocks(w), c.router().cached_blocks(1 - w));
    cluster.advance_to(secs(9), &mut events);
    assert_eq!(cached(&cluster), (6, 2));
    let (_, again) = cluster.submit(secs(9), request(prompt(0, 96), 1), &mut events);
    assert_eq!(again, Some(w as u32));
    cluster.advance_to(secs(10), &mut events);
    assert_eq!(
        cached(&cluster),
        (6, 0),
        "the other prompt is forgotten at t=10"
    );
    cluster.advance_to(secs(18), &mut events);
    assert_eq!(cached(&cluster), (6, 0), "refreshed until t=19");
    cluster.advance_to(secs(19), &mut events);
    assert_eq!(cached(&cluster), (0, 0), "forgotten at t=19");
}
