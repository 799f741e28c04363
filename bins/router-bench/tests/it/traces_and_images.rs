//! `real-data-bench`, `agent-bench` and `image-bench`: their files and directories.

use crate::{json, run};

fn write_trace(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("mooncake_trace.jsonl");
    let mut text = String::new();
    for i in 0..30u64 {
        text.push_str(&format!(
            "{{\"timestamp\": {}, \"input_length\": 300, \"output_length\": 3, \"hash_ids\": [{}, {}, {}]}}\n",
            i * 20,
            i % 3,
            3 + i % 3,
            100 + i
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn real_data_bench_synthesizes_beside_the_results_and_replays_on_schedule() {
    let dir = tempfile::tempdir().unwrap();
    write_trace(dir.path());
    let out = run(
        env!("CARGO_BIN_EXE_real-data-bench"),
        dir.path(),
        &[
            "--num-requests",
            "12",
            "--speedup-ratio",
            "4",
            "--block-size",
            "128",
            "--mocker-speedup-ratio",
            "0",
        ],
    );
    let root = dir.path().join("real_data_benchmark_results");
    let synth = std::fs::read_to_string(root.join("synthetic_trace.jsonl")).unwrap();
    assert_eq!(synth.lines().count(), 12);
    let summary = json(&root.join("aiperf_artifacts/profile_export_aiperf.json"));
    assert_eq!(summary["request_count"]["avg"], 12.0);
    assert_eq!(
        summary["input_config"]["phases"][1]["type"],
        "fixed_schedule"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("reuse theoretical"), "{stdout}");
}

#[test]
fn real_data_bench_uses_the_trace_as_is_without_synthesis_options() {
    let dir = tempfile::tempdir().unwrap();
    write_trace(dir.path());
    run(
        env!("CARGO_BIN_EXE_real-data-bench"),
        dir.path(),
        &[
            "--block-size",
            "128",
            "--mocker-speedup-ratio",
            "0",
            "--output-dir",
            "r",
        ],
    );
    assert!(!dir.path().join("r/synthetic_trace.jsonl").exists());
    let summary = json(
        &dir.path()
            .join("r/aiperf_artifacts/profile_export_aiperf.json"),
    );
    assert_eq!(summary["request_count"]["avg"], 30.0);
}

#[test]
fn agent_bench_overrides_delays_and_runs_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("agent.jsonl");
    let mut text = String::new();
    for s in 0..4 {
        for t in 0..3u64 {
            let ids: Vec<String> = (0..=t).map(|k| (s * 10 + k).to_string()).collect();
            text.push_str(&format!(
                "{{\"session_id\": \"s{s}\", \"input_length\": {}, \"output_length\": 2, \"hash_ids\": [{}], \"delay\": 1000}}\n",
                64 * (t + 1),
                ids.join(", ")
            ));
        }
    }
    std::fs::write(&trace, text).unwrap();
    run(
        env!("CARGO_BIN_EXE_agent-bench"),
        dir.path(),
        &[
            "--input-dataset",
            "agent.jsonl",
            "--delay",
            "0",
            "--concurrency",
            "2",
            "--mocker-speedup-ratio",
            "0",
        ],
    );
    let root = dir.path().join("agent_benchmark_results");
    let modified = std::fs::read_to_string(root.join("modified_trace.jsonl")).unwrap();
    assert_eq!(modified.lines().count(), 12);
    assert!(!modified.contains("delay"), "--delay 0 removes every delay");
    let summary = json(&root.join("aiperf_artifacts/profile_export_aiperf.json"));
    assert_eq!(
        summary["request_count"]["avg"], 12.0,
        "every non-empty line"
    );
}

#[test]
fn image_bench_writes_the_dataset_and_aiperfs_artifact_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        env!("CARGO_BIN_EXE_image-bench"),
        dir.path(),
        &[
            "--request-count",
            "4",
            "--concurrency",
            "2",
            "--mocker-speedup-ratio",
            "0",
        ],
    );
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(dir.path().join("data_small.jsonl"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(line["images"].as_array().unwrap().len(), 12);
    let art = dir
        .path()
        .join("artifacts/Qwen_Qwen2.5-VL-7B-Instruct-openai-chat-concurrency2");
    let summary = json(&art.join("profile_export_aiperf.json"));
    assert_eq!(summary["request_count"]["avg"], 4.0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // 6 requests (2 warm-up) of 12 × 576 image tokens plus a few text tokens.
    let counted: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("embedded cluster counted "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        (6 * 12 * 576..6 * (12 * 576 + 16)).contains(&counted),
        "{counted}"
    );
}

/// The comparison layout of a trace tool: one artifact directory per mode, the comparison files
/// beside them, one CSV row per mode with the table's columns, and every mode printed with its
/// theoretical and achieved reuse.
fn assert_trace_comparison(root: &std::path::Path, stdout: &str, modes: &[&str]) {
    for mode in modes {
        let summary = json(
            &root
                .join(mode)
                .join("aiperf_artifacts/profile_export_aiperf.json"),
        );
        assert!(
            summary["request_count"]["avg"].as_f64().unwrap() > 0.0,
            "{mode}"
        );
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("[{mode}] TTFT p50 "))
                    && l.contains("reuse theoretical ")),
            "{mode} printed:\n{stdout}"
        );
    }
    assert!(!root.join("aiperf_artifacts").exists(), "no unnamed run");
    let csv = std::fs::read_to_string(root.join("router_comparison.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "router,ttft_p50_ms,ttft_p90_ms,itl_p50_ms,output_token_throughput,request_throughput,\
         theoretical_reuse,achieved_reuse,cache_hit_tokens,cache_query_tokens"
    );
    let routers: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(routers, modes);
    let rows = json(&root.join("router_comparison.json"));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), modes.len());
    for (row, mode) in rows.iter().zip(modes) {
        assert_eq!(row["router"], *mode);
        let achieved = &row["achieved_reuse"];
        assert!(achieved["queries"].as_f64().unwrap() > 0.0, "{row}");
        assert_eq!(
            achieved["workers"].as_array().unwrap().len(),
            2,
            "per worker"
        );
        assert!(
            row["theoretical_reuse"]["token_hit_rate"].is_number(),
            "{row}"
        );
        assert!(row.get("prefix_ratio").is_none());
    }
    assert!(root.join("router_comparison.png").is_file());
    assert!(
        stdout.contains("theoretical reuse  achieved reuse  per worker"),
        "the table:\n{stdout}"
    );
}

