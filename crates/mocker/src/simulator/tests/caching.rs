//! Prefix caching, block events and LRU eviction.

use std::time::Duration;

use super::*;
use crate::simulator::{EngineConfig, KvEvent, sequence_block_hashes};

#[test]
fn a_repeated_prompt_hits_the_cache_for_all_its_full_blocks() {
    let config = EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 1000,
        speedup_ratio: 1.0,
        ..EngineConfig::default()
    };
    let mut e = engine(config);
    let p = prompt(0, 100);
    e.add_request(1, request(p.clone(), 2), Duration::ZERO);
    let (_, end) = run(&mut e, Duration::ZERO);
    e.add_request(2, request(p, 2), end);
    let (events, _) = run(&mut e, end);
    let t = finished(&events, 2);
    // 100 tokens = 6 full blocks of 16 (96 tokens) + a partial block that is never cached.
    assert_eq!(t.cached_tokens, 96);
    assert_close(ms(t.prefill), prefill_poly(4.0));
    assert_close(ms(token_times(&events, 2)[0] - end), prefill_poly(4.0));
    let m = e.metrics();
    assert_eq!(
        (m.prefix_cache_queries_tokens, m.prefix_cache_hits_tokens),
        (200, 96)
    );
    assert_eq!(m.prompt_tokens_total, 200);
}

#[test]
fn a_shared_prefix_hits_only_its_leading_full_blocks() {
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 1000,
        ..Default::default()
    });
    let mut a = prompt(0, 64);
    a.extend(prompt(5000, 30));
    let mut b = prompt(0, 40);
    b.extend(prompt(9000, 60));
    e.add_request(1, request(a, 1), Duration::ZERO);
    let (_, end) = run(&mut e, Duration::ZERO);
    e.add_request(2, request(b, 1), end);
    let (events, _) = run(&mut e, end);
    // b shares tokens 0..40 with a: blocks 0 and 1 (0..32) are identical, block 2 differs.
    assert_eq!(finished(&events, 2).cached_tokens, 32);
}

#[test]
fn full_blocks_are_announced_when_computed() {
    let mut e = engine(EngineConfig {
        block_size: bs(4),
        num_gpu_blocks: 100,
        ..Default::default()
    });
    let p = prompt(0, 10);
    e.add_request(1, request(p.clone(), 3), Duration::ZERO);
    let out = e.step(Duration::ZERO).clone();
    let hashes = sequence_block_hashes(&p, bs(4));
    assert_eq!(
        out.kv_events,
        vec![
            KvEvent::Stored {
                block_hash: hashes[0]
            },
            KvEvent::Stored {
                block_hash: hashes[1]
            }
        ],
        "two full blocks of the 10-token prompt; the partial third is not announced"
    );
    // Decode computes token 11 (position 10), then token 12 fills the third block.
    assert!(e.step(out.end).kv_events.is_empty());
}

/// A 8-block cache of 4-token blocks. Three 8-token prompts run one after another and leave 6
/// cached blocks; a 16-token prompt then needs 4 slots, 2 free plus the 2 least recently released:
/// both blocks of the first prompt (its tail block first). The second and third prompts still hit
/// fully, the first not at all.
#[test]
fn eviction_is_lru() {
    let mut e = engine(EngineConfig {
        block_size: bs(4),
        num_gpu_blocks: 8,
        watermark: 0.0,
        speedup_ratio: 0.0,
        ..EngineConfig::default()
    });
    let prompts: Vec<Vec<u32>> = (0..3).map(|i| prompt(100 * i, 8)).collect();
    for (id, p) in (1u64..).zip(&prompts) {
        e.add_request(id, request(p.clone(), 1), Duration::ZERO);
        let _ = run(&mut e, Duration::ZERO);
    }
    assert_eq!(e.metrics().kv_blocks_cached, 6);
    e.add_request(4, request(prompt(1000, 16), 1), Duration::ZERO);
    let out = e.step(Duration::ZERO).clone();
    let first = sequence_block_hashes(&prompts[0], bs(4));
    let removed: Vec<&KvEvent> = out
        .kv_events
        .iter()
        .filter(|ev| matches!(ev, KvEvent::Removed { .. }))
        .collect();
    assert_eq!(
        removed,
        vec![
            &KvEvent::Removed {
                block_hash: first[1]
            },
            &KvEvent::Removed {
                block_hash: first[0]
            }
        ]
    );
    let mut cached = Vec::new();
    for (id, p) in [(5u64, &prompts[1]), (6, &prompts[2]), (7, &prompts[0])] {
        e.add_request(id, request(p.clone(), 1), Duration::ZERO);
        let (events, _) = run(&mut e, Duration::ZERO);
        cached.push(finished(&events, id).cached_tokens);
    }
    assert_eq!(cached, vec![8, 8, 0]);
}

#[test]
fn without_prefix_caching_nothing_is_reused() {
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 100,
        enable_prefix_caching: false,
        ..EngineConfig::default()
    });
    for id in 1..=2 {
        e.add_request(id, request(prompt(0, 64), 1), Duration::ZERO);
        let (events, _) = run(&mut e, Duration::ZERO);
        assert_eq!(finished(&events, id).cached_tokens, 0);
    }
    assert_eq!(e.metrics().kv_blocks_cached, 0);
}

/// A prompt whose every block is cached still takes one prefill step, charged at the
/// polynomial's constant term: prefill(0) = 16.50142 ms. This is what Dynamo 1.6.1's mocker
/// shows: its TTFT for a repeated 8,000- or 16,000-token prompt (whole blocks of 16) is ~20 ms
/// over a fresh connection, i.e. this 16.5 ms plus ~4 ms of HTTP, frontend and router; with its
/// frontend's tokenizer cache off the same rows take 44-113 ms (docs/performance.md).
#[test]
fn a_fully_cached_prompt_costs_the_prefill_constant() {
    let config = EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 1000,
        speedup_ratio: 1.0,
        ..EngineConfig::default()
    };
    let mut e = engine(config);
    let p = prompt(0, 96); // exactly 6 blocks of 16
    e.add_request(1, request(p.clone(), 2), Duration::ZERO);
    let (_, end) = run(&mut e, Duration::ZERO);
    e.add_request(2, request(p, 2), end);
    let (events, _) = run(&mut e, end);
    let t = finished(&events, 2);
    assert_eq!(t.cached_tokens, 96);
    // By hand: 4.209989e-7 * 0 + 1.518344e-2 * 0 + 16.50142.
    assert_close(ms(t.prefill), 16.50142);
    assert_close(ms(token_times(&events, 2)[0] - end), 16.50142);
}
