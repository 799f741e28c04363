//! Context prompts sent before each user prompt: a shared system prompt and per-user contexts.

use std::collections::HashSet;
use std::sync::Arc;

use rand::rngs::StdRng;
use servebench_tokenize::Tokenizer;

use crate::DatasetEntry;
use crate::prompts::synthesizer::MAX_ATTEMPTS;
use crate::prompts::{PromptSynthesizer, SynthesisError as Error, seeded_rng};

/// AIPerf's context-prompt settings (all off by default).
///
/// * `shared_system_prompt_length` (`--shared-system-prompt-length N`): one synthetic system
///   prompt of exactly N tokens, identical in every request (a `system` message), so a server's
///   prefix cache can hold it once.
/// * `user_context_prompt_length` (`--user-context-prompt-length N`): a synthetic context of
///   exactly N tokens per user (AIPerf: per conversation; here per dataset entry, or per session
///   through [`ContextPrompts::user_context`]), sent as a `user` message after the system prompt
///   and before the prompt. Contexts of different users differ.
/// * `system_prompt` (`--system-prompt TEXT` or the contents of `--system-prompt-file`): a
///   verbatim system prompt for every request.
///
/// As in AIPerf these are added on top of the prompt (`--isl` stays the length of the user
/// prompt), they are counted in each request's input length (ISL; see [`ContextPrompts::apply`]),
/// they go to chat endpoints only, and the verbatim and synthetic system prompts exclude each
/// other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextPromptConfig {
    /// Tokens of the shared synthetic system prompt; `None` for none.
    pub shared_system_prompt_length: Option<u64>,
    /// Tokens of each user's context; `None` for none.
    pub user_context_prompt_length: Option<u64>,
    /// A verbatim system prompt; `None` for none.
    pub system_prompt: Option<String>,
}

impl ContextPromptConfig {
    /// Whether no context prompt is configured.
    pub fn is_empty(&self) -> bool {
        self.shared_system_prompt_length.is_none()
            && self.user_context_prompt_length.is_none()
            && self.system_prompt.is_none()
    }

    /// Checks ranges and combinations.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the flag: a length of 0, a verbatim system prompt that is
    /// empty or only whitespace, or both a verbatim and a synthetic system prompt.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |field, reason: &str| {
            Err(Error::InvalidConfig {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.shared_system_prompt_length == Some(0) {
            return invalid("--shared-system-prompt-length", "must be at least 1 token");
        }
        if self.user_context_prompt_length == Some(0) {
            return invalid("--user-context-prompt-length", "must be at least 1 token");
        }
        if let Some(text) = &self.system_prompt {
            if text.trim().is_empty() {
                return invalid("--system-prompt", "is empty or only whitespace");
            }
            if self.shared_system_prompt_length.is_some() {
                return invalid(
                    "--system-prompt",
                    "cannot be combined with --shared-system-prompt-length (both set the system \
                     message)",
                );
            }
        }
        Ok(())
    }
}

/// The context prompts of one run: the system prompt (shared by every request) and the user
/// contexts, made on demand in order so that user `i` gets the same context whatever else is
/// asked for.
#[derive(Debug)]
pub struct ContextPrompts<'t> {
    synth: PromptSynthesizer<'t>,
    /// The system prompt.
    system: Option<Arc<str>>,
    user_context_length: Option<u64>,
    rng: StdRng,
    /// Contexts made so far (index = user).
    contexts: Vec<Arc<str>>,
    seen: HashSet<Arc<str>>,
}

