//! Arbitrary requests (methods, paths, headers, bodies, and OpenAI-shaped bodies with arbitrary
//! field values) through the real server: every one gets a well-formed 2xx or 4xx response, in
//! bounded time, and the server stays healthy.
//!
//! Cases: `PROPTEST_CASES` (64 by default, to keep CI short). A long run:
//! `PROPTEST_CASES=200000 cargo nextest run -p servebench-mocker -E 'test(fuzz)'`.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use servebench_mocker::{EngineConfig, PoolConfig, RunningServer, ServerConfig, spawn_simulated};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::config;

/// Longest a case may take: far above the server's own timeouts, so reaching it is a hang.
const CASE_GUARD: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
struct RawRequest {
    method: &'static str,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl RawRequest {
    fn bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\nhost: x\r\n", self.method, self.path).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(
            format!(
                "connection: close\r\ncontent-length: {}\r\n\r\n",
                self.body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0u32..2000).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FIELDS: &[&str] = &[
    "model",
    "messages",
    "prompt",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "min_tokens",
    "ignore_eos",
    "nvext",
    "temperature",
    "input",
    "dimensions",
    "encoding_format",
];

/// An OpenAI-shaped body: a valid request with some fields replaced by arbitrary JSON.
fn openai_body() -> impl Strategy<Value = Vec<u8>> {
    let base = prop_oneof![
        Just(
            serde_json::json!({"messages": [{"role": "user", "content": "hi there"}],
            "max_tokens": 8})
        ),
        Just(serde_json::json!({"prompt": "hi there", "max_tokens": 8, "stream": true})),
        Just(serde_json::json!({"input": ["hi there", [1, 2]], "dimensions": 4})),
        Just(
            serde_json::json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "data:x"}}]}], "max_tokens": 4})
        ),
    ];
    (
        base,
        prop_oneof![
            1 => Just(Vec::new()),
            2 => proptest::collection::vec((proptest::sample::select(FIELDS), json_value()), 1..4),
        ],
    )
        .prop_map(|(mut body, edits)| {
            if let Value::Object(map) = &mut body {
                for (field, value) in edits {
                    map.insert(field.to_owned(), value);
                }
            }
            body.to_string().into_bytes()
        })
}

fn header() -> impl Strategy<Value = (String, Vec<u8>)> {
    let name = prop_oneof![
        "[a-zA-Z][a-zA-Z0-9-]{0,15}",
        proptest::sample::select(vec![
            "content-type".to_owned(),
            "accept".to_owned(),
            "authorization".to_owned(),
            "transfer-encoding".to_owned(),
            "expect".to_owned(),
            "content-encoding".to_owned(),
            "upgrade".to_owned(),
        ]),
    ];
    // Mostly printable text; sometimes any bytes but CR and LF, which would end the line.
    let value = prop_oneof![
        3 => "[ -~]{0,24}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(
            any::<u8>().prop_filter("not a line break", |b| *b != b'\r' && *b != b'\n'),
            0..24,
        ),
    ];
    (name, value)
}

fn request() -> impl Strategy<Value = RawRequest> {
    let method = prop_oneof![
        4 => Just("POST"),
        2 => Just("GET"),
        1 => proptest::sample::select(vec!["PUT", "DELETE", "HEAD", "PATCH"]),
    ];
    let path = prop_oneof![
        4 => proptest::sample::select(vec![
            "/v1/chat/completions".to_owned(),
            "/v1/completions".to_owned(),
            "/v1/models".to_owned(),
            "/v1/embeddings".to_owned(),
            "/health".to_owned(),
            "/metrics".to_owned(),
        ]),
        1 => "/[a-zA-Z0-9/%?=&._-]{0,24}",
    ];
    let body = prop_oneof![
        2 => openai_body(),
        1 => proptest::collection::vec(any::<u8>(), 0..256),
        1 => Just(Vec::new()),
    ];
    (
        method,
        path,
        proptest::collection::vec(header(), 0..4),
        body,
    )
        .prop_map(|(method, path, headers, body)| RawRequest {
            method,
            path,
            headers,
            body,
        })
}

async fn exchange(server: &RunningServer, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(server.local_addr()).await?;
    stream.write_all(bytes).await?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await?;
    Ok(out)
}

/// The status of a complete HTTP/1.1 response head.
fn status_of(reply: &[u8]) -> Option<u16> {
    let head_end = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&reply[..head_end]).ok()?;
    let status = head.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    status.parse().ok()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

#[test]
fn arbitrary_requests_get_well_formed_2xx_or_4xx_and_the_server_stays_healthy() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pool = PoolConfig {
        engine: EngineConfig {
            num_gpu_blocks: 64,
            speedup_ratio: 0.0,
            ..EngineConfig::default()
        },
        num_workers: 1,
        ..PoolConfig::default()
    };
    let server = rt
        .block_on(spawn_simulated(
            &pool,
            ServerConfig {
                default_max_tokens: 32,
                header_read_timeout: Duration::from_millis(500),
                body_read_timeout: Duration::from_millis(500),
                max_body_bytes: 64 * 1024,
                ..config()
            },
        ))
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let (ok, refused) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    let result = runner.run(&request(), |req| {
        let bytes = req.bytes();
        let reply = rt
            .block_on(async { tokio::time::timeout(CASE_GUARD, exchange(&server, &bytes)).await })
            .map_err(|_| TestCaseError::fail("no complete response in time (hang)"))?
            .map_err(|e| TestCaseError::fail(format!("connection failed: {e}")))?;
        let status = status_of(&reply).ok_or_else(|| {
            TestCaseError::fail(format!(
                "not an HTTP response: {:?}",
                String::from_utf8_lossy(&reply)
            ))
        })?;
        prop_assert!(
            (200..300).contains(&status) || (400..500).contains(&status),
            "status {status}: {}",
            String::from_utf8_lossy(&reply)
        );
        let counter = if status < 300 { &ok } else { &refused };
        counter.set(counter.get() + 1);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generator reaches both the generation paths and the error paths.
    if cases() >= 64 {
        assert!(
            ok.get() > 0 && refused.get() > 0,
            "{} ok, {} refused",
            ok.get(),
            refused.get()
        );
    }
    eprintln!("{} requests served, {} refused", ok.get(), refused.get());
    let health = rt.block_on(exchange(
        &server,
        b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    ));
    assert_eq!(status_of(&health.unwrap()), Some(200));
    rt.block_on(server.shutdown());
}
