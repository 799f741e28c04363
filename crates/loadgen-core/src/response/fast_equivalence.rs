//! Property tests: the fast scanner gives exactly serde's result whenever it answers, and it
//! answers for the common chunk shapes.

use proptest::prelude::*;

use super::fast::scan;
use super::{ChunkTemplate, ResponseChunk};

/// A small deterministic generator (xorshift64*), so one `u64` seed describes a whole chunk.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Generates JSON chunks in the shapes servers send, with random key orders, escapes, unicode,
/// nulls, unknown fields and (when `exotic`) shapes the scanner must hand to serde.
struct ChunkWriter {
    g: Gen,
    exotic: bool,
    out: String,
}

const CHARS: &[char] = &[
    'a',
    'Z',
    ' ',
    '0',
    '"',
    '\\',
    '/',
    '\n',
    '\t',
    '\r',
    '\u{1}',
    '\u{1f}',
    '\u{7f}',
    'é',
    'ü',
    '中',
    '😀',
    '\u{2028}',
    '\u{fffd}',
    '\u{10ffff}',
    '\u{8}',
    '\u{c}',
];

impl ChunkWriter {
    fn ws(&mut self) {
        if self.g.chance(15) {
            let ws = *self.g.pick(&[" ", "\n", "\t ", "\r\n  "]);
            self.out.push_str(ws);
        }
    }

    fn string(&mut self) {
        self.out.push('"');
        let len = self.g.below(8);
        for _ in 0..len {
            let c = *self.g.pick(CHARS);
            self.char(c);
        }
        if self.exotic && self.g.chance(3) {
            let bad = *self
                .g
                .pick(&["\\ud800", "\\udc00x", "\\ud83d\\u0041", "\\x", "\u{1}"]);
            self.out.push_str(bad);
        }
        self.out.push('"');
    }

