//! The analyzer on a five-row trace worked out by hand (block size 4).

use super::*;

fn row(input: u64, output: u64, hash_ids: &[u64]) -> MooncakeRecord {
    MooncakeRecord::new(Some(0), input, output, hash_ids.to_vec())
}

/// Block size 4. Rows (input, output, hash_ids):
///   R0 (10, 5, [1, 2, 3])   R1 (7, 3, [1, 2])   R2 (12, 8, [1, 4, 5])
///   R3 (6, 1, [2, 6])       R4 (0, 2, [])
///
/// (position, id) pair counts: (0,1)×3, (1,2)×2, every other pair once. Note (0,2) in R3 is
/// not repeated although id 2 occurs three times: pairs, not ids, are counted.
fn analysis() -> PrefixAnalysis {
    let mut analyzer = PrefixAnalyzer::new(4);
    for r in [
        row(10, 5, &[1, 2, 3]),
        row(7, 3, &[1, 2]),
        row(12, 8, &[1, 4, 5]),
        row(6, 1, &[2, 6]),
        row(0, 2, &[]),
    ] {
        analyzer.push(&r);
    }
    analyzer.finish()
}

#[test]
fn per_row_context_and_unique_lengths() {
    let a = analysis();
    // R0: 2 repeated pairs -> context 2*4 = 8, unique 10-8 = 2.
    // R1: all pairs repeated -> context = input = 7, unique 0 (not 2*4 = 8).
    // R2: 1 repeated pair -> context 4, unique 8.
    // R3: no repeated pair -> context 0, unique 6.
    // R4: no blocks: "all pairs repeated" holds vacuously -> context = input = 0, unique 0.
    assert_eq!(a.context_lengths, vec![8, 7, 4, 0, 0]);
    assert_eq!(a.unique_prompt_lengths, vec![2, 0, 8, 6, 0]);
    assert_eq!(a.distinct_pairs, 7);
    assert_eq!(a.repeated_pairs, 2);
    assert!(a.prefix_exceeds_input.is_empty());
    assert!(a.too_few_blocks.is_empty());
}

#[test]
fn hit_rates_follow_file_order_and_skip_empty_rows() {
    let a = analysis();
    // R0: nothing seen -> 0/3. R1: 1, 2 seen -> 2/2. R2: 1 seen, 4 new -> 1/3.
    // R3: 2 seen (id, not pair, for the cache), 6 new -> 1/2. R4: no blocks, skipped.
    assert_eq!(a.hit_rates, vec![0.0, 1.0, 1.0 / 3.0, 0.5]);
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

fn assert_stats(got: &Option<SummaryStats>, want: [f64; 7]) {
    let got = got.expect("metric has values").columns();
    for (g, w) in got.iter().zip(want) {
        assert!(close(*g, w), "got {got:?}, want {want:?}");
    }
}

#[test]
fn summary_statistics_by_hand() {
    let s = analysis().summary();
    let names: Vec<&str> = s.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ANALYSIS_METRICS);
    // Input [10, 7, 12, 6, 0]: mean 35/5 = 7; deviations 3, 0, 5, -1, -7 -> squares sum 84,
    // population variance 16.8. Sorted [0, 6, 7, 10, 12]: n-1 = 4, so P25/50/75 sit on
    // ranks 1, 2, 3 exactly.
    assert_stats(
        &s[0].stats,
        [7.0, 16.8f64.sqrt(), 0.0, 6.0, 7.0, 10.0, 12.0],
    );
    // Context [8, 7, 4, 0, 0]: mean 3.8; squares 17.64+10.24+0.04+14.44+14.44 = 56.8 -> 11.36.
    assert_stats(&s[1].stats, [3.8, 11.36f64.sqrt(), 0.0, 0.0, 4.0, 7.0, 8.0]);
    // Unique [2, 0, 8, 6, 0]: mean 3.2; squares 1.44+10.24+23.04+7.84+10.24 = 52.8 -> 10.56.
    assert_stats(&s[2].stats, [3.2, 10.56f64.sqrt(), 0.0, 0.0, 2.0, 6.0, 8.0]);
    // Output [5, 3, 8, 1, 2]: mean 3.8; squares 1.44+0.64+17.64+7.84+3.24 = 30.8 -> 6.16.
    assert_stats(&s[3].stats, [3.8, 6.16f64.sqrt(), 1.0, 2.0, 3.0, 5.0, 8.0]);
    // Hit rates [0, 1, 1/3, 1/2]: mean (1 + 1/3 + 1/2)/4 = 11/24. Deviations in 24ths:
    // -11, 13, -3, 1 -> squares 300/576, /4 = 75/576, std = sqrt(75)/24.
    // Sorted [0, 1/3, 1/2, 1], n-1 = 3: P25 rank 0.75 -> 0.75*(1/3) = 1/4;
    // median rank 1.5 -> 1/3 + (1/2-1/3)/2 = 5/12; P75 rank 2.25 -> 1/2 + (1/2)/4 = 5/8.
    assert_stats(
        &s[4].stats,
        [
            11.0 / 24.0,
            75f64.sqrt() / 24.0,
            0.0,
            0.25,
            5.0 / 12.0,
            0.625,
            1.0,
        ],
    );
    assert_eq!(s[4].stats.map(|x| x.count), Some(4));
}

#[test]
fn warnings_for_rows_breaking_the_block_invariant() {
    let mut analyzer = PrefixAnalyzer::new(4);
    // 9 tokens cannot fit in 2 blocks of 4.
    analyzer.push(&row(9, 1, &[1, 2]));
    // Shares pair (0,1) with the row above but not (1,3): context 1*4 = 4 > input 3.
    analyzer.push(&row(3, 1, &[1, 3]));
    let a = analyzer.finish();
    assert_eq!(a.too_few_blocks, vec![0]);
    assert_eq!(a.prefix_exceeds_input, vec![1]);
    assert_eq!(a.unique_prompt_lengths, vec![5, -1]);
}