#[test]
fn real_data_bench_compares_routers_on_one_synthesized_trace() {
    let dir = tempfile::tempdir().unwrap();
    write_trace(dir.path());
    let out = run(
        env!("CARGO_BIN_EXE_real-data-bench"),
        dir.path(),
        &[
            "--num-requests",
            "12",
            "--speedup-ratio",
            "4",
            "--block-size",
            "128",
            "--mocker-speedup-ratio",
            "50",
            "--compare-routers",
            "rr,kv",
        ],
    );
    let root = dir.path().join("real_data_benchmark_results");
    // One trace, synthesized once, sent under both modes.
    assert_eq!(
        std::fs::read_to_string(root.join("synthetic_trace.jsonl"))
            .unwrap()
            .lines()
            .count(),
        12
    );
    assert_trace_comparison(&root, &String::from_utf8_lossy(&out.stdout), &["rr", "kv"]);
}

#[test]
fn agent_bench_compares_routers_on_the_same_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("agent.jsonl");
    let mut text = String::new();
    for s in 0..4 {
        for t in 0..3u64 {
            let ids: Vec<String> = (0..=t).map(|k| (s * 10 + k).to_string()).collect();
            text.push_str(&format!(
                "{{\"session_id\": \"s{s}\", \"input_length\": {}, \"output_length\": 2, \"hash_ids\": [{}]}}\n",
                64 * (t + 1),
                ids.join(", ")
            ));
        }
    }
    std::fs::write(&trace, text).unwrap();
    let out = run(
        env!("CARGO_BIN_EXE_agent-bench"),
        dir.path(),
        &[
            "--input-dataset",
            "agent.jsonl",
            "--concurrency",
            "2",
            "--mocker-speedup-ratio",
            "50",
            "--compare-routers",
            "rr,kv,least-loaded",
        ],
    );
    let root = dir.path().join("agent_benchmark_results");
    assert_trace_comparison(
        &root,
        &String::from_utf8_lossy(&out.stdout),
        &["rr", "kv", "least-loaded"],
    );
}

#[test]
fn compare_routers_is_refused_with_a_url() {
    let dir = tempfile::tempdir().unwrap();
    write_trace(dir.path());
    for (bin, extra) in [
        (env!("CARGO_BIN_EXE_real-data-bench"), &[][..]),
        (
            env!("CARGO_BIN_EXE_agent-bench"),
            &["--input-dataset", "mooncake_trace.jsonl"][..],
        ),
        (env!("CARGO_BIN_EXE_prefix-ratio-bench"), &[][..]),
    ] {
        let out = std::process::Command::new(bin)
            .args(["--url", "http://127.0.0.1:9", "--compare-routers", "rr,kv"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bin}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--compare-routers")
                && stderr.contains("cannot be combined with --url"),
            "{bin}: {stderr}"
        );
    }
}
