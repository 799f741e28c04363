//! The embedded server handle: serves on its own thread and runtime, and stops when dropped.

use std::io::{Read, Write};
use std::net::TcpStream;

use servebench_mocker::{
    ClusterLayout, DisaggConfig, EmbeddedServer, EngineConfig, PoolConfig, ServerConfig,
    TokenizerSpec,
};

fn completion(server: &EmbeddedServer) -> String {
    let body = r#"{"prompt":"hello world","max_tokens":5,"ignore_eos":true}"#;
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    write!(
        stream,
        "POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn a_simulated_server_answers_from_its_own_thread_and_stops_on_drop() {
    let server = EmbeddedServer::simulated(0.0, "embedded-model", TokenizerSpec::Builtin).unwrap();
    assert_eq!(server.url(), format!("http://{}", server.local_addr()));
    let reply = completion(&server);
    assert!(reply.starts_with("HTTP/1.1 200 "), "{reply}");
    let body = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["usage"]["completion_tokens"], 5);
    assert_eq!(v["model"], "embedded-model");
    let addr = server.local_addr();
    drop(server);
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening after drop"
    );
}

#[test]
fn a_bad_setting_is_reported_from_the_start_call() {
    let pool = PoolConfig {
        engine: EngineConfig {
            speedup_ratio: 1e-300,
            ..EngineConfig::default()
        },
        num_workers: 1,
        ..PoolConfig::default()
    };
    let server = ServerConfig {
        port: 0,
        ..ServerConfig::default()
    };
    let err = EmbeddedServer::start_simulated(&pool, server).unwrap_err();
    let chain = format!("{}: {}", err, std::error::Error::source(&err).unwrap());
    assert!(chain.contains("speedup_ratio"), "{chain}");

    let bad_server = ServerConfig {
        port: 0,
        default_max_tokens: 0,
        ..ServerConfig::default()
    };
    let pool = PoolConfig {
        num_workers: 1,
        ..PoolConfig::default()
    };
    let err = EmbeddedServer::start_simulated(&pool, bad_server).unwrap_err();
    assert!(err.to_string().contains("default_max_tokens"), "{err}");
}

#[test]
fn an_embedded_server_runs_disaggregated_prefill_and_decode() {
    let pool = PoolConfig {
        engine: EngineConfig {
            speedup_ratio: 0.0,
            ..EngineConfig::default()
        },
        num_workers: 2,
        ..PoolConfig::default()
    };
    let layout = ClusterLayout {
        data_parallel_size: 1,
        disagg: Some(DisaggConfig::default()),
    };
    let config = ServerConfig {
        port: 0,
        ..ServerConfig::default()
    };
    let server = EmbeddedServer::start_simulated_with_layout(&pool, &layout, config).unwrap();
    let reply = completion(&server);
    assert!(reply.starts_with("HTTP/1.1 200 "), "{reply}");
    let body = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["usage"]["completion_tokens"], 5);
    // Engines 0 and 1 decode, engine 2 prefills: the reported worker is a decode engine.
    assert!(v["servebench"]["worker_id"].as_u64().unwrap() < 2, "{v}");
}
