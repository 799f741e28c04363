//! Running the binary and scraping an engine's `/metrics`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};

/// The binary under test.
pub(crate) fn perf_sweep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_perf-sweep"))
}

/// Runs perf-sweep in `cwd` with `args`.
pub(crate) fn run_in(cwd: &Path, args: &[&str]) -> Output {
    perf_sweep()
        .current_dir(cwd)
        .env_remove("CONCURRENCIES")
        .env_remove("REQUEST_COUNT")
        .args(args)
        .output()
        .unwrap()
}

/// stdout and stderr, for assertion messages.
pub(crate) fn shown(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Requests the engine at `base_url` has finished (`vllm:request_success_total`, every reason).
pub(crate) fn finished_requests(base_url: &str) -> u64 {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text.lines()
        .filter(|l| l.starts_with("vllm:request_success_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64)
        .sum()
}

/// A JSON file.
pub(crate) fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
