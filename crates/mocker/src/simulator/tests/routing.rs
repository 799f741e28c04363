//! The router's rules, and routing end to end on a virtual cluster.

use std::time::Duration;

use crate::simulator::{
    EngineConfig, KvEvent, PoolConfig, Router, RouterConfig, RouterMode, VirtualCluster,
    sequence_block_hashes,
};

use super::{bs, prompt, request};

fn router(mode: RouterMode, workers: usize, block_size: u32) -> Router {
    let config = RouterConfig {
        mode,
        seed: 7,
        ..RouterConfig::default()
    };
    Router::new(&config, workers, bs(block_size))
}

fn stored(tokens: &[u32], block_size: u32) -> Vec<KvEvent> {
    sequence_block_hashes(tokens, bs(block_size))
        .into_iter()
        .map(|block_hash| KvEvent::Stored { block_hash })
        .collect()
}

#[test]
fn round_robin_cycles() {
    let mut r = router(RouterMode::RoundRobin, 3, 16);
    let picks: Vec<usize> = (0..7).map(|id| r.route(id, &prompt(0, 10))).collect();
    assert_eq!(picks, vec![0, 1, 2, 0, 1, 2, 0]);
}

#[test]
fn least_loaded_picks_the_worker_with_fewest_active_requests() {
    let mut r = router(RouterMode::LeastLoaded, 3, 16);
    let picks: Vec<usize> = (0..3).map(|id| r.route(id, &prompt(0, 10))).collect();
    assert_eq!(picks, vec![0, 1, 2]);
    assert_eq!(r.route(3, &prompt(0, 10)), 0);
    // Workers now hold 2, 1, 1 requests; finishing worker 2's leaves it with 0.
    r.finished(2, 2);
    assert_eq!(r.route(4, &prompt(0, 10)), 2);
    assert_eq!(r.route(5, &prompt(0, 10)), 1);
}

#[test]
fn random_is_seeded_and_uses_every_worker() {
    let mut a = router(RouterMode::Random, 4, 16);
    let mut b = router(RouterMode::Random, 4, 16);
    let pa: Vec<usize> = (0..200).map(|id| a.route(id, &[1])).collect();
    let pb: Vec<usize> = (0..200).map(|id| b.route(id, &[1])).collect();
    assert_eq!(pa, pb);
    for w in 0..4 {
        assert!(
            pa.iter().filter(|&&p| p == w).count() > 20,
            "worker {w} rarely chosen"
        );
    }
}

/// Block size 4, a 14-token prompt (3 full blocks + 1 partial). Worker 0 holds its first 2 blocks.
/// By hand: worker 0: prefill 14 - 8 = 6 tokens, decode blocks 0 + 3 + 1 = 4, logit 6/4 + 4 = 5.5;
/// worker 1: prefill 14, logit 14/4 + 4 = 7.5. After booking it on worker 0, the same prompt
/// costs there 6 + 6 = 12 prefill tokens and 4 active + 0 missing + 1 partial = 5 blocks, logit
/// 12/4 + 5 = 8, so the next copy goes to worker 1 (7.5).
#[test]
fn kv_cost_matches_dynamo_formula() {
    let mut r = router(RouterMode::Kv, 2, 4);
    let p = prompt(0, 14);
    r.apply_kv_events(0, &stored(&p[..8], 4));
    let costs = r.costs(&p);
    assert_eq!(costs[0].overlap_blocks, 2);
    assert_eq!((costs[0].prefill_tokens, costs[0].decode_blocks), (6, 4));
    assert_eq!((costs[1].prefill_tokens, costs[1].decode_blocks), (14, 4));
    assert_eq!((costs[0].logit, costs[1].logit), (5.5, 7.5));
    assert_eq!(r.route(1, &p), 0);
    assert_eq!(r.costs(&p)[0].logit, 8.0);
    assert_eq!(r.route(2, &p), 1);
    // The first token ends worker 0's pending prefill: 0 + 6 tokens, 5 blocks, logit 6.5.
    r.first_token(0, 1);
    assert_eq!(r.costs(&p)[0].logit, 6.5);
    // Evicting a cached block lowers the overlap.
    let hashes = sequence_block_hashes(&p, bs(4));
    r.apply_kv_events(
        0,
        &[KvEvent::Removed {
            block_hash: hashes[0],
        }],
    );
    assert_eq!(r.costs(&p)[0].overlap_blocks, 0);
}

