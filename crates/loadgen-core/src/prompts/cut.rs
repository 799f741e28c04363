//! Cutting a text to an exact token count.

use servebench_tokenize::Tokenizer;

/// Byte length `end` (on a char boundary) such that `text[..end]` has exactly `target` tokens, or
/// `None` if there is none that the search can find. `text_count` is the token count of the whole
/// `text` (the caller has it already).
///
/// Searches with the tokenizer as a black box. Appending one character changes the count by at most
/// one for the built-in tokenizer (so an answer always exists when `text` has at least `target`
/// tokens) and nearly always for BPE tokenizers; when a count jumps over `target`, the caller
/// tries another text. The search keeps a bracket `count(lo) < target < count(hi)` and alternates
/// interpolation (the count is nearly proportional to length) with bisection, so it needs a few
/// encodes of the text typically and `O(log len)` at worst.
pub(crate) fn cut_to_token_count(
    tok: &dyn Tokenizer,
    text: &str,
    target: usize,
    text_count: usize,
) -> Option<usize> {
    if target == 0 {
        return Some(0);
    }
    let (mut lo, mut count_lo) = (0usize, 0usize);
    let (mut hi, mut count_hi) = (text.len(), text_count);
    if count_hi == target {
        return Some(hi);
    }
    if count_hi < target {
        return None;
    }
    for step in 0usize.. {
        let lo_next = text.ceil_char_boundary(lo + 1);
        if lo_next >= hi {
            break;
        }
        let guess = if step % 3 == 2 {
            lo + (hi - lo) / 2
        } else {
            // Interpolate between the bracket's ends (integer arithmetic, no overflow: all
            // factors are at most the text length).
            let span = (hi - lo) as u128;
            let want = (target - count_lo) as u128;
            let have = (count_hi - count_lo) as u128;
            lo + (span * want / have) as usize
        };
        let guess = text
            .floor_char_boundary(guess)
            .clamp(lo_next, text.floor_char_boundary(hi - 1));
        let count = tok.count_tokens(&text[..guess]);
        match count.cmp(&target) {
            std::cmp::Ordering::Equal => return Some(guess),
            std::cmp::Ordering::Less => (lo, count_lo) = (guess, count),
            std::cmp::Ordering::Greater => (hi, count_hi) = (guess, count),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use servebench_tokenize::BuiltinTokenizer;

    /// A tokenizer that counts bytes, except that "xy" is one token (so appending `y` after `x`
    /// leaves the count unchanged), and "##" is three tokens (so the count jumps by two).
    #[derive(Debug)]
    struct Odd;
    impl Tokenizer for Odd {
        fn name(&self) -> &str {
            "odd"
        }
        fn encode(&self, text: &str) -> Vec<u32> {
            let n = text.len() - text.matches("xy").count() + text.matches("##").count();
            vec![0; n]
        }
        fn decode(&self, _ids: &[u32]) -> String {
            String::new()
        }
        fn vocab_size(&self) -> u32 {
            1
        }
    }

    #[test]
    fn every_reachable_count_is_found_exactly() {
        let tok = BuiltinTokenizer::new();
        let text = "The quick brown fox, jumping over 12 lazy dogs; then it naps.  Twice!";
        let total = tok.count_tokens(text);
        for target in 0..=total {
            let end =
                cut_to_token_count(&tok, text, target, tok.count_tokens(text)).expect("reachable");
            assert_eq!(tok.count_tokens(&text[..end]), target, "target {target}");
        }
        assert_eq!(cut_to_token_count(&tok, text, total + 1, total), None);
    }

    #[test]
    fn multibyte_text_is_cut_on_char_boundaries() {
        let tok = BuiltinTokenizer::new();
        let text = "héllo wörld, ünïcode ✓✓✓ 日本語のテキスト and \u{1F600} done";
        for target in 1..=tok.count_tokens(text) {
            let end =
                cut_to_token_count(&tok, text, target, tok.count_tokens(text)).expect("reachable");
            assert!(text.is_char_boundary(end));
            assert_eq!(tok.count_tokens(&text[..end]), target);
        }
    }

    #[test]
    fn a_count_that_is_jumped_over_is_reported_as_unreachable() {
        // "ab#" has 3 tokens, "ab##" has 5: no prefix has exactly 4.
        let tok = Odd;
        assert_eq!(tok.count_tokens("ab##cd"), 7);
        assert_eq!(cut_to_token_count(&tok, "ab##cd", 4, 7), None);
        assert_eq!(cut_to_token_count(&tok, "ab##cd", 5, 7), Some(4));
        assert_eq!(cut_to_token_count(&tok, "ab##cd", 6, 7), Some(5));
    }
}
