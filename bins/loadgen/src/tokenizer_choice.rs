//! Which tokenizer a run uses, as AIPerf chooses it: `--tokenizer` (builtin, a local file or
//! directory, or a Hugging Face model id found offline in the local Hugging Face cache); without
//! it, the model name tried the same way, falling back to `builtin` with a notice (placeholder
//! model names such as `mock-model` go straight to `builtin`, as in AIPerf).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use servebench_tokenize::{
    BuiltinTokenizer, ChatMessage, ChatTemplate, Error as TokError, LoadOptions, Tokenizer,
    TokenizerSpec, config_beside, is_repo_id, load_with, tokenizer_file,
};

/// The tokenizer of the run and where it came from.
pub(crate) struct Chosen {
    /// The loaded tokenizer (shared with the embedded engine).
    pub(crate) tokenizer: Arc<dyn Tokenizer>,
    /// Its `tokenizer.json` (`None` for `builtin`).
    pub(crate) file: Option<PathBuf>,
    /// A line to print about the choice, if any.
    pub(crate) notice: Option<String>,
}

/// Whether a model name looks like a placeholder (AIPerf's rule: exact words `test`, `mock`,
/// `fake`, `dummy`, `example`, `sample`, `placeholder`, or containing `mock-`, `-mock`, `fake-`,
/// `-fake`, `test-model`, `your-model`, `my-model`, `model-name`, `model-id`, after lowercasing
/// and `_` → `-`; path-like names never are).
pub(crate) fn is_placeholder_model(name: &str) -> bool {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with(['.', '~']) {
        return false;
    }
    let n = name.to_lowercase().replace('_', "-");
    const EXACT: [&str; 7] = [
        "test",
        "mock",
        "fake",
        "dummy",
        "example",
        "sample",
        "placeholder",
    ];
    const PARTS: [&str; 9] = [
        "mock-",
        "-mock",
        "fake-",
        "-fake",
        "test-model",
        "your-model",
        "my-model",
        "model-name",
        "model-id",
    ];
    EXACT.contains(&n.as_str()) || PARTS.iter().any(|p| n.contains(p))
}

/// Chooses and loads the tokenizer.
///
/// # Errors
/// An explicit `--tokenizer` that cannot be found or loaded; a model name that resolves to a file
/// that cannot be loaded.
pub(crate) fn choose(
    tokenizer: Option<&str>,
    model: &str,
    options: &LoadOptions,
) -> anyhow::Result<Chosen> {
    if let Some(name) = tokenizer {
        let spec: TokenizerSpec = name.parse().unwrap_or_default();
        let file = tokenizer_file(&spec, options)
            .with_context(|| format!("--tokenizer {name}: tokenizers are read offline"))?;
        let tokenizer = load_with(&spec, options)
            .with_context(|| format!("failed to load --tokenizer {name}"))?;
        return Ok(Chosen {
            tokenizer,
            file,
            notice: None,
        });
    }
    let builtin = |notice: String| Chosen {
        tokenizer: Arc::new(BuiltinTokenizer::new()),
        file: None,
        notice: Some(notice),
    };
    if is_placeholder_model(model) {
        return Ok(builtin(format!(
            "loadgen: model name `{model}` looks like a placeholder: using the builtin tokenizer \
             (pass --tokenizer to choose one)"
        )));
    }
    let spec = TokenizerSpec::HfFile(PathBuf::from(model));
    match tokenizer_file(&spec, options) {
        Ok(Some(path)) if path.exists() || is_repo_id(model) => {
            let tokenizer = load_with(&spec, options).with_context(|| {
                format!(
                    "failed to load the tokenizer of --model {model} (from {})",
                    path.display()
                )
            })?;
            Ok(Chosen {
                tokenizer,
                file: Some(path),
                notice: None,
            })
        }
        Ok(_) => Ok(builtin(format!(
            "loadgen: no tokenizer named `{model}` (not a local path or model id): using the \
             builtin tokenizer (pass --tokenizer to choose one)"
        ))),
        Err(e @ TokError::NotFound { .. }) => Ok(builtin(format!(
            "loadgen: {e}; using the builtin tokenizer (pass --tokenizer to choose one)"
        ))),
        Err(e) => Err(e).with_context(|| format!("tokenizer of --model {model}")),
    }
}

/// With `--apply-chat-template`: sets each chat prompt's input length to the length of the
/// prompt the server renders (the model's chat template around the user message), as AIPerf
/// counts it. Returns a notice when the tokenizer has no template (lengths left as they are).
///
/// # Errors
/// A template that cannot be read or rendered.
pub(crate) fn apply_chat_template(
    chosen: &Chosen,
    entries: &mut [servebench_loadgen_core::DatasetEntry],
) -> anyhow::Result<Option<String>> {
    let Some(file) = &chosen.file else {
        return Ok(Some(
            "loadgen: note: --apply-chat-template ignored: the builtin tokenizer has no chat \
             template"
                .to_owned(),
        ));
    };
    let config = config_beside(file);
    let Some(template) = ChatTemplate::from_config_file(&config)? else {
        return Ok(Some(format!(
            "loadgen: note: --apply-chat-template ignored: no chat_template in {}",
            config.display()
        )));
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
    use super::*;

    #[test]
    fn placeholder_names_follow_aiperf() {
        for fake in [
            "mock-model",
            "test-model",
            "Test_Model_v2",
            "fake-llama",
            "servebench-mock",
            "MOCK",
            "my-model",
        ] {
            assert!(is_placeholder_model(fake), "{fake}");
        }
        for real in [
            "Qwen/Qwen3-0.6B",
            "./mock-model",
            "gpt2",
            "contestant",
            "llama-test",
            "",
        ] {
            assert!(!is_placeholder_model(real), "{real}");
        }
    }

    #[test]
    fn a_missing_model_falls_back_to_builtin_with_a_notice_naming_the_cache() {
        let cache = tempfile::tempdir().unwrap();
        let options = LoadOptions {
            revision: "main".into(),
            hub_cache: Some(servebench_tokenize::HubCache::at(cache.path())),
        };
        let chosen = choose(None, "Org/Absent", &options).unwrap();
        assert_eq!(chosen.tokenizer.name(), "builtin");
        let notice = chosen.notice.unwrap();
        assert!(
            notice.contains(
                &cache
                    .path()
                    .join("models--Org--Absent")
                    .display()
                    .to_string()
            ),
            "{notice}"
        );
        // The same name given as --tokenizer is an error.
        let err = choose(Some("Org/Absent"), "m", &options).err().unwrap();
        assert!(
            format!("{err:#}").contains("models--Org--Absent"),
            "{err:#}"
        );
    }
}
