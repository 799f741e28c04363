//! The built-in offline tokenizer.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::Tokenizer;

/// Number of synthetic words in the vocabulary. Each word has two ids: with and without a leading
/// space.
const WORDS: u32 = 8192;
/// Longest piece, in characters; longer alphanumeric runs are split.
const MAX_PIECE_CHARS: usize = 16;
/// Text that [`BuiltinTokenizer::decode`] gives for an id it cannot invert.
const UNKNOWN: &str = "\u{FFFD}";

/// A fast tokenizer that needs no file and no network.
///
/// Splitting rule (each item is one token):
/// - a run of alphanumeric characters, optionally preceded by one space (`" hello"` is one token),
///   split every 16 characters;
/// - every other character on its own (punctuation, newlines, spaces not followed by a word).
///
/// Ids: `0..8192` are the synthetic vocabulary words with a leading space, `8192..16384` the same
/// words without it; any other piece gets a stable id at or above 16384 from a hash of its text.
/// [`Tokenizer::decode`] gives U+FFFD for hashed ids; `encode(decode(ids)) == ids` holds for
/// vocabulary ids except a bare word right after another word (the two texts merge into one piece,
/// as in any word-level tokenizer).
///
/// So a text made of vocabulary words has exactly one token per word, which lets prompt synthesis
/// hit exact input lengths and lets the simulated engine emit exactly one token per chunk.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinTokenizer {
    _private: (),
}

struct Vocab {
    words: Vec<String>,
    ids: HashMap<String, u32, BuildHasherDefault<Fnv1a>>,
}

fn vocab() -> &'static Vocab {
    static VOCAB: OnceLock<Vocab> = OnceLock::new();
    VOCAB.get_or_init(|| {
        let words = synthetic_words(WORDS as usize);
        let mut ids = HashMap::with_capacity_and_hasher(words.len() * 2, Default::default());
        for (i, w) in (0u32..).zip(&words) {
            ids.insert(format!(" {w}"), i);
            ids.insert(w.clone(), WORDS + i);
        }
        Vocab { words, ids }
    })
}

/// Pronounceable lowercase words: consonant-vowel syllables, two syllables first, then three.
fn synthetic_words(n: usize) -> Vec<String> {
    const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
    const VOWELS: &[u8] = b"aeiou";
    let syllables: Vec<[u8; 2]> = CONSONANTS
        .iter()
        .flat_map(|&c| VOWELS.iter().map(move |&v| [c, v]))
        .collect();
    let mut words = Vec::with_capacity(n);
    'outer: for len in 2.. {
        let total = syllables.len().pow(len);
        for mut k in 0..total {
            let mut w = String::with_capacity(len as usize * 2);
            for _ in 0..len {
                let s = syllables[k % syllables.len()];
                k /= syllables.len();
                w.push(char::from(s[0]));
                w.push(char::from(s[1]));
            }
            words.push(w);
            if words.len() == n {
                break 'outer;
            }
        }
    }
    words
}

impl BuiltinTokenizer {
    /// The built-in tokenizer (its vocabulary is built once per process and shared).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of synthetic words; ids `0..word_count()` are those words with a leading space.
    pub fn word_count(&self) -> u32 {
        WORDS
    }

    /// Text of exactly `n` tokens: vocabulary words with leading spaces, chosen deterministically
    /// from `start` (different `start` values give different texts).
    pub fn synthetic_text(&self, start: u64, n: usize) -> String {
        let v = vocab();
        let mut out = String::with_capacity(n * 6);
        for i in 0..n as u64 {
            let idx = start.wrapping_add(i).wrapping_mul(7919) % u64::from(WORDS);
            out.push(' ');
            out.push_str(&v.words[idx as usize]);
        }
        out
    }

    /// Calls `f` with each piece (token text) of `text`, in order.
    fn for_each_piece<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
        let mut rest = text;
        while let Some(first) = rest.chars().next() {
            let len = piece_len(rest, first);
            let (piece, tail) = rest.split_at(len);
            f(piece);
            rest = tail;
        }
    }
}

/// Byte length of the piece at the start of `s`, whose first char is `first`.
fn piece_len(s: &str, first: char) -> usize {
    let (skip, budget) = if first == ' ' {
        match s[1..].chars().next() {
            Some(c) if c.is_alphanumeric() => (1, MAX_PIECE_CHARS - 1),
            _ => return 1,
        }
    } else if first.is_alphanumeric() {
        (0, MAX_PIECE_CHARS)
    } else {
        return first.len_utf8();
    };
    let word = &s[skip..];
    let mut end = 0;
    for (count, (i, c)) in word.char_indices().enumerate() {
        if count == budget || !c.is_alphanumeric() {
            break;
        }
        end = i + c.len_utf8();
    }
    skip + end
}

fn hashed_id(piece: &str) -> u32 {
    let mut h = Fnv1a::default();
    h.write(piece.as_bytes());
    let span = u64::from(u32::MAX - 2 * WORDS);
    2 * WORDS + (h.finish() % span) as u32
}

impl Tokenizer for BuiltinTokenizer {
    fn name(&self) -> &str {
        "builtin"
    }

