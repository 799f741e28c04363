//! Clients that never finish their request cannot hold a connection open forever.

use std::time::Duration;

use servebench_mocker::{RunningServer, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// Far longer than the server's timeouts below: reaching it means the server never gave up.
const GUARD: Duration = Duration::from_secs(20);

async fn strict_server() -> RunningServer {
    start(ServerConfig {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        max_body_bytes: 4096,
        ..config()
    })
    .await
}

/// Writes `bytes` and reads until the server closes the connection.
async fn send_raw_and_read_to_close(server: &RunningServer, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(GUARD, stream.read_to_end(&mut out))
        .await
        .expect("the server kept an unfinished request open")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

const HALF_BODY: &[u8] = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n\
    content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"model\":";

#[tokio::test]
async fn half_a_body_gets_408_and_the_connection_closes() {
    let server = strict_server().await;
    let reply = send_raw_and_read_to_close(&server, HALF_BODY).await;
    assert!(reply.starts_with("HTTP/1.1 408 "), "{reply}");
    assert!(reply.contains("request body not received"), "{reply}");
    // Many at once are all let go, and the server still answers afterwards.
    let mut tasks = Vec::new();
    let server = std::sync::Arc::new(server);
    for _ in 0..50 {
        let server = std::sync::Arc::clone(&server);
        tasks.push(tokio::spawn(async move {
            send_raw_and_read_to_close(&server, HALF_BODY).await
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().starts_with("HTTP/1.1 408 "));
    }
    assert_eq!(send(&server, "GET", "/health", None).await.status, 200);
}

#[tokio::test]
async fn half_the_headers_close_the_connection() {
    let server = strict_server().await;
    let reply = send_raw_and_read_to_close(
        &server,
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-",
    )
    .await;
    assert!(!reply.starts_with("HTTP/1.1 2"), "{reply}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_the_connection_closes() {
    let server = strict_server().await;
    let body = "x".repeat(5000);
    let request = format!(
        "POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    let reply = send_raw_and_read_to_close(&server, request.as_bytes()).await;
    assert!(reply.starts_with("HTTP/1.1 413 "), "{reply}");
    assert!(reply.contains("4096 bytes"), "{reply}");
    server.shutdown().await;
}
