//! Running the machine's `python3` as an independent oracle.

use std::process::Command;

/// Output of `python3 -c code` with `args`, or `None` (with a loud message) when python3 is absent.
pub(crate) fn run_python(code: &str, args: &[&str]) -> Option<String> {
    let out = match Command::new("python3")
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!(
                "!!!!!!!! SKIPPING Python comparison: python3 could not be started ({e}) !!!!!!!!"
            );
            return None;
        }
    };
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("python output is UTF-8"))
}

/// Runs a Python script file with arguments; `None` (loudly) when python3 is absent.
pub(crate) fn run_python_file(script: &str, args: &[&str]) -> Option<()> {
    let out = match Command::new("python3").arg(script).args(args).output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!(
                "!!!!!!!! SKIPPING Python comparison: python3 could not be started ({e}) !!!!!!!!"
            );
            return None;
        }
    };
    assert!(
        out.status.success(),
        "python3 {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(())
}