    fn encode(&self, text: &str) -> Vec<u32> {
        let v = vocab();
        let mut ids = Vec::with_capacity(text.len() / 4 + 1);
        Self::for_each_piece(text, |p| {
            ids.push(v.ids.get(p).copied().unwrap_or_else(|| hashed_id(p)));
        });
        ids
    }

    fn count_tokens(&self, text: &str) -> usize {
        let mut n = 0;
        Self::for_each_piece(text, |_| n += 1);
        n
    }

    fn decode(&self, ids: &[u32]) -> String {
        let v = vocab();
        let mut out = String::with_capacity(ids.len() * 6);
        for &id in ids {
            if id < WORDS {
                out.push(' ');
                out.push_str(&v.words[id as usize]);
            } else if id < 2 * WORDS {
                out.push_str(&v.words[(id - WORDS) as usize]);
            } else {
                out.push_str(UNKNOWN);
            }
        }
        out
    }

    fn vocab_size(&self) -> u32 {
        2 * WORDS
    }
}

/// 64-bit FNV-1a: a tiny, fast, stable hash for short keys.
#[derive(Debug, Clone, Copy)]
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_distinct_and_alphabetic() {
        let w = synthetic_words(WORDS as usize);
        let set: std::collections::HashSet<_> = w.iter().collect();
        assert_eq!(set.len(), WORDS as usize);
        assert!(w.iter().all(|s| s.chars().all(|c| c.is_ascii_lowercase())));
    }

    #[test]
    fn splits_words_punctuation_and_spaces() {
        let t = BuiltinTokenizer::new();
        let mut pieces = Vec::new();
        BuiltinTokenizer::for_each_piece("Hello, world!\n  x", |p| pieces.push(p));
        assert_eq!(pieces, ["Hello", ",", " world", "!", "\n", " ", " x"]);
        assert_eq!(t.count_tokens("Hello, world!\n  x"), 7);
        assert_eq!(t.encode("Hello, world!\n  x").len(), 7);
    }

    #[test]
    fn long_runs_split_every_16_chars() {
        let t = BuiltinTokenizer::new();
        assert_eq!(t.count_tokens(&"a".repeat(16)), 1);
        assert_eq!(t.count_tokens(&"a".repeat(17)), 2);
        // a leading space counts toward the 16 characters
        assert_eq!(t.count_tokens(&format!(" {}", "a".repeat(15))), 1);
        assert_eq!(t.count_tokens(&format!(" {}", "a".repeat(16))), 2);
    }

    #[test]
    fn vocabulary_round_trips_exactly() {
        let t = BuiltinTokenizer::new();
        // Leading-space words concatenate into a text that splits back into the same ids.
        let ids: Vec<u32> = (0..t.word_count()).step_by(7).collect();
        assert_eq!(t.encode(&t.decode(&ids)), ids);
        // A bare word is its own token at the start of a text or after punctuation.
        for id in (t.word_count()..t.vocab_size()).step_by(101) {
            assert_eq!(t.encode(&t.decode(&[id])), vec![id]);
            let after_newline = format!("\n{}", t.decode(&[id]));
            assert_eq!(t.encode(&after_newline)[1], id);
        }
    }

    #[test]
    fn synthetic_text_has_exact_length() {
        let t = BuiltinTokenizer::new();
        for n in [0, 1, 2, 550, 3000] {
            let text = t.synthetic_text(n as u64, n);
            assert_eq!(t.count_tokens(&text), n);
        }
        assert_ne!(t.synthetic_text(1, 10), t.synthetic_text(2, 10));
    }

    #[test]
    fn unknown_pieces_get_stable_ids_outside_the_vocabulary() {
        let t = BuiltinTokenizer::new();
        let a = t.encode("über, ünïcode");
        assert_eq!(a, t.encode("über, ünïcode"));
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|&id| id >= WORDS));
        assert_eq!(t.decode(&[u32::MAX - 1]), UNKNOWN);
    }

    #[test]
    fn multibyte_text_splits_on_character_boundaries() {
        let t = BuiltinTokenizer::new();
        // (text, pieces): letters of any script are alphanumeric runs; a combining accent is
        // not alphanumeric, so it is a piece of its own; an emoji is a lone symbol.
        let cases: &[(&str, &[&str])] = &[
            ("日本語のテキスト", &["日本語のテキスト"]),
            (" é", &[" é"]),
            ("\u{1F600} a", &["\u{1F600}", " a"]),
            ("a\u{0301}b", &["a", "\u{0301}", "b"]),
            (" ", &[" "]),
            // 17 three-byte letters: split after 16 characters, not after 16 bytes.
            (
                "語語語語語語語語語語語語語語語語語",
                &["語語語語語語語語語語語語語語語語", "語"],
            ),
        ];
        for (text, expected) in cases {
            let mut pieces = Vec::new();
            BuiltinTokenizer::for_each_piece(text, |p| pieces.push(p));
            assert_eq!(&pieces, expected, "pieces of {text:?}");
            assert_eq!(t.count_tokens(text), expected.len(), "count of {text:?}");
            assert_eq!(t.encode(text).len(), expected.len(), "ids of {text:?}");
            assert_eq!(pieces.concat(), *text);
        }
    }
}
