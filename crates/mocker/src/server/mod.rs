//! The OpenAI-compatible HTTP server in front of a [`crate::TokenSource`].

mod api_error;
mod body;
mod config;
mod error;
mod faults;
mod handler;
mod json;
mod listener;
mod metrics;
mod prompt;
mod render;
mod request;
mod sampling;
mod state;
mod stats;
mod tracker;
mod vocab;

pub use config::{FaultConfig, ServerConfig};
pub use error::ServerError;
pub use listener::{RunningServer, spawn};
pub use stats::{EngineStats, StatsSnapshot};
