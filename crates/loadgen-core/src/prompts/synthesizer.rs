//! Texts of an exact token length, cut from the corpus.

use rand::rngs::StdRng;
use servebench_tokenize::Tokenizer;

use crate::prompts::SynthesisError;
use crate::prompts::corpus::SENTENCES;
use crate::prompts::cut::cut_to_token_count;
use crate::prompts::sampling::index;

/// Random texts tried before giving up on an exact length.
pub(crate) const MAX_ATTEMPTS: usize = 32;

/// Makes texts with an exact number of tokens under one tokenizer.
///
/// A text is a random sequence of corpus sentences (the first one entered at a random word), cut
/// so that it has exactly the wanted count: the cut is found by re-encoding candidate prefixes
/// (see the `cut` module), so the result is exact for any tokenizer, including special
/// cases like byte-level BPE merges across the cut.
#[derive(Debug)]
pub struct PromptSynthesizer<'t> {
    tokenizer: &'t dyn Tokenizer,
    /// Tokens of `" " + sentence` for each corpus sentence: an estimate used to size buffers.
    sentence_tokens: Vec<usize>,
}

impl<'t> PromptSynthesizer<'t> {
    /// A synthesizer for `tokenizer` (encodes the corpus sentences once).
    pub fn new(tokenizer: &'t dyn Tokenizer) -> Self {
        let sentence_tokens = SENTENCES
            .iter()
            .map(|s| tokenizer.count_tokens(&format!(" {s}")).max(1))
            .collect();
        Self {
            tokenizer,
            sentence_tokens,
        }
    }

    /// The tokenizer texts are measured with.
    pub fn tokenizer(&self) -> &'t dyn Tokenizer {
        self.tokenizer
    }

    /// A random text of exactly `tokens` tokens (0 gives the empty text).
    ///
    /// # Errors
    /// [`SynthesisError::LengthUnreachable`] if no tried text could be cut to exactly `tokens` (does not
    /// happen with the built-in tokenizer).
    pub fn text_with_tokens(
        &self,
        tokens: u64,
        rng: &mut StdRng,
    ) -> Result<String, SynthesisError> {
        for _ in 0..MAX_ATTEMPTS {
            let exact = |text: &str| self.tokenizer.count_tokens(text) as u64 == tokens;
            if let Some(text) = self.attempt(false, tokens, rng, &exact) {
                return Ok(text);
            }
        }
        Err(self.unreachable(tokens))
    }

    /// One try at a text of exactly `tokens` tokens; with `lead_space` the text starts with a space
    /// (to be appended to another text). The result is returned only if `accept` confirms it (by
    /// encoding it, alone or after a prefix); candidates are made so that it nearly always does.
    pub(crate) fn attempt(
        &self,
        lead_space: bool,
        tokens: u64,
        rng: &mut StdRng,
        accept: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        let target = usize::try_from(tokens).ok()?;
        if target == 0 {
            return Some(String::new());
        }
        let mut text = String::new();
        if lead_space {
            text.push(' ');
        }
        // Enter the first sentence at a random word so that prompts rarely start alike.
        let first = SENTENCES[index(rng, SENTENCES.len())];
        let word_starts: Vec<usize> = std::iter::once(0)
            .chain(first.match_indices(' ').map(|(i, _)| i + 1))
            .collect();
        text.push_str(&first[word_starts[index(rng, word_starts.len())]..]);

        // Fast path. Tokenizers that split before a space (the built-in one, and BPEs with a
        // regex pre-tokenizer such as Qwen's) count sentences joined by spaces as the sum of their
        // own counts, known in advance. So add sentences until the sum reaches the target, cut the
        // last one alone, and encode the whole text once to confirm.
        let mut counted = self.tokenizer.count_tokens(&text);
        let (mut last_start, mut last_count) = (0, counted);
        while counted < target {
            let i = index(rng, SENTENCES.len());
            last_start = text.len();
            text.push(' ');
            text.push_str(SENTENCES[i]);
            last_count = self.sentence_tokens[i];
            counted += last_count;
        }
        let need = target - (counted - last_count);
        if let Some(end) = cut_to_token_count(self.tokenizer, &text[last_start..], need, last_count)
        {
            let len = last_start + end;
            if accept(&text[..len]) {
                text.truncate(len);
                return Some(text);
            }
        }

        // Slow path (counts did not add up): search the whole text, with some margin added.
        self.extend(&mut text, target / 16 + 8, rng);
        let mut count = self.tokenizer.count_tokens(&text);
        while count < target {
            self.extend(&mut text, target - count + 8, rng);
            count = self.tokenizer.count_tokens(&text);
        }
        let end = cut_to_token_count(self.tokenizer, &text, target, count)?;
        text.truncate(end);
        accept(&text).then_some(text)
    }

    /// Appends random sentences whose estimated token counts add up to at least `tokens`.
    fn extend(&self, text: &mut String, tokens: usize, rng: &mut StdRng) {
        let mut added = 0;
        while added < tokens {
            let i = index(rng, SENTENCES.len());
            text.push(' ');
            text.push_str(SENTENCES[i]);
            added += self.sentence_tokens[i];
        }
    }

    pub(crate) fn unreachable(&self, tokens: u64) -> SynthesisError {
        SynthesisError::LengthUnreachable {
            tokens,
            tokenizer: self.tokenizer.name().to_owned(),
            attempts: MAX_ATTEMPTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompts::seeded_rng;
    use servebench_tokenize::BuiltinTokenizer;

    #[test]
    fn texts_have_exact_builtin_lengths() {
        let tok = BuiltinTokenizer::new();
        let synth = PromptSynthesizer::new(&tok);
        let mut rng = seeded_rng(11, "test");
        for n in [0u64, 1, 2, 3, 7, 16, 100, 550, 551, 2048, 9000] {
            let text = synth.text_with_tokens(n, &mut rng).unwrap();
            assert_eq!(tok.count_tokens(&text) as u64, n, "{n}");
            let exact = |text: &str| tok.count_tokens(text) as u64 == n;
            let led = synth.attempt(true, n, &mut rng, &exact).unwrap();
            assert_eq!(tok.count_tokens(&led) as u64, n, "{n} with a leading space");
            assert!(n == 0 || led.starts_with(' '));
        }
    }

    #[test]
    fn texts_read_as_corpus_prose() {
        let tok = BuiltinTokenizer::new();
        let synth = PromptSynthesizer::new(&tok);
        let text = synth
            .text_with_tokens(300, &mut seeded_rng(5, "test"))
            .unwrap();
        // Every sentence after the first is a whole corpus sentence (the last may be cut).
        let whole = text
            .split(". ")
            .skip(1)
            .filter(|piece| SENTENCES.iter().any(|s| s.starts_with(piece)))
            .count();
        assert!(whole >= 5, "{text}");
        assert!(!text.contains('\u{FFFD}'));
    }
}
