//! The words a server emits as generated tokens, chosen from its configured tokenizer so that a
//! client re-tokenizing the output text counts exactly the generated tokens.

use servebench_tokenize::Tokenizer;

use super::error::ServerError;
use super::json;
use crate::OUTPUT_VOCAB;

/// Words checked together when verifying that concatenations re-encode token for token.
const CONCAT_BATCH: usize = 256;

/// JSON-escaped texts of the output tokens, indexed by the token ids the sources emit (modulo
/// its length).
///
/// Built from the tokens of the tokenizer that decode to a space followed by ASCII letters and
/// encode back to exactly themselves, alone and concatenated with the others (checked in batches),
/// in id order, at most [`OUTPUT_VOCAB`] of them. With the built-in tokenizer these are its
/// vocabulary words `0..8192`; with a byte-level BPE (GPT-2, Llama 3, Qwen) they are its
/// whole-word tokens such as `" the"`, which its pre-tokenizer always splits at the space.
#[derive(Debug)]
pub(crate) struct OutputVocab {
    words: Vec<Box<[u8]>>,
}

impl OutputVocab {
    /// The output words of `tokenizer`.
    ///
    /// # Errors
    /// [`ServerError::Config`] (`tokenizer`) if it has no such word.
    pub(crate) fn build(tokenizer: &dyn Tokenizer) -> Result<Self, ServerError> {
        let limit = OUTPUT_VOCAB as usize;
        let mut candidates: Vec<(u32, String)> = Vec::with_capacity(limit);
        for id in 0..tokenizer.vocab_size() {
            if candidates.len() == limit + CONCAT_BATCH {
                break;
            }
            let text = tokenizer.decode(&[id]);
            let is_word = text.len() > 1
                && text.starts_with(' ')
                && text[1..].bytes().all(|b| b.is_ascii_alphabetic());
            if is_word && tokenizer.encode(&text) == [id] {
                candidates.push((id, text));
            }
        }
        let mut words = Vec::with_capacity(limit);
        for batch in candidates.chunks(CONCAT_BATCH) {
            let joined: String = batch.iter().map(|(_, t)| t.as_str()).collect();
            let ids: Vec<u32> = batch.iter().map(|&(id, _)| id).collect();
            if tokenizer.encode(&joined) != ids {
                // A tokenizer that merges across the space: leave the whole batch out.
                continue;
            }
            for (_, text) in batch {
                let mut escaped = Vec::with_capacity(text.len());
                json::escape_into(&mut escaped, text);
                words.push(escaped.into_boxed_slice());
            }
        }
        words.truncate(limit);
        if words.is_empty() {
            return Err(ServerError::Config {
                field: "tokenizer",
                reason: format!(
                    "{} has no token that is a space and ASCII letters and re-encodes to itself, \
                     so it cannot be used for output text",
                    tokenizer.name()
                ),
            });
        }
        Ok(Self { words })
    }

    /// The JSON-escaped text of generated token `id`.
    #[inline]
    pub(crate) fn text(&self, id: u32) -> &[u8] {
        &self.words[id as usize % self.words.len()]
    }

    /// Number of distinct output words.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }
}

#[cfg(test)]
mod tests {
    use servebench_tokenize::BuiltinTokenizer;

    use super::*;

    #[test]
    fn builtin_output_words_are_its_vocabulary_words_in_order() {
        let tok = BuiltinTokenizer::new();
        let vocab = OutputVocab::build(&tok).unwrap();
        assert_eq!(vocab.len(), 8192);
        for id in (0..tok.word_count()).step_by(13) {
            let text = std::str::from_utf8(vocab.text(id)).unwrap();
            assert_eq!(text, tok.decode(&[id]));
            assert_eq!(tok.encode(text), vec![id]);
        }
    }

    /// A tokenizer whose two words merge into a third token when concatenated.
    #[derive(Debug)]
    struct Merging;

    impl Tokenizer for Merging {
        fn name(&self) -> &str {
            "merging"
        }
        fn encode(&self, text: &str) -> Vec<u32> {
            match text {
                " a" => vec![0],
                " b" => vec![1],
                _ => vec![2],
            }
        }
        fn decode(&self, ids: &[u32]) -> String {
            ids.iter()
                .map(|&i| match i {
                    0 => " a",
                    1 => " b",
                    _ => "?",
                })
                .collect()
        }
        fn vocab_size(&self) -> u32 {
            3
        }
    }

    #[test]
    fn words_that_merge_when_concatenated_are_left_out() {
        let err = OutputVocab::build(&Merging).unwrap_err().to_string();
        assert!(
            err.contains("`tokenizer`") && err.contains("merging"),
            "{err}"
        );
    }
}
