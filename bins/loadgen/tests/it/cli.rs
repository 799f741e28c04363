use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) fn loadgen() -> Command {
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
    // 100 % server errors is above the default --max-error-rate of 5 %: status 4, after every
    // export was written, naming the top error kinds.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("--max-error-rate 5") && stderr.contains("3 x connect"),
        "{stderr}"
    );
    let s = summary(&dir);
    assert_eq!(s["error_request_count"]["avg"], 3.0);
    // The echo records the concurrency the run used (the default 1), not null.
    assert_eq!(s["input_config"]["phases"][1]["concurrency"], 1);
    let errors = s["error_summary"].as_array().unwrap();
    assert_eq!(errors[0]["count"], 3);
    assert_eq!(errors[0]["error_details"]["type"], "connect");
    assert_eq!(jsonl_lines(&dir).len(), 3);
    // No row disappears silently: the summary says why each table row has no samples.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("No samples (every request failed): Request Latency"),
        "{stdout}"
    );
    assert!(
        stdout.contains("No samples (not streaming") && stdout.contains("Time to First Token"),
        "{stdout}"
    );
    assert!(stdout.contains("3 x connect"), "{stdout}");
    // With --url the embedded engine is not in the process; the CPU note must not blame it.
    assert!(!stdout.contains("embedded engine"), "{stdout}");
}

#[test]
fn bad_flags_are_usage_errors_naming_the_flag() {
    let out = run(&["--url", "http://127.0.0.1:9", "--concurrency", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--concurrency") && stderr.contains("at least 1"),
        "{stderr}"
    );
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
    interrupt_writes_cancelled_exports("-TERM");
}

/// Ctrl-C itself (SIGINT, what a terminal sends), not only SIGTERM.
#[cfg(unix)]
#[test]
fn sigint_stops_the_run_and_writes_cancelled_exports() {
    interrupt_writes_cancelled_exports("-INT");
}

#[cfg(unix)]
fn interrupt_writes_cancelled_exports(signal: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
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
            dir.to_str().expect("UTF-8 path"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start loadgen");
    // Wait until at least one request has finished (a JSONL line exists in the sidecar the
    // records are streamed to during the run), then interrupt.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let done = std::fs::read_to_string(dir.join("profile_export.jsonl.partial"))
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if done >= 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("send the signal");
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
    // Renamed into place on the interrupt too: no sidecar left.
    assert!(!dir.join("profile_export.jsonl.partial").exists());
}

#[test]
fn an_error_rate_within_max_error_rate_is_not_exit_4() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(&[
        "--url",
        &url,
        "--request-count",
        "2",
        "--max-error-rate",
        "100",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    // Allowed by the rate, but nothing succeeded: status 1.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_stalled_client_exits_3_without_allow_client_saturation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let args = [
        "--request-count",
        "20",
        "--concurrency",
        "2",
        "--osl",
        "8",
        "--mocker-speedup-ratio",
        "10",
        "--ui",
        "none",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ];
    // The library's test hook blocks the client runtime 30 ms every 10 ms: a genuinely late
    // client, whose lag is far above 1 ms and 10 % of the TTFT it measures.
    let out = loadgen()
        .args(args)
        .env("SERVEBENCH_TEST_STALL_EVENT_LOOP_MS", "30")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("CLIENT SATURATED"), "{stdout}");
    assert!(stderr.contains("--allow-client-saturation"), "{stderr}");
    // The exports were written all the same.
    assert_eq!(summary(&dir)["client_health"]["saturated"], true);
}

#[test]
fn flag_values_are_range_checked_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let dir_arg = dir.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--url", "http://127.0.0.1:9", "--request-rate", "-1"],
            "--request-rate",
        ),
        (&["--mocker-speedup-ratio", "-2"], "--mocker-speedup-ratio"),
        (
            &["--url", "http://127.0.0.1:9", "--max-error-rate", "150"],
            "--max-error-rate",
        ),
        (&["--url", "not-a-url"], "not-a-url"),
        (&["--url", "https://127.0.0.1:9"], "https is not supported"),
        (
            &[
                "--url",
                "http://127.0.0.1:9",
                "--concurrency",
                "100000000000",
            ],
            "RLIMIT_NOFILE",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = flags.to_vec();
        args.extend(["--ui", "none", "--artifact-dir", dir_arg]);
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
        assert!(
            !stderr.contains("unexpected argument"),
            "{flags:?}: {stderr}"
        );
        assert!(!stderr.contains("Some("), "{flags:?}: {stderr}");
        assert!(!dir.exists(), "{flags:?} wrote {}", dir.display());
    }
}

#[test]
fn an_unwritable_artifact_dir_names_the_cause_once() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let out = run(&[
        "--url",
        &url,
        "--ui",
        "none",
        "--artifact-dir",
        file.join("sub").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    let cause = "Not a directory (os error 20)";
    assert_eq!(stderr.matches(cause).count(), 1, "{stderr}");
}

#[test]
fn secrets_never_reach_a_written_file_or_the_console() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let secrets = [
        "SECRET-api-1",
        "SECRET-token-2",
        "SECRET-bearer-3",
        "SECRET-cookie-4",
    ];
    let out = run(&[
        "--api-key",
        secrets[0],
        "-H",
        &format!("X-Token: {}", secrets[1]),
        "--header",
        &format!("Authorization: Bearer {}", secrets[2]),
        &format!("--header=Cookie:{}", secrets[3]),
        "-H",
        "X-Trace: visible-7",
        "--request-count",
        "2",
        "--osl",
        "4",
        "--mocker-speedup-ratio",
        "50",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    let mut texts = vec![
        ("stdout".to_owned(), out.stdout.clone()),
        ("stderr".to_owned(), out.stderr.clone()),
    ];
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        texts.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    names.sort();
    assert_eq!(
        names,
        [
            "inputs.json",
            "profile_export.jsonl",
            "profile_export_aiperf.csv",
            "profile_export_aiperf.json",
            "server_metrics_export.csv",
            "server_metrics_export.json",
        ],
        "every export is checked"
    );
    for (name, bytes) in &texts {
        let text = String::from_utf8_lossy(bytes);
        for secret in secrets {
            assert!(!text.contains(secret), "{name} contains {secret}");
        }
    }
    // The header names (and harmless values) are kept; the secrets' places say so.
    let cli = summary(&dir)["run_info"]["cli_command"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(cli.contains("X-Token: <redacted>"), "{cli}");
    assert!(cli.contains("--api-key <redacted>"), "{cli}");
    assert!(cli.contains("X-Trace: visible-7"), "{cli}");

    // A malformed secret header is refused without echoing its value.
    let out = run(&[
        "--url",
        "http://127.0.0.1:9",
        "-H",
        "X-Api-Key: bad\u{1}SECRET-5",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("X-Api-Key") && !stderr.contains("SECRET-5"),
        "{stderr}"
    );
}
