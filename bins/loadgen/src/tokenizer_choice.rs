//! The binary's side of the tokenizer choice ([`servebench_tokenize::choose_tokenizer`]) and of
//! `--apply-chat-template` ([`servebench_loadgen_core::prompts::apply_chat_template`]): flag names
//! in errors and the notice lines to print.

use anyhow::Context;
use servebench_tokenize::{ChosenTokenizer, LoadOptions};

/// The chosen tokenizer and the line to print about the choice, if any.
pub(crate) struct Chosen {
    /// The library's choice (tokenizer, its file).
    pub(crate) chosen: ChosenTokenizer,
    /// A line to print about the choice, if any.
    pub(crate) notice: Option<String>,
}

impl std::ops::Deref for Chosen {
    type Target = ChosenTokenizer;
    fn deref(&self) -> &ChosenTokenizer {
        &self.chosen
    }
}

/// Chooses and loads the tokenizer of `--tokenizer` / `--model`.
///
/// # Errors
/// The library's [`servebench_tokenize::ChoiceError`], under the flag at fault.
pub(crate) fn choose(
    tokenizer: Option<&str>,
    model: &str,
    options: &LoadOptions,
) -> anyhow::Result<Chosen> {
    let chosen =
        servebench_tokenize::choose_tokenizer(tokenizer, model, options).with_context(|| {
            match tokenizer {
                Some(name) => format!("--tokenizer {name}"),
                None => format!("--model {model}"),
            }
        })?;
    let notice = chosen
        .notice
        .as_ref()
        .map(|n| format!("loadgen: {n} (pass --tokenizer to choose one)"));
    Ok(Chosen { chosen, notice })
}

/// `--apply-chat-template`: returns the note to print when it is ignored.
///
/// # Errors
/// A template that cannot be read or rendered.
pub(crate) fn apply_chat_template(
    chosen: &Chosen,
    entries: &mut [servebench_loadgen_core::DatasetEntry],
) -> anyhow::Result<Option<String>> {
    let skipped = servebench_loadgen_core::prompts::apply_chat_template(&chosen.chosen, entries)?;
    Ok(skipped.map(|s| format!("loadgen: note: --apply-chat-template ignored: {s}")))
}
