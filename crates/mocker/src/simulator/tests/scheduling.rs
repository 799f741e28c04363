//! Step timing, batching budgets and preemption.

use std::time::Duration;

use super::*;
use crate::simulator::{EngineConfig, PreemptionMode};

#[test]
fn lone_request_ttft_is_prefill_polynomial_and_decode_follows_kv_usage() {
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 1000,
        speedup_ratio: 2.0,
        ..EngineConfig::default()
    });
    assert!(e.add_request(7, request(prompt(0, 111), 3), Duration::ZERO));
    let (events, _) = run(&mut e, Duration::ZERO);
    let times = token_times(&events, 7);
    assert_eq!(times.len(), 3);
    // 111 uncached tokens, one prefill: 0.0051870... + 1.68536184 + 16.50142 = 18.1919689 ms, / 2.
    let ttft = prefill_poly(111.0) / 2.0;
    assert!((ttft - 9.09598).abs() < 1e-5, "hand value {ttft}");
    assert_close(ms(times[0]), ttft);
    // Decode 1 computes token 112: 7 blocks of 16 active of 1000, p = 0.007.
    let d1 = decode_poly(7.0 / 1000.0) / 2.0;
    // Decode 2 computes token 113: an 8th block, p = 0.008.
    let d2 = decode_poly(8.0 / 1000.0) / 2.0;
    assert!((d1 - 3.058404).abs() < 1e-6 && (d2 - 3.085216).abs() < 1e-6);
    assert_close(ms(times[1] - times[0]), d1);
    assert_close(ms(times[2] - times[1]), d2);
    let t = finished(&events, 7);
    assert_eq!(
        (t.prompt_tokens, t.cached_tokens, t.queue_wait),
        (111, 0, Duration::ZERO)
    );
    assert_close(ms(t.prefill), ttft);
}

#[test]
fn decode_speedup_divides_only_decode_and_zero_speedup_means_no_delay() {
    let config = EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 100,
        speedup_ratio: 1.0,
        decode_speedup_ratio: 4.0,
        ..EngineConfig::default()
    };
    let mut e = engine(config.clone());
    e.add_request(1, request(prompt(0, 32), 2), Duration::ZERO);
    let (events, _) = run(&mut e, Duration::ZERO);
    let times = token_times(&events, 1);
    assert_close(ms(times[0]), prefill_poly(32.0));
    // Token 33 needs a third block: p = 3/100.
    assert_close(ms(times[1] - times[0]), decode_poly(0.03) / 4.0);

    let mut e = engine(EngineConfig {
        speedup_ratio: 0.0,
        ..config
    });
    e.add_request(1, request(prompt(0, 32), 5), Duration::ZERO);
    let (events, end) = run(&mut e, Duration::ZERO);
    assert_eq!(token_times(&events, 1).len(), 5);
    assert_eq!(end, Duration::ZERO);
}

#[test]
fn queue_wait_counts_time_before_first_schedule() {
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 100,
        ..Default::default()
    });
    e.add_request(1, request(prompt(0, 10), 1), Duration::from_millis(3));
    let (events, _) = run(&mut e, Duration::from_millis(5));
    let t = finished(&events, 1);
    assert_eq!(t.queue_wait, Duration::from_millis(2));
    assert_close(ms(t.prefill), prefill_poly(10.0));
}

#[test]
fn chunked_prefill_splits_a_long_prompt_within_the_token_budget() {
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 1000,
        max_num_batched_tokens: 64,
        ..EngineConfig::default()
    });
    e.add_request(1, request(prompt(0, 200), 1), Duration::ZERO);
    let mut chunks = Vec::new();
    let mut now = Duration::ZERO;
    while e.has_work() {
        let out = e.step(now).clone();
        chunks.push(out.prefill_tokens);
        now = out.end;
    }
    assert_eq!(chunks, vec![64, 64, 64, 8]);
    // Each chunk is timed as its own prefill of the new tokens.
    assert_close(ms(now), 3.0 * prefill_poly(64.0) + prefill_poly(8.0));
}

#[test]
fn chunked_prefill_shares_the_budget_with_decodes() {
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 1000,
        max_num_batched_tokens: 64,
        ..EngineConfig::default()
    });
    e.add_request(1, request(prompt(0, 10), 50), Duration::ZERO);
    let first = e.step(Duration::ZERO).end;
    e.add_request(2, request(prompt(1000, 200), 1), first);
    let out = e.step(first).clone();
    assert_eq!((out.decodes, out.prefills, out.prefill_tokens), (1, 1, 63));
    // Both parts of the step are timed: prefill of 63 tokens plus decode at p = 1 + 4 blocks of 1000
    // (request 1 holds one block; request 2's 63 tokens take four).
    assert_close(
        ms(out.end - out.start),
        prefill_poly(63.0) + decode_poly(5.0 / 1000.0),
    );
}

