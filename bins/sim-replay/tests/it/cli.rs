//! The binary end to end on hand-written traces.

use std::path::Path;
use std::process::{Command, Output};

fn sim_replay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim-replay"))
        .args(args)
        .output()
        .expect("run sim-replay")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

const TRACE: &str = "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 4, \"hash_ids\": [1, 2]}\n\
{\"timestamp\": 100, \"input_length\": 700, \"output_length\": 3, \"hash_ids\": [1, 2]}\n";

fn prefill_ms(n: f64) -> f64 {
    4.209989e-7 * n * n + 1.518344e-2 * n + 16.50142
}

#[test]
fn a_disaggregated_replay_writes_every_export_and_its_ttft_holds_the_transfer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = write(dir.path(), "trace.jsonl", TRACE);
    let out = dir.path().join("out");
    let o = sim_replay(&[
        "--input-file",
        &trace,
        "--num-prefill-workers",
        "1",
        "--num-decode-workers",
        "1",
        "--kv-bytes-per-token",
        "1000",
        "--kv-transfer-bandwidth",
        "0.001",
        "--artifact-dir",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("2 requests"), "{stdout}");
    for file in [
        "profile_export.jsonl",
        "profile_export_aiperf.json",
        "profile_export_aiperf.csv",
        "server_metrics_export.json",
        "server_metrics_export.csv",
    ] {
        assert!(out.join(file).exists(), "{file}");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("profile_export_aiperf.json")).unwrap())
            .unwrap();
    let sim = &summary["simulation"];
    assert_eq!(sim["disaggregated"]["prefill_workers"], 1);
    let roles: Vec<&str> = sim["engines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["decode", "prefill"]);
    // Request 0: a 600-token prefill, then 600 tokens x 1000 B at 1 MB/s = 600 ms of transfer.
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(out.join("profile_export.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let ttft = first["metrics"]["time_to_first_token"]["value"]
        .as_f64()
        .unwrap();
    let expected = prefill_ms(600.0) + 600.0;
    assert!((ttft - expected).abs() < 1e-6, "{ttft} vs {expected}");
}

#[test]
fn bad_values_and_inputs_exit_with_the_documented_statuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = write(dir.path(), "trace.jsonl", TRACE);
    let out = dir.path().join("out");
    let out = out.to_str().expect("utf-8");

    let o = sim_replay(&[
        "--input-file",
        &trace,
        "--num-prefill-workers",
        "1",
        "--num-decode-workers",
        "1",
        "--kv-transfer-bandwidth",
        "0",
        "--artifact-dir",
        out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("transfer_bandwidth"), "{err}");

    let bad = write(
        dir.path(),
        "bad.jsonl",
        "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 4, \"hash_ids\": [1]}\n\
         {\"timestamp\": 5, \"input_length\": \"ten\", \"output_length\": 4}\n",
    );
    let o = sim_replay(&["--input-file", &bad, "--artifact-dir", out]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.jsonl:2"), "{err}");
    assert!(err.contains("input_length"), "{err}");

    // An export that would overwrite the input is refused before anything runs.
    let clash = write(dir.path(), "profile_export.jsonl", TRACE);
    let o = sim_replay(&[
        "--input-file",
        &clash,
        "--custom-dataset-type",
        "mooncake_trace",
        "--artifact-dir",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(&clash).unwrap(), TRACE);
}

/// AIPerf's multi_turn JSONL under closed-loop users: every turn runs, in order, each session's
/// second turn its delay after the first ends and with the first turn's prompt and reply in front.
#[test]
fn multi_turn_sessions_replay_under_concurrency() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "sessions.jsonl",
        "{\"session_id\": \"a\", \"turns\": [{\"text\": \"one two three\"}, {\"text\": \"four\", \"delay\": 40}]}\n\
         {\"session_id\": \"b\", \"turns\": [{\"text\": \"five six\"}, {\"text\": \"seven eight\", \"delay\": 10}]}\n",
    );
    let out = dir.path().join("out");
    let o = sim_replay(&[
        "--input-file",
        &file,
        "--custom-dataset-type",
        "multi_turn",
        "--concurrency",
        "2",
        "--osl",
        "2",
        "--artifact-dir",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("profile_export.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let find = |session: u64, turn: u64| {
        lines
            .iter()
            .find(|l| {
                l["metadata"]["session_num"] == session && l["metadata"]["turn_index"] == turn
            })
            .unwrap_or_else(|| panic!("session {session} turn {turn}"))
    };
    let (a0, a1) = (find(0, 0), find(0, 1));
    let ns = |l: &serde_json::Value, key: &str| l["metadata"][key].as_u64().unwrap();
    assert_eq!(
        ns(a1, "request_start_ns") - ns(a0, "request_end_ns"),
        40_000_000,
        "the turn's delay after the previous turn ended"
    );
    // Turn a1's input: 3 prompt tokens + 2 reply tokens + its own 1.
    assert_eq!(a1["metrics"]["input_sequence_length"]["value"], 6);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("profile_export_aiperf.json")).unwrap())
            .unwrap();
    assert_eq!(summary["input_config"]["datasets"][0]["type"], "multi_turn");
    assert_eq!(summary["input_config"]["phases"][1]["type"], "concurrency");
}
