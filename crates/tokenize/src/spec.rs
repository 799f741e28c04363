use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{BuiltinTokenizer, Error, Tokenizer};

/// Which tokenizer to use, as given on a command line: `builtin` or a path to a `tokenizer.json`
/// (or to a directory holding one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenizerSpec {
    /// The built-in offline tokenizer.
    #[default]
    Builtin,
    /// A Hugging Face `tokenizer.json` file, or a directory that contains one.
    HfFile(PathBuf),
}

impl std::str::FromStr for TokenizerSpec {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if s.is_empty() || s == "builtin" {
            TokenizerSpec::Builtin
        } else {
            TokenizerSpec::HfFile(PathBuf::from(s))
        })
    }
}

impl std::fmt::Display for TokenizerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenizerSpec::Builtin => f.write_str("builtin"),
            TokenizerSpec::HfFile(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Loads the tokenizer named by `spec`.
///
/// # Errors
/// A missing or unreadable file, a file that is not a tokenizer, or a file given to a build without
/// the `hf` feature.
pub fn load(spec: &TokenizerSpec) -> Result<Arc<dyn Tokenizer>, Error> {
    match spec {
        TokenizerSpec::Builtin => Ok(Arc::new(BuiltinTokenizer::new())),
        TokenizerSpec::HfFile(path) => load_file(&resolve_file(path)),
    }
}

/// A directory means the `tokenizer.json` inside it.
fn resolve_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("tokenizer.json")
    } else {
        path.to_path_buf()
    }
}

#[cfg(feature = "hf")]
fn load_file(path: &Path) -> Result<Arc<dyn Tokenizer>, Error> {
    Ok(Arc::new(crate::HfTokenizer::from_file(path)?))
}

#[cfg(not(feature = "hf"))]
fn load_file(path: &Path) -> Result<Arc<dyn Tokenizer>, Error> {
    if let Err(source) = std::fs::metadata(path) {
        return Err(Error::Read {
            path: path.to_path_buf(),
            source,
        });
    }
    Err(Error::HfSupportDisabled {
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_builtin_and_paths() {
        assert_eq!(
            "builtin".parse::<TokenizerSpec>().unwrap(),
            TokenizerSpec::Builtin
        );
        assert_eq!(
            "a/tokenizer.json".parse::<TokenizerSpec>().unwrap(),
            TokenizerSpec::HfFile(PathBuf::from("a/tokenizer.json"))
        );
    }

    #[test]
    fn missing_file_is_a_read_error_naming_the_file() {
        let err = load(&TokenizerSpec::HfFile("/nonexistent/tok.json".into())).unwrap_err();
        assert!(matches!(err, Error::Read { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/tok.json"));
    }
}
