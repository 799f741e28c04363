//! The load-generation core of servebench: an HTTP/1.1 and HTTP/2 streaming client for
//! OpenAI-compatible endpoints, an incremental SSE parser, load schedulers (closed loop, open loop
//! with constant, Poisson and gamma arrivals), and datasets with synthetic prompts of exact token
//! lengths.
//!
//! Each request produces one [`servebench_metrics::RequestRecord`]; socket reads are stamped with
//! the run's monotonic clock the moment they return, before any parsing.
#![warn(missing_docs)]

pub mod arrivals;
mod dataset;
pub mod extra_inputs;
pub mod prompts;

pub use arrivals::{ArrivalPattern, Arrivals};
pub use dataset::DatasetEntry;
pub use extra_inputs::{parse_extra_inputs, parse_header};
pub use prompts::{PromptSynthesizer, SyntheticConfig, SyntheticDataset, synthesize};
