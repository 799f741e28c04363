//! Bad input is an error naming the file (and line or field), never a panic.

use std::fs;

use servebench_report::{
    ReportError, RunExport, plot_sweep, read_data_dir, read_deployment_config,
};

use crate::fixtures::{RUNS, aiperf_json, write};

#[test]
fn malformed_json_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profile_export_aiperf.json");
    fs::write(
        &path,
        "{\n  \"request_throughput\": {\"unit\": \"requests/sec\", \"avg\": }\n}",
    )
    .expect("write");
    let err = RunExport::read(&path).expect_err("must fail");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:2:", path.display())),
        "{text}"
    );
}

#[test]
fn missing_metric_names_file_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let json = aiperf_json("m", &RUNS[0]).replace("\"inter_token_latency\"", "\"renamed\"");
    let file = data.join("agg/c1/profile_export_aiperf.json");
    write(&file, &json);
    let err = plot_sweep(data, &data.join("plots"), &[]).expect_err("must fail");
    match &err {
        ReportError::Field { path, field, .. } => {
            assert_eq!(path, &file);
            assert_eq!(field, "inter_token_latency.p50");
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn wrong_types_name_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.json");
    let json = aiperf_json("m", &RUNS[0]).replace(
        "\"request_throughput\": {\"unit\": \"requests/sec\", \"avg\": 1.5}",
        "\"request_throughput\": {\"unit\": \"requests/sec\", \"avg\": [1.5]}",
    );
    fs::write(&path, json).expect("write");
    let err = RunExport::read(&path).expect_err("must fail");
    assert!(
        err.to_string().contains("field `request_throughput.avg`"),
        "{err}"
    );
    let dpath = dir.path().join("deployment_config.json");
    fs::write(
        &dpath,
        r#"{"kind": "k", "model": "m", "mode": "aggregated"}"#,
    )
    .expect("write");
    let err = read_deployment_config(&dpath).expect_err("must fail");
    assert!(
        err.to_string().contains("field `input_sequence_length`"),
        "{err}"
    );
}

#[test]
fn run_without_any_concurrency_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = aiperf_json("m", &RUNS[0]).replace("\"concurrency\": 1,", "");
    write(
        &dir.path().join("s/run-a/profile_export_aiperf.json"),
        &json,
    );
    let err = read_data_dir(dir.path(), &[]).expect_err("must fail");
    assert!(matches!(err, ReportError::Concurrency { .. }), "{err}");
    assert!(err.to_string().contains("run-a"), "{err}");
}

#[test]
fn empty_directory_is_not_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = read_data_dir(dir.path(), &[]).expect_err("must fail");
    assert!(matches!(err, ReportError::NotFound { .. }), "{err}");
}
