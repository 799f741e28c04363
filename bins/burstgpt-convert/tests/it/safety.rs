//! Data safety: an input is never destroyed and no partial output is left behind.

use std::path::Path;

use crate::{CSV, convert};

/// Every file name in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn output_equal_to_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("same.csv"), CSV).expect("write");
    let out = convert(
        dir.path(),
        &["--input-file", "same.csv", "--output-file", "./same.csv"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--output-file") && stderr.contains("same file as the input same.csv"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("same.csv")).expect("input"),
        CSV.as_bytes()
    );
    assert_eq!(files(dir.path()), ["same.csv"]);
}

#[test]
fn default_output_path_equal_to_input_is_refused() {
    // The default output replaces the extension by .jsonl: for trace.jsonl that is the input.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("trace.jsonl"), CSV).expect("write");
    let out = convert(dir.path(), &["--input-file", "trace.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("same file as the input"), "{stderr}");
    assert_eq!(
        std::fs::read(dir.path().join("trace.jsonl")).expect("input"),
        CSV.as_bytes()
    );
}

#[test]
fn report_json_equal_to_input_is_refused_before_converting() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("in.csv"), CSV).expect("write");
    let out = convert(
        dir.path(),
        &[
            "--input-file",
            "in.csv",
            "--output-file",
            "out.jsonl",
            "--report-json",
            "in.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--report-json"));
    assert_eq!(
        std::fs::read(dir.path().join("in.csv")).expect("input"),
        CSV.as_bytes()
    );
    assert_eq!(files(dir.path()), ["in.csv"]);
}

#[test]
fn a_failed_conversion_leaves_an_existing_output_untouched_and_no_partial_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = format!("{CSV}140,GPT-4,-3,1,1,API log\n");
    std::fs::write(dir.path().join("bad.csv"), bad).expect("write");
    std::fs::write(dir.path().join("out.jsonl"), "precious\n").expect("write");
    let out = convert(
        dir.path(),
        &["--input-file", "bad.csv", "--output-file", "out.jsonl"],
    );
    assert_eq!(out.status.code(), Some(2));
    // The old code removed the output path on error, a file it had not created.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.jsonl")).expect("kept"),
        "precious\n"
    );
    assert_eq!(files(dir.path()), ["bad.csv", "out.jsonl"]);
}

#[test]
fn non_utf8_bytes_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = CSV.as_bytes().to_vec();
    bytes.extend_from_slice(b"140,GPT\xff4,3,1,4,API log\n");
    std::fs::write(dir.path().join("bin.csv"), bytes).expect("write");
    let out = convert(dir.path(), &["--input-file", "bin.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bin.csv:6:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(files(dir.path()), ["bin.csv"]);
}

#[test]
fn bad_values_name_the_flag_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("in.csv"), CSV).expect("write");
    for (flag, value) in [
        ("--speed-ratio", "0"),
        ("--speed-ratio", "-2"),
        ("--block-size", "0"),
    ] {
        let out = convert(dir.path(), &["--input-file", "in.csv", flag, value]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("invalid {flag}: ")), "{stderr}");
        assert!(!stderr.contains('_'), "internal name in {stderr}");
        assert_eq!(files(dir.path()), ["in.csv"]);
    }
}
