//! Settings of the OpenAI-compatible server.

use std::time::Duration;

use servebench_tokenize::TokenizerSpec;

use super::error::ServerError;

/// Settings of the HTTP server (the token source and engine have their own).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Address to bind (`127.0.0.1`); a host name is resolved and its first address used.
    pub host: String,
    /// Port to bind (8000); 0 picks an ephemeral port.
    pub port: u16,
    /// Model name served by `/v1/models` and used as the `model_name` metric label. Requests may
    /// name any model: the response echoes the requested name.
    pub model_name: String,
    /// Tokenizer for prompts, the same choice as the load generator's (`builtin` or a
    /// `tokenizer.json`), so prompt block hashes match across tools.
    pub tokenizer: TokenizerSpec,
    /// Prompt tokens counted for each image content part of a chat message (576: the 24×24 patch
    /// grid of a 336-pixel CLIP ViT-L/14 image, as in LLaVA-1.5).
    pub tokens_per_image: u32,
    /// Output cap when a request gives no `max_tokens` / `max_completion_tokens` (1024).
    pub default_max_tokens: u32,
    /// Mean of the drawn stop length (256): without `ignore_eos`, each generated token ends the
    /// sequence with probability `1/mean` (a geometric distribution on 1, 2, ...), then the
    /// length is clamped to `[min_tokens, max_tokens]`.
    pub mean_output_tokens: f64,
    /// Seed of stop-length draws and fault decisions (0).
    pub seed: u64,
    /// Injected faults (all off by default).
    pub faults: FaultConfig,
    /// Longest request, prompt plus `max_tokens`, in tokens (vLLM's `--max-model-len`). `None`
    /// (the default) takes the token source's limit: for the simulated engine, the KV capacity
    /// of one worker (`num_gpu_blocks × block_size`). A prompt longer than this, or an explicit
    /// `max_tokens` that does not fit after the prompt, is answered 400 before any engine work.
    pub max_model_len: Option<u32>,
    /// Simulated start-up (Dynamo mocker's `--startup-time`, none by default): until this long
    /// after the server starts listening, `/health`, the generation endpoints and
    /// `/v1/embeddings` answer 503, as a server still loading its model would.
    pub startup_time: Duration,
    /// Reasoning-model output (off by default): this share of each chat response's output tokens
    /// (rounded to the nearest token) is sent first as `reasoning_content`, the rest as
    /// `content`; usage then reports `completion_tokens_details.reasoning_tokens`. Completions
    /// are unaffected. Within `[0, 1]`.
    pub reasoning_share: Option<f64>,
    /// Largest accepted request body (64 MiB, room for base64 images); larger ones get 413.
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's headers (60 s), counted from when the
    /// connection starts waiting for them, so it also closes a keep-alive connection left idle
    /// that long (as uvicorn's keep-alive timeout does for vLLM); then the connection is closed
    /// without a response.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body once its headers arrived (30 s);
    /// then it gets 408 and the connection is closed.
    pub body_read_timeout: Duration,
    /// How long a graceful shutdown waits for open streams before closing them (5 s).
    pub shutdown_grace: Duration,
    /// Leave Nagle's algorithm on for accepted connections (`false`: every write leaves at once,
    /// `TCP_NODELAY`). Dynamo 1.6.1's HTTP frontend leaves it on; with a client that delays its
    /// ACKs on a keep-alive connection, the first bytes of the next response then wait for that
    /// delayed ACK, which adds up to ~40 ms to TTFT. On to reproduce that, off for honest timing.
    pub nagle: bool,
    /// Byte budget of cached chat prompt tokenizations ([`DEFAULT_TOKENIZER_CACHE_BYTES`]); 0
    /// turns the cache off. Like Dynamo 1.6.1's frontend (its tokenizer cache is on by
    /// default), a chat prompt whose text was tokenized before reuses those token ids instead of
    /// being tokenized again, so a repeated long prompt skips the tokenizer's cost (~50 ms for
    /// 16,000 Qwen3 tokens). Completion prompts are always tokenized, as Dynamo's are (they have
    /// no chat template, whose special tokens its cache splits at).
    pub tokenizer_cache_bytes: usize,
    /// Time added to every generation request between tokenizing its prompt and handing it to
    /// the token source (none by default: the library's timing is the engine's alone). It stands
    /// for the part of Dynamo's TTFT spent outside its engine and tokenizer: its HTTP frontend,
    /// KV router and the request plane to a separate worker process, ~2 ms per request on a quiet
    /// machine (`mocker`'s `--frontend-overhead-ms` default, [`DYNAMO_FRONTEND_OVERHEAD`]).
    /// Waited with the OS's high-resolution sleep on the blocking pool (~0.05 ms late), not
    /// tokio's 1 ms timer, which made a 3 ms overhead cost 3.7-3.9 ms.
    pub frontend_overhead: Duration,
}

