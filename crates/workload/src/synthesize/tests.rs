//! The synthesizer end to end on the seven-row trace of `tree_tests.rs` (block size 4).

use std::collections::HashMap;

use super::*;

/// Rows (timestamp, input, output, raw ids). Last-block fill = input − (blocks − 1)·4:
/// A 18-16 = 2, B 16-12 = 4, C 9-8 = 1, D 7-4 = 3, E 14-12 = 2, F 4-0 = 4, G 6-4 = 2.
fn trace() -> Vec<MooncakeRecord> {
    let rows: [(u64, u64, u64, &[u64]); 7] = [
        (0, 18, 5, &[10, 11, 12, 13, 14]),
        (0, 16, 7, &[10, 11, 12, 15]),
        (100, 9, 5, &[10, 11, 12]),
        (250, 7, 9, &[20, 21]),
        (250, 14, 5, &[20, 21, 22, 23]),
        (250, 4, 7, &[30]),
        (1000, 6, 5, &[30, 11]),
    ];
    rows.iter()
        .map(|(t, i, o, ids)| MooncakeRecord::new(Some(*t), *i, *o, ids.to_vec()))
        .collect()
}

fn config() -> SynthesizerConfig {
    SynthesizerConfig {
        block_size: 4,
        ..SynthesizerConfig::default()
    }
}

#[test]
fn learned_core_tree_matches_the_hand_contraction() {
    let s = Synthesizer::learn(&trace(), config()).expect("learns");
    let nodes = s.core_nodes();
    // See tree_tests.rs: S -> 2 (len 3, 3/7), 7 (len 2, 2/7), 10 (len 1, 2/7).
    assert_eq!(nodes.len(), 4);
    let root_children: Vec<u64> = nodes[0].children.iter().map(|c| c.0).collect();
    assert_eq!(root_children, vec![2, 7, 10]);
    assert!((nodes[0].children[0].1 - 3.0 / 7.0).abs() < 1e-15);
    assert_eq!((nodes[1].id, nodes[1].length), (Some(2), 3));
    assert!((nodes[1].leaf - 2.0 / 3.0).abs() < 1e-15 && (nodes[1].stop - 1.0 / 3.0).abs() < 1e-15);
    assert_eq!(s.next_leaf_id(), 12);
    assert_eq!(
        s.core_tree_summary(),
        CoreTreeSummary {
            size: 3,
            depth: 1,
            leaf_samples: 4
        }
    );
}

#[test]
fn synthesized_requests_follow_the_tree() {
    let mut s = Synthesizer::learn(&trace(), config()).expect("learns");
    let n = 21_000;
    let reqs = s
        .synthesize_requests(n, &RequestFilters::default(), &mut |_| {})
        .expect("synthesizes");
    assert_eq!(reqs.len(), n);
    let mut branch = [0usize; 3];
    let mut next_leaf = 12;
    for r in &reqs {
        // Core prefix is one of the three chains, then optionally a fresh leaf of length 1 or
        // 2 (leaf samples [2, 1, 2, 1]) whose ids continue the global counter.
        let (core, k) = match r.hash_ids.first() {
            Some(0) => (vec![0, 1, 2], 0),
            Some(6) => (vec![6, 7], 1),
            Some(10) => (vec![10], 2),
            other => panic!("unexpected first id {other:?}"),
        };
        branch[k] += 1;
        assert_eq!(&r.hash_ids[..core.len()], core.as_slice());
        assert_eq!(r.context_len, core.len() as u64 * 4);
        let leaf = &r.hash_ids[core.len()..];
        match leaf.len() {
            0 => assert_eq!(r.input_length, core.len() as u64 * 4),
            1 | 2 => {
                assert_eq!(leaf[0], next_leaf);
                next_leaf += leaf.len() as u64;
                // (blocks − 1)·4 + fill, fill in {1, 2, 3, 4}.
                let base = (r.hash_ids.len() as u64 - 1) * 4;
                assert!((base + 1..=base + 4).contains(&r.input_length), "{r:?}");
            }
            _ => panic!("leaf longer than any sample: {r:?}"),
        }
        assert_eq!(
            r.unique_user_prompt_len,
            r.input_length as i64 - r.context_len as i64
        );
        assert!([5, 7, 9].contains(&r.output_length));
    }
    // Branch probabilities 3/7, 2/7, 2/7 over 21000 paths: expectations 9000, 6000, 6000,
    // binomial sd <= 72; allow 5 sd.
    for (got, want) in branch.iter().zip([9000.0, 6000.0, 6000.0]) {
        assert!((*got as f64 - want).abs() < 360.0, "{branch:?}");
    }
}