#[test]
fn without_chunked_prefill_a_prompt_must_fit_whole() {
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 1000,
        max_num_batched_tokens: 64,
        enable_chunked_prefill: false,
        ..EngineConfig::default()
    });
    e.add_request(1, request(prompt(0, 50), 5), Duration::ZERO);
    e.add_request(2, request(prompt(100, 50), 5), Duration::ZERO);
    let out = e.step(Duration::ZERO).clone();
    assert_eq!(
        (out.prefills, out.prefill_tokens),
        (1, 50),
        "50 + 50 > 64: the second waits"
    );
    let now = out.end;
    let out = e.step(now).clone();
    assert_eq!((out.decodes, out.prefills, out.prefill_tokens), (1, 1, 50));
    // A prompt larger than the whole budget still runs, alone, rather than being lost.
    e.add_request(3, request(prompt(500, 100), 1), Duration::ZERO);
    let (events, _) = run(&mut e, Duration::from_secs(1));
    assert_eq!(token_times(&events, 3).len(), 1);
}

#[test]
fn max_num_seqs_caps_the_running_batch() {
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 1000,
        max_num_seqs: 2,
        ..EngineConfig::default()
    });
    for id in 0..3 {
        e.add_request(id, request(prompt(100 * id as u32, 20), 4), Duration::ZERO);
    }
    let out = e.step(Duration::ZERO).clone();
    assert_eq!(out.prefills, 2);
    assert_eq!((e.num_running(), e.num_waiting()), (2, 1));
    let (events, _) = run(&mut e, out.end);
    assert_eq!(token_times(&events, 2).len(), 4);
}

/// Two requests of 8 prompt tokens and 20 output tokens on a 10-block cache of 4-token blocks.
/// By hand: both prefill in step 1 (token 1 each), decode step s computes token 8+s-1 and needs
/// ceil((7+s)/4) blocks per request; 2*5 blocks fit, so at step 14 the first request's sixth block
/// does not fit and the last admitted request (lifo) is preempted after 13 tokens. It waits until
/// the first finishes at step 20 (it needs 6 blocks, only 4 are free), then recomputes its 21
/// tokens, 12 of them from its 3 cached blocks (the first request's growth evicted 2 of its 5,
/// tail first), and finishes its last 7 tokens.
#[test]
fn block_pressure_preempts_and_every_request_recovers() {
    for mode in [PreemptionMode::Lifo, PreemptionMode::Fifo] {
        let mut e = engine(EngineConfig {
            block_size: bs(4),
            num_gpu_blocks: 10,
            watermark: 0.0,
            preemption_mode: mode,
            speedup_ratio: 0.0,
            ..EngineConfig::default()
        });
        e.add_request(1, request(prompt(0, 8), 20), Duration::ZERO);
        e.add_request(2, request(prompt(100, 8), 20), Duration::ZERO);
        let mut preempted_at = Vec::new();
        let mut tokens = [0u32; 3];
        let mut finish_step = [0usize; 3];
        let mut step = 0;
        while e.has_work() {
            step += 1;
            assert!(step < 1000);
            let out = e.step(Duration::ZERO).clone();
            if out.preemptions > 0 {
                preempted_at.push((step, out.preemptions));
            }
            for (id, ev) in &out.events {
                match ev {
                    GenerateEvent::Token { .. } => tokens[*id as usize] += 1,
                    GenerateEvent::Finished { .. } => finish_step[*id as usize] = step,
                }
            }
        }
        assert_eq!(tokens[1..], [20, 20], "{mode:?}: no token lost");
        let m = e.metrics();
        assert_eq!(m.requests_finished_total, 2);
        assert_eq!((m.kv_blocks_active, m.requests_running), (0, 0));
        match mode {
            PreemptionMode::Lifo => {
                assert_eq!(preempted_at, vec![(14, 1)]);
                assert_eq!(finish_step[1..], [20, 27]);
                assert_eq!(m.prefix_cache_hits_tokens, 12);
                assert_eq!(m.prefix_cache_queries_tokens, 8 + 8 + 21);
                assert_eq!(m.preemptions_total, 1);
            }
            PreemptionMode::Fifo => {
                // The oldest (request 1) is the victim; request 2 runs on and finishes first.
                assert_eq!(preempted_at, vec![(14, 1)]);
                assert!(finish_step[2] < finish_step[1]);
            }
        }
    }
}

