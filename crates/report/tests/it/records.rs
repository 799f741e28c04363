//! The per-request export (`profile_export.jsonl`) behind the run report's timeline.

use std::fs;

use servebench_report::{read_timeline, records_path, write_run_report};

use crate::fixtures::{RUNS, aiperf_json, write};
use crate::html::svgs;

/// Four records as AIPerf 0.13 writes them: a warm-up, two profiling successes, one failure.
pub(crate) const JSONL: &str = r#"{"metadata": {"session_num": 0, "x_request_id": "a", "request_start_ns": 1000000000, "request_end_ns": 1100000000, "benchmark_phase": "warmup", "was_cancelled": false}, "metrics": {"request_latency": {"value": 100.0, "unit": "ms"}}}
{"metadata": {"session_num": 1, "x_request_id": "b", "request_start_ns": 2000000000, "request_end_ns": 2250000000, "benchmark_phase": "profiling", "was_cancelled": false}, "metrics": {"request_latency": {"value": 250.0, "unit": "ms"}, "time_to_first_token": {"value": 20.0, "unit": "ms"}}}
{"metadata": {"session_num": 2, "x_request_id": "c", "request_start_ns": 3500000000, "request_end_ns": 3800000000, "benchmark_phase": "profiling", "was_cancelled": false}, "metrics": {"request_latency": {"value": 300.0, "unit": "ms"}}}
{"metadata": {"session_num": 3, "x_request_id": "d", "request_start_ns": 4000000000, "request_end_ns": 4005000000, "benchmark_phase": "profiling", "was_cancelled": false}, "metrics": {}, "error": {"code": 503, "type": "HTTPError", "message": "Service Unavailable"}}
"#;

#[test]
fn timeline_of_profiling_records_with_failures_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profile_export.jsonl");
    fs::write(&path, JSONL).expect("write");
    let t = read_timeline(&path).expect("timeline");
    assert_eq!(t.records, 3);
    assert_eq!(t.succeeded, vec![(0.0, 250.0), (1.5, 300.0)]);
    // The failure has no latency metric: its stamps give 5 ms.
    assert_eq!(t.failed, vec![(2.0, 5.0)]);
    assert_eq!(
        records_path(&dir.path().join("profile_export_aiperf.json")),
        path
    );
    assert_eq!(
        records_path(&dir.path().join("run1.json")),
        dir.path().join("run1.jsonl")
    );
}

#[test]
fn bad_record_lines_name_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profile_export.jsonl");
    let broken = JSONL.replace("\"request_start_ns\": 3500000000, ", "");
    fs::write(&path, broken).expect("write");
    let err = read_timeline(&path).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: field `metadata.request_start_ns`: is missing or not a whole number",
            path.display()
        )
    );
    fs::write(&path, "{not json\n").expect("write");
    let err = read_timeline(&path).expect_err("must fail");
    assert!(
        err.to_string().starts_with(&format!(
            "{}:1: field `(line)`: not valid JSON",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn run_report_draws_the_timeline_or_says_why_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        &dir.path().join("profile_export_aiperf.json"),
        &aiperf_json("m", &RUNS[0]),
    );
    let html = fs::read_to_string(write_run_report(dir.path()).expect("report")).expect("read");
    assert_eq!(svgs(&html).len(), 3);
    assert!(html.contains("No request timeline:") && html.contains("no per-request export"));

    fs::write(dir.path().join("profile_export.jsonl"), JSONL).expect("write");
    let html = fs::read_to_string(write_run_report(dir.path()).expect("report")).expect("read");
    let svgs = svgs(&html);
    assert_eq!(svgs.len(), 4);
    assert!(svgs[3].contains("Request latency over the run"));
    assert!(svgs[3].contains("failed") && svgs[3].contains("succeeded"));
}
