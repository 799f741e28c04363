//! AIPerf flags with behaviour: several models, request cancellation.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::cli::{loadgen, summary};

/// A chat server on 127.0.0.1 that records the `model` of every request body and answers each
/// with a small non-streamed completion (HTTP/1.1 keep-alive).
fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let record = Arc::clone(&record);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut writer = stream;
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    let mut first = true;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" && !first {
                            break;
                        }
                        first = false;
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let model = json["model"].as_str().unwrap_or("").to_owned();
                    record.lock().expect("lock").push(model.clone());
                    let reply = serde_json::json!({
                        "id": "x", "object": "chat.completion", "model": model,
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": "ok"}}],
                    })
                    .to_string();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        reply.len()
                    );
                    if writer.write_all(head.as_bytes()).is_err()
                        || writer.write_all(reply.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

fn run_against(url: &str, extra: &[&str], dir: &std::path::Path) {
    let mut args = vec![
        "--url",
        url,
        "--concurrency",
        "1",
        "--isl",
        "8",
        "--ui",
        "none",
        "--no-server-metrics",
        "--allow-client-saturation",
        "--artifact-dir",
    ];
    args.push(dir.to_str().expect("utf-8"));
    args.extend_from_slice(extra);
    let out = loadgen().args(&args).output().expect("run loadgen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn model_names_round_robin_names_each_model_in_turn() {
    let (url, seen) = recording_server();
    let tmp = tempfile::tempdir().unwrap();
    run_against(
        &url,
        &["--model-names", "alpha,beta,gamma", "--request-count", "6"],
        tmp.path(),
    );
    assert_eq!(
        *seen.lock().unwrap(),
        ["alpha", "beta", "gamma", "alpha", "beta", "gamma"]
    );
    let s = summary(tmp.path());
    assert_eq!(s["input_config"]["models"]["items"][1]["name"], "beta");
}

#[test]
fn model_names_random_uses_every_model_and_repeats_with_the_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (url, seen) = recording_server();
        let tmp = tempfile::tempdir().unwrap();
        run_against(
            &url,
            &[
                "--model-names",
                "a,b",
                "--model-selection-strategy",
                "random",
                "--request-count",
                "40",
                "--random-seed",
                "5",
            ],
            tmp.path(),
        );
        runs.push(seen.lock().unwrap().clone());
    }
    assert_eq!(runs[0], runs[1], "same seed, same picks");
    let a = runs[0].iter().filter(|m| *m == "a").count();
    assert!((8..=32).contains(&a), "{a} of 40 named a: {:?}", runs[0]);
    assert!(runs[0].iter().all(|m| m == "a" || m == "b"));
    assert_ne!(runs[0][..10], ["a"; 10], "not round-robin or constant");
}

#[test]
fn cancelled_requests_are_recorded_as_aiperf_does() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    // 200 output tokens at the simulated engine's real speed take far longer than 50 ms.
    let out = loadgen()
        .args([
            "--request-count",
            "4",
            "--concurrency",
            "2",
            "--osl",
            "200",
            "--ignore-eos",
            "--request-cancellation-rate",
            "100",
            "--request-cancellation-delay",
            "0.05",
            "--ui",
            "none",
            "--no-server-metrics",
            "--allow-client-saturation",
            "--artifact-dir",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    // Every request failed (cancelled): exit status 1 as for any all-failed run.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("profile_export.jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for l in &lines {
        assert_eq!(l["metadata"]["was_cancelled"], true, "{l}");
        assert!(
            l["metadata"]["cancellation_time_ns"].as_u64().is_some(),
            "{l}"
        );
        assert_eq!(l["error"]["code"], 499, "{l}");
        // The delay runs from the moment the request is dispatched (credit issued).
        let span = l["metadata"]["request_end_ns"].as_u64().unwrap()
            - l["metadata"]["credit_issued_ns"].as_u64().unwrap();
        assert!(
            span >= 50_000_000,
            "cancelled after {span} ns, before the delay"
        );
    }
}

#[test]
fn a_cancellation_rate_cancels_that_share() {
    let (url, _seen) = recording_server();
    let tmp = tempfile::tempdir().unwrap();
    // The recording server answers at once, so only a zero delay can cancel; 50% of 200.
    run_against(
        &url,
        &[
            "--request-count",
            "200",
            "--request-cancellation-rate",
            "50",
            "--request-cancellation-delay",
            "0",
            "--random-seed",
            "3",
        ],
        tmp.path(),
    );
    let text = std::fs::read_to_string(tmp.path().join("profile_export.jsonl")).unwrap();
    let cancelled = text
        .lines()
        .filter(|l| l.contains("\"was_cancelled\":true"))
        .count();
    assert!(
        (70..=130).contains(&cancelled),
        "{cancelled} of 200 cancelled"
    );
}

/// `metadata.<field>` of the profiling records, sorted, in seconds from the first.
fn profiling_times(dir: &std::path::Path, field: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join("profile_export.jsonl")).expect("jsonl");
    let mut ns: Vec<u64> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .filter(|l| l["metadata"]["benchmark_phase"] == "profiling")
        .map(|l| l["metadata"][field].as_u64().expect("stamp"))
        .collect();
    ns.sort_unstable();
    ns.iter().map(|&t| (t - ns[0]) as f64 / 1e9).collect()
}