/// Dynamo 1.6.1's per-request time outside its engine and tokenizer, measured on this kind of
/// machine when quiet: TTFT of a fully cached prompt over a fresh connection (median 19.3 ms over
/// 16 rows at ISL 1000-16000, load below 1.3, frontend tokenizer cache on) minus its engine's
/// 16.5 ms prefill and our own server's 0.8 ms (17.3 ms with no overhead); docs/performance.md,
/// fidelity section. (3 ms until the machine's busy morning runs were set aside.)
pub const DYNAMO_FRONTEND_OVERHEAD: Duration = Duration::from_millis(2);

/// Default [`ServerConfig::tokenizer_cache_bytes`]: 50 MB, Dynamo's default budget for its
/// frontend tokenizer cache.
pub const DEFAULT_TOKENIZER_CACHE_BYTES: usize = 50_000_000;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8000,
            model_name: "servebench-mocker".into(),
            tokenizer: TokenizerSpec::Builtin,
            tokens_per_image: 576,
            default_max_tokens: 1024,
            mean_output_tokens: 256.0,
            seed: 0,
            faults: FaultConfig::default(),
            max_model_len: None,
            startup_time: Duration::ZERO,
            reasoning_share: None,
            max_body_bytes: 64 << 20,
            header_read_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            nagle: false,
            tokenizer_cache_bytes: DEFAULT_TOKENIZER_CACHE_BYTES,
            frontend_overhead: Duration::ZERO,
        }
    }
}

/// Fault injection for reliability tests. Each rate is a per-request probability in `[0, 1]`,
/// decided from `seed` and the request's arrival index, so a sequential run is reproducible.
///
/// Error responses replace the whole request. The stream faults strike at one position chosen
/// uniformly per fault, and a request can get several of them: a stall or malformed chunk at one
/// of the output tokens (or the final chunk), a disconnect after 1 to all of the output tokens
/// (headers and at least one token go out first; the final chunk and `[DONE]` never do).
/// Non-streaming requests get the same faults applied to their single body: the connection
/// closed after the headers, a stall before the body, a truncated JSON body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultConfig {
    /// Probability of answering HTTP 500 with an OpenAI error body instead of generating.
    pub http_500_rate: f64,
    /// Probability of answering HTTP 429 (with `retry-after: 1`) instead of generating.
    pub http_429_rate: f64,
    /// Probability of closing the connection mid-stream, without the terminating chunk.
    pub disconnect_rate: f64,
    /// Probability of pausing the stream for [`FaultConfig::stall`] before one token.
    pub stall_rate: f64,
    /// Length of an injected stall.
    pub stall: Duration,
    /// Probability of replacing one token's chunk with invalid JSON.
    pub malformed_rate: f64,
}

impl FaultConfig {
    /// True when no fault can happen.
    pub fn is_off(&self) -> bool {
        self.http_500_rate <= 0.0
            && self.http_429_rate <= 0.0
            && self.disconnect_rate <= 0.0
            && self.stall_rate <= 0.0
            && self.malformed_rate <= 0.0
    }

    /// Checks every rate is a probability. Errors name the setting (`faults.stall_rate`).
    pub(crate) fn validate(&self) -> Result<(), ServerError> {
        let rates = [
            ("faults.http_500_rate", self.http_500_rate),
            ("faults.http_429_rate", self.http_429_rate),
            ("faults.disconnect_rate", self.disconnect_rate),
            ("faults.stall_rate", self.stall_rate),
            ("faults.malformed_rate", self.malformed_rate),
        ];
        for (field, r) in rates {
            if !(0.0..=1.0).contains(&r) {
                return Err(ServerError::Config {
                    field,
                    reason: format!("must be within [0, 1], got {r}"),
                });
            }
        }
        if self.http_500_rate + self.http_429_rate > 1.0 {
            return Err(ServerError::Config {
                field: "faults.http_429_rate",
                reason: "http_500_rate + http_429_rate must not exceed 1".into(),
            });
        }
        Ok(())
    }
}
