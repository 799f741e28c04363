//! The contract between the HTTP server and whatever produces tokens (the simulated engine pool or
//! a fixed-timing generator).

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

/// A tokenized generation request, as the server hands it to a [`TokenSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateRequest {
    /// Prompt token ids (images already expanded to placeholder tokens).
    pub prompt_tokens: Vec<u32>,
    /// Exact number of tokens to generate (the server resolves max_tokens, min_tokens, ignore_eos
    /// and its own stop-length draw before submitting).
    pub output_tokens: u32,
}

/// What a request says about its own routing (Dynamo's `nvext` fields and headers).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RouteHints {
    /// The worker the request names (`nvext.backend_instance_id`, or the `x-worker-instance-id`
    /// header, which wins): required by the direct router mode, honoured by the KV mode.
    pub worker: Option<u64>,
    /// Priority jump in seconds for the KV router's queue (`nvext.agent_hints.priority`, else
    /// `nvext.agent_hints.latency_sensitivity`; the `x-dynamo-request-priority` header wins);
    /// higher goes earlier, negative counts as 0.
    pub priority: f64,
    /// Strict tier of the KV router's queue (`nvext.agent_hints.strict_priority`, or the
    /// `x-dynamo-request-strict-priority` header): a higher tier always leaves the queue first.
    pub strict_priority: u32,
}

/// Why a token source refused to route a request (the server answers 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// Direct routing and the request names no worker.
    #[error(
        "the router is in direct mode: name a worker with nvext.backend_instance_id or the \
         x-worker-instance-id header"
    )]
    NoWorkerNamed,
    /// The named worker does not exist.
    #[error("no worker {worker}: workers are numbered 0 to {}", workers.saturating_sub(1))]
    UnknownWorker {
        /// The worker named.
        worker: u64,
        /// How many workers there are.
        workers: usize,
    },
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The requested number of tokens was generated and it was an explicit limit.
    Length,
    /// The simulated end of sequence.
    Stop,
}

/// Server-side timings of one request, for latency decomposition.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ServerTimings {
    /// Worker (engine) that served the request.
    pub worker_id: u32,
    /// From submission until the request was first scheduled.
    pub queue_wait: Duration,
    /// From first scheduled until its first token was produced.
    pub prefill: Duration,
    /// Prompt tokens served from the prefix cache.
    pub cached_tokens: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
}

/// What a [`TokenSource`] sends back for one request, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum GenerateEvent {
    /// One generated token.
    Token {
        /// The token id.
        token_id: u32,
    },
    /// Generation finished; no more events follow.
    Finished {
        /// Why.
        reason: FinishReason,
        /// Server-side timings.
        timings: ServerTimings,
    },
}

/// Something that turns requests into timed token streams: the simulated engine pool, or a
/// fixed-timing generator for calibrating clients.
///
/// Dropping the receiver cancels the request (its KV blocks are freed at the next step).
pub trait TokenSource: Send + Sync + 'static {
    /// Submits a request; events arrive on the returned channel at the simulated times.
    fn submit(&self, request: GenerateRequest) -> UnboundedReceiver<GenerateEvent>;

    /// Submits a request with its routing hints. The default ignores the hints and calls
    /// [`TokenSource::submit`]; a source with a router (the engine pool) applies them.
    ///
    /// # Errors
    /// A [`RouteError`] when the hints cannot be honoured (a worker that does not exist, none
    /// named in direct mode).
    fn submit_routed(
        &self,
        request: GenerateRequest,
        hints: &RouteHints,
    ) -> Result<UnboundedReceiver<GenerateEvent>, RouteError> {
        let _ = hints;
        Ok(self.submit(request))
    }

    /// The most tokens (prompt plus output) one request can hold, if the source has such a limit:
    /// the simulated engine's KV capacity of one worker. The server rejects longer requests before
    /// submitting them. `None` (the default) means no limit of its own.
    fn max_context_tokens(&self) -> Option<u32> {
        None
    }

    /// Why the source can no longer serve (an engine worker died), once that has happened;
    /// `None` (the default) while it is healthy. The server then answers `/health` and new
    /// requests with 503 and ends open streams with an error event.
    fn failure(&self) -> Option<String> {
        None
    }
}
