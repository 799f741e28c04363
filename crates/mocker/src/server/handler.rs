//! Request routing and the generation endpoints.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONNECTION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use super::api_error::ApiError;
use super::body::{ResponseBody, SseStream, collect};
use super::faults::FaultPlan;
use super::metrics::render_worker_counters;
use super::prompt::prompt_tokens;
use super::render::{Renderer, Timings};
use super::request::{Endpoint, ParsedRequest, Prompt, parse};
use super::sampling::stop_length;
use super::state::{AppState, InFlight, unix_now};
use super::tracker::Tracker;
use crate::protocol::{FinishReason, GenerateRequest, RouteHints};

/// Header names of the per-request server-side timings (also in the `servebench` JSON object).
pub(crate) mod headers {
    pub(crate) const REQUEST_ID: &str = "x-servebench-request-id";
    pub(crate) const PROMPT_TOKENS: &str = "x-servebench-prompt-tokens";
    pub(crate) const QUEUE_MS: &str = "x-servebench-queue-ms";
    pub(crate) const PREFILL_MS: &str = "x-servebench-prefill-ms";
    pub(crate) const TTFT_MS: &str = "x-servebench-ttft-ms";
    pub(crate) const CACHED_TOKENS: &str = "x-servebench-cached-tokens";
    pub(crate) const WORKER_ID: &str = "x-servebench-worker-id";
    /// Dynamo's routing headers (they override the `nvext` fields).
    pub(crate) const WORKER_INSTANCE_ID: &str = "x-worker-instance-id";
    pub(crate) const REQUEST_PRIORITY: &str = "x-dynamo-request-priority";
    pub(crate) const REQUEST_STRICT_PRIORITY: &str = "x-dynamo-request-strict-priority";
}

/// Answers one HTTP request; never fails (errors become OpenAI error responses).
pub(crate) async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> Response<ResponseBody> {
    let arrived = Instant::now();
    let path = req.uri().path();
    let endpoint = match path {
        "/v1/chat/completions" => Some(Endpoint::Chat),
        "/v1/completions" => Some(Endpoint::Completion),
        _ => None,
    };
    let method = req.method().clone();
    let gated = matches!(
        (endpoint, path, &method),
        (Some(_), _, &Method::POST)
            | (None, "/v1/embeddings", &Method::POST)
            | (None, "/health", &Method::GET)
    );
    if gated && let Some(e) = starting(&state, path != "/health") {
        return error_response(&e);
    }
    match (endpoint, path, &method) {
        (None, "/v1/embeddings", &Method::POST) => {
            match read_body(
                req,
                state.config.max_body_bytes,
                state.config.body_read_timeout,
            )
            .await
            {
                Ok(body) => match super::embeddings::embeddings(&state, &body).await {
                    Ok(json) => json_response(StatusCode::OK, json),
                    Err(e) => error_response(&e),
                },
                Err(e) => error_response(&e),
            }
        }
        (Some(endpoint), _, &Method::POST) => {
            match generate(&state, endpoint, req, arrived).await {
                Ok(response) => response,
                Err(e) => error_response(&e),
            }
        }
        (None, "/v1/models", &Method::GET) => models(&state),
        (None, "/health", &Method::GET) => match state.source.failure() {
            None => json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec()),
            Some(cause) => error_response(&unavailable(&cause)),
        },
        (None, "/metrics", &Method::GET) => {
            let snapshot = state.stats.as_ref().map(|s| s.snapshot());
            let mut text = state.metrics.render(&state.config.model_name, snapshot);
            if let Some(stats) = &state.stats {
                text.push_str(&render_worker_counters(
                    &state.config.model_name,
                    &stats.worker_snapshots(),
                    &stats.worker_roles(),
                ));
            }
            text.push_str(&state.prompt_cache.counts().render(&state.config.model_name));
            let mut r = Response::new(ResponseBody::full(text));
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        (Some(_), _, _) | (None, "/v1/models" | "/health" | "/metrics" | "/v1/embeddings", _) => {
            error_response(&ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request_error",
                format!("method {method} is not allowed on {path}"),
            ))
        }
        _ => error_response(&ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found_error",
            format!("no route for {method} {path}"),
        )),
    }
}

