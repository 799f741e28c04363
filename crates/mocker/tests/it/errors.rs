//! Malformed requests get OpenAI error bodies; unknown routes 404; nothing panics.

use serde_json::json;
use servebench_mocker::ServerConfig;

use crate::support::*;

fn assert_openai_error(reply: &Reply, status: u16, kind: &str, needle: &str) {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body())
    );
    let v = reply.json();
    let err = &v["error"];
    assert_eq!(err["type"], kind, "{v}");
    assert_eq!(err["code"], status);
    let message = err["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

#[tokio::test]
async fn bad_requests_get_400_with_openai_error_bodies() {
    let server = start(config()).await;
    let cases: &[(&str, &str, &str)] = &[
        ("/v1/chat/completions", "{not json", "invalid JSON"),
        ("/v1/chat/completions", "", "invalid JSON"),
        ("/v1/chat/completions", "[1,2]", "JSON object"),
        (
            "/v1/chat/completions",
            r#"{"model":"m"}"#,
            "'messages' is required",
        ),
        (
            "/v1/chat/completions",
            r#"{"messages":{"role":"user"}}"#,
            "'messages' must be an array",
        ),
        (
            "/v1/chat/completions",
            r#"{"messages":[{"role":"user","content":"x"}],"max_tokens":"ten"}"#,
            "'max_tokens'",
        ),
        (
            "/v1/chat/completions",
            r#"{"messages":[{"role":"user","content":"x"}],"stream":1}"#,
            "'stream'",
        ),
        (
            "/v1/chat/completions",
            r#"{"messages":[{"role":"user","content":"x"}],"max_tokens":0}"#,
            "at least 1",
        ),
        (
            "/v1/chat/completions",
            r#"{"messages":[{"role":7,"content":"x"}]}"#,
            "messages[0].role",
        ),
        (
            "/v1/completions",
            r#"{"model":"m"}"#,
            "'prompt' is required",
        ),
        (
            "/v1/completions",
            r#"{"prompt":{"a":1}}"#,
            "'prompt' must be",
        ),
        ("/v1/completions", r#"{"prompt":[-1]}"#, "token ids"),
    ];
    for (path, body, needle) in cases {
        let reply = send(&server, "POST", path, Some(body)).await;
        assert_openai_error(&reply, 400, "invalid_request_error", needle);
    }
    // The server is still healthy afterwards.
    assert_eq!(send(&server, "GET", "/health", None).await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_404_and_wrong_methods_405() {
    let server = start(config()).await;
    assert_openai_error(
        &send(&server, "GET", "/v1/nothing", None).await,
        404,
        "not_found_error",
        "/v1/nothing",
    );
    assert_openai_error(
        &send(&server, "POST", "/", Some("{}")).await,
        404,
        "not_found_error",
        "POST /",
    );
    assert_openai_error(
        &send(&server, "GET", "/v1/chat/completions", None).await,
        405,
        "invalid_request_error",
        "GET",
    );
    assert_openai_error(
        &send(&server, "DELETE", "/metrics", None).await,
        405,
        "invalid_request_error",
        "DELETE",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let server = start(ServerConfig {
        max_body_bytes: 1000,
        ..config()
    })
    .await;
    let body = chat_body(&"word ".repeat(500), json!({}));
    assert_openai_error(
        &post(&server, "/v1/chat/completions", &body).await,
        413,
        "invalid_request_error",
        "1000 bytes",
    );
    server.shutdown().await;
}
