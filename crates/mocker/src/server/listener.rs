//! Binding, accepting connections, and graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::config::ServerConfig;
use super::error::ServerError;
use super::handler::handle;
use super::state::AppState;
use super::stats::EngineStats;
use super::vocab::OutputVocab;
use crate::protocol::TokenSource;

/// Starts the OpenAI-compatible server on the current tokio runtime and returns once it listens.
///
/// Routes (HTTP/1.1, and HTTP/2 with prior knowledge): `POST /v1/chat/completions`,
/// `POST /v1/completions`, `POST /v1/embeddings`, `GET /v1/models`, `GET /health`,
/// `GET /metrics` (Prometheus text with vLLM's names and a `model_name` label). Other paths get 404, other methods 405, malformed
/// bodies 400, all with an OpenAI error body `{"error":{"message","type","param","code"}}`.
///
/// Requests: the prompt is the chat messages' texts (string contents and `text` parts) joined
/// with single spaces, as AIPerf counts them, tokenized with [`ServerConfig::tokenizer`], plus
/// [`ServerConfig::tokens_per_image`] tokens per `image_url` part; completions take a string or
/// token ids. Output length: exactly `max_completion_tokens` / `max_tokens` with `ignore_eos`
/// (top level or `nvext.ignore_eos`), else a seeded geometric draw (see
/// [`ServerConfig::mean_output_tokens`]) clamped to `[min_tokens, max_tokens]`; finish reason
/// `length` when the limit was hit, `stop` otherwise (`abort` if the source gave up).
///
/// Streaming responses: the chat role chunk together with the first token, one chunk per
/// token whose text is exactly one word of the configured tokenizer (see below), a final chunk
/// with an empty delta, `finish_reason` and a `servebench` object, the usage chunk (`choices: []`) when
/// `stream_options.include_usage` is true, then `data: [DONE]`. Non-streaming bodies carry
/// `usage` (with `prompt_tokens_details.cached_tokens`) and the same `servebench` object.
///
/// Server-side timings, in the `servebench` object (all requests) and as headers (non-streaming
/// only, since a stream's headers leave before its first token): `queue_ms`
/// (`x-servebench-queue-ms`), `prefill_ms` (`x-servebench-prefill-ms`), `ttft_ms` (request
/// arrival to first token handed to HTTP, `x-servebench-ttft-ms`), `cached_tokens`
/// (`x-servebench-cached-tokens`), `prompt_tokens` (`x-servebench-prompt-tokens`, also on
/// streams), `worker_id` (`x-servebench-worker-id`). Every generation response also has
/// `x-servebench-request-id`, equal to the body's `id`.
///
/// Embeddings: each input runs through the source as a prefill-only request (queued and timed
/// like any other), then gets a deterministic unit vector of its token ids (`dimensions`, 1024
/// by default; `encoding_format` `float` or `base64`); `usage.prompt_tokens` counts every input.
///
/// Output text: each generated token is a word of the configured tokenizer (a token that decodes
/// to a space and ASCII letters and re-encodes to itself, also when concatenated), so a client
/// that re-tokenizes the output with the same tokenizer counts exactly `completion_tokens`.
///
/// Hostile clients: headers not complete within [`ServerConfig::header_read_timeout`] close the
/// connection; a body not complete within [`ServerConfig::body_read_timeout`] gets 408 and the
/// connection closes; a body over [`ServerConfig::max_body_bytes`] gets 413.
///
/// Limits: a prompt longer than the context limit ([`ServerConfig::max_model_len`], by default
/// the source's [`TokenSource::max_context_tokens`]), or a prompt plus `max_tokens` past it, gets
/// 400 as vLLM answers it. Once the source reports [`TokenSource::failure`] (an engine worker
/// died), `/health` and new requests get 503, an open stream ends with an error event
/// (`data: {"error":{..}}` then `data: [DONE]`) and an open non-streaming request gets 500.
///
/// Start-up: for [`ServerConfig::startup_time`] after it listens, `/health`, the generation
/// endpoints and `/v1/embeddings` answer 503 (`service_unavailable`); `/v1/models` and
/// `/metrics` answer at once.
///
/// Routing: Dynamo's routing fields are passed to the token source
/// ([`crate::TokenSource::submit_routed`]): `nvext.backend_instance_id` or the
/// `x-worker-instance-id` header (the worker), `nvext.agent_hints.priority` (else
/// `latency_sensitivity`) or `x-dynamo-request-priority` (the priority jump in seconds), and
/// `nvext.agent_hints.strict_priority` or `x-dynamo-request-strict-priority`; headers win. A
/// worker the source cannot honour gets 400 with `param` `nvext.backend_instance_id`.
///
/// Reasoning output ([`ServerConfig::reasoning_share`]): chat responses send that share of their
/// output tokens first as `delta.reasoning_content` (`message.reasoning_content` when not
/// streaming), and usage carries `completion_tokens_details.reasoning_tokens`.
///
/// The server runs until [`RunningServer::shutdown`] (or until the handle is dropped, which starts
/// the same graceful shutdown without waiting for it).
///
/// # Errors
/// [`ServerError::Bind`] if `host:port` cannot be bound, [`ServerError::Tokenizer`] if the
/// tokenizer cannot be loaded, [`ServerError::Config`] for out-of-range settings.
pub async fn spawn(
    config: ServerConfig,
    source: Arc<dyn TokenSource>,
    stats: Option<Arc<dyn EngineStats>>,
) -> Result<RunningServer, ServerError> {
    config.faults.validate()?;
    for (field, value) in [
        ("header_read_timeout", config.header_read_timeout),
        ("body_read_timeout", config.body_read_timeout),
    ] {
        if value.is_zero() {
            return Err(ServerError::Config {
                field,
                reason: "must be longer than 0".into(),
            });
        }
    }
    if config.tokens_per_image > MAX_TOKENS_PER_IMAGE {
        return Err(ServerError::Config {
            field: "tokens_per_image",
            reason: format!(
                "must be at most {MAX_TOKENS_PER_IMAGE}, got {}",
                config.tokens_per_image
            ),
        });
    }
    if config.max_body_bytes == 0 {
        return Err(ServerError::Config {
            field: "max_body_bytes",
            reason: "must be at least 1".into(),
        });
    }
    if let Some(share) = config.reasoning_share
        && !(0.0..=1.0).contains(&share)
    {
        return Err(ServerError::Config {
            field: "reasoning_share",
            reason: format!("must be within [0, 1], got {share}"),
        });
    }
    if !config.mean_output_tokens.is_finite() || config.mean_output_tokens < 1.0 {
        return Err(ServerError::Config {
            field: "mean_output_tokens",
            reason: format!(
                "must be a finite number >= 1, got {}",
                config.mean_output_tokens
            ),
        });
    }
    if config.default_max_tokens == 0 {
        return Err(ServerError::Config {
            field: "default_max_tokens",
            reason: "must be at least 1".into(),
        });
    }
    let max_model_len = max_model_len(config.max_model_len, source.max_context_tokens())?;
    let tokenizer = servebench_tokenize::load(&config.tokenizer)?;
    // Build the vocabulary tables now rather than inside the first request's TTFT.
    let _ = tokenizer.encode("warm up");
    let vocab = Arc::new(OutputVocab::build(&*tokenizer)?);
    let listener = TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|source| ServerError::Bind {
            host: config.host.clone(),
            port: config.port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        host: config.host.clone(),
        port: config.port,
        source,
    })?;
    let grace = config.shutdown_grace;
    let header_timeout = config.header_read_timeout;
    let nodelay = !config.nagle;
    let state = Arc::new(AppState::new(
        config,
        tokenizer,
        source,
        stats,
        max_model_len,
        vocab,
    ));
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(
        listener,
        state,
        stop_rx,
        grace,
        header_timeout,
        nodelay,
    ));
    tracing::info!(%addr, "mocker server listening");
    Ok(RunningServer {
        addr,
        stop,
        task: Some(task),
    })
}

