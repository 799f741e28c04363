//! A specialised scanner for the common shapes of OpenAI response objects.
//!
//! It reads a chunk in one pass and builds the same [`ResponseChunk`] serde would, but only for
//! input it fully understands: strictly valid JSON (RFC 8259, valid UTF-8 everywhere, escapes with
//! well-formed surrogate pairs, nesting depth up to [`MAX_DEPTH`]) whose top level is an object,
//! with `choices` null or an array whose first element is an object, `delta` / `message` null or
//! objects, text fields null or strings, `usage` null or an object of plain unsigned integers
//! (and its two `*_details` objects). Anything else (`error`, `data` or `servebench_timing`
//! present, a duplicate recognised key, a key written with escapes, an array where an object is
//! expected, a float token count, ...) returns `None` and the caller falls back to serde, so the
//! result is always exactly serde's.

use std::borrow::Cow;

use super::{
    Choice, CompletionDetails, Delta, FirstChoice, PromptDetails, ResponseChunk, UsageJson,
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Nonzero when one of the eight bytes of `x` is `"`, `\\` or below 0x20 (the usual
/// "has zero byte" and "has byte less than" bit tricks; a nonzero result always has a true match
/// at or below its lowest set bit, so the caller rescans that word byte by byte).
fn special_bytes(x: u64) -> u64 {
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH_BITS;
    zero_byte(x ^ (ONES * u64::from(b'"')))
        | zero_byte(x ^ (ONES * u64::from(b'\\')))
        | (x.wrapping_sub(ONES * 0x20) & !x & HIGH_BITS)
}

/// Deepest nesting the scanner skips (serde_json's own limit is 128).
const MAX_DEPTH: u32 = 64;

/// The chunk, or `None` when the input is not in a shape the scanner handles.
pub(super) fn scan(json: &[u8]) -> Option<ResponseChunk<'_>> {
    scan_with_captures(json).map(|(chunk, _)| chunk)
}

/// Which text field a captured string went into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextSlot {
    /// `choices[0].delta.content`.
    Content,
    /// `choices[0].delta.reasoning_content`.
    ReasoningContent,
    /// `choices[0].delta.reasoning`.
    Reasoning,
    /// `choices[0].text`.
    Text,
}

/// Where the non-null strings of the text fields were: `[start, end)` byte ranges of the whole
/// string tokens (quotes included), in input order.
#[derive(Debug, Default)]
pub(super) struct Captures {
    /// The first captured string token and its field.
    pub(super) first: Option<(usize, usize, TextSlot)>,
    /// Number of captured strings.
    pub(super) count: u32,
}

/// [`scan`], also reporting where the text strings were (for `super::template`).
pub(super) fn scan_with_captures(json: &[u8]) -> Option<(ResponseChunk<'_>, Captures)> {
    let mut s = Scanner {
        bytes: json,
        pos: 0,
        captures: Captures::default(),
    };
    let mut chunk = ResponseChunk::default();
    s.top_level(&mut chunk)?;
    s.skip_ws();
    (s.pos == json.len()).then_some((chunk, s.captures))
}

/// Reads one string token at the start of `json` (a JSON string and nothing else is checked):
/// its value and the index just after its closing quote. Exactly the scanner's string rule.
pub(super) fn string_token(json: &[u8]) -> Option<(Cow<'_, str>, usize)> {
    let mut s = Scanner {
        bytes: json,
        pos: 0,
        captures: Captures::default(),
    };
    if json.first() != Some(&b'"') {
        return None;
    }
    let value = s.string()?;
    Some((value, s.pos))
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    captures: Captures,
}

/// Which keys of an object were seen (a duplicate recognised key makes serde fail).
#[derive(Default)]
struct Seen(u8);

impl Seen {
    /// Marks key `bit`; `None` when it was already seen.
    fn first(&mut self, bit: u8) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }
}

