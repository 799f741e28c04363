//! Ctrl-C during the search: the candidates measured completely are written to `results.json`,
//! no selection is made from a partial search, and the exit status is 130.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::Value;

#[cfg(unix)]
#[test]
fn an_interrupt_writes_the_finished_candidates_and_exits_130() {
    let dir = tempfile::tempdir().expect("test setup");
    let mut child = Command::new(env!("CARGO_BIN_EXE_profile-sla"))
        .arg("--output-dir")
        .arg(dir.path())
        .args([
            "--min-num-gpus-per-engine",
            "1",
            "--max-num-gpus-per-engine",
            "4",
        ])
        .args([
            "--isl", "3000", "--osl", "20", "--ttft", "200", "--itl", "30",
        ])
        .args(["--decode-interpolation-granularity", "2"])
        .args([
            "--warmup-request-count",
            "1",
            "--mocker-num-gpu-blocks",
            "256",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("test setup");
    let mut stderr = BufReader::new(child.stderr.take().expect("test setup"));
    let mut seen = String::new();
    // The first of the three candidates (1, 2 and 4 GPUs) is measured.
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).expect("stderr") > 0,
            "ended before the first candidate:\n{seen}"
        );
        seen.push_str(&line);
        if line.starts_with("profile-sla: ") && line.contains("decode points") {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("stderr");
    seen.push_str(&rest);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(seen.contains("interrupted while measuring"), "{seen}");

    let results: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("results.json")).expect("results.json written"),
    )
    .expect("valid JSON");
    let measured = results.as_array().expect("a list of candidates").len();
    // The first candidate, and the second if it finished before the interrupt landed; never
    // the one the interrupt cut short.
    assert!((1..=2).contains(&measured), "{measured} candidates\n{seen}");
    assert!(!dir.path().join("summary.json").exists(), "no selection");
}