/// 503 (counted) once the token source has failed.
pub(crate) fn refuse_if_failed(state: &AppState) -> Result<(), ApiError> {
    match state.source.failure() {
        None => Ok(()),
        Some(cause) => {
            state
                .metrics
                .rejected_unavailable
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(unavailable(&cause))
        }
    }
}

/// The 503 of a server still in its simulated start-up (counted as a rejection if `count`).
fn starting(state: &AppState, count: bool) -> Option<ApiError> {
    let left = state.startup_left();
    if left.is_zero() {
        return None;
    }
    if count {
        state
            .metrics
            .rejected_starting
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    Some(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
        format!(
            "the engine is starting: ready in {:.3} s",
            left.as_secs_f64()
        ),
    ))
}

/// Dynamo's routing headers over the body's `nvext` hints. A header that is not a number is a
/// 400 naming it.
fn header_hints(headers: &http::HeaderMap, mut hints: RouteHints) -> Result<RouteHints, ApiError> {
    fn value<T: std::str::FromStr>(
        headers: &http::HeaderMap,
        name: &'static str,
    ) -> Result<Option<T>, ApiError> {
        let Some(v) = headers.get(name) else {
            return Ok(None);
        };
        v.to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid(format!("header {name} must be a number"), Some(name)))
    }
    if let Some(w) = value::<u64>(headers, headers::WORKER_INSTANCE_ID)? {
        hints.worker = Some(w);
    }
    if let Some(p) = value::<f64>(headers, headers::REQUEST_PRIORITY)?.filter(|p| p.is_finite()) {
        hints.priority = p;
    }
    if let Some(p) = value::<u32>(headers, headers::REQUEST_STRICT_PRIORITY)? {
        hints.strict_priority = p;
    }
    Ok(hints)
}