#[test]
fn timestamps_use_counts_and_gaps_with_speedup() {
    let mut cfg = config();
    cfg.speedup_ratio = 4.0;
    let mut s = Synthesizer::learn(&trace(), cfg).expect("learns");
    let reqs = s
        .synthesize_requests(5000, &RequestFilters::default(), &mut |_| {})
        .expect("synthesizes");
    // Requests per distinct timestamp are in {1, 2, 3}; positive gaps {100, 150, 750} / 4 are
    // rounded half-to-even: 25, 37.5 -> 38, 187.5 -> 188.
    let mut per_ts: HashMap<u64, usize> = HashMap::new();
    for r in &reqs {
        *per_ts.entry(r.timestamp).or_default() += 1;
    }
    let mut stamps: Vec<u64> = per_ts.keys().copied().collect();
    stamps.sort_unstable();
    assert_eq!(stamps[0], 0);
    for w in stamps.windows(2) {
        assert!(
            [25, 38, 188].contains(&(w[1] - w[0])),
            "gap {}",
            w[1] - w[0]
        );
    }
    let last = stamps.last().copied().unwrap_or(0);
    for (t, c) in per_ts {
        // The final interval may be cut short when the request budget runs out.
        assert!(
            (1..=3).contains(&c) || (t == last && c < 3),
            "{c} requests at {t}"
        );
    }
}

#[test]
fn filters_skip_inputs_and_clip_outputs() {
    let mut s = Synthesizer::learn(&trace(), config()).expect("learns");
    let filters = RequestFilters {
        max_isl: Some(12),
        min_isl: Some(5),
        min_osl: Some(6),
        max_osl: Some(8),
    };
    let reqs = s
        .synthesize_requests(2000, &filters, &mut |_| {})
        .expect("ok");
    assert_eq!(reqs.len(), 2000);
    assert!(reqs.iter().all(|r| (5..=12).contains(&r.input_length)));
    // Outputs {5, 7, 9} clipped to [6, 8] -> {6, 7, 8}.
    assert!(reqs.iter().all(|r| [6, 7, 8].contains(&r.output_length)));
    let impossible = RequestFilters {
        max_isl: Some(1),
        ..RequestFilters::default()
    };
    let err = s.synthesize_requests(1, &impossible, &mut |_| {});
    assert!(matches!(
        err,
        Err(SynthesizeError::FiltersRejectEverything { .. })
    ));
    assert_eq!(
        err.err().map(|e| e.to_string()).unwrap_or_default(),
        "1000000 consecutive synthesized requests were rejected by the input-length filters \
         (`min_isl` none, `max_isl` 1); loosen them"
    );
}

#[test]
fn crossed_filters_are_refused_before_any_draw() {
    let mut s = Synthesizer::learn(&trace(), config()).expect("learns");
    let crossed = RequestFilters {
        min_isl: Some(20),
        max_isl: Some(10),
        ..RequestFilters::default()
    };
    let mut draws = 0;
    let err = s.synthesize_requests(5, &crossed, &mut |_| draws += 1);
    assert_eq!(
        err.err().map(|e| e.to_string()).unwrap_or_default(),
        "invalid setting `min_isl`: must not exceed `max_isl` (20 > 10)"
    );
    assert_eq!(draws, 0);
    let osl = RequestFilters {
        min_osl: Some(9),
        max_osl: Some(8),
        ..RequestFilters::default()
    };
    assert!(matches!(
        osl.validate(),
        Err(SynthesizeError::InvalidConfig {
            name: "min_osl",
            ..
        })
    ));
}

