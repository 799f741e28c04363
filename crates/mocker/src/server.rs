//! The OpenAI-compatible HTTP server in front of a [`crate::TokenSource`].

mod api_error;
mod body;
mod config;
mod embeddings;
mod error;
mod faults;
mod handler;
mod json;
mod listener;
mod metrics;
mod overhead;
mod prompt;
mod prompt_cache;
mod render;
mod request;
mod sampling;
mod state;
mod stats;
mod tracker;
mod vocab;

pub use config::{
    DEFAULT_TOKENIZER_CACHE_BYTES, DYNAMO_FRONTEND_OVERHEAD, FaultConfig, ServerConfig,
};
pub use error::ServerError;
pub use listener::{RunningServer, spawn};
pub use stats::EngineStats;
