//! Converters from other trace formats to Mooncake JSONL.

pub(crate) mod azure;
pub(crate) mod burstgpt;
pub(crate) mod draws;
pub(crate) mod kept_rows;
pub(crate) mod line_stage;
pub(crate) mod stats;
