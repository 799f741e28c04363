//! `prefix-ratio-bench`: the original's layout and summary keys, URL splitting, and KV routing
//! beating round-robin under cache pressure on the embedded 2-worker cluster.

use std::sync::Arc;

use servebench_router_bench::cluster::{Cluster, ClusterConfig};
use servebench_tokenize::BuiltinTokenizer;

use crate::{json, run};

const BIN: &str = env!("CARGO_BIN_EXE_prefix-ratio-bench");

#[test]
fn layout_and_summary_keys_match_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        BIN,
        dir.path(),
        &[
            "--isl",
            "600",
            "--osl",
            "4",
            "--requests",
            "12",
            "--concurrency",
            "3",
            "--num-prefix-prompts",
            "3",
            "--prefix-ratios",
            "0.1",
            "0.5",
            "--seed",
            "5",
            "--mocker-speedup-ratio",
            "0",
        ],
    );
    let root = dir.path().join("kv_router");
    // The seed grows by one per ratio; Python's str(float) names the ratio.
    for run_dir in ["prefix_ratio_0.1_seed_5", "prefix_ratio_0.5_seed_6"] {
        for file in [
            "profile_export_aiperf.json",
            "profile_export_aiperf.csv",
            "profile_export.jsonl",
            "inputs.json",
        ] {
            assert!(root.join(run_dir).join(file).is_file(), "{run_dir}/{file}");
        }
    }
    // Without engine delays ITL is 0: that panel is left out, the plot still drawn.
    assert!(root.join("prefix_ratio_performance.png").is_file());
    let summary = json(&root.join("results_summary.json"));
    let original = [
        "prefix_ratios",
        "ttft_p25_values",
        "ttft_p50_values",
        "ttft_p75_values",
        "itl_p25_values",
        "itl_p50_values",
        "itl_p75_values",
        "config",
    ];
    for key in original {
        assert!(summary.get(key).is_some(), "missing {key}");
    }
    assert_eq!(summary["prefix_ratios"], serde_json::json!([0.1, 0.5]));
    for key in &original[1..7] {
        let values = summary[key].as_array().unwrap();
        assert_eq!(values.len(), 2, "{key}");
        assert!(
            values.iter().all(|v| v.as_f64().is_some_and(|x| x >= 0.0)),
            "{key}"
        );
    }
    let mut config_keys: Vec<&str> = summary["config"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    config_keys.sort_unstable();
    assert_eq!(
        config_keys,
        [
            "concurrency",
            "initial_seed",
            "isl",
            "model",
            "osl",
            "requests",
            "tokenizer"
        ]
    );
    assert_eq!(summary["config"]["initial_seed"], 5);
    assert_eq!(summary["config"]["isl"], 600);
    assert_eq!(
        summary["config"]["model"],
        "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"
    );
    // The p50 in the summary is the run's own export's.
    let run0 = json(&root.join("prefix_ratio_0.1_seed_5/profile_export_aiperf.json"));
    assert_eq!(
        summary["ttft_p50_values"][0],
        run0["time_to_first_token"]["p50"]
    );
    assert_eq!(run0["request_count"]["avg"], 12.0);
    // servebench's additions sit beside the original keys.
    assert_eq!(
        summary["theoretical_reuse_values"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(summary["achieved_reuse_values"][1].as_f64().is_some());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("theoretical reuse") && stdout.contains("achieved reuse"),
        "{stdout}"
    );
}

#[test]
fn several_urls_split_requests_and_concurrency() {
    let tok = Arc::new(BuiltinTokenizer::new());
    let mut c = ClusterConfig::new(1, "rr".parse().unwrap(), "m");
    c.speedup_ratio = 0.0;
    let a = Cluster::start(&c, tok.clone()).unwrap();
    let b = Cluster::start(&c, tok).unwrap();
    let dir = tempfile::tempdir().unwrap();
    run(
        BIN,
        dir.path(),
        &[
            "--url",
            a.url(),
            b.url(),
            "--isl",
            "300",
            "--osl",
            "2",
            "--requests",
            "5",
            "--concurrency",
            "3",
            "--num-prefix-prompts",
            "2",
            "--prefix-ratios",
            "0.5",
            "--output-dir",
            "out",
        ],
    );
    let root = dir.path().join("out");
    // 5 requests over 2 URLs: 3 then 2; the same seed for both.
    let first = json(&root.join("prefix_ratio_0.5_seed_0_url_0/profile_export_aiperf.json"));
    let second = json(&root.join("prefix_ratio_0.5_seed_0_url_1/profile_export_aiperf.json"));
    assert_eq!(first["request_count"]["avg"], 3.0);
    assert_eq!(second["request_count"]["avg"], 2.0);
    assert_eq!(a.metrics().requests_finished_total, 3);
    assert_eq!(b.metrics().requests_finished_total, 2);
    let summary = json(&root.join("results_summary.json"));
    let mean = (first["time_to_first_token"]["p50"].as_f64().unwrap()
        + second["time_to_first_token"]["p50"].as_f64().unwrap())
        / 2.0;
    assert!((summary["ttft_p50_values"][0].as_f64().unwrap() - mean).abs() < 1e-9);
}

/// The must-show result: on the embedded 2-worker cluster with its default (cache-pressure)
/// capacity, scaled down by flags (60 requests over 6 prefixes, 10 output tokens, 20× engine
/// speed, the default 14000-token ISL), KV routing has a lower TTFT p50 than round-robin at
/// ratio 0.9 and a higher achieved reuse; both are printed with the theoretical reuse.
#[test]
fn kv_routing_beats_round_robin_under_cache_pressure() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        BIN,
        dir.path(),
        &[
            "--osl",
            "10",
            "--requests",
            "60",
            "--concurrency",
            "8",
            "--num-prefix-prompts",
            "6",
            "--prefix-ratios",
            "0.9",
            "--seed",
            "1",
            "--compare-routers",
            "rr,kv",
            "--mocker-speedup-ratio",
            "20",
        ],
    );
    let root = dir.path().join("kv_router");
    for mode in ["rr", "kv"] {
        assert!(
            root.join(mode)
                .join("prefix_ratio_0.9_seed_1/profile_export_aiperf.json")
                .is_file()
        );
        assert!(root.join(mode).join("results_summary.json").is_file());
    }
    for f in [
        "router_comparison.csv",
        "router_comparison.json",
        "router_comparison.png",
    ] {
        assert!(root.join(f).is_file(), "{f}");
    }
    let rows = json(&root.join("router_comparison.json"));
    let row = |mode: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["router"] == mode)
            .unwrap()
            .clone()
    };
    let (rr, kv) = (row("rr"), row("kv"));
    let ttft = |r: &serde_json::Value| r["stats"]["ttft_p50"].as_f64().unwrap();
    let achieved = |r: &serde_json::Value| r["achieved_reuse"]["rate"].as_f64().unwrap();
    let theoretical =
        |r: &serde_json::Value| r["theoretical_reuse"]["token_hit_rate"].as_f64().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(ttft(&kv) < ttft(&rr), "KV TTFT p50 below RR's:\n{stdout}");
    assert!(
        achieved(&kv) > achieved(&rr),
        "KV reuse above RR's:\n{stdout}"
    );
    // The same workload: the same theoretical reuse, above what either achieved.
    assert_eq!(theoretical(&kv), theoretical(&rr));
    assert!(theoretical(&kv) >= achieved(&kv));
    // Both printed with the theoretical reuse, and per worker.
    let printed = |mode: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(mode) && l.contains("0.9"))
            .unwrap_or_default()
            .to_owned()
    };
    for (mode, r) in [("rr", &rr), ("kv", &kv)] {
        let line = printed(mode);
        assert!(
            line.contains(&format!("{:.1}%", theoretical(r) * 100.0)),
            "{line}"
        );
        assert!(
            line.contains(&format!("{:.1}%", achieved(r) * 100.0)),
            "{line}"
        );
        assert!(line.contains(" / "), "per-worker reuse: {line}");
    }
}
