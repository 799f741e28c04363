//! Power of two choices, direct and device-aware weighted routing, with choices worked out by
//! hand from each mode's rule.

use crate::protocol::{RouteError, RouteHints};
use crate::simulator::{KvEvent, Routed, Router, RouterConfig, RouterMode, sequence_block_hashes};

use super::{bs, prompt};

fn router(config: RouterConfig, workers: usize) -> Router {
    Router::new(&config, workers, bs(4))
}

fn mode(mode: RouterMode) -> RouterConfig {
    RouterConfig {
        mode,
        seed: 5,
        ..RouterConfig::default()
    }
}

fn to(worker: u64) -> RouteHints {
    RouteHints {
        worker: Some(worker),
        ..RouteHints::default()
    }
}

/// Three workers held at 0, 1 and 2 requests in flight. The two candidates are a uniformly drawn
/// pair of distinct workers: {0,1} and {0,2} pick 0, {1,2} picks 1, so worker 0 wins 2/3 of the
/// time, worker 1 1/3, and the busiest worker never.
#[test]
fn power_of_two_takes_the_less_loaded_of_two_distinct_random_workers() {
    let mut r = router(mode(RouterMode::PowerOfTwo), 3);
    // Load the workers to 0, 1, 2 by routing and then finishing the extra requests.
    let mut booked: Vec<Vec<u64>> = vec![Vec::new(); 3];
    for id in 0..30 {
        booked[r.route(id, &[1])].push(id);
    }
    for (w, keep) in [(0, 0), (1, 1), (2, 2)] {
        assert!(booked[w].len() >= keep, "worker {w} got {:?}", booked[w]);
        for &id in &booked[w][keep..] {
            r.finished(w, id);
        }
    }
    assert_eq!(
        (0..3).map(|w| r.active_requests(w)).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let n = 6000;
    let mut picks = [0usize; 3];
    for id in 100..100 + n {
        let w = r.route(id, &[1]);
        picks[w] += 1;
        r.finished(w, id);
    }
    assert_eq!(
        picks[2], 0,
        "the busiest worker is never the less loaded one"
    );
    let share0 = picks[0] as f64 / n as f64;
    assert!((share0 - 2.0 / 3.0).abs() < 0.03, "{picks:?}");
}

#[test]
fn power_of_two_between_two_workers_always_takes_the_idle_one() {
    let mut r = router(mode(RouterMode::PowerOfTwo), 2);
    let first = r.route(0, &[1]);
    // The only pair is {0, 1}: the idle worker wins every time while the other stays busy.
    for id in 1..50 {
        let w = r.route(id, &[1]);
        assert_eq!(w, 1 - first);
        r.finished(w, id);
    }
}

#[test]
fn direct_routing_goes_to_the_named_worker_and_refuses_without_one() {
    let mut r = router(mode(RouterMode::Direct), 3);
    let at = std::time::Duration::ZERO;
    assert_eq!(r.submit(1, &[1, 2], &to(2), at), Ok(Routed::Worker(2)));
    assert_eq!(r.submit(2, &[1, 2], &to(2), at), Ok(Routed::Worker(2)));
    assert_eq!(r.active_requests(2), 2);
    assert_eq!(
        r.submit(3, &[1], &to(3), at),
        Err(RouteError::UnknownWorker {
            worker: 3,
            workers: 3
        })
    );
    assert_eq!(
        r.submit(4, &[1], &RouteHints::default(), at),
        Err(RouteError::NoWorkerNamed)
    );
    assert_eq!(r.active_requests(0) + r.active_requests(1), 0);
    // The hint-less `route` of the virtual cluster falls back to round-robin.
    assert_eq!((r.route(5, &[1]), r.route(6, &[1])), (0, 1));
}

#[test]
fn kv_mode_honours_a_named_worker_and_round_robin_ignores_it() {
    let at = std::time::Duration::ZERO;
    let p = prompt(0, 16);
    let mut kv = router(mode(RouterMode::Kv), 2);
    let stored: Vec<KvEvent> = sequence_block_hashes(&p, bs(4))
        .into_iter()
        .map(|block_hash| KvEvent::Stored { block_hash })
        .collect();
    kv.apply_kv_events(0, &stored);
    // The cost alone would pick worker 0 (all 4 blocks cached there).
    assert_eq!(kv.submit(1, &p, &to(1), at), Ok(Routed::Worker(1)));
    assert_eq!(
        kv.submit(2, &p, &RouteHints::default(), at),
        Ok(Routed::Worker(0))
    );
    let mut rr = router(mode(RouterMode::RoundRobin), 3);
    assert_eq!(rr.submit(1, &p, &to(2), at), Ok(Routed::Worker(0)));
}

/// Four non-CPU workers (0-3) and one CPU worker (4), ratio 8. The CPU worker gets a request only
/// while its requests in flight are below `non_cpu_inflight × 1 / (8 × 4)`: with nothing
/// finishing, that first holds at 32 non-CPU requests (budget 1, CPU has 0) and again at 64
/// (budget 2, CPU has 1). Non-CPU requests go to the least loaded, lowest index first: 0,1,2,3,...
#[test]
fn device_aware_weighted_sends_one_cpu_request_per_ratio_times_gpu_count() {
    let config = RouterConfig {
        cpu_workers: 1,
        non_cpu_to_cpu_ratio: 8,
        ..mode(RouterMode::DeviceAwareWeighted)
    };
    let mut r = router(config, 5);
    let picks: Vec<usize> = (0..66).map(|id| r.route(id, &[1])).collect();
    let mut gpu_requests = 0;
    let expected: Vec<usize> = (0..66)
        .map(|id| {
            if id == 32 || id == 65 {
                4
            } else {
                gpu_requests += 1;
                (gpu_requests - 1) % 4
            }
        })
        .collect();
    assert_eq!(picks, expected);
    assert_eq!(r.active_requests(4), 2);
}

#[test]
fn device_aware_weighted_with_one_device_class_is_least_loaded() {
    for cpu_workers in [0, 3] {
        let config = RouterConfig {
            cpu_workers,
            ..mode(RouterMode::DeviceAwareWeighted)
        };
        let mut r = router(config, 3);
        let picks: Vec<usize> = (0..4).map(|id| r.route(id, &[1])).collect();
        assert_eq!(picks, [0, 1, 2, 0], "cpu_workers {cpu_workers}");
        r.finished(1, 1);
        assert_eq!(r.route(9, &[1]), 1);
    }
}
