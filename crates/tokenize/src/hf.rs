//! Hugging Face `tokenizer.json` files.

use std::path::Path;

use crate::{Error, Tokenizer};

/// A Hugging Face tokenizer loaded from a local `tokenizer.json` (no hub access).
///
/// Padding and truncation configured in the file are turned off: token counts are of the text
/// itself, without special tokens.
pub struct HfTokenizer {
    inner: tokenizers::Tokenizer,
    name: String,
}

impl std::fmt::Debug for HfTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HfTokenizer")
            .field("name", &self.name)
            .finish()
    }
}

impl HfTokenizer {
    /// Loads `path`.
    ///
    /// # Errors
    /// [`Error::Read`] if the file cannot be read, [`Error::Parse`] if it is not JSON,
    /// [`Error::NotATokenizer`] if it is JSON but not a tokenizer.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut inner = tokenizers::Tokenizer::from_bytes(&bytes)
            .map_err(|e| classify(path, &bytes, &e.to_string()))?;
        inner.with_padding(None);
        inner.with_truncation(None).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(Self {
            inner,
            name: path.display().to_string(),
        })
    }
}

/// Tells a JSON syntax error from a valid JSON document that is not a tokenizer (the tokenizers
/// library reports both as "… at line L column C").
fn classify(path: &Path, bytes: &[u8], library_message: &str) -> Error {
    let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => value,
        Err(e) => {
            return Error::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            };
        }
    };
    let message = match value.as_object() {
        None => "the document is not a JSON object".to_owned(),
        Some(object) if !object.contains_key("model") => "it has no `model` field".to_owned(),
        Some(_) => format!("the tokenizers library rejected it ({library_message})"),
    };
    Error::NotATokenizer {
        path: path.to_path_buf(),
        message,
    }
}

impl Tokenizer for HfTokenizer {
    fn name(&self) -> &str {
        &self.name
    }

    fn encode(&self, text: &str) -> Vec<u32> {
        // Encoding plain text fails only for a broken model file, which `from_file` rejects.
        self.inner
            .encode_fast(text, false)
            .map(|e| e.get_ids().to_vec())
            .unwrap_or_default()
    }

    fn decode(&self, ids: &[u32]) -> String {
        self.inner.decode(ids, false).unwrap_or_default()
    }

    fn vocab_size(&self) -> u32 {
        u32::try_from(self.inner.get_vocab_size(true)).unwrap_or(u32::MAX)
    }
}