    fn char(&mut self, c: char) {
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '/' if self.g.chance(30) => Some("\\/"),
            _ => None,
        };
        let must_escape = (c as u32) < 0x20 || c == '"' || c == '\\';
        if let Some(s) = short
            && (must_escape || self.g.chance(50))
        {
            self.out.push_str(s);
        } else if must_escape || self.g.chance(10) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                if self.g.chance(50) {
                    self.out.push_str(&format!("\\u{unit:04x}"));
                } else {
                    self.out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        } else {
            self.out.push(c);
        }
    }

    fn number(&mut self) {
        let n = *self.g.pick(&[
            "0",
            "-1",
            "3.25",
            "1e5",
            "-0.5E-3",
            "12345678901234567890123",
            "7",
        ]);
        self.out.push_str(n);
    }

    fn count(&mut self) {
        if self.exotic && self.g.chance(10) {
            let n = *self
                .g
                .pick(&["5.0", "-1", "1e3", "18446744073709551616", "\"3\""]);
            self.out.push_str(n);
        } else if self.g.chance(10) {
            self.out.push_str("null");
        } else {
            let n = *self.g.pick(&[0, 1, 42, 65_536, u64::MAX]);
            self.out.push_str(&n.to_string());
        }
    }

    fn any_value(&mut self, depth: u32) {
        self.ws();
        match self.g.below(if depth >= 3 { 5 } else { 7 }) {
            0 => self.out.push_str("null"),
            1 => {
                let word = *self.g.pick(&["true", "false"]);
                self.out.push_str(word);
            }
            2 => self.number(),
            3 | 4 => self.string(),
            5 => {
                self.out.push('[');
                let n = self.g.below(3);
                for i in 0..n {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.any_value(depth + 1);
                }
                self.ws();
                self.out.push(']');
            }
            _ => {
                let fields: Vec<(&str, Field)> = (0..self.g.below(3))
                    .map(|_| (*self.g.pick(&["k", "x", "content", "text"]), Field::Any))
                    .collect();
                self.object(fields, depth + 1);
            }
        }
        self.ws();
    }

    fn text_value(&mut self) {
        if self.g.chance(20) {
            self.out.push_str("null");
        } else if self.exotic && self.g.chance(5) {
            self.number();
        } else {
            self.string();
        }
    }

    /// An object with `fields` in random order (some dropped, some duplicated when exotic).
    fn object(&mut self, mut fields: Vec<(&str, Field)>, depth: u32) {
        for i in (1..fields.len()).rev() {
            let j = self.g.below(i as u64 + 1) as usize;
            fields.swap(i, j);
        }
        if self.exotic && !fields.is_empty() && self.g.chance(5) {
            let dup = fields[0];
            fields.push(dup);
        }
        self.ws();
        self.out.push('{');
        for (i, (key, field)) in fields.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.ws();
            if self.exotic && self.g.chance(2) && key.len() > 1 {
                let (head, tail) = key.split_at(1);
                self.out
                    .push_str(&format!("\"{head}\\u{:04x}", u32::from(tail.as_bytes()[0])));
                self.out.push_str(&tail[1..]);
                self.out.push('"');
            } else {
                self.out.push('"');
                self.out.push_str(key);
                self.out.push('"');
            }
            self.ws();
            self.out.push(':');
            self.ws();
            self.field(field, depth);
            self.ws();
        }
        self.out.push('}');
        self.ws();
    }

    fn field(&mut self, field: Field, depth: u32) {
        match field {
            Field::Any => self.any_value(depth),
            Field::Text => self.text_value(),
            Field::Count => self.count(),
            Field::Delta => self.delta(),
            Field::Choices => self.choices(),
            Field::Usage => self.usage(),
            Field::Details(name) => {
                if self.g.chance(15) {
                    self.out.push_str("null");
                } else {
                    let fields = self.some(&[(name, Field::Count), ("audio_tokens", Field::Count)]);
                    self.object(fields, depth + 1);
                }
            }
        }
    }

    /// A random subset of `fields`.
    fn some<'k>(&mut self, fields: &[(&'k str, Field)]) -> Vec<(&'k str, Field)> {
        fields
            .iter()
            .copied()
            .filter(|_| self.g.chance(70))
            .collect()
    }

    fn delta(&mut self) {
        if self.g.chance(10) {
            self.out.push_str("null");
            return;
        }
        if self.exotic && self.g.chance(5) {
            self.out.push_str("[\"x\"]");
            return;
        }
        let fields = self.some(&[
            ("content", Field::Text),
            ("reasoning_content", Field::Text),
            ("reasoning", Field::Text),
            ("role", Field::Text),
            ("tool_calls", Field::Any),
        ]);
        self.object(fields, 3);
    }

    fn choice(&mut self) {
        if self.exotic && self.g.chance(5) {
            self.any_value(2);
            return;
        }
        let fields = self.some(&[
            ("index", Field::Count),
            ("delta", Field::Delta),
            ("message", Field::Delta),
            ("text", Field::Text),
            ("logprobs", Field::Any),
            ("finish_reason", Field::Text),
        ]);
        self.object(fields, 2);
    }

    fn choices(&mut self) {
        match self.g.below(10) {
            0 => self.out.push_str("null"),
            1 => self.out.push_str("[ ]"),
            _ => {
                self.out.push('[');
                self.choice();
                for _ in 0..self.g.below(3) {
                    self.out.push(',');
                    if self.g.chance(50) {
                        self.choice();
                    } else {
                        self.any_value(2);
                    }
                }
                self.out.push(']');
            }
        }
    }

    fn usage(&mut self) {
        if self.g.chance(20) {
            self.out.push_str("null");
            return;
        }
        let fields = self.some(&[
            ("prompt_tokens", Field::Count),
            ("completion_tokens", Field::Count),
            ("total_tokens", Field::Count),
            ("prompt_tokens_details", Field::Details("cached_tokens")),
            (
                "completion_tokens_details",
                Field::Details("reasoning_tokens"),
            ),
            ("extra", Field::Any),
        ]);
        self.object(fields, 2);
    }

    fn chunk(mut self) -> String {
        let mut fields = self.some(&[
            ("id", Field::Text),
            ("object", Field::Text),
            ("created", Field::Count),
            ("model", Field::Text),
            ("system_fingerprint", Field::Any),
            ("servebench", Field::Any),
        ]);
        if self.g.chance(90) {
            fields.push(("choices", Field::Choices));
        }
        if self.g.chance(30) {
            fields.push(("usage", Field::Usage));
        }
        if self.exotic && self.g.chance(10) {
            let key = *self.g.pick(&["error", "data", "servebench_timing"]);
            fields.push((key, Field::Any));
        }
        self.object(fields, 1);
        self.out
    }
}

