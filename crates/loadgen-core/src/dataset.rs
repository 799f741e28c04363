//! Datasets: the prompts a run sends.

/// One prompt of a dataset: the text sent and what the request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetEntry {
    /// The prompt text (the user message for chat, the prompt for completions, the input for
    /// embeddings).
    pub prompt: String,
    /// Length of `prompt` under the run's tokenizer.
    pub input_tokens: u64,
    /// Output length to request (`max_tokens`); `None` lets the server decide.
    pub max_output_tokens: Option<u64>,
}
