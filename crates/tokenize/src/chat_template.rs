//! The `chat_template` of a Hugging Face `tokenizer_config.json`, rendered with `minijinja`.
//!
//! Supported: the Jinja subset minijinja implements plus Python's string methods
//! (`startswith`, `split`, `strip`, ... via `minijinja-contrib`'s `pycompat`), `tojson`,
//! `namespace`, `raise_exception`, and the variables `messages`, `add_generation_prompt`,
//! `bos_token`, `eos_token` (from the config) and `tools` (always none). That covers the
//! Qwen2/Qwen3 and Llama 3 templates. A template named `default` is used when the config holds a
//! list of named templates.

use std::path::{Path, PathBuf};

use minijinja::{Environment, ErrorKind, Value};

use crate::Error;

/// One chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatMessage<'a> {
    /// `system`, `user` or `assistant`.
    pub role: &'a str,
    /// The text.
    pub content: &'a str,
}

/// A model's chat template.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
    path: PathBuf,
    bos_token: String,
    eos_token: String,
}

/// The `tokenizer_config.json` beside a `tokenizer.json`.
pub fn config_beside(tokenizer_json: &Path) -> PathBuf {
    tokenizer_json.with_file_name("tokenizer_config.json")
}

impl ChatTemplate {
    /// The template of the `tokenizer_config.json` at `path`; `Ok(None)` when the file does not
    /// exist or has no `chat_template`.
    ///
    /// # Errors
    /// An unreadable or invalid file, or a template that does not compile.
    pub fn from_config_file(path: &Path) -> Result<Option<Self>, Error> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let config: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| Error::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let fail = |message: String| Error::ChatTemplate {
            path: path.to_path_buf(),
            message,
        };
        let source = match config.get("chat_template") {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(named)) => named
                .iter()
                .find(|t| t.get("name").and_then(|n| n.as_str()) == Some("default"))
                .and_then(|t| t.get("template"))
                .and_then(|t| t.as_str())
                .ok_or_else(|| fail("no template named `default` in the list".to_owned()))?
                .to_owned(),
            Some(_) => {
                return Err(fail(
                    "`chat_template` is neither a string nor a list".into(),
                ));
            }
        };
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", |message: String| -> Result<Value, _> {
            Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
        });
        env.add_template_owned("chat", source)
            .map_err(|e| fail(format!("does not compile: {e}")))?;
        Ok(Some(Self {
            env,
            path: path.to_path_buf(),
            bos_token: special_token(&config, "bos_token"),
            eos_token: special_token(&config, "eos_token"),
        }))
    }

    /// The prompt text a server builds from `messages` (with the assistant turn opened when
    /// `add_generation_prompt`).
    ///
    /// # Errors
    /// The template failed (e.g. it raised an exception for an unsupported message order).
    pub fn render(
        &self,
        messages: &[ChatMessage<'_>],
        add_generation_prompt: bool,
    ) -> Result<String, Error> {
        let messages: Vec<Value> = messages
            .iter()
            .map(|m| {
                Value::from(std::collections::BTreeMap::from([
                    ("role", Value::from(m.role)),
                    ("content", Value::from(m.content)),
                ]))
            })
            .collect();
        let fail = |e: minijinja::Error| Error::ChatTemplate {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let template = self.env.get_template("chat").map_err(fail)?;
        template
            .render(minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
                tools => Value::from(()),
            })
            .map_err(fail)
    }
}

/// A special token of the config: a string, or an object with `content`.
fn special_token(config: &serde_json::Value, key: &str) -> String {
    match config.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v
            .get("content")
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_owned(),
        None => String::new(),
    }
}