#[test]
fn out_of_order_rows_are_reported() {
    let mut rows = trace();
    assert!(
        Synthesizer::learn(&rows, config())
            .expect("learns")
            .out_of_order_rows()
            .is_empty()
    );
    // Row 1 is an outlier far in the future: row 2 then goes back in time.
    rows[1].timestamp = Some(1_000_000);
    let s = Synthesizer::learn(&rows, config()).expect("learns");
    assert_eq!(s.out_of_order_rows(), &[2]);
}

#[test]
fn multipliers_and_root_copies() {
    let mut cfg = config();
    cfg.prefix_root_multiplier = 3;
    cfg.osl_multiplier = 1.5;
    cfg.prompt_len_multiplier = 2.5;
    let mut s = Synthesizer::learn(&trace(), cfg).expect("learns");
    let reqs = s
        .synthesize_requests(3000, &RequestFilters::default(), &mut |_| {})
        .expect("ok");
    let span = s.next_leaf_id();
    let mut copies = [0usize; 3];
    for r in &reqs {
        // Outputs int({5, 7, 9} * 1.5) = {7, 10, 13}.
        assert!([7, 10, 13].contains(&r.output_length), "{r:?}");
        let copy = (r.hash_ids[0] / span) as usize;
        copies[copy] += 1;
        // The whole request is shifted into one copy.
        assert!(r.hash_ids.iter().all(|&h| h / span == copy as u64));
        // Leaf lengths [2, 1, 2, 1] * 2.5 = [5, 2.5, 5, 2.5] -> round half even -> {5, 2}.
        let first = r.hash_ids[0] % span;
        let core = match first {
            0 => 3,
            6 => 2,
            10 => 1,
            other => panic!("first id {other}"),
        };
        assert!([0, 2, 5].contains(&(r.hash_ids.len() - core)), "{r:?}");
    }
    // Uniform copies: 1000 each, sd ~26.
    assert!(
        copies.iter().all(|&c| (870..=1130).contains(&c)),
        "{copies:?}"
    );
}

#[test]
fn same_seed_same_output_other_seed_differs() {
    let run = |seed| {
        let mut cfg = config();
        cfg.seed = seed;
        let mut s = Synthesizer::learn(&trace(), cfg).expect("learns");
        s.synthesize_requests(200, &RequestFilters::default(), &mut |_| {})
            .expect("ok")
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn bad_inputs_are_errors() {
    let mut rows = trace();
    // 30 tokens cannot end in the second of two 4-token blocks.
    rows[3] = MooncakeRecord::new(Some(250), 30, 9, vec![20, 21]);
    let err = Synthesizer::learn(&rows, config()).expect_err("invalid row");
    assert_eq!(
        err,
        SynthesizeError::BlockMismatch {
            count: 1,
            block_size: 4,
            first_row: 3,
            input_length: 30,
            blocks: 2
        }
    );
    let mut lenient = config();
    lenient.skip_invalid_rows = true;
    let s = Synthesizer::learn(&rows, lenient).expect("skips the row");
    assert_eq!(s.skipped_rows(), &[3]);
    assert_eq!(
        Synthesizer::learn(&[], config()).err(),
        Some(SynthesizeError::EmptyTrace)
    );
    let mut no_ts = trace();
    no_ts[1].timestamp = None;
    assert_eq!(
        Synthesizer::learn(&no_ts, config()).err(),
        Some(SynthesizeError::MissingTimestamp { row: 1 })
    );
    let mut bad = config();
    bad.speedup_ratio = 0.0;
    assert!(matches!(
        Synthesizer::learn(&trace(), bad),
        Err(SynthesizeError::InvalidConfig {
            name: "speedup_ratio",
            ..
        })
    ));
}
