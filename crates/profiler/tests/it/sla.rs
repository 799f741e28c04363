//! The SLA analysis on hand-made measurements, with the expected picks worked out by hand.

use servebench_profiler::sla::{
    Candidate, CandidateResult, DecodePoint, SlaSettings, analyze, summary,
};

fn candidate(
    label: &str,
    gpus: u64,
    prefill: (f64, f64),
    decode: &[(u64, f64, f64)],
) -> CandidateResult {
    CandidateResult {
        candidate: Candidate {
            label: label.into(),
            gpus,
            max_kv_tokens: 100_000,
        },
        prefill: Some(prefill),
        decode: decode
            .iter()
            .map(|&(concurrency, itl_ms, thpt_per_gpu)| DecodePoint {
                concurrency,
                itl_ms,
                thpt_per_gpu,
            })
            .collect(),
    }
}

fn settings(ttft: f64, itl: f64) -> SlaSettings {
    SlaSettings {
        isl: 3000,
        osl: 500,
        ttft_ms: ttft,
        itl_ms: itl,
        decode_granularity: 6,
        gpu_cost_per_hour: 3.0,
        seed: 0,
    }
}

#[test]
fn the_rule_picks_the_best_throughput_within_the_targets() {
    let results = [
        candidate(
            "tp1",
            1,
            (80.0, 37_500.0),
            &[(1, 8.0, 120.0), (10, 14.0, 700.0)],
        ),
        candidate(
            "tp2",
            2,
            (45.0, 33_333.0),
            &[(1, 6.0, 90.0), (10, 9.0, 500.0), (40, 11.0, 900.0)],
        ),
    ];
    let s = settings(50.0, 10.0);
    let report = analyze(&results, &s).unwrap();
    // Prefill: only tp2 (45 ms) meets 50 ms.
    assert_eq!(
        (report.prefill.index, report.prefill.meets_target),
        (1, true)
    );
    // Decode: points with ITL <= 10: (tp1, 1, 120), (tp2, 1, 90), (tp2, 10, 500) → tp2 at 10.
    assert_eq!(report.decode.candidate, 1);
    assert_eq!(report.decode.point.concurrency, 10);
    assert!(report.decode.meets_target);
    // Hints: prefill 1.2·50/45 − 1 = 0.3333, 0.8·50/45 − 1 < 0.1 → 0.1;
    // decode u = 10·(3000 + 250)/100000 = 0.325 → 0.525 / 0.125.
    assert!((report.prefill_queue.upper - (1.2 * 50.0 / 45.0 - 1.0)).abs() < 1e-12);
    assert_eq!(report.prefill_queue.lower, 0.1);
    assert!((report.decode_kv.upper - 0.525).abs() < 1e-12);
    assert!((report.decode_kv.lower - 0.125).abs() < 1e-12);
    // Cost: 3000·1000/33333·3/3600 + 500·1000/500·3/3600 = 0.075001 + 0.833333.
    let expected =
        3000.0 * 1000.0 / 33_333.0 * 3.0 / 3600.0 + 500.0 * 1000.0 / 500.0 * 3.0 / 3600.0;
    assert!((report.cost_per_1000 - expected).abs() < 1e-9);
    let text = summary(&results, &s, &report);
    assert!(
        text.contains("Suggested prefill configuration: tp2"),
        "{text}"
    );
    assert!(text.contains("at concurrency 10"), "{text}");
}

#[test]
fn with_no_candidate_meeting_a_target_the_lowest_latency_is_taken() {
    let results = [
        candidate("tp1", 1, (80.0, 37_500.0), &[(1, 8.0, 120.0)]),
        candidate("tp2", 2, (45.0, 33_333.0), &[(1, 6.0, 90.0)]),
    ];
    let report = analyze(&results, &settings(10.0, 1.0)).unwrap();
    assert_eq!(
        (report.prefill.index, report.prefill.meets_target),
        (1, false)
    );
    assert_eq!(
        (report.decode.candidate, report.decode.meets_target),
        (1, false)
    );
}
