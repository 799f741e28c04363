use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn loadgen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_loadgen"))
}

pub(crate) fn run(args: &[&str]) -> Output {
    loadgen().args(args).output().expect("run loadgen")
}

pub(crate) fn summary(dir: &Path) -> Value {
    let text =
        std::fs::read_to_string(dir.join("profile_export_aiperf.json")).expect("summary json");
    serde_json::from_str(&text).expect("valid json")
}

pub(crate) fn jsonl_lines(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("profile_export.jsonl"))
        .expect("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is json"))
        .collect()
}

#[test]
fn benchmarks_the_embedded_engine_and_writes_every_export() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(&[
        "--request-count",
        "6",
        "--concurrency",
        "2",
        "--osl",
        "12",
        "--ignore-eos",
        "--num-dataset-entries",
        "4",
        "--random-seed",
        "7",
        "--mocker-speedup-ratio",
        "20",
        "--warmup-request-count",
        "2",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}\n{stderr}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Time to First Token (ms)"), "{stdout}");

    let s = summary(&dir);
    assert_eq!(s["was_cancelled"], false);
    assert_eq!(s["request_count"]["avg"], 6.0);
    assert_eq!(s["time_to_first_token"]["count"], 6);
    assert_eq!(s["time_to_first_token"]["unit"], "ms");
    // --osl 12 with --ignore-eos pins the output: every request streams exactly 12 tokens.
    assert_eq!(s["output_sequence_length"]["min"], 12.0);
    assert_eq!(s["output_sequence_length"]["max"], 12.0);
    assert_eq!(s["input_config"]["endpoint"]["streaming"], true);
    assert_eq!(s["run_info"]["random_seed"], 7);
    assert!(s["client_health"]["event_loop_lag"]["p99"].is_number());
    assert!(
        s["warmup_metrics"].is_object(),
        "warm-up reported separately"
    );

    // One JSONL line per request, warm-up included, each naming its phase.
    let lines = jsonl_lines(&dir);
    assert_eq!(lines.len(), 8);
    let warm = lines
        .iter()
        .filter(|l| l["metadata"]["benchmark_phase"] == "warmup")
        .count();
    assert_eq!(warm, 2);
    // The simulated server's own timings travel through the client into every record.
    let timing = &lines[0]["metadata"]["server_timing"];
    assert_eq!(timing["worker_id"], 0, "{timing}");
    assert!(timing["cached_tokens"].as_u64().is_some(), "{timing}");
    assert!(timing["prefill_ms"].as_f64().is_some(), "{timing}");
    // The server's TTFT interval (arrival to first token handed to HTTP) lies inside the
    // client's (request written to first token read), so the client can never read less.
    for line in &lines {
        let client = line["metrics"]["time_to_first_token"]["value"]
            .as_f64()
            .unwrap();
        let server = line["metadata"]["server_timing"]["ttft_ms"]
            .as_f64()
            .unwrap();
        assert!(
            client >= server,
            "client TTFT {client} ms < server TTFT {server} ms"
        );
    }

    let inputs: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("inputs.json")).unwrap()).unwrap();
    let data = inputs["data"].as_array().unwrap();
    assert_eq!(data.len(), 4);
    assert_eq!(data[0]["payloads"][0]["max_completion_tokens"], 12);
    assert!(dir.join("profile_export_aiperf.csv").exists());
}

#[test]
fn a_run_where_every_request_fails_exits_non_zero_and_still_exports() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(&[
        "--url",
        &url,
        "--request-count",
        "3",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&dir);
    assert_eq!(s["error_request_count"]["avg"], 3.0);
    let errors = s["error_summary"].as_array().unwrap();
    assert_eq!(errors[0]["count"], 3);
    assert_eq!(errors[0]["error_details"]["type"], "connect");
    assert_eq!(jsonl_lines(&dir).len(), 3);
}

#[test]
fn bad_flags_are_usage_errors_naming_the_flag() {
    let out = run(&["--url", "http://127.0.0.1:9", "--concurrency", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--concurrency"));
    let out = run(&[
        "--url",
        "http://127.0.0.1:9",
        "--goodput",
        "no_such_metric:5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("goodput"));
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_run_and_writes_cancelled_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let child = loadgen()
        .args([
            "--benchmark-duration",
            "60",
            "--concurrency",
            "2",
            "--osl",
            "400",
            "--ignore-eos",
            "--ui",
            "none",
            "--allow-client-saturation",
            "--artifact-dir",
            dir.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start loadgen");
    // Wait until at least one request has finished (a JSONL line exists), then interrupt.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let done = std::fs::read_to_string(dir.join("profile_export.jsonl"))
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if done >= 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(killed.success());
    let out = child.wait_with_output().expect("loadgen exits");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&dir);
    assert_eq!(s["was_cancelled"], true);
    assert_eq!(s["is_complete"], false);
    // The two requests in flight were cancelled and recorded, not lost.
    let lines = jsonl_lines(&dir);
    assert!(lines.len() >= 3, "{} lines", lines.len());
    assert!(lines.iter().any(|l| l["metadata"]["was_cancelled"] == true));
}
