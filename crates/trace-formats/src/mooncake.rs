//! The Mooncake trace format: one JSON object per line.

use serde::{Deserialize, Serialize};

/// One request of a Mooncake trace.
///
/// `hash_ids[i]` names the i-th block of the prompt (block size fixed per trace, 512 tokens for the
/// original Mooncake traces): equal ids mean equal blocks, so shared leading ids are shared prefixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MooncakeRecord {
    /// Arrival time in milliseconds from the start of the trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Prompt length in tokens.
    pub input_length: u64,
    /// Output length in tokens.
    pub output_length: u64,
    /// Block ids of the prompt.
    #[serde(default)]
    pub hash_ids: Vec<u64>,
    /// Session the request belongs to (multi-turn traces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Delay in milliseconds after the previous turn of the session completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<f64>,
    /// Literal prompt text, used instead of synthesis when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_input: Option<String>,
}

impl MooncakeRecord {
    /// A record with the four core fields.
    pub fn new(
        timestamp: Option<u64>,
        input_length: u64,
        output_length: u64,
        hash_ids: Vec<u64>,
    ) -> Self {
        Self {
            timestamp,
            input_length,
            output_length,
            hash_ids,
            session_id: None,
            delay: None,
            text_input: None,
        }
    }
}