#[test]
fn request_rate_ramp_spaces_the_first_requests_wider() {
    let (url, _seen) = recording_server();
    let tmp = tempfile::tempdir().unwrap();
    // Constant 20/s ramped over 1 s: target offsets k/20 become sqrt(k/10) for k < 10, then
    // k/20 + 0.5; so requests 1..5 span sqrt(0.5)-sqrt(0.1) = 0.39 s, requests 15..19 span
    // 0.2 s (0.05 s apart, the target rate).
    run_against(
        &url,
        &[
            "--request-rate",
            "20",
            "--request-rate-mode",
            "constant",
            "--request-rate-ramp-duration",
            "1",
            "--request-count",
            "20",
        ],
        tmp.path(),
    );
    let t = profiling_times(tmp.path(), "credit_issued_ns");
    assert_eq!(t.len(), 20);
    let early = t[5] - t[1];
    let late = t[19] - t[15];
    assert!(
        early > 0.3 && late < 0.3,
        "early span {early} s, late span {late} s: {t:?}"
    );
}

#[test]
fn concurrency_ramp_starts_users_one_by_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    // 100 tokens at the simulated engine's real speed keep each request busy well past 0.6 s,
    // so the first four sends are the four users' first requests, at 0, 0.2, 0.4 and 0.6 s.
    let out = loadgen()
        .args([
            "--concurrency",
            "4",
            "--concurrency-ramp-duration",
            "0.6",
            "--request-count",
            "4",
            "--osl",
            "100",
            "--ignore-eos",
            "--ui",
            "none",
            "--no-server-metrics",
            "--allow-client-saturation",
            "--artifact-dir",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = profiling_times(&dir, "request_start_ns");
    assert_eq!(t.len(), 4);
    assert!(t[1] >= 0.15 && t[2] >= 0.35 && t[3] >= 0.55, "{t:?}");
}

#[test]
fn ramps_with_the_wrong_load_mode_are_refused() {
    for (args, says) in [
        (
            &["--request-rate", "5", "--concurrency-ramp-duration", "1"][..],
            "--concurrency-ramp-duration",
        ),
        (
            &["--request-rate-ramp-duration", "1"][..],
            "--request-rate-ramp-duration",
        ),
        (
            &["--request-rate", "5", "--request-rate-ramp-duration", "0"][..],
            "> 0",
        ),
    ] {
        let out = loadgen()
            .args(args)
            .args(["--request-count", "1"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn slice_duration_writes_aiperf_timeslices_of_the_records() {
    let (url, _seen) = recording_server();
    let tmp = tempfile::tempdir().unwrap();
    run_against(
        &url,
        &[
            "--request-rate",
            "25",
            "--request-rate-mode",
            "constant",
            "--request-count",
            "20",
            "--slice-duration",
            "0.25",
        ],
        tmp.path(),
    );
    let j: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("profile_export_aiperf_timeslices.json")).unwrap(),
    )
    .unwrap();
    let slices = j["timeslices"].as_array().unwrap();
    // 20 sends 40 ms apart span 0.76 s: four windows of 0.25 s.
    assert_eq!(slices.len(), 4, "{j}");
    let counts: Vec<u64> = slices
        .iter()
        .map(|s| s["request_count"]["avg"].as_u64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), 20, "{counts:?}");
    assert_eq!(slices[0]["is_complete"], true);
    assert_eq!(slices[3]["is_complete"], false);

    // Slice 0's latency average, recomputed here from the records sent in its window.
    let text = std::fs::read_to_string(tmp.path().join("profile_export.jsonl")).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let origin = records
        .iter()
        .map(|r| r["metadata"]["credit_issued_ns"].as_u64().unwrap())
        .min()
        .unwrap();
    let first: Vec<f64> = records
        .iter()
        .filter(|r| r["metadata"]["credit_issued_ns"].as_u64().unwrap() - origin < 250_000_000)
        .map(|r| r["metrics"]["request_latency"]["value"].as_f64().unwrap())
        .collect();
    let avg = first.iter().sum::<f64>() / first.len() as f64;
    let got = slices[0]["request_latency"]["avg"].as_f64().unwrap();
    assert!((got - avg).abs() < 1e-9, "{got} vs {avg}");
    assert_eq!(slices[0]["request_latency"]["count"], first.len());
    let csv =
        std::fs::read_to_string(tmp.path().join("profile_export_aiperf_timeslices.csv")).unwrap();
    assert!(csv.starts_with("Timeslice,Metric,Unit,Stat,Value\n0,request_count,requests,avg,"));
}

#[test]
fn profile_export_prefix_renames_every_export() {
    let (url, _seen) = recording_server();
    let tmp = tempfile::tempdir().unwrap();
    run_against(
        &url,
        &[
            "--request-count",
            "3",
            "--profile-export-prefix",
            "run7",
            "--slice-duration",
            "1",
        ],
        tmp.path(),
    );
    for name in [
        "run7.json",
        "run7.csv",
        "run7.jsonl",
        "run7_timeslices.json",
        "run7_timeslices.csv",
    ] {
        assert!(tmp.path().join(name).exists(), "{name} missing");
    }
    for old in ["profile_export_aiperf.json", "profile_export.jsonl"] {
        assert!(!tmp.path().join(old).exists(), "{old} still there");
    }
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("run7.json")).unwrap())
            .unwrap();
    assert_eq!(s["request_count"]["avg"], 3.0);
}
