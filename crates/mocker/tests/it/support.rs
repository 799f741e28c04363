//! Shared helpers: start a server in-process, send requests with a raw hyper client, split SSE.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use servebench_mocker::{
    EngineStats, FixedTiming, FixedTimingConfig, RunningServer, ServerConfig, TokenSource, spawn,
};

/// A server config on an ephemeral loopback port.
pub(crate) fn config() -> ServerConfig {
    ServerConfig {
        port: 0,
        model_name: "test-model".into(),
        ..ServerConfig::default()
    }
}

/// A zero-delay fixed-timing source.
pub(crate) fn instant_source() -> Arc<dyn TokenSource> {
    Arc::new(FixedTiming::new(FixedTimingConfig::default()).unwrap())
}

pub(crate) async fn start(config: ServerConfig) -> RunningServer {
    spawn(config, instant_source(), None).await.unwrap()
}

pub(crate) async fn start_with(
    config: ServerConfig,
    source: Arc<dyn TokenSource>,
    stats: Option<Arc<dyn EngineStats>>,
) -> RunningServer {
    spawn(config, source, stats).await.unwrap()
}

/// One response: status, headers, the body frames with the instant each arrived, and the error
/// that ended the body early, if any.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) frames: Vec<(Instant, Bytes)>,
    pub(crate) body_error: Option<String>,
    pub(crate) sent_at: Instant,
}

impl Reply {
    pub(crate) fn body(&self) -> Vec<u8> {
        self.frames
            .iter()
            .flat_map(|(_, b)| b.iter().copied())
            .collect()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body())
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body())))
    }

    /// SSE event payloads (after `data: `), in order, with the arrival of the frame holding each.
    pub(crate) fn events(&self) -> Vec<(Instant, String)> {
        let mut out = Vec::new();
        let mut pending = String::new();
        for (at, frame) in &self.frames {
            pending.push_str(std::str::from_utf8(frame).unwrap());
            while let Some(end) = pending.find("\n\n") {
                let event: String = pending.drain(..end + 2).collect();
                let payload = event
                    .trim_end_matches('\n')
                    .strip_prefix("data: ")
                    .unwrap_or_else(|| panic!("event without data prefix: {event:?}"));
                out.push((*at, payload.to_owned()));
            }
        }
        assert!(pending.is_empty(), "trailing partial event: {pending:?}");
        out
    }

    /// Parsed JSON events (everything but the final `[DONE]`, which must be last).
    pub(crate) fn chunks(&self) -> Vec<Value> {
        let events = self.events();
        assert_eq!(
            events.last().map(|e| e.1.as_str()),
            Some("[DONE]"),
            "{events:?}"
        );
        events[..events.len() - 1]
            .iter()
            .map(|(_, e)| serde_json::from_str(e).unwrap_or_else(|err| panic!("{err}: {e}")))
            .collect()
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("missing header {name}"))
            .to_str()
            .unwrap()
    }
}

/// Sends one request on a fresh HTTP/1.1 connection and reads the whole response.
pub(crate) async fn send(
    server: &RunningServer,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Reply {
    try_send(server, method, path, body).await.unwrap()
}

/// Like [`send`], but a connection closed before the response head is an error.
pub(crate) async fn try_send(
    server: &RunningServer,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<Reply, hyper::Error> {
    try_send_with(server, method, path, body, &[]).await
}

/// A POST with extra request headers.
pub(crate) async fn post_with_headers(
    server: &RunningServer,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> Reply {
    try_send_with(server, "POST", path, Some(&body.to_string()), headers)
        .await
        .unwrap()
}

/// Like [`try_send`], with extra request headers.
pub(crate) async fn try_send_with(
    server: &RunningServer,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Reply, hyper::Error> {
    let stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))
        .unwrap();
    let sent_at = Instant::now();
    let response = sender.send_request(req).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = response.into_body();
    let mut frames = Vec::new();
    let mut body_error = None;
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                let at = Instant::now();
                if let Ok(data) = frame.into_data() {
                    frames.push((at, data));
                }
            }
            Some(Err(e)) => {
                body_error = Some(e.to_string());
                break;
            }
        }
    }
    Ok(Reply {
        status,
        headers,
        frames,
        body_error,
        sent_at,
    })
}

pub(crate) async fn post(server: &RunningServer, path: &str, body: &Value) -> Reply {
    send(server, "POST", path, Some(&body.to_string())).await
}

/// A chat request body with one user message.
pub(crate) fn chat_body(text: &str, extra: Value) -> Value {
    let mut body = serde_json::json!({
        "model": "test-model",
        "messages": [{"role": "user", "content": text}],
    });
    merge(&mut body, extra);
    body
}

/// A completion request body.
pub(crate) fn completion_body(prompt: &str, extra: Value) -> Value {
    let mut body = serde_json::json!({"model": "test-model", "prompt": prompt});
    merge(&mut body, extra);
    body
}

fn merge(body: &mut Value, extra: Value) {
    if let (Value::Object(b), Value::Object(e)) = (body, extra) {
        b.extend(e);
    }
}

/// Content texts of the token chunks of a chat or completion stream.
pub(crate) fn token_texts(chunks: &[Value]) -> Vec<String> {
    chunks
        .iter()
        .filter_map(|c| {
            let choice = c["choices"].get(0)?;
            let text = choice["delta"]["content"]
                .as_str()
                .or(choice["text"].as_str())?;
            (!text.is_empty()).then(|| text.to_owned())
        })
        .collect()
}