#[test]
fn a_request_larger_than_the_cache_ends_instead_of_blocking_the_queue() {
    let mut e = engine(EngineConfig {
        block_size: bs(4),
        num_gpu_blocks: 4,
        speedup_ratio: 0.0,
        ..EngineConfig::default()
    });
    e.add_request(1, request(prompt(0, 40), 3), Duration::ZERO);
    e.add_request(2, request(prompt(100, 4), 3), Duration::ZERO);
    let (events, _) = run(&mut e, Duration::ZERO);
    assert_eq!(token_times(&events, 1).len(), 0);
    let _ = finished(&events, 1);
    assert_eq!(token_times(&events, 2).len(), 3);
    assert_eq!(e.metrics().requests_truncated_total, 1);
}

#[test]
fn cancel_releases_blocks_at_once() {
    let mut e = engine(EngineConfig {
        block_size: bs(4),
        num_gpu_blocks: 100,
        ..Default::default()
    });
    e.add_request(1, request(prompt(0, 10), 100), Duration::ZERO);
    e.add_request(2, request(prompt(100, 10), 100), Duration::ZERO);
    let _ = e.step(Duration::ZERO);
    assert_eq!(e.metrics().kv_blocks_active, 6);
    assert!(e.cancel(1));
    assert!(!e.cancel(1));
    assert_eq!(e.metrics().kv_blocks_active, 3);
    assert_eq!(e.metrics().requests_cancelled_total, 1);
}

/// The rules behind a burst, as Dynamo 1.6.1's mocker shows them (32 prompts of 1000 tokens sent at
/// once, measured against both engines: first tokens arrive in groups of 8 per ~175 ms step, see
/// docs/performance.md): requests are admitted only between steps, in arrival order; running
/// requests (decodes, then a partly prefilled prompt) take the 8192-token budget first; the rest
/// goes to waiting prompts, the last one chunked; a step costs prefill(new tokens) plus decode at
/// the KV usage; a prompt's first token comes at the end of the step that completes it.
#[test]
fn a_burst_is_prefilled_in_arrival_order_eight_prompts_per_step() {
    let capacity = 16384.0;
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 16384,
        ..EngineConfig::default()
    });
    e.add_request(1, request(prompt(0, 1000), 50), Duration::ZERO);
    // Step 1: request 1 alone (the others arrive 1 ms later, during the step).
    let s1 = e.step(Duration::ZERO).clone();
    assert_eq!(s1.first_tokens, vec![1]);
    assert_close(ms(s1.end), prefill_poly(1000.0));
    for id in 2..=32u64 {
        let base = id as u32 * 10_000;
        e.add_request(
            id,
            request(prompt(base, 1000), 50),
            Duration::from_millis(1),
        );
    }
    // Step 2: 1 decode + 8191 prompt tokens: requests 2-9 whole, request 10's first 191.
    // Blocks: request 1 holds 1001 tokens = 63, requests 2-9 63 each, request 10 12 (191 tokens).
    let s2 = e.step(s1.end).clone();
    assert_eq!(s2.first_tokens, (2..=9).collect::<Vec<_>>());
    assert_eq!((s2.decodes, s2.prefills, s2.prefill_tokens), (1, 9, 8191));
    let blocks2 = 63.0 + 8.0 * 63.0 + 12.0;
    assert_close(
        ms(s2.end - s2.start),
        prefill_poly(8191.0) + decode_poly(blocks2 / capacity),
    );
    // Step 3: 9 decodes, request 10's other 809 tokens first, then requests 11-17 whole and
    // request 18's first 374 (8192 - 9 - 809 - 7000). Blocks: 9 decoders and requests 10-17 hold
    // 63 each, request 18 24 (374 tokens).
    let s3 = e.step(s2.end).clone();
    assert_eq!(s3.first_tokens, (10..=17).collect::<Vec<_>>());
    assert_eq!((s3.decodes, s3.prefills, s3.prefill_tokens), (9, 9, 8183));
    let blocks3 = 17.0 * 63.0 + 24.0;
    assert_close(
        ms(s3.end - s3.start),
        prefill_poly(8183.0) + decode_poly(blocks3 / capacity),
    );
    // Steps of ~175 ms, as measured on Dynamo (157-182 ms between groups of first tokens).
    assert!((170.0..180.0).contains(&ms(s3.end - s3.start)));
    // Requests 18-32 are still waiting or part-prefilled: no token yet.
    let (events, _) = run(&mut e, s3.end);
    for id in 18..=32u64 {
        assert!(token_times(&events, id)[0] > s3.end);
    }
}
