//! Errors that stop a run before it starts (bad configuration). Failures of single requests are
//! never errors of this type: they become [`servebench_metrics::RequestError`]s in the records.

/// Why a run could not be started.
#[derive(Debug, thiserror::Error)]
pub enum RunConfigError {
    /// No base URL was configured.
    #[error("no base URL given")]
    NoUrls,
    /// A base URL could not be parsed or has no host.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The host of a base URL does not resolve to any address.
    #[error("cannot resolve the host of URL {url:?}")]
    UnresolvableHost {
        /// The URL as given.
        url: String,
        /// The resolver's error (`None`: it returned no addresses).
        #[source]
        source: Option<std::io::Error>,
    },
    /// An `https://` URL: TLS is not supported by this client.
    #[error(
        "https is not supported (URL {url:?}): use an http:// endpoint or a TLS-terminating proxy"
    )]
    HttpsUnsupported {
        /// The URL as given.
        url: String,
    },
    /// An extra header or the API key is not a valid HTTP header.
    #[error("invalid header {name:?}: {reason}")]
    InvalidHeader {
        /// Header name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The endpoint path override is not a valid request path.
    #[error("invalid endpoint path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The dataset has no entries.
    #[error("the dataset is empty")]
    EmptyDataset,
    /// `LoadMode::Concurrency(0)`, a zero in-flight cap or a zero warm-up concurrency.
    #[error("{what} must be at least 1")]
    ZeroConcurrency {
        /// Which setting was zero.
        what: &'static str,
    },
    /// Streaming was requested for an endpoint that does not stream (embeddings).
    #[error("the {endpoint} endpoint does not support streaming")]
    StreamingUnsupported {
        /// The endpoint kind.
        endpoint: &'static str,
    },
    /// User-centric pacing was given an open-loop load (it runs under a number of virtual users).
    #[error(
        "user-centric load runs under a number of users (--num-users); a request rate or fixed \
         schedule is not supported with it"
    )]
    SessionsNeedConcurrency,
    /// Neither a request count nor a benchmark duration was given.
    #[error("no stop condition: give a request count or a benchmark duration")]
    NoStopCondition,
    /// A request body could not be serialized.
    #[error("failed to serialize the request body of dataset entry {index}")]
    Body {
        /// Index of the dataset entry.
        index: usize,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// A helper thread (open-loop timer, event-loop probe) could not be started.
    #[error("failed to start the {name} thread")]
    Thread {
        /// Which thread.
        name: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
