//! An incremental Server-Sent Events parser (the WHATWG `text/event-stream` grammar).
//!
//! Bytes arrive in arbitrary pieces (one piece per socket read); [`SseParser::feed`] consumes a
//! piece and calls back once per event completed inside it, so the caller can stamp every event
//! with the time of the read that completed it. Lines may end in CRLF, LF or CR (also when a CRLF
//! pair is split across reads); `:` lines are comments; several `data:` lines of one event are
//! joined with `\n`; the `event:` field names the event; `id:` and `retry:` are accepted and
//! ignored. [`SseParser::finish`] dispatches a trailing event that lacks the final blank line.
//!
//! The parser copies only what it must: a line split across reads, and the `data` of an event
//! that spans reads or has several `data` lines (a one-line event inside one read is handed out
//! straight from the read). Its buffers are reused from event to event.

/// One dispatched event. Borrowed from the parser; copy what you keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseEvent<'a> {
    /// The `event:` field (empty when absent, i.e. a `message` event).
    pub event: &'a [u8],
    /// The `data:` lines joined with `\n` (no trailing newline).
    pub data: &'a [u8],
}

/// Incremental SSE parser; one per response stream.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Start of a line whose terminator has not arrived yet.
    partial_line: Vec<u8>,
    /// `data` of the event being built.
    data: Vec<u8>,
    /// `event` name of the event being built.
    event: Vec<u8>,
    /// Whether the event being built has at least one `data` field.
    has_data: bool,
    /// The previous piece ended with CR: a LF at the start of the next piece belongs to it.
    skip_leading_lf: bool,
    /// Field and comment lines recognised so far (tells an SSE body from something else).
    recognised_lines: u64,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of lines seen so far that were SSE fields (`data`, `event`, `id`, `retry`) or
    /// comments. Zero after a non-empty body means the body was not an event stream.
    pub fn recognised_lines(&self) -> u64 {
        self.recognised_lines
    }

    /// Consumes one piece of the stream, calling `on_event` for every event it completes.
    ///
    /// An event whose single `data` line and terminating blank line both lie in `input` is
    /// dispatched straight from `input` (no copy); anything else goes through the buffers.
    pub fn feed(&mut self, input: &[u8], on_event: &mut impl FnMut(SseEvent<'_>)) {
        if input.is_empty() {
            return;
        }
        let mut pos = 0;
        if self.skip_leading_lf {
            self.skip_leading_lf = false;
            if input[0] == b'\n' {
                pos = 1;
            }
        }
        // `data` of the event being built while it is still only in `input`.
        let mut borrowed: Option<(usize, usize)> = None;
        while let Some(found) = memchr::memchr2(b'\n', b'\r', &input[pos..]) {
            let end = pos + found;
            let mut next = end + 1;
            if input[end] == b'\r' {
                match input.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.skip_leading_lf = true,
                }
            }
            if self.partial_line.is_empty() {
                let line = &input[pos..end];
                if line.is_empty() {
                    if let Some((from, to)) = borrowed.take() {
                        on_event(SseEvent {
                            event: &self.event,
                            data: &input[from..to],
                        });
                        self.event.clear();
                        self.has_data = false;
                        pos = next;
                        continue;
                    }
                } else if !self.has_data
                    && let Some(value) = line.strip_prefix(b"data:")
                {
                    let skip = usize::from(value.first() == Some(&b' '));
                    borrowed = Some((end - value.len() + skip, end));
                    self.has_data = true;
                    self.recognised_lines += 1;
                    pos = next;
                    continue;
                }
                self.take_borrowed(input, &mut borrowed);
                self.process_line(line, on_event);
            } else {
                self.take_borrowed(input, &mut borrowed);
                let mut line = std::mem::take(&mut self.partial_line);
                line.extend_from_slice(&input[pos..end]);
                self.process_line(&line, on_event);
                line.clear();
                self.partial_line = line;
            }
            pos = next;
        }
        self.take_borrowed(input, &mut borrowed);
        self.partial_line.extend_from_slice(&input[pos..]);
    }

    /// Moves borrowed `data` into the parser's buffer (before anything else reads or extends it).
    fn take_borrowed(&mut self, input: &[u8], borrowed: &mut Option<(usize, usize)>) {
        if let Some((from, to)) = borrowed.take() {
            self.data.extend_from_slice(&input[from..to]);
        }
    }

    /// Ends the stream: a last line without terminator is processed and an event still being
    /// built is dispatched (AIPerf stamps such a trailing event at end of stream).
    pub fn finish(&mut self, on_event: &mut impl FnMut(SseEvent<'_>)) {
        if !self.partial_line.is_empty() {
            let mut line = std::mem::take(&mut self.partial_line);
            self.process_line(&line, on_event);
            line.clear();
            self.partial_line = line;
        }
        self.skip_leading_lf = false;
        self.dispatch(on_event);
    }

    fn process_line(&mut self, line: &[u8], on_event: &mut impl FnMut(SseEvent<'_>)) {
        if line.is_empty() {
            self.dispatch(on_event);
            return;
        }
        if line[0] == b':' {
            self.recognised_lines += 1;
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &line[line.len()..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
                self.recognised_lines += 1;
            }
            b"event" => {
                self.event.clear();
                self.event.extend_from_slice(value);
                self.recognised_lines += 1;
            }
            b"id" | b"retry" => self.recognised_lines += 1,
            _ => {}
        }
    }

    /// Dispatches the event being built. Unlike the browser algorithm, an event with an `event`
    /// name but no data is still dispatched, so that a bare `event: error` is not lost.
    fn dispatch(&mut self, on_event: &mut impl FnMut(SseEvent<'_>)) {
        if self.has_data || !self.event.is_empty() {
            on_event(SseEvent {
                event: &self.event,
                data: &self.data,
            });
        }
        self.data.clear();
        self.event.clear();
        self.has_data = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_pieces(pieces: &[&[u8]]) -> Vec<(String, String)> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        let mut push = |e: SseEvent<'_>| {
            out.push((
                String::from_utf8_lossy(e.event).into_owned(),
                String::from_utf8_lossy(e.data).into_owned(),
            ));
        };
        for piece in pieces {
            parser.feed(piece, &mut push);
        }
        parser.finish(&mut push);
        out
    }

    fn ev(event: &str, data: &str) -> (String, String) {
        (event.to_owned(), data.to_owned())
    }

    #[test]
    fn lf_events_and_done() {
        let got = parse_pieces(&[b"data: {\"a\":1}\n\ndata: [DONE]\n\n"]);
        assert_eq!(got, vec![ev("", "{\"a\":1}"), ev("", "[DONE]")]);
    }

    #[test]
    fn crlf_split_between_cr_and_lf() {
        let got = parse_pieces(&[b"data: x\r", b"\n\r", b"\ndata: y\r\n\r\n"]);
        assert_eq!(got, vec![ev("", "x"), ev("", "y")]);
    }

    #[test]
    fn cr_only_line_endings() {
        let got = parse_pieces(&[b"data: a\r\rdata: b\r\r"]);
        assert_eq!(got, vec![ev("", "a"), ev("", "b")]);
    }

    #[test]
    fn comments_multiline_data_and_event_names() {
        let got = parse_pieces(&[
            b": keep-alive\n\nevent: error\ndata: line1\ndata:line2\nid: 7\nretry: 10\n\n",
        ]);
        assert_eq!(got, vec![ev("error", "line1\nline2")]);
    }

    #[test]
    fn only_one_leading_space_is_stripped() {
        let got = parse_pieces(&[b"data:  two\n\n"]);
        assert_eq!(got, vec![ev("", " two")]);
    }

    #[test]
    fn trailing_event_without_delimiter_is_dispatched_at_finish() {
        let got = parse_pieces(&[b"data: a\n\ndata: tail"]);
        assert_eq!(got, vec![ev("", "a"), ev("", "tail")]);
    }

    #[test]
    fn bare_event_error_without_data_is_dispatched() {
        let got = parse_pieces(&[b"event: error\n\n"]);
        assert_eq!(got, vec![ev("error", "")]);
    }

    proptest::proptest! {
        /// Cutting the stream anywhere (through CRLF pairs, field names, data) never changes
        /// the events, whichever path (borrowed or buffered) each event takes.
        #[test]
        fn events_do_not_depend_on_how_the_stream_is_cut(
            parts in proptest::collection::vec(0usize..12, 1..40),
            cuts in proptest::collection::vec(0usize..400, 0..6),
        ) {
            const PARTS: [&str; 12] = [
                "data: {\"a\":1}\n\n", "data:x\r\n\r\n", "data: y\r\r", ": c\n",
                "event: error\n", "data: l1\ndata: l2\n\n", "id: 3\n", "\n",
                "data: z\n", "retry: 5\r\n", "data:  two\n\n", "bogus\n",
            ];
            let text: String = parts.iter().map(|&i| PARTS[i]).collect();
            let bytes = text.as_bytes();
            let mut points: Vec<usize> = cuts.iter().map(|&c| c % (bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut pieces = Vec::new();
            let mut last = 0;
            for p in points {
                pieces.push(&bytes[last..p]);
                last = p;
            }
            pieces.push(&bytes[last..]);
            proptest::prop_assert_eq!(parse_pieces(&pieces), parse_pieces(&[bytes]));
            let one_byte: Vec<&[u8]> = bytes.chunks(1).collect();
            proptest::prop_assert_eq!(parse_pieces(&one_byte), parse_pieces(&[bytes]));
        }
    }

    #[test]
    fn non_sse_body_has_no_recognised_lines() {
        let mut parser = SseParser::new();
        let mut n = 0;
        parser.feed(b"{\"id\": \"x\", \"choices\": []}", &mut |_| n += 1);
        parser.finish(&mut |_| n += 1);
        assert_eq!(n, 0);
        assert_eq!(parser.recognised_lines(), 0);
    }
}
