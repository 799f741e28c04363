//! Running the machine's `python3` as an independent oracle. A missing python3 fails the test
//! (set `SERVEBENCH_SKIP_PYTHON=1` at build time to mark these tests ignored instead).

use std::process::{Command, Output};

/// The message of a test that could not start python3.
pub(crate) const MISSING: &str = "python3 is required for this comparison: install it, or set \
    SERVEBENCH_SKIP_PYTHON=1 to skip the Python comparisons";

fn run(command: &mut Command, what: &str) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{MISSING} (starting python3 failed: {e})"));
    assert!(
        out.status.success(),
        "python3 {what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Output of `python3 -c code` with `args`.
pub(crate) fn run_python(code: &str, args: &[&str]) -> String {
    let out = run(Command::new("python3").arg("-c").arg(code).args(args), "-c");
    String::from_utf8(out.stdout).expect("python output is UTF-8")
}

/// Runs a Python script file with arguments.
pub(crate) fn run_python_file(script: &str, args: &[&str]) {
    run(Command::new("python3").arg(script).args(args), script);
}
