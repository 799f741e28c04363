//! Bad values refused with the flag named, the row cap, and no partial output on an interrupt.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::sin_synth;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs sin-synth with `args`, expects exit 2, no file written, and `needles` in stderr.
fn refused(args: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = sin_synth(dir.path(), args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: lacks {needle}: {stderr}"
        );
    }
    assert_eq!(files(dir.path()), Vec::<String>::new(), "{args:?}");
}

#[test]
fn probabilities_outside_0_1_are_refused() {
    refused(
        &["--isl-osl-ratio-max", "1.5"],
        &["invalid --isl-osl-ratio-max", "between 0 and 1, got 1.5"],
    );
    refused(
        &["--isl-osl-ratio-min", "-0.25"],
        &["invalid --isl-osl-ratio-min", "between 0 and 1"],
    );
}

#[test]
fn rate_min_above_rate_max_is_refused() {
    refused(
        &["--request-rate-min", "8", "--request-rate-max", "5"],
        &["invalid --request-rate-min: must not exceed --request-rate-max (8 > 5)"],
    );
}

#[test]
fn zero_sequence_lengths_are_refused() {
    for flag in ["--isl1", "--osl1", "--isl2", "--osl2"] {
        refused(
            &[flag, "0"],
            &[&format!("invalid {flag}: must be at least 1")],
        );
    }
}

#[test]
fn absurd_row_counts_are_refused_before_writing_unless_allowed() {
    // 1e6 req/s for 100 s: 1e8 rows, above the 50M default cap.
    refused(
        &["--request-rate-max", "1000000"],
        &[
            "refusing to write about 100000000 rows",
            "--request-rate-max × --time-duration",
            "--max-rows 50000000",
        ],
    );
    // A lower cap refuses the defaults (at most 10 req/s × 100 s = 1000 rows) ...
    refused(&["--max-rows", "999"], &["--max-rows 999"]);
    // ... and a cap at the estimate allows them.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = sin_synth(
        dir.path(),
        &[
            "--max-rows",
            "1000",
            "--seed",
            "1",
            "--output-file",
            "t.jsonl",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(files(dir.path()), ["t.jsonl"]);
}

#[cfg(unix)]
#[test]
fn sigint_leaves_no_partial_file_and_exits_130() {
    interrupted_run_leaves_nothing("-INT");
}

#[cfg(unix)]
#[test]
fn sigterm_leaves_no_partial_file_and_exits_130() {
    interrupted_run_leaves_nothing("-TERM");
}

/// Starts a long generation, sends `signal` once the temporary output has data, and checks the
/// exit status and that no file is left.
#[cfg(unix)]
fn interrupted_run_leaves_nothing(signal: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    // About 40M rows: far more than can be written before the interrupt arrives.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sin-synth"))
        .current_dir(dir.path())
        .args([
            "--request-rate-min",
            "200000",
            "--request-rate-max",
            "200000",
            "--time-duration",
            "200",
            "--isl2",
            "100",
            "--output-file",
            "big.jsonl",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sin-synth starts");
    // Wait until the temporary file has data, so the interrupt lands mid-write.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let writing = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .any(|e| {
                e.file_name().to_string_lossy().ends_with(".tmp")
                    && e.metadata().is_ok_and(|m| m.len() > 0)
            });
        if writing {
            break;
        }
        assert!(Instant::now() < deadline, "no temporary output appeared");
        assert!(
            child.try_wait().expect("wait").is_none(),
            "sin-synth ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sin-synth did not stop after {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(files(dir.path()), Vec::<String>::new());
}
