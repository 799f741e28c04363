//! Line-by-line reading with line numbers, one reused buffer and end-of-file awareness.

use std::io::{self, BufRead};

/// One line of input, without its `\n` or `\r\n`.
pub(crate) struct Line<'a> {
    pub(crate) bytes: &'a [u8],
    /// 1-based line number.
    pub(crate) number: u64,
    /// False for a last line that has no final newline.
    pub(crate) terminated: bool,
}

/// Reads lines from a [`BufRead`] into one reused buffer, counting them.
pub(crate) struct LineSource<R> {
    reader: R,
    buf: Vec<u8>,
    line: u64,
}

impl<R: BufRead> LineSource<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            buf: Vec::with_capacity(4096),
            line: 0,
        }
    }

    /// The next line, or `None` at end of input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
            return Ok(None);
        }
        self.line += 1;
        let terminated = self.buf.last() == Some(&b'\n');
        let mut end = self.buf.len();
        if terminated {
            end -= 1;
            if end > 0 && self.buf[end - 1] == b'\r' {
                end -= 1;
            }
        }
        Ok(Some(Line {
            bytes: &self.buf[..end],
            number: self.line,
            terminated,
        }))
    }

    /// Byte-count progress is the caller's business; this returns the underlying reader.
    pub(crate) fn get_ref(&self) -> &R {
        &self.reader
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_lf_and_crlf_and_flags_unterminated_last_line() {
        let mut src = LineSource::new(&b"a\r\nb\n\nc"[..]);
        let mut seen = Vec::new();
        while let Some(l) = src.next_line().unwrap() {
            seen.push((
                String::from_utf8(l.bytes.to_vec()).unwrap(),
                l.number,
                l.terminated,
            ));
        }
        assert_eq!(
            seen,
            vec![
                ("a".into(), 1, true),
                ("b".into(), 2, true),
                (String::new(), 3, true),
                ("c".into(), 4, false)
            ]
        );
    }
}
