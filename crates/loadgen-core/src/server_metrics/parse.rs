//! The Prometheus text exposition format (0.0.4), the subset servers emit: `# TYPE` lines,
//! samples `name{label="value",...} value [timestamp]`, escaped label values. `# HELP` and other
//! comments are skipped; histogram and summary series are kept as their `_bucket`/`_sum`/`_count`
//! samples under the family's type.
//!
//! Written here rather than taken from `prometheus-parse` (0.2.x pulls `chrono`, `regex` and
//! `itertools` for what is about eighty lines).

use std::collections::BTreeMap;

/// The type a `# TYPE` line declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Monotonic counter.
    Counter,
    /// Instantaneous value.
    Gauge,
    /// Histogram (`_bucket`, `_sum`, `_count` samples).
    Histogram,
    /// Summary (quantiles, `_sum`, `_count`).
    Summary,
    /// `untyped` or no `# TYPE` line.
    Untyped,
}

impl MetricType {
    /// The lowercase name, as in the exposition format.
    pub fn name(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
        }
    }
}

/// One sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Sample name (for histograms, with its `_bucket`/`_sum`/`_count` suffix).
    pub name: String,
    /// Labels, sorted by name.
    pub labels: BTreeMap<String, String>,
    /// Value (`NaN`, `+Inf`, `-Inf` allowed).
    pub value: f64,
    /// The declared type of its family.
    pub kind: MetricType,
}

/// A line that is not valid exposition format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a whole exposition.
///
/// # Errors
/// The first malformed sample line.
pub fn parse(text: &str) -> Result<Vec<Sample>, ParseError> {
    let mut types: BTreeMap<String, MetricType> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let mut words = rest.split_whitespace();
            if words.next() == Some("TYPE")
                && let (Some(name), Some(kind)) = (words.next(), words.next())
            {
                let kind = match kind {
                    "counter" => MetricType::Counter,
                    "gauge" => MetricType::Gauge,
                    "histogram" => MetricType::Histogram,
                    "summary" => MetricType::Summary,
                    _ => MetricType::Untyped,
                };
                types.insert(name.to_owned(), kind);
            }
            continue;
        }
        let err = |message: &str| ParseError {
            line: i + 1,
            message: message.to_owned(),
        };
        let name_end = line
            .find(|c: char| c == '{' || c.is_whitespace())
            .ok_or_else(|| err("a sample needs a value"))?;
        let name = &line[..name_end];
        if name.is_empty() {
            return Err(err("empty metric name"));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end + 1..]).map_err(|m| err(&m))?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let value_text = rest
            .split_whitespace()
            .next()
            .ok_or_else(|| err("missing value"))?;
        let value =
            parse_value(value_text).ok_or_else(|| err(&format!("invalid value {value_text:?}")))?;
        out.push(Sample {
            name: name.to_owned(),
            labels,
            value,
            kind: family_type(&types, name),
        });
    }
    Ok(out)
}

fn family_type(types: &BTreeMap<String, MetricType>, name: &str) -> MetricType {
    if let Some(kind) = types.get(name) {
        return *kind;
    }
    for suffix in ["_bucket", "_sum", "_count", "_created"] {
        if let Some(base) = name.strip_suffix(suffix)
            && let Some(kind) = types.get(base)
        {
            return *kind;
        }
    }
    MetricType::Untyped
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// Labels after the `{`; returns them and the text after the `}`.
fn parse_labels(mut s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix('}') {
            return Ok((labels, rest));
        }
        let eq = s.find('=').ok_or("a label needs `=`")?;
        let key = s[..eq].trim();
        if key.is_empty() {
            return Err("empty label name".into());
        }
        let rest = s[eq + 1..].trim_start();
        let rest = rest
            .strip_prefix('"')
            .ok_or("a label value must be quoted")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => return Err("unterminated label value".into()),
                },
                Some((_, c)) => value.push(c),
            }
        };
        labels.insert(key.to_owned(), value);
        s = rest[end + 1..].trim_start();
        s = s.strip_prefix(',').unwrap_or(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types_labels_escapes_and_special_values() {
        let text = "# HELP vllm:x help text\n\
                    # TYPE vllm:prefix_cache_hits_total counter\n\
                    vllm:prefix_cache_hits_total{model_name=\"m\",engine=\"0\"} 42\n\
                    # TYPE g gauge\n\
                    g 0.5 1700000000000\n\
                    # TYPE h histogram\n\
                    h_bucket{le=\"+Inf\"} 3\n\
                    h_sum 1.5e-3\n\
                    odd{path=\"a\\\"b\\\\c\\nd\",} NaN\n";
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].name, "vllm:prefix_cache_hits_total");
        assert_eq!(s[0].kind, MetricType::Counter);
        assert_eq!(s[0].labels["model_name"], "m");
        assert_eq!(s[0].labels["engine"], "0");
        assert_eq!(s[0].value, 42.0);
        assert_eq!((s[1].kind, s[1].value), (MetricType::Gauge, 0.5));
        assert_eq!(s[2].kind, MetricType::Histogram);
        assert_eq!(s[2].labels["le"], "+Inf");
        assert_eq!((s[3].kind, s[3].value), (MetricType::Histogram, 1.5e-3));
        assert_eq!(s[4].kind, MetricType::Untyped);
        assert_eq!(s[4].labels["path"], "a\"b\\c\nd");
        assert!(s[4].value.is_nan());
    }

    #[test]
    fn malformed_lines_name_their_line() {
        for (text, line) in [
            ("ok 1\nbad\n", 2),
            ("x{a=\"1\" 2\n", 1),
            ("x{a=1} 2\n", 1),
            ("\n\nx abc\n", 3),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
        }
    }
}
