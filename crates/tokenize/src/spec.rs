use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::hub_cache::{DEFAULT_REVISION, HubCache, HubLookup, is_repo_id};
use crate::{BuiltinTokenizer, Error, Tokenizer};

/// Which tokenizer to use, as given on a command line: `builtin`; a path to a `tokenizer.json`
/// or to a directory holding one; or a Hugging Face model id (`ORG/NAME`), found offline in the
/// local Hugging Face cache when no local path of that name exists. A program that already
/// loaded a tokenizer passes it on as [`TokenizerSpec::Loaded`], so it is loaded once and shared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenizerSpec {
    /// The built-in offline tokenizer.
    #[default]
    Builtin,
    /// A Hugging Face `tokenizer.json` file, a directory that contains one, or (when no such
    /// path exists) a model id looked up in the local Hugging Face cache.
    HfFile(PathBuf),
    /// A tokenizer already loaded by the caller: [`load`] returns it as is.
    Loaded(SharedTokenizer),
}

/// An already loaded tokenizer inside a [`TokenizerSpec`]. Two are equal when they are the same
/// instance.
#[derive(Clone)]
pub struct SharedTokenizer(pub Arc<dyn Tokenizer>);

impl PartialEq for SharedTokenizer {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(&other.0))
    }
}

impl Eq for SharedTokenizer {}

impl std::fmt::Debug for SharedTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedTokenizer")
            .field(&self.0.name())
            .finish()
    }
}

impl TokenizerSpec {
    /// A spec that hands out `tokenizer` itself (no second load).
    pub fn shared(tokenizer: Arc<dyn Tokenizer>) -> Self {
        TokenizerSpec::Loaded(SharedTokenizer(tokenizer))
    }
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
            TokenizerSpec::Loaded(t) => f.write_str(t.0.name()),
        }
    }
}

/// How names are resolved: the Hugging Face cache and the revision to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Branch, tag or commit of a model id (`main`).
    pub revision: String,
    /// The local Hugging Face cache; `None`: model ids are not looked up.
    pub hub_cache: Option<HubCache>,
}

impl Default for LoadOptions {
    /// Revision `main`, the cache named by the environment ([`HubCache::from_env`]).
    fn default() -> Self {
        Self {
            revision: DEFAULT_REVISION.to_owned(),
            hub_cache: HubCache::from_env(),
        }
    }
}

/// Loads the tokenizer named by `spec`, model ids resolved with [`LoadOptions::default`].
///
/// # Errors
/// A missing or unreadable file, a model id in no local cache, a file that is not a tokenizer,
/// or a file given to a build without the `hf` feature.
pub fn load(spec: &TokenizerSpec) -> Result<Arc<dyn Tokenizer>, Error> {
    load_with(spec, &LoadOptions::default())
}

/// Loads the tokenizer named by `spec`, resolving model ids with `options`.
///
/// # Errors
/// As [`load`].
pub fn load_with(spec: &TokenizerSpec, options: &LoadOptions) -> Result<Arc<dyn Tokenizer>, Error> {
    match spec {
        TokenizerSpec::Builtin => Ok(Arc::new(BuiltinTokenizer::new())),
        TokenizerSpec::Loaded(t) => Ok(Arc::clone(&t.0)),
        TokenizerSpec::HfFile(_) => match tokenizer_file(spec, options)? {
            Some(path) => load_file(&path),
            None => Ok(Arc::new(BuiltinTokenizer::new())),
        },
    }
}

/// The `tokenizer.json` that `spec` names (`None` for the built-in or an already loaded
/// tokenizer): an existing file; the `tokenizer.json` in an existing directory; or, for a model
/// id with no local path of that name, the file in the cached snapshot of `options.revision`.
///
/// The file itself is not checked here, except that a model id must be in the cache.
///
/// # Errors
/// [`Error::NotFound`] for a model id that is neither a local path nor cached, listing every
/// place looked at.
pub fn tokenizer_file(
    spec: &TokenizerSpec,
    options: &LoadOptions,
) -> Result<Option<PathBuf>, Error> {
    let TokenizerSpec::HfFile(path) = spec else {
        return Ok(None);
    };
    if path.exists() {
        return Ok(Some(in_dir(path)));
    }
    let Some(name) = path.to_str().filter(|n| is_repo_id(n)) else {
        return Ok(Some(path.clone()));
    };
    let mut looked = vec![path.clone()];
    if let Some(cache) = &options.hub_cache {
        match cache.lookup(name, &options.revision) {
            HubLookup::Found(snapshot) => return Ok(Some(snapshot.join("tokenizer.json"))),
            HubLookup::Missing(paths) => looked.extend(paths),
        }
    }
    Err(Error::NotFound {
        name: name.to_owned(),
        revision: options.revision.clone(),
        looked,
    })
}

/// A directory means the `tokenizer.json` inside it.
fn in_dir(path: &Path) -> PathBuf {
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

    #[test]
    fn a_shared_tokenizer_is_handed_back_not_reloaded() {
        let tok: Arc<dyn Tokenizer> = Arc::new(BuiltinTokenizer::new());
        let spec = TokenizerSpec::shared(Arc::clone(&tok));
        let loaded = load(&spec).unwrap();
        assert!(std::ptr::addr_eq(Arc::as_ptr(&loaded), Arc::as_ptr(&tok)));
        assert_eq!(spec, spec.clone());
        let other = TokenizerSpec::shared(Arc::new(BuiltinTokenizer::new()));
        assert_ne!(spec, other);
        assert_eq!(spec.to_string(), "builtin");
    }

    #[test]
    fn an_uncached_model_id_names_every_place_looked() {
        let cache = tempfile::tempdir().unwrap();
        let options = LoadOptions {
            revision: "main".into(),
            hub_cache: Some(HubCache::at(cache.path())),
        };
        let spec = TokenizerSpec::HfFile("no-such-org/no-such-model".into());
        let err = load_with(&spec, &options).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::NotFound { .. }), "{text}");
        assert!(text.contains("no-such-org/no-such-model"), "{text}");
        let ref_file = cache
            .path()
            .join("models--no-such-org--no-such-model/refs/main");
        assert!(text.contains(&ref_file.display().to_string()), "{text}");
    }
}
