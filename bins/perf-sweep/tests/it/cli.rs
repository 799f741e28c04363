//! Flags and validation as perf.sh has them (§1.3).

use crate::support::{run_in, shown};

/// A sweep that must fail before any run: against a dead port, so nothing could run anyway.
fn rejected(args: &[&str]) -> (String, std::path::PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let mut all = vec!["--url", "http://127.0.0.1:9"];
    all.extend_from_slice(args);
    let out = run_in(tmp.path(), &all);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    let root = tmp.path().join("artifacts_root");
    (String::from_utf8_lossy(&out.stderr).into_owned(), root, tmp)
}

#[test]
fn aggregated_mode_needs_tp_or_dp() {
    let (stderr, root, _tmp) = rejected(&[]);
    assert!(
        stderr.contains("--tp") && stderr.contains("--dp"),
        "{stderr}"
    );
    // Nothing is created for a rejected sweep.
    assert!(!root.exists());
    // Disaggregated values do not count in aggregated mode.
    let (stderr, _, _tmp) = rejected(&["--prefill-tp", "1", "--decode-tp", "4"]);
    assert!(stderr.contains("aggregated mode"), "{stderr}");
}

#[test]
fn disaggregated_mode_needs_one_prefill_or_decode_value() {
    let (stderr, _, _tmp) = rejected(&["--mode", "disaggregated", "--tp", "4", "--dp", "2"]);
    assert!(stderr.contains("--prefill-tp"), "{stderr}");
}

#[test]
fn other_modes_are_rejected() {
    let (stderr, _, _tmp) = rejected(&["--mode", "agg", "--tp", "1"]);
    assert!(
        stderr.contains("--mode") && stderr.contains("`agg`"),
        "{stderr}"
    );
}

#[test]
fn every_concurrency_must_be_digits_above_zero() {
    for bad in ["0", "1,0", "2.5", "1,,2", "x", "4 ", "3,-4"] {
        let (stderr, _, _tmp) = rejected(&["--tp", "1", "--concurrency", bad]);
        assert!(stderr.contains("--concurrency"), "{bad:?}: {stderr}");
    }
    // A value that starts with a dash is taken for a flag by the parser: still a usage error.
    let (stderr, _, _tmp) = rejected(&["--tp", "1", "--concurrency", "-4"]);
    assert!(stderr.contains("'-4'"), "{stderr}");
}

#[test]
fn unknown_flags_are_usage_errors() {
    let (stderr, _, _tmp) = rejected(&["--tp", "1", "--no-such-flag", "3"]);
    assert!(stderr.contains("--no-such-flag"), "{stderr}");
}

#[test]
fn short_and_long_aliases_are_both_accepted_and_help_lists_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in(tmp.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--tensor-parallelism",
        "--tp",
        "--data-parallelism",
        "--dp",
        "--prefill-tensor-parallelism",
        "--prefill-tp",
        "--prefill-data-parallelism",
        "--prefill-dp",
        "--decode-tensor-parallelism",
        "--decode-tp",
        "--decode-data-parallelism",
        "--decode-dp",
        "--input-sequence-length",
        "--isl",
        "--output-sequence-length",
        "--osl",
        "--model",
        "--url",
        "--concurrency",
        "--mode",
        "--artifacts-root-dir",
        "--deployment-kind",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
    // Long spellings pass validation the same as the short ones: the failure is then the
    // invalid mode, not the parallelism.
    let (stderr, _, _tmp) = rejected(&["--tensor-parallelism", "2", "--mode", "x"]);
    assert!(stderr.contains("--mode"), "{stderr}");
}

#[test]
fn utils_wrapper_needs_a_valid_benchmark_name_and_no_concurrency_flag() {
    let (stderr, _, _tmp) = rejected(&["--utils-wrapper"]);
    assert!(stderr.contains("--benchmark-name"), "{stderr}");
    let (stderr, _, _tmp) = rejected(&["--utils-wrapper", "--benchmark-name", "plots"]);
    assert!(stderr.contains("reserved"), "{stderr}");
    let (stderr, _, _tmp) = rejected(&[
        "--utils-wrapper",
        "--benchmark-name",
        "a",
        "--concurrency",
        "4",
    ]);
    assert!(stderr.contains("--concurrency"), "{stderr}");
}
