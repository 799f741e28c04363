//! Synthetic prompts with exact token counts, like AIPerf's synthetic dataset.
//!
//! [`synthesize`] turns a [`SyntheticConfig`] (AIPerf's `--isl`, `--isl-stddev`, `--osl`,
//! `--osl-stddev`, `--num-dataset-entries`, `--random-seed`, `--num-prefix-prompts`,
//! `--prefix-prompt-length`) into [`DatasetEntry`](crate::DatasetEntry)s whose prompts have exactly
//! the sampled number of tokens under the run's tokenizer. [`PromptSynthesizer`] makes single texts
//! of an exact length for other generators (trace synthesis, prefix blocks).
//! [`ContextPromptConfig`] / [`add_context_prompts`] add AIPerf's shared system prompt, per-user
//! context prompts and verbatim system prompt to a dataset. [`apply_chat_template`] recounts input
//! lengths over the chat-templated prompt (`--apply-chat-template`).

mod chat;
mod config;
pub(crate) mod corpus;
mod cut;
mod dataset;
mod error;
mod sampling;
mod synthesizer;
mod system;

pub use chat::{ChatTemplateSkipped, apply_chat_template};
pub use config::SyntheticConfig;
pub use dataset::{SyntheticDataset, synthesize};
pub use error::SynthesisError;
pub(crate) use sampling::index as sampling_index;
pub use sampling::seeded_rng;
pub use synthesizer::PromptSynthesizer;
pub use system::{ContextPromptConfig, ContextPrompts, add_context_prompts};
