//! `--apply-chat-template`: input lengths counted over the prompt the server renders.

use std::fmt;
use std::path::PathBuf;

use servebench_tokenize::{ChatMessage, ChatTemplate, ChosenTokenizer, config_beside};

use crate::DatasetEntry;

/// Why [`apply_chat_template`] left the lengths as they were. `Display` is one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatTemplateSkipped {
    /// The builtin tokenizer has no chat template.
    BuiltinTokenizer,
    /// The tokenizer's `tokenizer_config.json` has no `chat_template`.
    NoTemplate {
        /// The config file read.
        config: PathBuf,
    },
}

impl fmt::Display for ChatTemplateSkipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BuiltinTokenizer => f.write_str("the builtin tokenizer has no chat template"),
            Self::NoTemplate { config } => {
                write!(f, "no chat_template in {}", config.display())
            }
        }
    }
}

/// Sets each entry's `input_tokens` to the length of the prompt the server renders (the model's
/// chat template around the user message, with the generation prompt), as AIPerf counts it with
/// `--apply-chat-template`. Returns why nothing was changed when the tokenizer has no template.
///
/// # Errors
/// A template that cannot be read or rendered.
pub fn apply_chat_template(
    chosen: &ChosenTokenizer,
    entries: &mut [DatasetEntry],
) -> Result<Option<ChatTemplateSkipped>, servebench_tokenize::Error> {
    let Some(file) = &chosen.file else {
        return Ok(Some(ChatTemplateSkipped::BuiltinTokenizer));
    };
    let config = config_beside(file);
    let Some(template) = ChatTemplate::from_config_file(&config)? else {
        return Ok(Some(ChatTemplateSkipped::NoTemplate { config }));
    };
    for entry in entries {
        let text = template.render(
            &[ChatMessage {
                role: "user",
                content: &entry.prompt,
            }],
            true,
        )?;
        entry.input_tokens = chosen.tokenizer.count_tokens(&text) as u64;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use servebench_tokenize::{BuiltinTokenizer, Tokenizer};

    use super::*;

    fn entry(prompt: &str) -> DatasetEntry {
        DatasetEntry {
            prompt: prompt.to_owned(),
            input_tokens: 2,
            ..DatasetEntry::default()
        }
    }

    #[test]
    fn lengths_count_the_rendered_prompt() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tokenizer_config.json"),
            r#"{"chat_template": "<|user|> {{ messages[0].content }} <|end|>{% if add_generation_prompt %} <|assistant|>{% endif %}"}"#,
        )
        .unwrap();
        let builtin = BuiltinTokenizer::new();
        let chosen = ChosenTokenizer {
            tokenizer: Arc::new(BuiltinTokenizer::new()),
            file: Some(dir.path().join("tokenizer.json")),
            notice: None,
        };
        let mut entries = vec![entry("hello world")];
        assert_eq!(apply_chat_template(&chosen, &mut entries).unwrap(), None);
        let rendered = "<|user|> hello world <|end|> <|assistant|>";
        assert_eq!(
            entries[0].input_tokens,
            builtin.count_tokens(rendered) as u64
        );
        assert_ne!(entries[0].input_tokens, 2);
    }

    #[test]
    fn no_template_leaves_lengths_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tokenizer_config.json"), "{}").unwrap();
        let mut chosen = ChosenTokenizer {
            tokenizer: Arc::new(BuiltinTokenizer::new()),
            file: Some(dir.path().join("tokenizer.json")),
            notice: None,
        };
        let mut entries = vec![entry("hello world")];
        let skipped = apply_chat_template(&chosen, &mut entries).unwrap();
        assert_eq!(
            skipped,
            Some(ChatTemplateSkipped::NoTemplate {
                config: dir.path().join("tokenizer_config.json")
            })
        );
        chosen.file = None;
        assert_eq!(
            apply_chat_template(&chosen, &mut entries).unwrap(),
            Some(ChatTemplateSkipped::BuiltinTokenizer)
        );
        assert_eq!(entries[0].input_tokens, 2);
    }
}
