//! Integration tests of the plot-sweep binary, run as a user would on AIPerf-shaped artifacts
//! (written by hand in the layout AIPerf 0.13 uses).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn plot_sweep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plot-sweep"))
        .args(args)
        .output()
        .expect("plot-sweep runs")
}

/// A minimal streaming-chat `profile_export_aiperf.json` in AIPerf 0.13's shape.
fn export(c: u64, itl: f64, ttft: f64, rps: f64) -> String {
    format!(
        r#"{{"schema_version": "1.4", "aiperf_version": "0.13.0",
  "inter_token_latency": {{"unit": "ms", "avg": {itl}, "p50": {itl}, "p99": {itl}, "min": {itl}, "max": {itl}, "std": 0.0, "count": 10, "sum": 1.0}},
  "time_to_first_token": {{"unit": "ms", "avg": {ttft}, "p50": {ttft}, "p99": {ttft}, "min": {ttft}, "max": {ttft}, "std": 0.0, "count": 10, "sum": 1.0}},
  "output_sequence_length": {{"unit": "tokens", "avg": 100.0, "p50": 100.0}},
  "request_throughput": {{"unit": "requests/sec", "avg": {rps}}},
  "output_token_throughput": {{"unit": "tokens/sec", "avg": {otps}}},
  "request_count": {{"unit": "requests", "avg": 10}},
  "input_config": {{"models": {{"items": [{{"name": "Qwen/Qwen3-0.6B"}}]}}, "phases": [{{"name": "profiling", "kind": "profiling", "type": "concurrency", "requests": 10, "concurrency": {c}}}]}},
  "run_info": {{"benchmark_id": "x", "random_seed": 100, "trial": 0, "cli_command": "aiperf profile --concurrency {c}"}},
  "was_cancelled": false, "is_complete": true, "error_summary": []}}"#,
        otps = rps * 100.0
    )
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

#[test]
fn plots_an_aiperf_artifacts_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("artifacts");
    for (c, itl, ttft, rps) in [
        (1, 4.0, 20.0, 2.0),
        (4, 5.0, 25.0, 7.0),
        (16, 8.0, 40.0, 20.0),
    ] {
        write(
            &data
                .join(format!("Qwen_Qwen3-0.6B-openai-chat-concurrency{c}"))
                .join("profile_export_aiperf.json"),
            &export(c, itl, ttft, rps),
        );
    }
    let data_s = data.to_str().expect("utf-8 path");
    let out = plot_sweep(&["--data-dir", data_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plots = data.join("plots");
    for f in [
        "p50_inter_token_latency_vs_concurrency.png",
        "avg_inter_token_latency_vs_concurrency.png",
        "request_throughput_vs_concurrency.png",
        "avg_time_to_first_token_vs_concurrency.png",
        "efficiency_tok_s_gpu_vs_user.png",
    ] {
        let bytes = fs::read(plots.join(f)).expect(f);
        assert_eq!(&bytes[1..4], b"PNG", "{f}");
    }
    let summary = fs::read_to_string(plots.join("SUMMARY.txt")).expect("summary");
    assert!(
        summary.contains("  artifacts: 3 concurrency levels (1-16)\n"),
        "{summary}"
    );
    assert!(!summary.ends_with('\n'));
    let html = fs::read_to_string(plots.join("report.html")).expect("report.html");
    assert_eq!(html.matches("<svg").count(), 5);

    // --benchmark-name filters; a name that matches nothing is an error (exit 1).
    let other = dir.path().join("other");
    let out = plot_sweep(&[
        "--data-dir",
        data_s,
        "--output-dir",
        other.to_str().expect("utf-8"),
        "--benchmark-name",
        "nope",
        "--no-html",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile_export_aiperf.json"));
}

#[test]
fn a_missing_metric_names_the_file_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("agg/c1/profile_export_aiperf.json");
    write(
        &file,
        &export(1, 4.0, 20.0, 2.0).replace("time_to_first_token", "ttft_renamed"),
    );
    let out = plot_sweep(&["--data-dir", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains("field `time_to_first_token.avg`"), "{err}");
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = plot_sweep(&["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = plot_sweep(&["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--benchmark-name"));
}
