//! Loading small hand-written `tokenizer.json` files and broken files.

use std::path::Path;

use servebench_tokenize::{Error, TokenizerSpec, load};

/// A complete word-level `tokenizer.json`, small enough to write by hand.
const TINY_WORD_LEVEL: &str = r#"{
  "version": "1.0",
  "truncation": null,
  "padding": null,
  "added_tokens": [],
  "normalizer": null,
  "pre_tokenizer": {"type": "Whitespace"},
  "post_processor": null,
  "decoder": null,
  "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2}, "unk_token": "[UNK]"}
}"#;

fn write(dir: &Path, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write test file");
    path
}

#[test]
fn a_file_path_and_its_directory_load_the_same_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "tokenizer.json", TINY_WORD_LEVEL);

    let by_file = load(&TokenizerSpec::HfFile(file.clone())).unwrap();
    let by_dir = load(&TokenizerSpec::HfFile(dir.path().to_path_buf())).unwrap();
    for tok in [&by_file, &by_dir] {
        assert_eq!(tok.encode("hello world"), [1, 2]);
        assert_eq!(tok.encode("hello there"), [1, 0]);
        assert_eq!(tok.vocab_size(), 3);
        assert_eq!(Path::new(tok.name()), file);
    }
}

#[test]
fn a_directory_without_tokenizer_json_is_a_read_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(&TokenizerSpec::HfFile(dir.path().to_path_buf())).unwrap_err();
    assert!(matches!(err, Error::Read { .. }), "{err}");
    let expected = dir.path().join("tokenizer.json");
    assert!(
        err.to_string().contains(&expected.display().to_string()),
        "{err}"
    );
}

#[test]
fn broken_json_is_a_parse_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = &TINY_WORD_LEVEL[..TINY_WORD_LEVEL.len() / 2];
    for (name, contents) in [
        ("truncated.json", truncated),
        ("empty.json", ""),
        ("binary.json", "\u{0}\u{1}\u{2}garbage"),
    ] {
        let path = write(dir.path(), name, contents);
        let err = load(&TokenizerSpec::HfFile(path.clone())).unwrap_err();
        match &err {
            Error::Parse { path: p, message } => {
                assert_eq!(p, &path);
                assert!(message.contains("line"), "{name}: {message}");
            }
            other => panic!("{name}: expected a parse error, got {other}"),
        }
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
}

#[test]
fn valid_json_that_is_not_a_tokenizer_is_not_called_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents, says) in [
        (
            "config.json",
            r#"{"architectures": ["Qwen3ForCausalLM"]}"#,
            "no `model` field",
        ),
        ("list.json", "[1, 2, 3]", "not a JSON object"),
        ("bad-model.json", r#"{"model": 42}"#, "rejected"),
    ] {
        let path = write(dir.path(), name, contents);
        let err = load(&TokenizerSpec::HfFile(path.clone())).unwrap_err();
        assert!(matches!(err, Error::NotATokenizer { .. }), "{name}: {err}");
        let text = err.to_string();
        assert!(
            text.contains("is valid JSON but not a Hugging Face tokenizer.json"),
            "{text}"
        );
        assert!(text.contains(says), "{name}: {text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
    }
}
