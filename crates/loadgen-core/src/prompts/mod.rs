//! Synthetic prompts with exact token counts, like AIPerf's synthetic dataset.
//!
//! [`synthesize`] turns a [`SyntheticConfig`] (AIPerf's `--isl`, `--isl-stddev`, `--osl`,
//! `--osl-stddev`, `--num-dataset-entries`, `--random-seed`, `--num-prefix-prompts`,
//! `--prefix-prompt-length`) into [`DatasetEntry`](crate::DatasetEntry)s whose prompts have exactly
//! the sampled number of tokens under the run's tokenizer. [`PromptSynthesizer`] makes single texts
//! of an exact length for other generators (trace synthesis, prefix blocks).

mod config;
mod corpus;
mod cut;
mod dataset;
mod error;
mod sampling;
mod synthesizer;

pub use config::SyntheticConfig;
pub use dataset::{SyntheticDataset, synthesize};
pub use error::SynthesisError;
pub use sampling::seeded_rng;
pub use synthesizer::PromptSynthesizer;