#[derive(Clone, Copy)]
enum Field {
    Any,
    Text,
    Count,
    Delta,
    Choices,
    Usage,
    Details(&'static str),
}

fn generate(seed: u64, exotic: bool) -> String {
    ChunkWriter {
        g: Gen(seed | 1),
        exotic,
        out: String::new(),
    }
    .chunk()
}

/// When the scanner answers, serde must succeed with the same value.
fn assert_equivalent(json: &[u8]) -> bool {
    let Some(fast) = scan(json) else {
        return false;
    };
    let serde = ResponseChunk::parse_with_serde(json);
    let Ok(serde) = serde else {
        panic!(
            "fast path accepted what serde rejects ({}): {}",
            serde.err().map(|e| e.to_string()).unwrap_or_default(),
            String::from_utf8_lossy(json)
        );
    };
    assert_eq!(
        format!("{fast:?}"),
        format!("{serde:?}"),
        "input: {}",
        String::from_utf8_lossy(json)
    );
    assert_eq!(
        (fast.text(), fast.reasoning()),
        (serde.text(), serde.reasoning())
    );
    assert_eq!(fast.usage(), serde.usage());
    assert_eq!(fast.has_choices(), serde.has_choices());
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn fast_path_equals_serde_on_generated_chunks(seed in any::<u64>(), exotic in any::<bool>()) {
        let json = generate(seed, exotic);
        assert_equivalent(json.as_bytes());
    }

    #[test]
    fn fast_path_equals_serde_on_damaged_chunks(
        seed in any::<u64>(),
        cut in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"\"\\{}[],:0-.eE nul\x01\xc3\xff".to_vec()),
        mode in 0u8..3,
    ) {
        let mut json = generate(seed, false).into_bytes();
        let at = cut.index(json.len() + 1);
        match mode {
            0 => json.truncate(at),
            1 => json.insert(at, byte),
            _ => if at < json.len() { json.remove(at); },
        }
        assert_equivalent(&json);
    }
}

#[test]
fn fast_path_answers_for_common_shapes() {
    let answered = (1..=2000u64)
        .filter(|&seed| assert_equivalent(generate(seed, false).as_bytes()))
        .count();
    // Non-exotic chunks are all strictly valid and in recognised shapes.
    assert_eq!(answered, 2000);
}

