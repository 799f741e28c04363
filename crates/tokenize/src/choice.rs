//! Which tokenizer a run uses, as AIPerf chooses it: an explicit name (builtin, a local file or
//! directory, or a Hugging Face model id found offline in the local Hugging Face cache); without
//! one, the model name tried the same way, falling back to [`BuiltinTokenizer`] with a
//! [`TokenizerNotice`] (placeholder model names such as `mock-model` go straight to the builtin,
//! as in AIPerf). Nothing is printed: the notice is returned for the caller to show.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{
    BuiltinTokenizer, Error, LoadOptions, Tokenizer, TokenizerSpec, is_repo_id, load_with,
    tokenizer_file,
};

/// The tokenizer of a run and where it came from.
#[derive(Debug)]
pub struct ChosenTokenizer {
    /// The loaded tokenizer (shareable, e.g. with an embedded engine).
    pub tokenizer: Arc<dyn Tokenizer>,
    /// Its `tokenizer.json` (`None` for the builtin tokenizer).
    pub file: Option<PathBuf>,
    /// Why the builtin tokenizer was used instead of the model's, if it was.
    pub notice: Option<TokenizerNotice>,
}

/// Why [`choose_tokenizer`] fell back to the builtin tokenizer. `Display` is one sentence ending in
/// "using the builtin tokenizer".
#[derive(Debug)]
pub enum TokenizerNotice {
    /// The model name looks like a placeholder (see [`is_placeholder_model`]).
    PlaceholderModel {
        /// The model name.
        model: String,
    },
    /// The model name is neither a local path nor a model id.
    NotAModel {
        /// The model name.
        model: String,
    },
    /// The model id has no tokenizer in the local Hugging Face cache.
    NotCached {
        /// The lookup failure (names the cache directory searched).
        error: Error,
    },
}

impl fmt::Display for TokenizerNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PlaceholderModel { model } => write!(
                f,
                "model name `{model}` looks like a placeholder: using the builtin tokenizer"
            ),
            Self::NotAModel { model } => write!(
                f,
                "no tokenizer named `{model}` (not a local path or model id): using the builtin \
                 tokenizer"
            ),
            Self::NotCached { error } => write!(f, "{error}; using the builtin tokenizer"),
        }
    }
}

/// Why no tokenizer could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    /// The explicitly named tokenizer could not be found (tokenizers are read offline).
    #[error("tokenizer `{name}` cannot be found (tokenizers are read offline)")]
    Find {
        /// The name as given.
        name: String,
        /// The lookup failure.
        #[source]
        source: Error,
    },
    /// The explicitly named tokenizer was found but could not be loaded.
    #[error("failed to load tokenizer `{name}`")]
    Load {
        /// The name as given.
        name: String,
        /// The load failure.
        #[source]
        source: Error,
    },
    /// The model's tokenizer was found but could not be loaded.
    #[error("failed to load the tokenizer of model `{model}` (from {})", path.display())]
    ModelLoad {
        /// The model name.
        model: String,
        /// The file found.
        path: PathBuf,
        /// The load failure.
        #[source]
        source: Error,
    },
    /// Looking up the model's tokenizer failed for another reason than its absence.
    #[error("looking up the tokenizer of model `{model}`")]
    ModelLookup {
        /// The model name.
        model: String,
        /// The lookup failure.
        #[source]
        source: Error,
    },
}

