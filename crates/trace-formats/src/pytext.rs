//! Python-compatible text formatting: `repr(float)` and `json.dumps` string escaping
//! (`ensure_ascii=True`), so files and names match what the original Python tools write.

use std::fmt::Write as _;

/// Python's `repr(x)` of a float: shortest round-trip digits, `.0` on integral values, scientific
/// notation (`1e-05`, `1.5e+16`) when the decimal exponent is below -4 or at least 16, `inf`,
/// `-inf`, `nan`.
pub fn python_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let n = digits.len() as i32;
    let point = exp + 1; // digits before the decimal point
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= n {
        format!("{digits}{}.0", "0".repeat((point - n) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{text}")
}

/// A number as Python's f-string prints it: an integral default value given as an int literal
/// prints without `.0` (`5`), any other value as [`python_float_repr`] (`5.0` once argparse has
/// converted it with `type=float`).
pub fn python_number_text(value: f64, int_literal: bool) -> String {
    if int_literal && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        python_float_repr(value)
    }
}

/// Appends `s` as a JSON string the way Python's `json.dumps` writes it by default: `\"`, `\\`,
/// `\n`, `\r`, `\t`, `\b`, `\f` escaped by name, every other character outside printable ASCII
/// as `\uXXXX` (UTF-16 surrogate pairs above U+FFFF).
pub fn push_python_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        // Expected strings are Python 3's repr() of the same values.
        let cases = [
            (5.0, "5.0"),
            (0.2, "0.2"),
            (-0.0, "-0.0"),
            (123.456, "123.456"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::INFINITY, "inf"),
            (891.0, "891.0"),
            (0.0, "0.0"),
            (0.25, "0.25"),
            (12035.232067159837, "12035.232067159837"),
            (0.000012345, "1.2345e-05"),
            (1.5e16, "1.5e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (-3.5, "-3.5"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(python_float_repr(x), want, "repr({x})");
        }
    }

    #[test]
    fn number_text_prints_int_literals_as_ints() {
        assert_eq!(python_number_text(5.0, true), "5");
        assert_eq!(python_number_text(5.0, false), "5.0");
        assert_eq!(python_number_text(0.2, true), "0.2");
    }

    #[test]
    fn json_string_escapes_like_python() {
        let mut s = String::new();
        push_python_json_string(&mut s, "a\"b\\c\nd\u{7f}é😀");
        assert_eq!(s, r#""a\"b\\c\nd\u007f\u00e9\ud83d\ude00""#);
    }
}