impl<'t> ContextPrompts<'t> {
    /// The context prompts described by `config`, measured with `tokenizer`; synthetic texts come
    /// from `seed` (the same seed, config and tokenizer give the same texts).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad setting ([`ContextPromptConfig::validate`]);
    /// [`Error::LengthUnreachable`] if the tokenizer makes the system prompt's exact length
    /// impossible (never with the built-in tokenizer).
    pub fn new(
        config: &ContextPromptConfig,
        tokenizer: &'t dyn Tokenizer,
        seed: u64,
    ) -> Result<Self, Error> {
        config.validate()?;
        let synth = PromptSynthesizer::new(tokenizer);
        let system = match (&config.system_prompt, config.shared_system_prompt_length) {
            (Some(text), _) => Some(Arc::from(text.as_str())),
            (None, Some(n)) => Some(Arc::from(
                synth.text_with_tokens(n, &mut seeded_rng(seed, "shared-system-prompt"))?,
            )),
            (None, None) => None,
        };
        Ok(Self {
            synth,
            system,
            user_context_length: config.user_context_prompt_length,
            rng: seeded_rng(seed, "user-context-prompt"),
            contexts: Vec::new(),
            seen: HashSet::new(),
        })
    }

    /// The system prompt sent with every request, if any.
    pub fn system_prompt(&self) -> Option<&Arc<str>> {
        self.system.as_ref()
    }

    /// The context of user (or session) `index`, if user contexts are configured. Contexts are
    /// made in order up to `index` the first time and kept; a context equal to an earlier one is
    /// redrawn (a few times; only very short lengths can run out of distinct texts).
    ///
    /// # Errors
    /// [`Error::LengthUnreachable`] if the tokenizer makes the exact length impossible.
    pub fn user_context(&mut self, index: usize) -> Result<Option<Arc<str>>, Error> {
        let Some(length) = self.user_context_length else {
            return Ok(None);
        };
        while self.contexts.len() <= index {
            let mut text: Arc<str> = self.synth.text_with_tokens(length, &mut self.rng)?.into();
            for _ in 1..MAX_ATTEMPTS {
                if !self.seen.contains(&text) {
                    break;
                }
                text = self.synth.text_with_tokens(length, &mut self.rng)?.into();
            }
            self.seen.insert(Arc::clone(&text));
            self.contexts.push(text);
        }
        Ok(Some(Arc::clone(&self.contexts[index])))
    }

    /// Gives every entry the system prompt and entry `i` the context of user `i`, and adds them to
    /// each entry's `input_tokens` as AIPerf counts its ISL: over the system prompt, the context
    /// and the prompt joined with single spaces (what an OpenAI-compatible server that joins
    /// message texts sees). With the built-in tokenizer the added count is exactly the sum of the
    /// parts' lengths; a byte-level BPE may merge a token across a join.
    ///
    /// An entry that already has a system prompt (from a dataset file) keeps it after this one,
    /// joined by a blank line (as AIPerf merges `--system-prompt` into a dataset's own system
    /// message); a configured user context replaces the entry's.
    ///
    /// # Errors
    /// As [`ContextPrompts::user_context`].
    pub fn apply(&mut self, entries: &mut [DatasetEntry]) -> Result<(), Error> {
        for (i, entry) in entries.iter_mut().enumerate() {
            let context = self.user_context(i)?.or_else(|| entry.user_context.clone());
            let system = match (&self.system, &entry.system_prompt) {
                (Some(ours), Some(theirs)) => Some(Arc::from(format!("{ours}\n\n{theirs}"))),
                (Some(ours), None) => Some(Arc::clone(ours)),
                (None, theirs) => theirs.clone(),
            };
            let tokenizer = self.synth.tokenizer();
            let before = tokenizer.count_tokens(&joined(
                entry.system_prompt.as_deref(),
                entry.user_context.as_deref(),
                &entry.prompt,
            ));
            let after = tokenizer.count_tokens(&joined(
                system.as_deref(),
                context.as_deref(),
                &entry.prompt,
            ));
            entry.input_tokens = (entry.input_tokens + after as u64).saturating_sub(before as u64);
            entry.system_prompt = system;
            entry.user_context = context;
        }
        Ok(())
    }
}

/// The texts of a chat request joined with single spaces, as AIPerf's ISL counts them.
fn joined(system: Option<&str>, context: Option<&str>, prompt: &str) -> String {
    let mut text = String::new();
    for part in [system, context].into_iter().flatten() {
        text.push_str(part);
        text.push(' ');
    }
    text.push_str(prompt);
    text
}