/// Whether a model name looks like a placeholder (AIPerf's rule: exact words `test`, `mock`,
/// `fake`, `dummy`, `example`, `sample`, `placeholder`, or containing `mock-`, `-mock`, `fake-`,
/// `-fake`, `test-model`, `your-model`, `my-model`, `model-name`, `model-id`, after lowercasing
/// and `_` → `-`; path-like names never are).
pub fn is_placeholder_model(name: &str) -> bool {
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

/// Chooses and loads the tokenizer: `explicit` when given, else the `model`'s, else the builtin
/// one with a [`TokenizerNotice`].
///
/// # Errors
/// An explicit tokenizer that cannot be found or loaded; a model name that resolves to a file that
/// cannot be loaded.
pub fn choose_tokenizer(
    explicit: Option<&str>,
    model: &str,
    options: &LoadOptions,
) -> Result<ChosenTokenizer, ChoiceError> {
    if let Some(name) = explicit {
        let spec: TokenizerSpec = name.parse().unwrap_or_default();
        let file = tokenizer_file(&spec, options).map_err(|source| ChoiceError::Find {
            name: name.to_owned(),
            source,
        })?;
        let tokenizer = load_with(&spec, options).map_err(|source| ChoiceError::Load {
            name: name.to_owned(),
            source,
        })?;
        return Ok(ChosenTokenizer {
            tokenizer,
            file,
            notice: None,
        });
    }
    let builtin = |notice: TokenizerNotice| ChosenTokenizer {
        tokenizer: Arc::new(BuiltinTokenizer::new()),
        file: None,
        notice: Some(notice),
    };
    if is_placeholder_model(model) {
        return Ok(builtin(TokenizerNotice::PlaceholderModel {
            model: model.to_owned(),
        }));
    }
    let spec = TokenizerSpec::HfFile(PathBuf::from(model));
    match tokenizer_file(&spec, options) {
        Ok(Some(path)) if path.exists() || is_repo_id(model) => match load_with(&spec, options) {
            Ok(tokenizer) => Ok(ChosenTokenizer {
                tokenizer,
                file: Some(path),
                notice: None,
            }),
            Err(source) => Err(ChoiceError::ModelLoad {
                model: model.to_owned(),
                path,
                source,
            }),
        },
        Ok(_) => Ok(builtin(TokenizerNotice::NotAModel {
            model: model.to_owned(),
        })),
        Err(error @ Error::NotFound { .. }) => Ok(builtin(TokenizerNotice::NotCached { error })),
        Err(source) => Err(ChoiceError::ModelLookup {
            model: model.to_owned(),
            source,
        }),
    }
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
    fn a_placeholder_or_non_model_name_gives_builtin_with_a_notice() {
        let options = LoadOptions::default();
        let chosen = choose_tokenizer(None, "mock-model", &options).unwrap();
        assert_eq!(chosen.tokenizer.name(), "builtin");
        assert!(chosen.file.is_none());
        assert!(matches!(
            chosen.notice,
            Some(TokenizerNotice::PlaceholderModel { ref model }) if model == "mock-model"
        ));
        let chosen = choose_tokenizer(None, "no such model!", &options).unwrap();
        assert_eq!(chosen.tokenizer.name(), "builtin");
        let notice = chosen.notice.unwrap().to_string();
        assert!(
            notice.contains("no tokenizer named `no such model!`"),
            "{notice}"
        );
        // An explicit builtin has no notice.
        let chosen = choose_tokenizer(Some("builtin"), "gpt2", &options).unwrap();
        assert_eq!(chosen.tokenizer.name(), "builtin");
        assert!(chosen.notice.is_none());
    }

    #[test]
    fn a_missing_model_falls_back_to_builtin_with_a_notice_naming_the_cache() {
        let cache = tempfile::tempdir().unwrap();
        let options = LoadOptions {
            revision: "main".into(),
            hub_cache: Some(crate::HubCache::at(cache.path())),
        };
        let chosen = choose_tokenizer(None, "Org/Absent", &options).unwrap();
        assert_eq!(chosen.tokenizer.name(), "builtin");
        let notice = chosen.notice.unwrap().to_string();
        let dir = cache.path().join("models--Org--Absent");
        assert!(notice.contains(&dir.display().to_string()), "{notice}");
        // The same name given explicitly is an error.
        let err = choose_tokenizer(Some("Org/Absent"), "m", &options)
            .err()
            .unwrap();
        assert!(matches!(err, ChoiceError::Find { ref name, .. } if name == "Org/Absent"));
        assert!(
            std::error::Error::source(&err)
                .unwrap()
                .to_string()
                .contains("models--Org--Absent")
        );
    }
}
