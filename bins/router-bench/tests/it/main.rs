//! Integration tests of the router benchmark binaries: output layout, summary keys and the
//! router comparison on the embedded cluster.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers: a panic is the failure report"
)]

mod prefix_ratio;
mod traces_and_images;

use std::path::Path;
use std::process::{Command, Output};

/// Runs binary `bin` with `args` in `dir`.
pub(crate) fn run(bin: &str, dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{bin} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub(crate) fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}
