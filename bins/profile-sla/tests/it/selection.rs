//! Two embedded candidates (1 and 2 GPUs, the 2-GPU engine 2^0.8 ≈ 1.74× faster); the pick is
//! derived here from the SLA rule by hand.

use std::process::Command;

use serde_json::Value;

/// Dynamo mocker's prefill time (ms) of `t` new tokens at speed-up 1 (spec §9.2).
fn prefill_model_ms(t: f64) -> f64 {
    4.209989e-7 * t * t + 1.518344e-2 * t + 16.50142
}

fn run(dir: &std::path::Path, ttft: &str) -> (Value, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_profile-sla"))
        .args([
            "--output-dir",
            dir.to_str().expect("test setup"),
            "--log-level",
            "warn",
        ])
        .args([
            "--min-num-gpus-per-engine",
            "1",
            "--max-num-gpus-per-engine",
            "2",
        ])
        .args([
            "--isl", "3000", "--osl", "20", "--ttft", ttft, "--itl", "30",
        ])
        .args([
            "--decode-interpolation-granularity",
            "2",
            "--warmup-request-count",
            "1",
        ])
        .args([
            "--mocker-num-gpu-blocks",
            "256",
            "--mocker-scaling-exponent",
            "0.8",
            "--skip-interpolation",
        ])
        .output()
        .expect("test setup");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let read = |f: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join(f)).expect("test setup"))
            .expect("test setup")
    };
    for png in [
        "prefill_performance.png",
        "decode_performance.png",
        "cost_sla.png",
    ] {
        assert_eq!(
            &std::fs::read(dir.join(png)).expect("test setup")[1..4],
            b"PNG",
            "{png}"
        );
    }
    (read("results.json"), read("summary.json"))
}

#[test]
fn profile_sla_picks_the_candidate_the_sla_rule_says() {
    // By hand: TTFT at ISL 3000 is 65.8 ms on 1 GPU and 65.8 / 2^0.8 = 37.8 ms on 2 GPUs;
    // prefill throughput per GPU 3000/65.8·1000 = 45.6k vs 3000/37.8·1000/2 = 39.7k.
    let one = prefill_model_ms(3000.0);
    let two = one / 2f64.powf(0.8);
    assert!((one - 65.8).abs() < 0.1 && (two - 37.8).abs() < 0.1);

    // Target 52 ms: only the 2-GPU engine meets it, so it is picked despite its lower
    // throughput per GPU.
    let dir = tempfile::tempdir().expect("test setup");
    let (results, summary) = run(dir.path(), "52");
    let ttft: Vec<f64> = (0..2)
        .map(|i| results[i]["prefill"][0].as_f64().expect("test setup"))
        .collect();
    assert!(ttft[0] > 52.0 && ttft[1] < 52.0, "measured TTFT {ttft:?}");
    assert_eq!(summary["prefill"]["label"], "tp2");
    assert_eq!(summary["prefill"]["meets_target"], true);

    // Decode: among every (candidate, concurrency) point with ITL <= 30 ms, the highest
    // throughput per GPU.
    let mut best: Option<(f64, String, u64)> = None;
    for r in results.as_array().expect("test setup") {
        for d in r["decode"].as_array().expect("test setup") {
            let (itl, thpt) = (
                d["itl_ms"].as_f64().expect("test setup"),
                d["thpt_per_gpu"].as_f64().expect("test setup"),
            );
            if itl <= 30.0 && best.as_ref().is_none_or(|b| thpt > b.0) {
                best = Some((
                    thpt,
                    r["candidate"]["label"]
                        .as_str()
                        .expect("test setup")
                        .to_owned(),
                    d["concurrency"].as_u64().expect("test setup"),
                ));
            }
        }
    }
    let (_, label, concurrency) = best.expect("a decode point meets 30 ms");
    assert_eq!(summary["decode"]["label"], label.as_str());
    assert_eq!(summary["decode"]["concurrency"], concurrency);

    // Target 100 ms: both meet it; the 1-GPU engine has the higher throughput per GPU.
    let dir = tempfile::tempdir().expect("test setup");
    let (_, summary) = run(dir.path(), "100");
    assert_eq!(summary["prefill"]["label"], "tp1");
}