impl<'a> Scanner<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Consumes `null` if it comes next.
    fn null(&mut self) -> Option<bool> {
        if self.peek()? != b'n' {
            return Some(false);
        }
        self.literal(b"null")?;
        Some(true)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(word.len())?;
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// Iterates the members of an object (the `{` comes next), calling `member` with each key
    /// after consuming the key and its colon; `member` must consume the value.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.plain_key()?;
            self.expect(b':')?;
            member(self, key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Finds the end of a run of plain string bytes starting at `from`: the index of the next `"`
    /// or `\\`, and whether the run has non-ASCII bytes. `None` at a control character (invalid in
    /// JSON strings) or the end of input. Eight bytes at a time while none of them is special.
    fn run_end(&self, from: usize) -> Option<(usize, bool)> {
        let mut i = from;
        let mut non_ascii = false;
        while let Some(word) = self.bytes.get(i..i + 8) {
            let x = u64::from_le_bytes(word.try_into().ok()?);
            if special_bytes(x) != 0 {
                break;
            }
            non_ascii |= x & HIGH_BITS != 0;
            i += 8;
        }
        for (k, &b) in self.bytes.get(i..)?.iter().enumerate() {
            if b == b'"' || b == b'\\' {
                return Some((i + k, non_ascii));
            }
            if b < 0x20 {
                return None;
            }
            non_ascii |= b >= 0x80;
        }
        None
    }

    /// A run of plain string bytes as text (`None` when it is not UTF-8).
    fn run_text(&self, from: usize, end: usize) -> Option<&'a str> {
        std::str::from_utf8(&self.bytes[from..end]).ok()
    }

    /// A key without escapes (keys with escapes go to serde, which unescapes them).
    fn plain_key(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.pos;
        let (end, non_ascii) = self.run_end(start)?;
        if self.bytes[end] != b'"' {
            return None;
        }
        let key = &self.bytes[start..end];
        if non_ascii {
            std::str::from_utf8(key).ok()?;
        }
        self.pos = end + 1;
        Some(key)
    }

    /// Skips a string value, checking it as [`Scanner::string`] would.
    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        let start = self.pos;
        let (end, non_ascii) = self.run_end(start)?;
        if non_ascii {
            std::str::from_utf8(&self.bytes[start..end]).ok()?;
        }
        self.pos = end + 1;
        if self.bytes[end] == b'"' {
            return Some(());
        }
        let mut scratch = String::new();
        self.unescape_rest(&mut scratch)
    }

    /// A string value, borrowed when it has no escapes, unescaped otherwise.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.pos;
        let (end, _) = self.run_end(start)?;
        let run = self.run_text(start, end)?;
        self.pos = end + 1;
        if self.bytes[end] == b'"' {
            return Some(Cow::Borrowed(run));
        }
        let mut out = String::with_capacity(end - start + 16);
        out.push_str(run);
        self.unescape_rest(&mut out)?;
        Some(Cow::Owned(out))
    }

    /// Continues a string after a backslash (already consumed) up to its closing quote.
    fn unescape_rest(&mut self, out: &mut String) -> Option<()> {
        loop {
            // `self.pos` is just after a backslash.
            let escape = *self.bytes.get(self.pos)?;
            self.pos += 1;
            match escape {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => out.push(self.unicode_escape()?),
                _ => return None,
            }
            let start = self.pos;
            let (end, _) = self.run_end(start)?;
            out.push_str(self.run_text(start, end)?);
            self.pos = end + 1;
            if self.bytes[end] == b'"' {
                return Some(());
            }
        }
    }

    /// The character of a `\u` escape (the `\u` consumed), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                self.literal(b"\\u")?;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                char::from_u32(code)
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(first),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.pos.checked_add(4)?;
        let digits = self.bytes.get(self.pos..end)?;
        let mut value = 0;
        for &d in digits {
            value = value * 16 + char::from(d).to_digit(16)?;
        }
        self.pos = end;
        Some(value)
    }

    /// `null` or a string going into text field `slot`, whose position is captured.
    fn text_field(&mut self, slot: TextSlot) -> Option<Option<Cow<'a, str>>> {
        if self.null()? {
            return Some(None);
        }
        let start = self.pos;
        let value = self.string()?;
        if self.captures.first.is_none() {
            self.captures.first = Some((start, self.pos, slot));
        }
        self.captures.count += 1;
        Some(Some(value))
    }

    /// `null` or a plain unsigned integer that fits `u64` (no sign, fraction or exponent).
    fn optional_u64(&mut self) -> Option<Option<u64>> {
        if self.null()? {
            return Some(None);
        }
        let start = self.pos;
        let len = self.bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let digits = &self.bytes[start..start + len];
        if len == 0 || (len > 1 && digits[0] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(start + len) {
            return None;
        }
        let mut value: u64 = 0;
        for &d in digits {
            value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        self.pos = start + len;
        Some(Some(value))
    }

    /// Skips any valid JSON value.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.object(|s, _| s.skip_value(depth + 1)),
            b'[' => {
                self.pos += 1;
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            _ => self.skip_number(),
        }
    }

    /// Skips a number with the exact JSON grammar.
    fn skip_number(&mut self) -> Option<()> {
        let digits = |s: &mut Self| {
            let n = s.bytes[s.pos..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            s.pos += n;
            n
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos)? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        Some(())
    }

    // The decoders below fill their output in place: these structs are hundreds of bytes, and
    // returning them by value costs a memcpy per level per chunk.

    fn top_level(&mut self, chunk: &mut ResponseChunk<'a>) -> Option<()> {
        let mut seen = Seen::default();
        self.object(|s, key| match key {
            b"choices" => {
                seen.first(0)?;
                s.choices(&mut chunk.choices)
            }
            b"usage" => {
                seen.first(1)?;
                chunk.usage = if s.null()? { None } else { Some(s.usage()?) };
                Some(())
            }
            b"error" | b"data" | b"servebench_timing" => None,
            _ => s.skip_value(1),
        })
    }

    fn choices(&mut self, out: &mut FirstChoice<'a>) -> Option<()> {
        if self.null()? {
            return Some(());
        }
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        self.choice(out.0.insert(Choice::default()))?;
        loop {
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.skip_value(2)?;
                }
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn choice(&mut self, choice: &mut Choice<'a>) -> Option<()> {
        let mut seen = Seen::default();
        self.object(|s, key| match key {
            b"delta" => {
                seen.first(0)?;
                s.optional_delta(&mut choice.delta)
            }
            b"message" => {
                seen.first(1)?;
                s.optional_delta(&mut choice.message)
            }
            b"text" => {
                seen.first(2)?;
                choice.text = s.text_field(TextSlot::Text)?;
                Some(())
            }
            _ => s.skip_value(3),
        })
    }

    fn optional_delta(&mut self, slot: &mut Option<Delta<'a>>) -> Option<()> {
        if self.null()? {
            return Some(());
        }
        let delta = slot.insert(Delta::default());
        let mut seen = Seen::default();
        self.object(|s, key| match key {
            b"content" => {
                seen.first(0)?;
                delta.content = s.text_field(TextSlot::Content)?;
                Some(())
            }
            b"reasoning_content" => {
                seen.first(1)?;
                delta.reasoning_content = s.text_field(TextSlot::ReasoningContent)?;
                Some(())
            }
            b"reasoning" => {
                seen.first(2)?;
                delta.reasoning = s.text_field(TextSlot::Reasoning)?;
                Some(())
            }
            _ => s.skip_value(4),
        })
    }

    fn usage(&mut self) -> Option<UsageJson> {
        let mut usage = UsageJson::default();
        let mut seen = Seen::default();
        self.object(|s, key| match key {
            b"prompt_tokens" => {
                seen.first(0)?;
                usage.prompt_tokens = s.optional_u64()?;
                Some(())
            }
            b"completion_tokens" => {
                seen.first(1)?;
                usage.completion_tokens = s.optional_u64()?;
                Some(())
            }
            b"total_tokens" => {
                seen.first(2)?;
                usage.total_tokens = s.optional_u64()?;
                Some(())
            }
            b"prompt_tokens_details" => {
                seen.first(3)?;
                usage.prompt_tokens_details = if s.null()? {
                    None
                } else {
                    Some(PromptDetails {
                        cached_tokens: s.single_count(b"cached_tokens")?,
                    })
                };
                Some(())
            }
            b"completion_tokens_details" => {
                seen.first(4)?;
                usage.completion_tokens_details = if s.null()? {
                    None
                } else {
                    Some(CompletionDetails {
                        reasoning_tokens: s.single_count(b"reasoning_tokens")?,
                    })
                };
                Some(())
            }
            _ => s.skip_value(3),
        })?;
        Some(usage)
    }

    /// An object in which only the count `name` matters.
    fn single_count(&mut self, name: &[u8]) -> Option<Option<u64>> {
        let mut count = None;
        let mut seen = Seen::default();
        self.object(|s, key| {
            if key == name {
                seen.first(0)?;
                count = s.optional_u64()?;
                Some(())
            } else {
                s.skip_value(4)
            }
        })?;
        Some(count)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::special_bytes;

    fn naive(x: u64) -> bool {
        x.to_le_bytes()
            .iter()
            .any(|&b| b == b'"' || b == b'\\' || b < 0x20)
    }

    proptest! {
        #[test]
        fn special_bytes_matches_a_bytewise_check(x in any::<u64>(), pos in 0usize..8, pick in 0usize..5) {
            prop_assert_eq!(special_bytes(x) != 0, naive(x));
            let mut bytes = x.to_le_bytes();
            bytes[pos] = [b'"', b'\\', 0x1f, 0x00, b'a'][pick];
            let y = u64::from_le_bytes(bytes);
            prop_assert_eq!(special_bytes(y) != 0, naive(y));
        }
    }
}
