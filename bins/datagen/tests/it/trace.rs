//! Shared test inputs.

use std::path::PathBuf;

use servebench_trace_formats::MooncakeRecord;

/// The real Mooncake FAST'25 conversation trace (12,031 requests), beside the repository.
pub(crate) fn conversation_trace() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/traces/mooncake-fast25/conversation_trace.jsonl"
    ))
}

/// Every record of the conversation trace, parsed independently of the binary's reader.
pub(crate) fn conversation_records() -> Vec<MooncakeRecord> {
    let path = conversation_trace();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1))
        })
        .collect()
}

/// Runs the built `datagen` binary; returns (exit success, stdout, stderr).
pub(crate) fn datagen(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_datagen"))
        .args(args)
        .output()
        .expect("datagen runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the built `datagen` binary; returns (exit code, stdout, stderr).
pub(crate) fn datagen_status(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_datagen"))
        .args(args)
        .output()
        .expect("datagen runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