#[test]
fn fast_path_declines_exotic_shapes_and_serde_decides() {
    let cases: &[&[u8]] = &[
        br#"{"error":{"message":"boom"}}"#,
        br#"{"data":[]}"#,
        br#"{"choices":[{"delta":{"content":"a","content":"b"}}]}"#,
        br#"{"choices":[{"delta":{"cont\u0065nt":"a"}}]}"#,
        br#"{"choices":[{"delta":{"content":"\ud800"}}]}"#,
        br#"{"usage":{"completion_tokens":5.0}}"#,
        br#"{"choices":[["x"]]}"#,
        br#"{"choices":[{"text":"a"}]} x"#,
        b"{\"choices\":[{\"text\":\"a\x01\"}]}",
    ];
    for json in cases {
        assert!(scan(json).is_none(), "{}", String::from_utf8_lossy(json));
    }
    let c = ResponseChunk::parse(br#"{"choices":[{"delta":{"cont\u0065nt":"a"}}]}"#).unwrap();
    assert_eq!(c.text(), "a");
}

#[test]
fn fast_path_unescapes_exactly() {
    let json = br#"{"choices":[{"delta":{"content":"a\"b\\c\/d\n\u00e9\uD83D\uDE00\u0001"}}]}"#;
    let c = scan(json).unwrap();
    assert_eq!(c.text(), "a\"b\\c/d\né😀\u{1}");
}

/// A stream of chunks: most share one shape (so the template applies), with their text varied,
/// interleaved with other generated chunks and damaged copies.
fn stream(seed: u64, len: usize) -> Vec<Vec<u8>> {
    let mut g = Gen(seed | 1);
    let shapes = [
        (
            "{\"id\":\"c-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":",
            "},\"logprobs\":null,\"finish_reason\":null}]}",
        ),
        (
            "{\"choices\":[{\"text\":",
            ",\"finish_reason\":null}], \"id\": \"x\"}",
        ),
        (
            "{\"choices\":[{\"delta\":{\"content\":null,\"reasoning_content\":",
            "}}]}",
        ),
        (
            "{\"choices\":[{\"delta\":{\"reasoning\":",
            ",\"role\":\"assistant\"},\"text\":null}]}",
        ),
    ];
    let (head, tail) = *g.pick(&shapes);
    (0..len)
        .map(|i| {
            let mut w = ChunkWriter {
                g: Gen(seed.wrapping_add(i as u64 * 7919) | 1),
                exotic: g.chance(20),
                out: String::new(),
            };
            let mut bytes = match g.below(10) {
                0 => w.chunk().into_bytes(),
                1 => {
                    w.string();
                    format!("{head}{}{tail}", w.out).into_bytes()
                }
                _ => {
                    w.exotic = false;
                    w.string();
                    format!("{head}{}{tail}", w.out).into_bytes()
                }
            };
            if g.chance(10) && !bytes.is_empty() {
                let at = g.below(bytes.len() as u64) as usize;
                match g.below(3) {
                    0 => bytes.truncate(at),
                    1 => bytes.insert(at, *g.pick(b"\"\\}] \x01")),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            bytes
        })
        .collect()
}

/// The template decoder gives serde's result (value or error) on every chunk of a stream.
fn assert_stream_equivalent(chunks: &[Vec<u8>]) -> usize {
    let mut template = ChunkTemplate::default();
    let mut reused = 0;
    for json in chunks {
        let learned = template.is_learned();
        let got = template.parse(json);
        let want = ResponseChunk::parse_with_serde(json);
        match (&got, &want) {
            (Ok(got), Ok(want)) => assert_eq!(
                format!("{got:?}"),
                format!("{want:?}"),
                "input: {}",
                String::from_utf8_lossy(json)
            ),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "template decoder and serde disagree ({:?} vs {:?}) on {}",
                got.is_ok(),
                want.is_ok(),
                String::from_utf8_lossy(json)
            ),
        }
        if learned && template.is_learned() {
            reused += 1;
        }
    }
    reused
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn template_decoder_equals_serde_on_streams(seed in any::<u64>()) {
        assert_stream_equivalent(&stream(seed, 40));
    }
}

#[test]
fn template_is_reused_on_plain_streams() {
    let chunks: Vec<Vec<u8>> = ["\"a\"", "\" b\"", "\"\\u00e9\\n\"", "\"\"", "\"x\\\"\""]
        .iter()
        .map(|text| {
            format!("{{\"id\":\"c\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{text}}},\"finish_reason\":null}}]}}")
                .into_bytes()
        })
        .collect();
    assert_eq!(assert_stream_equivalent(&chunks), chunks.len() - 1);
    let mut template = ChunkTemplate::default();
    let texts: Vec<String> = chunks
        .iter()
        .map(|c| template.parse(c).unwrap().text().to_owned())
        .collect();
    assert_eq!(texts, ["a", " b", "é\n", "", "x\""]);
}