#[test]
fn overlap_weight_scales_the_prefill_term() {
    let config = RouterConfig {
        mode: RouterMode::Kv,
        overlap_score_weight: 0.5,
        ..Default::default()
    };
    let mut r = Router::new(&config, 2, bs(4));
    let p = prompt(0, 14);
    r.apply_kv_events(0, &stored(&p[..8], 4));
    let costs = r.costs(&p);
    assert_eq!(
        (costs[0].logit, costs[1].logit),
        (0.5 * 6.0 / 4.0 + 4.0, 0.5 * 14.0 / 4.0 + 4.0)
    );
}

#[test]
fn kv_ties_go_to_the_smallest_cache_then_at_random() {
    let mut r = router(RouterMode::Kv, 3, 4);
    // Unrelated cached blocks: worker 0 holds 5, workers 1 and 2 hold 2 each.
    r.apply_kv_events(0, &stored(&prompt(10_000, 20), 4));
    r.apply_kv_events(1, &stored(&prompt(20_000, 8), 4));
    r.apply_kv_events(2, &stored(&prompt(30_000, 8), 4));
    let mut counts = [0usize; 3];
    for id in 0..200 {
        let p = prompt(40_000 + 100 * id as u32, 12);
        let costs = r.costs(&p);
        assert!(costs.iter().all(|c| c.logit == costs[0].logit), "all tied");
        let w = r.route(id, &p);
        counts[w] += 1;
        r.finished(w, id);
    }
    assert_eq!(counts[0], 0, "the largest cache never wins a tie");
    assert!(counts[1] > 60 && counts[2] > 60, "{counts:?}");
}

#[test]
fn softmax_temperature_prefers_lower_cost_in_proportion() {
    // Two workers whose logits differ by their whole range: p0/p1 = exp(1/T); T = 1 gives
    // p0 = e / (1 + e) = 0.7311.
    let config = RouterConfig {
        mode: RouterMode::Kv,
        temperature: 1.0,
        seed: 3,
        ..Default::default()
    };
    let mut r = Router::new(&config, 2, bs(4));
    let p = prompt(0, 16);
    r.apply_kv_events(0, &stored(&p, 4));
    let mut zero = 0;
    let n = 4000;
    for id in 0..n {
        let w = r.route(id, &p);
        r.finished(w, id);
        zero += usize::from(w == 0);
    }
    let share = zero as f64 / n as f64;
    assert!((share - 0.7311).abs() < 0.03, "share {share}");
}

/// End to end on the virtual clock: the first request lands on some worker and, once it has run,
/// that worker has announced its blocks; a request sharing the prefix goes there, and an
/// unrelated one then goes to the other worker (the first one is now loaded with the follow-up).
#[test]
fn kv_routing_follows_cached_prefixes_in_a_cluster() {
    let config = PoolConfig {
        engine: EngineConfig {
            block_size: bs(16),
            num_gpu_blocks: 1000,
            ..Default::default()
        },
        num_workers: 2,
        router: RouterConfig {
            mode: RouterMode::Kv,
            seed: 11,
            ..Default::default()
        },
    };
    let mut cluster = VirtualCluster::new(&config).expect("valid");
    let mut events = Vec::new();
    let shared = prompt(0, 96);
    let (_, first) = cluster.submit(Duration::ZERO, request(shared.clone(), 4), &mut events);
    cluster.run_until_idle(&mut events);
    let first = first.expect("routed at once") as usize;
    assert_eq!(cluster.router().cached_blocks(first), 6);
    assert_eq!(cluster.router().cached_blocks(1 - first), 0);

    let mut follow_up = shared;
    follow_up.extend(prompt(7000, 40));
    let t = Duration::from_secs(1);
    let (id, w) = cluster.submit(t, request(follow_up, 4), &mut events);
    assert_eq!(w, Some(first as u32));
    let (_, other) = cluster.submit(t, request(prompt(50_000, 136), 4), &mut events);
    assert_eq!(other, Some(1 - first as u32));
    cluster.run_until_idle(&mut events);
    let cached = events
        .iter()
        .find_map(|e| match &e.event {
            crate::protocol::GenerateEvent::Finished { timings, .. } if e.request == id => {
                Some(timings.cached_tokens)
            }
            _ => None,
        })
        .expect("finished");
    assert_eq!(cached, 96);
    assert_eq!(
        cluster.router().active_requests(0) + cluster.router().active_requests(1),
        0
    );
}
