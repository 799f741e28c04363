//! Ctrl-C during a sweep: the points measured before it are written, and the exit status is 130.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Interrupted after its second ISL point (of 9), a prefill sweep writes
/// `prefill_raw_data.json` holding exactly the points finished before the interrupt, each with
/// its run directory, and ends with status 130.
#[cfg(unix)]
#[test]
fn an_interrupt_writes_the_points_measured_so_far_and_exits_130() {
    let dir = tempfile::tempdir().expect("test setup");
    let work = dir.path().join("prof");
    let mut child = Command::new(env!("CARGO_BIN_EXE_profile-endpoint"))
        .args(["--model_name", "m", "--num_gpus", "1", "--mode", "prefill"])
        .args([
            "--max_context_length",
            "8704",
            "--interpolation_granularity",
            "8",
        ])
        .args([
            "--warmup-request-count",
            "0",
            "--mocker-speedup-ratio",
            "0.5",
        ])
        .arg("--work_dir")
        .arg(&work)
        .stderr(Stdio::piped())
        .spawn()
        .expect("test setup");
    let mut stderr = BufReader::new(child.stderr.take().expect("test setup"));
    let mut seen = String::new();
    let mut finished = 0;
    while finished < 2 {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).expect("stderr") > 0,
            "ended before two points:\n{seen}"
        );
        if line.contains("prefill ISL") && line.contains("TTFT") {
            finished += 1;
        }
        seen.push_str(&line);
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("stderr");
    seen.push_str(&rest);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(
        seen.contains("interrupted during the prefill sweep"),
        "{seen}"
    );

    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(work.join("prefill_raw_data.json")).expect("json written"),
    )
    .expect("valid JSON");
    let isls: Vec<u64> = json["prefill_isl"]
        .as_array()
        .expect("prefill_isl")
        .iter()
        .map(|v| v.as_u64().expect("integer"))
        .collect();
    // The grid is 100, 1111, 2122, ... (spec §8.3); the interrupt came after the second point,
    // during the third at the latest, whose cut-short run is left out.
    assert!(
        isls == [100, 1111] || isls == [100, 1111, 2122],
        "points written: {isls:?}\n{seen}"
    );
    for isl in &isls {
        assert!(work.join(format!("aiperf_isl{isl}")).is_dir(), "{isl}");
    }
    assert_eq!(
        json["prefill_ttft"].as_array().map(Vec::len),
        Some(isls.len())
    );
}
