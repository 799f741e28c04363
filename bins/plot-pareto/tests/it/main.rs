//! Integration tests of the plot-pareto binary on AIPerf-shaped artifacts written by hand.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn plot_pareto(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plot-pareto"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("plot-pareto runs")
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// The metrics plot_pareto.py reads, in AIPerf 0.13's shape.
fn export(per_user: f64, total: f64) -> String {
    format!(
        r#"{{"schema_version": "1.4", "aiperf_version": "0.13.0",
  "output_token_throughput": {{"unit": "tokens/sec", "avg": {total}}},
  "output_token_throughput_per_user": {{"unit": "tokens/sec/user", "avg": {per_user}, "p50": {per_user}}},
  "time_to_first_token": {{"unit": "ms", "avg": 30.0, "p50": 30.0}},
  "inter_token_latency": {{"unit": "ms", "avg": 5.0, "p50": 5.0}},
  "request_throughput": {{"unit": "requests/sec", "avg": 3.0}},
  "error_summary": []}}"#
    )
}

#[test]
fn writes_results_csv_and_chart_into_the_current_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a0 = dir.path().join("artifacts_root/artifacts_0");
    write(
        &a0.join("deployment_config.json"),
        r#"{"kind": "dynamo", "model": "m", "input_sequence_length": 3000, "output_sequence_length": 150, "tensor_parallelism": 4, "data_parallelism": 1, "prefill_tensor_parallelism": 0, "prefill_data_parallelism": 0, "decode_tensor_parallelism": 0, "decode_data_parallelism": 0, "mode": "aggregated"}"#,
    );
    for (c, pu, total) in [(1, 100.0, 100.0), (8, 60.0, 480.0), (16, 50.0, 400.0)] {
        write(
            &a0.join(format!(
                "m-openai-chat-concurrency{c}/profile_export_aiperf.json"
            )),
            &export(pu, total),
        );
    }
    let out = plot_pareto(dir.path(), &["--artifacts-root-dir", "artifacts_root"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = fs::read_to_string(dir.path().join("results.csv")).expect("results.csv");
    let expected = ",label,configuration,concurrency,output_token_throughput_per_user_avg,\
        output_token_throughput_per_gpu_avg,time_to_first_token_avg,inter_token_latency_avg,\
        is_pareto_efficient\n\
        0,dynamo_aggregated,artifacts_root/artifacts_0/m-openai-chat-concurrency1/profile_export_aiperf.json,1,100.0,25.0,30.0,5.0,True\n\
        1,dynamo_aggregated,artifacts_root/artifacts_0/m-openai-chat-concurrency16/profile_export_aiperf.json,16,50.0,100.0,30.0,5.0,False\n\
        2,dynamo_aggregated,artifacts_root/artifacts_0/m-openai-chat-concurrency8/profile_export_aiperf.json,8,60.0,120.0,30.0,5.0,True\n";
    assert_eq!(csv, expected);
    let png = fs::read(dir.path().join("pareto_plot.png")).expect("png");
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn an_artifacts_dir_without_deployment_config_fails_with_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        &dir.path()
            .join("artifacts_3/m-openai-chat-concurrency1/profile_export_aiperf.json"),
        &export(1.0, 1.0),
    );
    let out = plot_pareto(dir.path(), &["--artifacts-root-dir", "."]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("artifacts_3") && err.contains("deployment_config.json"),
        "{err}"
    );
}