/// Adds the context prompts of `config` to `entries` ([`ContextPrompts::apply`]); does nothing
/// when none are configured.
///
/// # Errors
/// As [`ContextPrompts::new`] and [`ContextPrompts::apply`].
pub fn add_context_prompts(
    entries: &mut [DatasetEntry],
    config: &ContextPromptConfig,
    tokenizer: &dyn Tokenizer,
    seed: u64,
) -> Result<(), Error> {
    if config.is_empty() {
        return Ok(());
    }
    ContextPrompts::new(config, tokenizer, seed)?.apply(entries)
}

#[cfg(test)]
mod tests {
    use servebench_tokenize::BuiltinTokenizer;

    use super::*;

    fn entries(n: usize) -> Vec<DatasetEntry> {
        (0..n)
            .map(|i| DatasetEntry {
                prompt: format!("question {i}"),
                input_tokens: 2,
                ..DatasetEntry::default()
            })
            .collect()
    }

    #[test]
    fn nothing_configured_changes_nothing() {
        let tok = BuiltinTokenizer::new();
        let mut e = entries(3);
        add_context_prompts(&mut e, &ContextPromptConfig::default(), &tok, 1).unwrap();
        assert_eq!(e, entries(3));
    }

    #[test]
    fn bad_settings_name_their_flag() {
        let cases = [
            (
                ContextPromptConfig {
                    shared_system_prompt_length: Some(0),
                    ..ContextPromptConfig::default()
                },
                "--shared-system-prompt-length",
            ),
            (
                ContextPromptConfig {
                    user_context_prompt_length: Some(0),
                    ..ContextPromptConfig::default()
                },
                "--user-context-prompt-length",
            ),
            (
                ContextPromptConfig {
                    system_prompt: Some(" \n\t".into()),
                    ..ContextPromptConfig::default()
                },
                "--system-prompt",
            ),
            (
                ContextPromptConfig {
                    system_prompt: Some("You are terse.".into()),
                    shared_system_prompt_length: Some(10),
                    ..ContextPromptConfig::default()
                },
                "--system-prompt",
            ),
        ];
        for (config, field) in cases {
            let err = config.validate().unwrap_err();
            assert!(
                matches!(&err, Error::InvalidConfig { field: f, .. } if *f == field),
                "{config:?}: {err}"
            );
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn verbatim_system_prompt_is_sent_as_is_and_counted() {
        let tok = BuiltinTokenizer::new();
        let text = "You are a helpful assistant. Answer in one sentence.";
        let mut e = entries(2);
        let config = ContextPromptConfig {
            system_prompt: Some(text.into()),
            ..ContextPromptConfig::default()
        };
        add_context_prompts(&mut e, &config, &tok, 1).unwrap();
        let n = tok.count_tokens(text) as u64;
        assert!(n > 5);
        for entry in &e {
            assert_eq!(entry.system_prompt.as_deref(), Some(text));
            assert_eq!(entry.user_context, None);
            assert_eq!(entry.input_tokens, 2 + n);
        }
    }

    #[test]
    fn a_dataset_system_prompt_is_kept_after_the_verbatim_one() {
        let tok = BuiltinTokenizer::new();
        let mut e = entries(1);
        e[0].system_prompt = Some("Reply in French.".into());
        e[0].input_tokens += 4;
        let config = ContextPromptConfig {
            system_prompt: Some("Be brief.".into()),
            ..ContextPromptConfig::default()
        };
        add_context_prompts(&mut e, &config, &tok, 1).unwrap();
        assert_eq!(
            e[0].system_prompt.as_deref(),
            Some("Be brief.\n\nReply in French.")
        );
        // The dataset's system prompt was already counted (the 4); the added part is the rest.
        let merged = tok.count_tokens("Be brief.\n\nReply in French.");
        let theirs = tok.count_tokens("Reply in French.");
        assert!(merged > theirs + tok.count_tokens("Be brief."));
        assert_eq!(e[0].input_tokens, (2 + 4 + merged - theirs) as u64);
    }
}
