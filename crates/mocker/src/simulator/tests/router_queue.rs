//! The KV router's queue when every worker is busy, and its priority order, on a virtual clock.

use std::time::Duration;

use crate::protocol::RouteHints;
use crate::simulator::{QueuePolicy, Routed, Router, RouterConfig, RouterMode};

use super::{bs, prompt};

/// Two workers, block size 4, step budget 8 tokens, threshold 1.0: a worker is busy while its
/// pending prefill exceeds 8 tokens.
fn queueing(policy: QueuePolicy) -> Router {
    let config = RouterConfig {
        mode: RouterMode::Kv,
        queue_threshold: Some(1.0),
        queue_policy: policy,
        seed: 2,
        ..RouterConfig::default()
    };
    Router::new(&config, 2, bs(4)).with_step_budget(8)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn hints(priority: f64, strict_priority: u32) -> RouteHints {
    RouteHints {
        worker: None,
        priority,
        strict_priority,
    }
}

/// Fills both workers with a 12-token prompt each (12 > 8 pending: both busy) and returns them.
fn fill(r: &mut Router) -> (usize, usize) {
    let Ok(Routed::Worker(a)) = r.submit(0, &prompt(0, 12), &hints(0.0, 0), secs(0)) else {
        panic!("an idle pool routes at once");
    };
    let Ok(Routed::Worker(b)) = r.submit(1, &prompt(100, 12), &hints(0.0, 0), secs(0)) else {
        panic!("one idle worker is left");
    };
    assert_ne!(
        a, b,
        "the second goes to the idle worker (cost 3 + 3 + 1 vs 6 + 6 + 2)"
    );
    (a, b)
}

/// FCFS scores are `jump - arrival`: request 2 (t=1, jump 0) scores -1, request 3 (t=2, jump 5)
/// scores 3, request 4 (t=3) is in strict tier 1. Release order: 4, 3, 2, one per worker that
/// stops being busy.
#[test]
fn when_every_worker_is_busy_requests_wait_and_leave_by_tier_then_priority() {
    let mut r = queueing(QueuePolicy::Fcfs);
    let (a, b) = fill(&mut r);
    for (id, at, h) in [
        (2, 1, hints(0.0, 0)),
        (3, 2, hints(5.0, 0)),
        (4, 3, hints(0.0, 1)),
    ] {
        assert_eq!(
            r.submit(id, &prompt(1000 * id as u32, 12), &h, secs(at)),
            Ok(Routed::Queued)
        );
    }
    assert_eq!(r.queued_requests(), 3);
    assert_eq!(r.take_dispatched(secs(3)), []);

    // Worker a's prefill is done: it takes the strict-tier request and is busy again.
    r.first_token(a, 0);
    assert_eq!(r.take_dispatched(secs(4)), [(4, a)]);
    r.first_token(b, 1);
    assert_eq!(r.take_dispatched(secs(5)), [(3, b)]);
    r.first_token(a, 4);
    assert_eq!(r.take_dispatched(secs(6)), [(2, a)]);
    assert_eq!(r.queued_requests(), 0);
    // An idle pool routes at once again.
    r.finished(a, 0);
    r.first_token(a, 2);
    assert_eq!(
        r.submit(9, &prompt(9000, 4), &hints(0.0, 0), secs(7)),
        Ok(Routed::Worker(a))
    );
}

/// A request that arrives while others wait joins the queue even if a worker has just freed up
/// and nobody released the queue yet; a named worker bypasses the queue.
#[test]
fn the_queue_keeps_its_order_and_a_named_worker_bypasses_it() {
    let mut r = queueing(QueuePolicy::Fcfs);
    let (a, _) = fill(&mut r);
    assert_eq!(
        r.submit(2, &prompt(2000, 12), &hints(0.0, 0), secs(1)),
        Ok(Routed::Queued)
    );
    r.first_token(a, 0);
    assert_eq!(
        r.submit(3, &prompt(3000, 12), &hints(9.0, 0), secs(2)),
        Ok(Routed::Queued)
    );
    let named = RouteHints {
        worker: Some(1),
        ..RouteHints::default()
    };
    assert_eq!(
        r.submit(4, &prompt(4000, 12), &named, secs(2)),
        Ok(Routed::Worker(1))
    );
    // Request 3 (score 9 - 2 = 7) goes before request 2 (score 0 - 1 = -1).
    assert_eq!(r.take_dispatched(secs(2)), [(3, a)]);
    assert!(r.cancel_queued(2));
    assert_eq!(r.queued_requests(), 0);
}

/// WSPT scores `(1 + jump) / uncached tokens`: a 40-token prompt scores 1/40, a 12-token one
/// 1/12, so the shorter leaves first although it came later; LCFS takes the latest first.
#[test]
fn wspt_prefers_short_prompts_and_lcfs_the_latest() {
    let mut r = queueing(QueuePolicy::Wspt);
    let (a, _) = fill(&mut r);
    r.submit(2, &prompt(2000, 40), &hints(0.0, 0), secs(1))
        .unwrap();
    r.submit(3, &prompt(3000, 12), &hints(0.0, 0), secs(2))
        .unwrap();
    r.first_token(a, 0);
    assert_eq!(r.take_dispatched(secs(3)), [(3, a)]);

    let mut r = queueing(QueuePolicy::Lcfs);
    let (a, _) = fill(&mut r);
    r.submit(2, &prompt(2000, 12), &hints(0.0, 0), secs(1))
        .unwrap();
    r.submit(3, &prompt(3000, 12), &hints(0.0, 0), secs(2))
        .unwrap();
    r.first_token(a, 0);
    assert_eq!(r.take_dispatched(secs(3)), [(3, a)]);
}

#[test]
fn without_a_threshold_nothing_ever_waits() {
    let config = RouterConfig {
        mode: RouterMode::Kv,
        queue_threshold: None,
        ..RouterConfig::default()
    };
    let mut r = Router::new(&config, 1, bs(4)).with_step_budget(8);
    for id in 0..5 {
        assert_eq!(
            r.submit(id, &prompt(100 * id as u32, 40), &hints(0.0, 0), secs(0)),
            Ok(Routed::Worker(0))
        );
    }
    assert_eq!(r.prefill_tokens(0), 200);
}
