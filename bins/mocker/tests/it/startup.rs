//! Start-up and shutdown of the `mocker` binary: errors printed once with the shared exit
//! table, signals through the shared interrupt waiter.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn mocker() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mocker"))
}

#[test]
fn a_port_in_use_is_reported_once_and_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = mocker()
        .args(["--host", "127.0.0.1", "--port", &port])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("failed to bind 127.0.0.1:{port}")),
        "{stderr}"
    );
    // The OS cause once, not repeated by each layer of the error.
    assert_eq!(
        stderr.matches("Address already in use").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
}

#[test]
fn a_bad_value_is_refused_at_start_up_with_status_2() {
    let out = mocker()
        .args(["--port", "0", "--speedup-ratio", "1e-300"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--speedup-ratio"), "{stderr}");
}

/// Reads the mocker's log until it serves.
#[cfg(unix)]
fn wait_until_serving(stderr: &mut impl BufRead) {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap_or(0) > 0,
            "mocker ended before serving"
        );
        if line.contains("serving") {
            return;
        }
    }
}

/// Starts a mocker on an ephemeral port, waits until it serves, sends it `name` and returns
/// its exit status with the rest of its log.
#[cfg(unix)]
fn stop_with(name: &str) -> (Option<i32>, String) {
    let mut child = mocker()
        .args(["--host", "127.0.0.1", "--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    wait_until_serving(&mut stderr);
    let sent = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(sent.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    (status.code(), rest)
}

#[cfg(unix)]
#[test]
fn sigterm_shuts_down_gracefully_with_status_0() {
    let (status, log) = stop_with("-TERM");
    assert_eq!(status, Some(0), "{log}");
    assert!(log.contains("shutting down"), "{log}");
}

#[cfg(unix)]
#[test]
fn sigint_shuts_down_gracefully_with_status_0() {
    let (status, log) = stop_with("-INT");
    assert_eq!(status, Some(0), "{log}");
    assert!(log.contains("shutting down"), "{log}");
}
