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

/// Every profiling request's TTFT (ms) in a run's `profile_export.jsonl`.
fn ttfts(dir: &std::path::Path) -> Vec<f64> {
    std::fs::read_to_string(dir.join("profile_export.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["metadata"]["benchmark_phase"] == "profiling")
        .map(|r| {
            r["metrics"]["time_to_first_token"]["value"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The comparison the must-show asks for, on the embedded 2-worker cluster with its default
/// (cache-pressure) capacity, scaled down by flags (`requests` over 8 prefixes at `concurrency`,
/// 10 output tokens, the engine sped up `speedup` times, the default 14000-token ISL). Ratio 0.9
/// is run with three seeds (one run's figures rest on under a hundred requests). Returns the
/// results root and stdout.
fn compare_rr_kv(
    dir: &std::path::Path,
    requests: &str,
    concurrency: &str,
    speedup: &str,
) -> (std::path::PathBuf, String) {
    let out = run(
        BIN,
        dir,
        &[
            "--osl",
            "10",
            "--requests",
            requests,
            "--concurrency",
            concurrency,
            "--num-prefix-prompts",
            "8",
            "--prefix-ratios",
            "0.9",
            "0.9",
            "0.9",
            "--seed",
            "1",
            "--compare-routers",
            "rr,kv",
            "--mocker-speedup-ratio",
            speedup,
        ],
    );
    let root = dir.join("kv_router");
    for mode in ["rr", "kv"] {
        assert!(root.join(mode).join("results_summary.json").is_file());
    }
    for f in [
        "router_comparison.csv",
        "router_comparison.json",
        "router_comparison.png",
    ] {
        assert!(root.join(f).is_file(), "{f}");
    }
    (root, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Per mode: TTFT p50 over all its requests at ratio 0.9, achieved reuse over all its tokens,
/// and each run's theoretical reuse.
fn pooled(root: &std::path::Path, mode: &str, requests: usize) -> (f64, f64, Vec<f64>) {
    let rows = json(&root.join("router_comparison.json"));
    let mine: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["router"] == mode)
        .collect();
    assert_eq!(mine.len(), 3, "{mode}: three seeds");
    let mut all = Vec::new();
    for seed in 1..=3 {
        all.extend(ttfts(
            &root
                .join(mode)
                .join(format!("prefix_ratio_0.9_seed_{seed}")),
        ));
    }
    assert_eq!(all.len(), 3 * requests);
    let hits: f64 = mine
        .iter()
        .map(|r| r["achieved_reuse"]["hits"].as_f64().unwrap())
        .sum();
    let queries: f64 = mine
        .iter()
        .map(|r| r["achieved_reuse"]["queries"].as_f64().unwrap())
        .sum();
    let theoretical = mine
        .iter()
        .map(|r| r["theoretical_reuse"]["token_hit_rate"].as_f64().unwrap())
        .collect();
    (median(all), hits / queries, theoretical)
}

/// Under cache pressure KV routing keeps more of the prompts in cache than round-robin, both
/// below the theoretical reuse of the same workload, and every run prints its theoretical and
/// achieved reuse (per worker too).
#[test]
fn kv_routing_reuses_more_than_round_robin_under_cache_pressure() {
    let dir = tempfile::tempdir().unwrap();
    // 80 requests at concurrency 4, engine at 20x: seconds per run.
    let (root, stdout) = compare_rr_kv(dir.path(), "80", "4", "20");
    let (_, rr_reuse, rr_theory) = pooled(&root, "rr", 80);
    let (_, kv_reuse, kv_theory) = pooled(&root, "kv", 80);
    assert!(
        kv_reuse > rr_reuse,
        "KV reuse {kv_reuse} above RR's {rr_reuse}:\n{stdout}"
    );
    assert_eq!(kv_theory, rr_theory, "the same workload under both");
    assert!(kv_theory.iter().all(|&t| t >= kv_reuse.max(rr_reuse)));
    let rows = json(&root.join("router_comparison.json"));
    for r in rows.as_array().unwrap() {
        let mode = r["router"].as_str().unwrap();
        let seed = r["seed"].as_u64().unwrap();
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("ratio 0.9 seed {seed} [{mode}]")))
            .unwrap_or_else(|| panic!("{mode} seed {seed} not printed:\n{stdout}"));
        let pct = |v: f64| format!("{:.1}%", v * 100.0);
        let theory = r["theoretical_reuse"]["token_hit_rate"].as_f64().unwrap();
        let achieved = r["achieved_reuse"]["rate"].as_f64().unwrap();
        assert!(
            line.contains(&format!("theoretical {}", pct(theory))),
            "{line}"
        );
        assert!(
            line.contains(&format!("achieved {}", pct(achieved))),
            "{line}"
        );
        assert!(
            line.contains("(w0 ") && line.contains(", w1 "),
            "per-worker reuse: {line}"
        );
    }
    assert!(
        stdout.contains("theoretical reuse  achieved reuse"),
        "the table: {stdout}"
    );
}

/// The TTFT half of the must-show: KV routing's TTFT p50 (over the 288 requests of three seeds,
/// 96 each at concurrency 12) below round-robin's. A timing test on a shared 2-core machine (the
/// project's nextest profile retries once): of five attempts while it was written, four passed
/// and one failed by 0.8 ms while the other comparison test ran beside it. Single runs of these
/// settings go either way (KV lower in 3 of 5 seeds): KV routing keeps about 20 points more of
/// the prompts in cache, but Dynamo's cost (overlap weight 1) also sends requests to the less
/// loaded worker, so the median request's TTFT moves less than the reuse.
#[test]
fn kv_routing_ttft_p50_below_round_robin_under_cache_pressure() {
    let dir = tempfile::tempdir().unwrap();
    // The engine slowed to 4x: the server's own overhead (a debug build tokenizing 14000-token
    // prompts) is tens of milliseconds per request, more than a cached prefill saves at 20x.
    let (root, stdout) = compare_rr_kv(dir.path(), "96", "12", "4");
    let (rr_p50, _, _) = pooled(&root, "rr", 96);
    let (kv_p50, _, _) = pooled(&root, "kv", 96);
    assert!(
        kv_p50 < rr_p50,
        "KV TTFT p50 {kv_p50} below RR's {rr_p50}:\n{stdout}"
    );
}