/// The context limit in force: the configured one (at least 1, at most the source's own limit),
/// else the source's.
fn max_model_len(
    configured: Option<u32>,
    source_limit: Option<u32>,
) -> Result<Option<u32>, ServerError> {
    match (configured, source_limit) {
        (Some(0), _) => Err(ServerError::Config {
            field: "max_model_len",
            reason: "must be at least 1".into(),
        }),
        (Some(n), Some(cap)) if n > cap => Err(ServerError::Config {
            field: "max_model_len",
            reason: format!("{n} exceeds the KV capacity of one worker ({cap} tokens)"),
        }),
        (Some(n), _) => Ok(Some(n)),
        (None, cap) => Ok(cap),
    }
}

/// Largest `tokens_per_image` accepted (2^20; real vision encoders use hundreds to thousands).
const MAX_TOKENS_PER_IMAGE: u32 = 1 << 20;

/// A server started by [`spawn`].
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address (with the actual port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the base URL for clients.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets open requests finish for up to the configured grace
    /// period, closes whatever is left, and returns when all connections are gone.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<AppState>,
    mut stop: watch::Receiver<bool>,
    grace: std::time::Duration,
    header_timeout: std::time::Duration,
    nodelay: bool,
) {
    let graceful = GracefulShutdown::new();
    let (abort, abort_rx) = watch::channel(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    configure_accepted(&stream, nodelay);
                    let state = Arc::clone(&state);
                    let service = service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(state, req).await) }
                    });
                    let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    let conn = graceful.watch(conn);
                    let mut abort_rx = abort_rx.clone();
                    tokio::spawn(async move {
                        tokio::select! {
                            _ = conn => {}
                            _ = abort_rx.changed() => {}
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::info!("grace period over; closing remaining connections");
            let _ = abort.send(true);
        }
    }
}

/// Settings of an accepted connection: tokens leave as soon as they are written (`nodelay`), not
/// after Nagle's delay, unless the server was asked to behave like one that leaves Nagle on.
fn configure_accepted(stream: &tokio::net::TcpStream, nodelay: bool) {
    if let Err(e) = stream.set_nodelay(nodelay) {
        tracing::debug!("cannot set TCP_NODELAY={nodelay}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::configure_accepted;

    #[tokio::test]
    async fn accepted_connections_get_nodelay_unless_nagle_is_asked_for() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        for nodelay in [true, false] {
            let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let (server_side, _) = listener.accept().await.expect("accept");
            // Linux leaves Nagle on (nodelay false) for a fresh socket: set the opposite first so
            // the check sees the effect of configure_accepted, not the default.
            server_side.set_nodelay(!nodelay).expect("set");
            configure_accepted(&server_side, nodelay);
            assert_eq!(server_side.nodelay().expect("get"), nodelay);
        }
    }
}
