//! Synthesis of 100k requests from the real conversation trace: lengths follow the source and
//! the hash ids form a tree.

use servebench_workload::synthesize::{
    RequestFilters, Synthesizer, SynthesizerConfig, SyntheticRequest,
};

use crate::trace::conversation_records;

fn synthesize(config: SynthesizerConfig, n: usize) -> (Vec<SyntheticRequest>, Synthesizer) {
    let records = conversation_records();
    let mut s = Synthesizer::learn(&records, config).expect("learns the real trace");
    let reqs = s
        .synthesize_requests(n, &RequestFilters::default(), &mut |_| {})
        .expect("synthesizes");
    (reqs, s)
}

/// Every id always follows the same predecessor, and ids that start a request never follow
/// anything: the requests' hash ids are paths of one forest.
fn assert_tree_consistent(reqs: &[SyntheticRequest]) {
    // parent[id]: UNSEEN, ROOT, or the predecessor id (a dense table: ids are small integers).
    const UNSEEN: u64 = u64::MAX;
    const ROOT: u64 = u64::MAX - 1;
    let max_id = reqs
        .iter()
        .flat_map(|r| r.hash_ids.iter())
        .copied()
        .max()
        .unwrap_or(0);
    let mut parent = vec![UNSEEN; max_id as usize + 1];
    for (k, r) in reqs.iter().enumerate() {
        let mut prev = ROOT;
        for &id in &r.hash_ids {
            let seen = &mut parent[id as usize];
            if *seen == UNSEEN {
                *seen = prev;
            }
            assert_eq!(
                *seen, prev,
                "request {k}: id {id} after {prev}, earlier after {seen}"
            );
            prev = id;
        }
    }
}

#[test]
fn hundred_thousand_requests_keep_mean_input_length_and_a_tree() {
    let records = conversation_records();
    let source_mean =
        records.iter().map(|r| r.input_length as f64).sum::<f64>() / records.len() as f64;
    let (reqs, _) = synthesize(SynthesizerConfig::default(), 100_000);
    assert_eq!(reqs.len(), 100_000);
    let mean = reqs.iter().map(|r| r.input_length as f64).sum::<f64>() / reqs.len() as f64;
    let rel = (mean - source_mean).abs() / source_mean;
    assert!(
        rel < 0.03,
        "mean ISL {mean:.1} vs source {source_mean:.1} ({:.2}%)",
        rel * 100.0
    );

    assert_tree_consistent(&reqs);
    let mut last_ts = 0;
    for r in &reqs {
        let blocks = r.hash_ids.len() as u64;
        // The last block holds 1..=512 tokens.
        assert!(
            r.input_length > (blocks - 1) * 512 && r.input_length <= blocks * 512,
            "{r:?}"
        );
        assert_eq!(
            r.unique_user_prompt_len,
            r.input_length as i64 - r.context_len as i64
        );
        assert!(r.context_len % 512 == 0 && r.context_len <= blocks * 512);
        assert!((1..=2000).contains(&r.output_length), "{r:?}");
        assert!(r.timestamp >= last_ts);
        last_ts = r.timestamp;
        // Every Mooncake row starts with the shared block 0, so every synthetic one does.
        assert_eq!(r.hash_ids[0], 0);
    }
}

#[test]
fn multipliers_keep_the_tree_and_scale_lengths() {
    let config = SynthesizerConfig {
        prefix_len_multiplier: 2.0,
        prefix_root_multiplier: 3,
        speedup_ratio: 2.0,
        ..SynthesizerConfig::default()
    };
    let (reqs, s) = synthesize(config, 20_000);
    assert_tree_consistent(&reqs);
    let span = s.next_leaf_id();
    let mut roots = [0usize; 3];
    for r in &reqs {
        // Each request lives wholly inside one copy of the id space.
        let copy = r.hash_ids[0] / span;
        assert!(r.hash_ids.iter().all(|h| h / span == copy));
        roots[copy as usize] += 1;
        // k = 2: the shared block 0 becomes a chain of two blocks with ids 1, 2.
        assert_eq!(&r.hash_ids[..2], &[copy * span + 1, copy * span + 2]);
        assert!(r.context_len >= 1024);
    }
    assert!(roots.iter().all(|&c| c > 6000), "{roots:?}");
    // Speed-up 2 halves the arrival span: the source spans ~3,537 s for 12,031 requests, so
    // 20,000 requests at double speed span about 20000/12031 * 3537/2 ~ 2,940 s.
    let span_ms = reqs.last().map_or(0, |r| r.timestamp) as f64;
    assert!((2_000_000.0..4_000_000.0).contains(&span_ms), "{span_ms}");
}
