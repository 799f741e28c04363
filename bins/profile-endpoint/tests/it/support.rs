//! Running the binary and reading its outputs.

use std::path::Path;
use std::process::Command;

use servebench_profiler_fit::npz::Npz;

/// Dynamo mocker's prefill polynomial (spec §9.2), highest power first, ms at speed-up 1.
pub(crate) const PREFILL_POLY: [f64; 3] = [4.209989e-7, 1.518344e-2, 16.50142];

/// Dynamo mocker's decode step time (ms) at KV usage `p`, speed-up 1 (spec §9.2).
pub(crate) fn decode_model_ms(p: f64) -> f64 {
    (-25.74 * p * p + 54.01 * p + 5.74).max(1.0)
}

/// Runs `profile-endpoint` with `args`, asserting success; returns its stderr.
pub(crate) fn profile(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_profile-endpoint"))
        .args([
            "--model_name",
            "m",
            "--num_gpus",
            "1",
            "--log-level",
            "warn",
        ])
        .args(args)
        .output()
        .expect("run profile-endpoint");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "profile-endpoint failed: {stderr}");
    stderr
}

pub(crate) fn read_npz(path: &Path) -> Npz {
    Npz::from_bytes(&std::fs::read(path).expect("raw_data.npz written")).expect("valid npz")
}

pub(crate) fn numpy_available() -> bool {
    Command::new("python3")
        .args(["-c", "import numpy"])
        .status()
        .is_ok_and(|s| s.success())
}

/// `name dtype shape` of every array of an npz, as `numpy.load` sees them.
pub(crate) fn numpy_listing(path: &Path) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, numpy as np\nd = np.load(sys.argv[1])\nfor k in d.files: print(k, d[k].dtype.str, d[k].shape)",
        ])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

pub(crate) fn within(actual: f64, expected: f64, tolerance: f64) -> bool {
    ((actual - expected) / expected).abs() <= tolerance
}
