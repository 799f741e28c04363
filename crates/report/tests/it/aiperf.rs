//! plot-sweep's library half on AIPerf-shaped artifacts.

use std::fs;

use servebench_report::{
    RunExport, SWEEP_PLOT_FILES, efficiency_points, plot_sweep, read_data_dir, summary_text,
};

use crate::fixtures::{RUNS, aiperf_json, aiperf_sweep, utils_layout};

#[test]
fn parses_an_aiperf_013_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profile_export_aiperf.json");
    fs::write(&path, aiperf_json("Qwen/Qwen3-0.6B", &RUNS[1])).expect("write");
    let e = RunExport::read(&path).expect("parse");
    assert_eq!(e.get("inter_token_latency", "p50"), Some(4.4));
    assert_eq!(e.get("time_to_first_token", "avg"), Some(24.0));
    assert_eq!(e.get("request_throughput", "avg"), Some(2.8));
    assert_eq!(
        e.metrics["output_token_throughput_per_user"].unit,
        "tokens/sec/user"
    );
    assert_eq!(e.model(), Some("Qwen/Qwen3-0.6B"));
    assert_eq!(e.configured_concurrency(), Some(2));
    assert_eq!(
        e.cli_command.as_deref(),
        Some("aiperf profile --model Qwen/Qwen3-0.6B --concurrency 2 --request-count 20")
    );
    assert_eq!(e.tool_version.as_deref(), Some("0.13.0"));
    assert!(e.client_health.is_none());
    assert!(e.errors.is_empty());
}

#[test]
fn utils_layout_gives_series_sorted_by_concurrency_and_filtered_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    // Written out of order; `plots` is never a series.
    utils_layout(data, "disagg", &[RUNS[2], RUNS[0]]);
    utils_layout(data, "agg", &RUNS);
    fs::create_dir_all(data.join("plots")).expect("plots dir");
    let all = read_data_dir(data, &[]).expect("read");
    let labels: Vec<&str> = all.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["agg", "disagg"]);
    let cs: Vec<u64> = all[1].points.iter().map(|p| p.concurrency).collect();
    assert_eq!(cs, [1, 4]);
    let only = read_data_dir(data, &["disagg".to_owned()]).expect("read");
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].label, "disagg");
}

#[test]
fn aiperf_default_run_dirs_are_one_series() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("artifacts");
    aiperf_sweep(&data, "Qwen/Qwen3-0.6B");
    let series = read_data_dir(&data, &[]).expect("read");
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].label, "artifacts");
    let cs: Vec<u64> = series[0].points.iter().map(|p| p.concurrency).collect();
    assert_eq!(cs, [1, 2, 4]);
}

#[test]
fn efficiency_uses_measured_output_tokens_not_200() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("artifacts");
    aiperf_sweep(&data, "m");
    let series = read_data_dir(&data, &[]).expect("read");
    let eff = efficiency_points(&series).expect("points");
    let pts = &eff[0].1;
    // Output tokens/s of the fixture: 225, 420, 750 at C = 1, 2, 4; one GPU (no deployment file).
    assert_eq!(pts[0].per_user, 225.0);
    assert_eq!(pts[1].per_user, 210.0);
    assert_eq!(pts[2].per_user, 187.5);
    assert_eq!(pts[2].per_gpu, 750.0);
    // plot.py would have said request_throughput × 200 = 1000 tokens/s at C = 4.
    assert_ne!(pts[2].per_gpu, 1000.0);
}

#[test]
fn plot_sweep_writes_the_five_pictures_and_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("results");
    utils_layout(&data, "agg", &RUNS);
    utils_layout(&data, "disagg", &RUNS[..2]);
    let out = data.join("plots");
    let done = plot_sweep(&data, &out, &[]).expect("plot");
    for (path, name) in done.plots.iter().zip(SWEEP_PLOT_FILES) {
        assert_eq!(path, &out.join(name));
        let bytes = fs::read(path).expect("png written");
        let info = png_size(&bytes);
        assert!(info.0 >= 1000 && info.1 >= 600, "{name}: {info:?}");
    }
    let summary = fs::read_to_string(out.join("SUMMARY.txt")).expect("summary");
    let expected = format!(
        "Benchmark Results Summary\n==============================\n\n\
         Results directory: {}\nPlots generated: {}\n\n\
         Deployment Types Found:\n  agg: 3 concurrency levels (1-4)\n  \
         disagg: 2 concurrency levels (1-2)\n\n\
         Generated Plots:\n  - p50_inter_token_latency_vs_concurrency.png\n  \
         - avg_inter_token_latency_vs_concurrency.png\n  \
         - request_throughput_vs_concurrency.png\n  \
         - avg_time_to_first_token_vs_concurrency.png\n  \
         - efficiency_tok_s_gpu_vs_user.png",
        data.display(),
        out.display()
    );
    assert_eq!(summary, expected);
    assert_eq!(summary, summary_text(&data, &out, &done.series));
    // A second run over the same directory ignores the plots it wrote.
    plot_sweep(&data, &out, &[]).expect("plot again");
    // Kept for looking at: target/report-screenshots/plot-sweep-aiperf/.
    keep(&out, "plot-sweep-aiperf");
}

/// Width and height from a PNG header (IHDR is the first chunk).
pub(crate) fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[1..4], b"PNG", "not a PNG");
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

/// Copies the files of `dir` to `target/report-screenshots/<name>/` for a person (or CI) to
/// look at.
pub(crate) fn keep(dir: &std::path::Path, name: &str) {
    let dest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/report-screenshots")
        .join(name);
    fs::create_dir_all(&dest).expect("create screenshot dir");
    for entry in fs::read_dir(dir).expect("list").flatten() {
        if entry.path().is_file() {
            fs::copy(entry.path(), dest.join(entry.file_name())).expect("copy");
        }
    }
}
