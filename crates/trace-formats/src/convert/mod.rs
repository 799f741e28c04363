//! Converters from other trace formats to Mooncake JSONL.

pub(crate) mod azure;
pub(crate) mod burstgpt;
pub(crate) mod stats;
