//! A specialised scanner for the common shapes of OpenAI response objects.
//!
//! It reads a chunk in one pass and builds the same [`ResponseChunk`] serde would, but only for
//! input it fully understands: strictly valid JSON (RFC 8259, valid UTF-8 everywhere, escapes with
//! well-formed surrogate pairs, nesting depth up to [`MAX_DEPTH`]) whose top level is an object,
//! with `choices` null or an array whose first element is an object, `delta` / `message` null or
//! objects, text fields and `finish_reason` null or strings, `usage` null or an object of plain unsigned integers
//! (and its two `*_details` objects). Anything else (`error`, `data` or `servebench`
//! present, a duplicate recognised key, a key written with escapes, an array where an object is
//! expected, a float token count, ...) returns `None` and the caller falls back to serde, so the
//! result is always exactly serde's.

use std::borrow::Cow;

mod strings;

use super::{
    Choice, CompletionDetails, Delta, FirstChoice, PromptDetails, ResponseChunk, UsageJson,
};

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
            b"error" | b"data" | b"servebench" => None,
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
            b"finish_reason" => {
                seen.first(3)?;
                choice.finish_reason = if s.null()? { None } else { Some(s.string()?) };
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
