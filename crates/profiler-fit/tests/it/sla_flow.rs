//! profile_sla's decision flow on hand-made candidates: select, suggest planner bounds, cost.

use servebench_profiler_fit::{pareto, sla, sweeps};

#[test]
fn two_candidates_prefill_and_decode() {
    // Prefill at ISL 3000 on 1, 2 and 4 GPUs: TTFT 80, 45, 30 ms.
    let gpus = [1u64, 2, 4];
    let ttft = [80.0, 45.0, 30.0];
    let thpt: Vec<f64> = gpus
        .iter()
        .zip(ttft)
        .map(|(&n, t)| sweeps::prefill_thpt_per_gpu(3000, t, n, 1).expect("thpt"))
        .collect();
    // 3000/80·1000 = 37500; 3000/45/2·1000 = 33333.3; 3000/30/4·1000 = 25000.
    assert!((thpt[0] - 37500.0).abs() < 1e-9 && (thpt[2] - 25000.0).abs() < 1e-9);
    let pick = sla::select(&ttft, &thpt, 50.0).expect("select");
    // 80 ms misses the 50 ms target; of 45 and 30 ms the 2-GPU config has more thpt/GPU.
    assert_eq!((gpus[pick.index], pick.meets_target), (2, true));
    let bounds = sla::prefill_queue_bounds(50.0, ttft[pick.index]).expect("bounds");
    // 50/45 = 1.111: upper 1.2·1.111 − 1 = 0.3333, lower max(0.1, −0.111) = 0.1.
    assert!((bounds.upper - 1.0 / 3.0).abs() < 1e-12 && bounds.lower == 0.1);

    // Decode points (config, concurrency, ITL, thpt/GPU) with KV caches of 100k and 250k tokens.
    let decode = [
        (1u64, 10u64, 8.0, 900.0, 100_000u64),
        (1, 20, 11.0, 1500.0, 100_000),
        (2, 10, 6.0, 700.0, 250_000),
        (2, 40, 9.5, 1300.0, 250_000),
        (2, 60, 12.0, 1700.0, 250_000),
    ];
    let itl: Vec<f64> = decode.iter().map(|d| d.2).collect();
    let dthpt: Vec<f64> = decode.iter().map(|d| d.3).collect();
    let pick = sla::select(&itl, &dthpt, 10.0).expect("select");
    assert_eq!(pick.index, 3);
    let (_, conc, _, _, kv) = decode[pick.index];
    let kvb = sla::decode_kv_utilization_bounds(conc, 3000, 500, kv).expect("bounds");
    // 40 · 3250 / 250000 = 0.52 → 0.72 / 0.32.
    assert!((kvb.utilization - 0.52).abs() < 1e-12);
    assert_eq!(
        kvb.to_string(),
        "Suggested planner upper/lower bound for decode kv cache utilization: 0.72/0.32"
    );

    // Cost curves: one per prefill front point, each over the decode front.
    let curves = sla::cost_curves(
        3000,
        500,
        &ttft,
        &thpt,
        &itl,
        &dthpt,
        sla::GPU_COST_PER_HOUR,
    )
    .expect("curves");
    let pfront = pareto::pareto_front(&ttft, &thpt).expect("front");
    let dfront = pareto::pareto_front(&itl, &dthpt).expect("front");
    assert_eq!(curves.len(), pfront.len());
    assert_eq!(pfront, [2, 1, 0]); // 30 ms/25000, 45 ms/33333, 80 ms/37500: all non-dominated.
    assert_eq!(dfront, [2, 0, 3, 1, 4]); // ITL 6 < 8 < 9.5 < 11 < 12 with rising thpt.
    for c in &curves {
        assert_eq!(c.points.len(), dfront.len());
        // Cheaper decode (higher thpt) at lower tokens per user: cost falls along the curve.
        assert!(c.points.windows(2).all(|w| w[1].cost < w[0].cost));
        assert!(
            c.points
                .windows(2)
                .all(|w| w[1].tokens_per_user < w[0].tokens_per_user)
        );
    }
    // Cheapest: 80 ms prefill (2500·... = 3000·1000/37500·3/3600 = 0.0667) plus 1700 tok/s/GPU decode
    // (500·1000/1700·3/3600 = 0.2451).
    let cheapest = curves
        .iter()
        .flat_map(|c| c.points.iter())
        .map(|p| p.cost)
        .fold(f64::MAX, f64::min);
    let want = 3000.0 * 1000.0 / 37500.0 * 3.0 / 3600.0 + 500.0 * 1000.0 / 1700.0 * 3.0 / 3600.0;
    assert!((cheapest - want).abs() < 1e-12, "{cheapest} vs {want}");
}
