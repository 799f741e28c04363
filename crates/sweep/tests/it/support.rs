//! A scrape of the simulated engine's `/metrics` over a plain TCP connection.

use std::io::{Read, Write};
use std::net::TcpStream;

/// Requests the server has finished (`vllm:request_success_total`, every reason).
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
        .map(|l| {
            let value = l.rsplit(' ').next().unwrap();
            value.parse::<f64>().unwrap() as u64
        })
        .sum()
}
