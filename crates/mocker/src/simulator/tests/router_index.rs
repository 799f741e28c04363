//! Approximate KV indexing without KV events: the router predicts each worker's cache from its own
//! decisions, entries expire after the TTL, and the index is pruned to its size limit. All on the
//! router's virtual clock.

use std::time::Duration;

use crate::simulator::{KvEvent, Router, RouterConfig, RouterMode, sequence_block_hashes};

use super::{bs, prompt};

fn predicting(ttl_secs: u64, max_tree_size: usize, prune_target_ratio: f64) -> Router {
    let config = RouterConfig {
        mode: RouterMode::Kv,
        use_kv_events: false,
        ttl: Duration::from_secs(ttl_secs),
        max_tree_size,
        prune_target_ratio,
        seed: 1,
        ..RouterConfig::default()
    };
    Router::new(&config, 2, bs(4))
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Block size 4, a 16-token prompt (4 blocks), TTL 10 s. Routed at t=0 to worker `w`, its blocks
/// count as cached there until t=10; routed again at t=5 (cost on `w`: 0 prefill tokens + 4
/// blocks = 4; on the other: 16/4 + 4 = 8) they are refreshed until t=15, and gone at t=15.
#[test]
fn routed_blocks_count_as_cached_until_the_ttl_runs_out() {
    let mut r = predicting(10, 1 << 20, 0.8);
    let p = prompt(0, 16);
    let w = r.route_at(1, &p, secs(0.0));
    r.finished(w, 1);
    assert_eq!((r.cached_blocks(w), r.cached_blocks(1 - w)), (4, 0));
    // KV events are ignored in this mode.
    let stored: Vec<KvEvent> = sequence_block_hashes(&p, bs(4))
        .into_iter()
        .map(|block_hash| KvEvent::Stored { block_hash })
        .collect();
    r.apply_kv_events(1 - w, &stored);
    assert_eq!(r.cached_blocks(1 - w), 0);

    let costs = r.costs(&p);
    assert_eq!(costs[w].overlap_blocks, 4);
    assert_eq!((costs[w].logit, costs[1 - w].logit), (4.0, 8.0));
    assert_eq!(r.route_at(2, &p, secs(5.0)), w);
    r.finished(w, 2);

    r.advance_to(secs(14.999));
    assert_eq!(r.costs(&p)[w].overlap_blocks, 4, "refreshed at t=5");
    r.advance_to(secs(15.0));
    assert_eq!(r.costs(&p)[w].overlap_blocks, 0);
    assert_eq!(r.cached_blocks(w), 0);
}

/// Limit 10 blocks, prune target 0.5 (5 blocks). Three 4-block prompts at t=0, 1, 2 make 12 > 10
/// entries: pruning drops blocks earliest to expire first, one by one, until at most 5 are left:
/// A's 4 (8 left), then B's first 3 (5 left). C is whole; B keeps only its last block, so its
/// leading overlap is 0, like A's.
#[test]
fn the_index_is_pruned_oldest_first_to_the_target_share() {
    let mut r = predicting(100, 10, 0.5);
    let (a, b, c) = (prompt(0, 16), prompt(1000, 16), prompt(2000, 16));
    let wa = r.route_at(1, &a, secs(0.0));
    let wb = r.route_at(2, &b, secs(1.0));
    assert_eq!(r.cached_blocks(0) + r.cached_blocks(1), 8);
    let wc = r.route_at(3, &c, secs(2.0));
    assert_eq!(r.cached_blocks(0) + r.cached_blocks(1), 5);
    assert_eq!(r.costs(&c)[wc].overlap_blocks, 4);
    assert_eq!(r.costs(&a)[wa].overlap_blocks, 0);
    assert_eq!(r.costs(&b)[wb].overlap_blocks, 0);
}
