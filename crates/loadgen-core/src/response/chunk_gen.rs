//! A generator of OpenAI-style chunk JSON for the equivalence property tests.

/// A small deterministic generator (xorshift64*), so one `u64` seed describes a whole chunk.
pub(super) struct Gen(pub(super) u64);

impl Gen {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub(super) fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Generates JSON chunks in the shapes servers send, with random key orders, escapes, unicode,
/// nulls, unknown fields and (when `exotic`) shapes the scanner must hand to serde.
pub(super) struct ChunkWriter {
    pub(super) g: Gen,
    pub(super) exotic: bool,
    pub(super) out: String,
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

    pub(super) fn string(&mut self) {
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

    pub(super) fn chunk(mut self) -> String {
        let mut fields = self.some(&[
            ("id", Field::Text),
            ("object", Field::Text),
            ("created", Field::Count),
            ("model", Field::Text),
            ("system_fingerprint", Field::Any),
            ("service_tier", Field::Any),
        ]);
        if self.g.chance(90) {
            fields.push(("choices", Field::Choices));
        }
        if self.g.chance(30) {
            fields.push(("usage", Field::Usage));
        }
        if self.exotic && self.g.chance(10) {
            let key = *self.g.pick(&["error", "data", "servebench"]);
            fields.push((key, Field::Any));
        }
        self.object(fields, 1);
        self.out
    }
}

#[derive(Clone, Copy)]
pub(super) enum Field {
    Any,
    Text,
    Count,
    Delta,
    Choices,
    Usage,
    Details(&'static str),
}

pub(super) fn generate(seed: u64, exotic: bool) -> String {
    ChunkWriter {
        g: Gen(seed | 1),
        exotic,
        out: String::new(),
    }
    .chunk()
}