/// The 503 of a server whose token source has failed.
fn unavailable(cause: &str) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
        format!("the engine is not running: {cause}"),
    )
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<ResponseBody> {
    let mut r = Response::new(ResponseBody::full(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

pub(crate) fn error_response(e: &ApiError) -> Response<ResponseBody> {
    let mut r = json_response(e.status, e.body());
    if e.status == StatusCode::TOO_MANY_REQUESTS {
        r.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    if matches!(
        e.status,
        StatusCode::REQUEST_TIMEOUT | StatusCode::PAYLOAD_TOO_LARGE
    ) {
        // The rest of the body is never read: the connection cannot carry another request.
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

fn models(state: &AppState) -> Response<ResponseBody> {
    let value = serde_json::json!({
        "object": "list",
        "data": [{
            "id": state.config.model_name,
            "object": "model",
            "created": unix_now(),
            "owned_by": "servebench",
            "root": state.config.model_name,
        }],
    });
    json_response(StatusCode::OK, value.to_string().into_bytes())
}

/// Output length and the finish reason the server reports when the source delivers it all.
///
/// `limit` = `max_tokens` (else the configured default, raised to `min_tokens`). With
/// `ignore_eos` the output is exactly `limit` (`length`). Otherwise a stop length is drawn
/// (see [`stop_length`]); the output is that length clamped to `[min_tokens, limit]`, reported as
/// `length` when the draw exceeded the limit, else `stop`.
fn output_length(req: &ParsedRequest, state: &AppState, index: u64) -> (u32, FinishReason) {
    let cfg = &state.config;
    let limit = req
        .max_tokens
        .unwrap_or_else(|| cfg.default_max_tokens.max(req.min_tokens));
    if req.ignore_eos {
        return (limit, FinishReason::Length);
    }
    let natural = stop_length(cfg.seed, index, cfg.mean_output_tokens);
    if natural > limit {
        (limit, FinishReason::Length)
    } else {
        (natural.max(req.min_tokens), FinishReason::Stop)
    }
}

async fn generate(
    state: &Arc<AppState>,
    endpoint: Endpoint,
    req: Request<Incoming>,
    arrived: Instant,
) -> Result<Response<ResponseBody>, ApiError> {
    let header_route = req.headers().clone();
    let body = read_body(
        req,
        state.config.max_body_bytes,
        state.config.body_read_timeout,
    )
    .await?;
    let parsed = parse(endpoint, &body)?;
    let route = header_hints(&header_route, parsed.route)?;
    refuse_if_failed(state)?;
    if let Prompt::Text { images, .. } = &parsed.prompt {
        // Image placeholders alone may be past any limit: refuse before allocating them.
        let image_tokens = images.len() as u64 * u64::from(state.config.tokens_per_image);
        let Ok(image_tokens) = u32::try_from(image_tokens) else {
            return Err(ApiError::invalid(
                format!("the images of this request count {image_tokens} tokens, too many"),
                Some(prompt_field(endpoint)),
            ));
        };
        check_prompt_length(state, prompt_field(endpoint), image_tokens)?;
    }
    // Chat prompts go through the tokenization cache, as in Dynamo's frontend.
    let cache = (endpoint == Endpoint::Chat).then_some(&state.prompt_cache);
    let prompt = prompt_tokens(
        &*state.tokenizer,
        cache,
        &parsed.prompt,
        state.config.tokens_per_image,
    );
    let prompt_len = u32::try_from(prompt.len()).unwrap_or(u32::MAX);
    check_prompt_length(state, prompt_field(endpoint), prompt_len)?;
    if let Err(e) = check_max_tokens(state.max_model_len, endpoint, prompt_len, &parsed) {
        state
            .metrics
            .rejected_context_length
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(e);
    }
    let index = state.next_request();
    let (output_tokens, planned_finish) = output_length(&parsed, state, index);
    let faults = FaultPlan::draw(
        &state.config.faults,
        state.config.seed,
        index,
        output_tokens,
    );
    if let Some(status) = faults.error {
        let kind = if status == StatusCode::TOO_MANY_REQUESTS {
            "rate_limit_error"
        } else {
            "internal_server_error"
        };
        return Err(ApiError::new(
            status,
            kind,
            format!("injected fault: HTTP {}", status.as_u16()),
        ));
    }
    let id = state.response_id(
        match endpoint {
            Endpoint::Chat => "chatcmpl",
            Endpoint::Completion => "cmpl",
        },
        index,
    );
    let model = parsed
        .model
        .clone()
        .unwrap_or_else(|| state.config.model_name.clone());
    let reasoning = state
        .config
        .reasoning_share
        .map_or(0, |share| (share * f64::from(output_tokens)).round() as u32);
    let render = Renderer::new(endpoint, id, unix_now(), model, Arc::clone(&state.vocab))
        .with_reasoning(reasoning);
    super::overhead::wait(state.config.frontend_overhead).await;
    let rx = state
        .source
        .submit_routed(
            GenerateRequest {
                prompt_tokens: prompt,
                output_tokens,
            },
            &route,
        )
        .map_err(|e| ApiError::invalid(e.to_string(), Some("nvext.backend_instance_id")))?;
    let mut tracker = Tracker::new(
        InFlight::new(state),
        arrived,
        output_tokens,
        planned_finish,
        prompt_len,
    );
    if parsed.stream {
        let id = render.id().to_owned();
        let mut response = Response::new(ResponseBody::Sse(Box::new(SseStream::new(
            rx,
            render,
            tracker,
            parsed.include_usage,
            faults,
            state.config.faults.stall,
        ))));
        let h = response.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Ok(with_ids(response, &id, prompt_len));
    }
    let collected = collect(rx, &mut tracker, &render).await;
    let (finish, usage, timings) = (collected.finish, collected.usage, collected.timings);
    if finish == "abort"
        && let Some(cause) = state.source.failure()
    {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            format!("generation failed: {cause}"),
        ));
    }
    if faults.stall_at.is_some() {
        tokio::time::sleep(state.config.faults.stall).await;
    }
    let mut body = Vec::with_capacity(collected.text.len() + collected.reasoning.len() + 512);
    render.full_body(
        &mut body,
        &collected.text,
        &collected.reasoning,
        finish,
        &usage,
        &timings,
    );
    if faults.malformed_at.is_some() {
        body.truncate(body.len() / 2);
    }
    let mut response = json_response(StatusCode::OK, body);
    if faults.disconnect_at.is_some() {
        *response.body_mut() = ResponseBody::Broken { flushed: false };
    }
    let response = with_ids(response, render.id(), prompt_len);
    Ok(with_timings(response, &timings))
}

/// The request field that holds the prompt.
fn prompt_field(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Chat => "messages",
        Endpoint::Completion => "prompt",
    }
}

/// The context-length check of a prompt alone (counted as a rejection when it fails).
pub(crate) fn check_prompt_length(
    state: &AppState,
    what: &'static str,
    prompt_len: u32,
) -> Result<(), ApiError> {
    let Some(limit) = state.max_model_len else {
        return Ok(());
    };
    if prompt_len <= limit {
        return Ok(());
    }
    state
        .metrics
        .rejected_context_length
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Err(ApiError::invalid(
        format!(
            "This model's maximum context length is {limit} tokens. However, your request has \
             {prompt_len} input tokens. Please reduce the length of the {what}."
        ),
        Some(what),
    ))
}

/// vLLM's second context-length check: the prompt plus an explicit `max_tokens` must fit in
/// `limit` tokens.
fn check_max_tokens(
    limit: Option<u32>,
    endpoint: Endpoint,
    prompt_len: u32,
    req: &ParsedRequest,
) -> Result<(), ApiError> {
    let Some(limit) = limit else { return Ok(()) };
    let what = prompt_field(endpoint);
    if let Some(max) = req.max_tokens {
        let total = u64::from(prompt_len) + u64::from(max);
        if total > u64::from(limit) {
            return Err(ApiError::invalid(
                format!(
                    "This model's maximum context length is {limit} tokens. However, you \
                     requested {total} tokens ({prompt_len} in the {what}, {max} in the \
                     completion). Please reduce the length of the {what} or completion."
                ),
                Some("max_tokens"),
            ));
        }
    }
    Ok(())
}

async fn read_body(
    req: Request<Incoming>,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<Bytes, ApiError> {
    let collect = Limited::new(req.into_body(), limit).collect();
    let Ok(collected) = tokio::time::timeout(timeout, collect).await else {
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "invalid_request_error",
            format!(
                "request body not received within {} s",
                timeout.as_secs_f64()
            ),
        ));
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!("request body exceeds {limit} bytes"),
        )),
        Err(e) => Err(ApiError::invalid(
            format!("failed to read request body: {e}"),
            None,
        )),
    }
}

fn with_ids(mut r: Response<ResponseBody>, id: &str, prompt_tokens: u32) -> Response<ResponseBody> {
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(id) {
        h.insert(headers::REQUEST_ID, v);
    }
    h.insert(headers::PROMPT_TOKENS, HeaderValue::from(prompt_tokens));
    r
}

fn with_timings(mut r: Response<ResponseBody>, t: &Timings) -> Response<ResponseBody> {
    let ms = |d: std::time::Duration| {
        let mut out = Vec::new();
        super::json::push_ms(&mut out, d);
        HeaderValue::from_bytes(&out).unwrap_or(HeaderValue::from_static("0"))
    };
    let h = r.headers_mut();
    h.insert(headers::QUEUE_MS, ms(t.queue));
    h.insert(headers::PREFILL_MS, ms(t.prefill));
    h.insert(headers::TTFT_MS, ms(t.ttft));
    h.insert(headers::CACHED_TOKENS, HeaderValue::from(t.cached_tokens));
    h.insert(headers::WORKER_ID, HeaderValue::from(t.worker_id));
    r
}
