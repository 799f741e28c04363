//! The real Qwen3 tokenizer from `shared/data/tokenizers/qwen3/`.
//!
//! Expected ids were produced independently with the Python `tokenizers` package (0.23.3), not by
//! this crate:
//!
//! ```text
//! # from the directory that holds both the repository and shared/
//! python3 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install tokenizers
//! /tmp/tokvenv/bin/python -c 'import sys, json; from tokenizers import Tokenizer; t = Tokenizer.from_file("shared/data/tokenizers/qwen3/tokenizer.json"); [print(json.dumps(s), t.encode(s, add_special_tokens=False).ids) for s in json.load(sys.stdin)]' <<< '["Hello, world!", "naïve café 🙂"]'
//! ```
//!
//! (with the strings of [`REFERENCE`] in the JSON list).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use servebench_tokenize::{Tokenizer, TokenizerSpec, load};

/// Directory holding the Qwen3 `tokenizer.json` (beside the repository, never copied into it).
fn qwen3_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/tokenizers/qwen3"
    ))
}

/// The Qwen3 tokenizer, loaded once per test binary (parsing the 11 MB file is the slow part). It is
/// loaded through the directory, so every test that uses it also exercises directory resolution.
fn qwen3() -> &'static Arc<dyn Tokenizer> {
    static TOKENIZER: OnceLock<Arc<dyn Tokenizer>> = OnceLock::new();
    TOKENIZER.get_or_init(|| {
        load(&TokenizerSpec::HfFile(qwen3_dir())).expect("load the Qwen3 tokenizer")
    })
}

/// (text, ids) pairs from Python `tokenizers`, `add_special_tokens=False`.
const REFERENCE: &[(&str, &[u32])] = &[
    ("Hello, world!", &[9707, 11, 1879, 0]),
    (
        "The quick brown fox jumps over the lazy dog.",
        &[785, 3974, 13876, 38835, 34208, 916, 279, 15678, 5562, 13],
    ),
    ("你好，世界", &[108386, 3837, 99489]),
    (
        "fn main() { println!(\"hi\"); }",
        &[8822, 1887, 368, 314, 13751, 17223, 6023, 5038, 335],
    ),
    (
        "  leading spaces\n\n\ttabs",
        &[220, 6388, 12621, 271, 3244, 3435],
    ),
    ("naïve café 🙂", &[3376, 37572, 586, 51950, 27484]),
    // Special tokens in the text are recognised even without adding special tokens.
    ("<|im_start|>user", &[151644, 872]),
    // Qwen splits digits one by one.
    ("1234567890", &[16, 17, 18, 19, 20, 21, 22, 23, 24, 15]),
    ("", &[]),
];

#[test]
fn ids_match_python_tokenizers() {
    let tok = qwen3();
    for (text, ids) in REFERENCE {
        assert_eq!(tok.encode(text), *ids, "ids of {text:?}");
        assert_eq!(tok.count_tokens(text), ids.len(), "count of {text:?}");
    }
}

#[test]
fn decode_inverts_encode_for_ordinary_text() {
    let tok = qwen3();
    for (text, ids) in REFERENCE {
        assert_eq!(tok.decode(ids), *text, "decode of {ids:?}");
    }
}

#[test]
fn directory_spec_resolves_to_its_tokenizer_json() {
    let tok = qwen3();
    assert!(
        tok.name().ends_with("qwen3/tokenizer.json"),
        "name {} should be the resolved file",
        tok.name()
    );
    // 151643 base ids plus 26 added special tokens (Python: `get_vocab_size(True)`).
    assert_eq!(tok.vocab_size(), 151_669);
}
