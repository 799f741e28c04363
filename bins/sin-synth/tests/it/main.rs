//! Integration tests of the sin-synth binary: run it as a user would.

use std::path::Path;
use std::process::{Command, Output};

mod safety;

pub(crate) fn sin_synth(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sin-synth"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("sin-synth runs")
}

#[test]
fn seeded_runs_write_identical_files_with_the_original_default_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "sin_b512_t100_rr5-10-10_io1002000-5000100-0.2-0.8-10.jsonl";
    let out = sin_synth(dir.path(), &["--seed", "42"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = std::fs::read(dir.path().join(name)).expect("default-named output");
    let out = sin_synth(dir.path(), &["--seed", "42"]);
    assert!(out.status.success());
    let second = std::fs::read(dir.path().join(name)).expect("default-named output");
    assert!(
        !first.is_empty() && first == second,
        "same seed must give the same bytes"
    );
    let out = sin_synth(
        dir.path(),
        &["--seed", "43", "--output-file", "other.jsonl"],
    );
    assert!(out.status.success());
    assert!(std::fs::read(dir.path().join("other.jsonl")).expect("output") != first);
    // Python-style lines, as the original's json.dumps writes them
    assert!(first.starts_with(b"{\"timestamp\": 0, \"input_length\": "));
}

#[test]
fn explicit_float_flags_appear_as_python_floats_in_the_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = sin_synth(
        dir.path(),
        &[
            "--seed",
            "1",
            "--time-duration",
            "3",
            "--request-rate-min",
            "5",
            "--isl-osl-ratio-period",
            "2.5",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path()
            .join("sin_b512_t3_rr5.0-10-10_io1002000-5000100-0.2-0.8-2.5.jsonl")
            .exists()
    );
}

#[test]
fn help_shows_defaults_and_bad_options_fail_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let help = String::from_utf8(sin_synth(dir.path(), &["--help"]).stdout).expect("utf-8");
    for needle in [
        "--request-rate-period",
        "[default: 512]",
        "[default: 0.2]",
        "--seed",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
    let out = sin_synth(dir.path(), &["--process-interval", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid --process-interval"), "{stderr}");
    assert!(!stderr.contains("process_interval"), "{stderr}");
}
