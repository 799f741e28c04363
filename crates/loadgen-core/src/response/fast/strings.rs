//! String tokens: finding their end eight bytes at a time, unescaping, and keys.

use std::borrow::Cow;

use super::Scanner;

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

impl<'a> Scanner<'a> {
    /// Finds the end of a run of plain string bytes starting at `from`: the index of the next `"`
    /// or `\\`, and whether the run has non-ASCII bytes. `None` at a control character (invalid in
    /// JSON strings) or the end of input. Eight bytes at a time while none of them is special.
    pub(super) fn run_end(&self, from: usize) -> Option<(usize, bool)> {
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
    pub(super) fn run_text(&self, from: usize, end: usize) -> Option<&'a str> {
        std::str::from_utf8(&self.bytes[from..end]).ok()
    }

    /// A key without escapes (keys with escapes go to serde, which unescapes them).
    pub(super) fn plain_key(&mut self) -> Option<&'a [u8]> {
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
    pub(super) fn skip_string(&mut self) -> Option<()> {
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
    pub(super) fn string(&mut self) -> Option<Cow<'a, str>> {
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
    pub(super) fn unescape_rest(&mut self, out: &mut String) -> Option<()> {
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
    pub(super) fn unicode_escape(&mut self) -> Option<char> {
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

    pub(super) fn hex4(&mut self) -> Option<u32> {
        let end = self.pos.checked_add(4)?;
        let digits = self.bytes.get(self.pos..end)?;
        let mut value = 0;
        for &d in digits {
            value = value * 16 + char::from(d).to_digit(16)?;
        }
        self.pos = end;
        Some(value)
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
