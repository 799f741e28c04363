//! The statistics table as Dynamo prints it: `tabulate(df, headers="keys", tablefmt="pretty")`.
//!
//! The "pretty" format turns number parsing off, so `floatfmt` is ignored and every cell is the
//! Python `str()` of a float64; every column is centred, with odd padding going to the right.

use super::stats::{STATS_COLUMNS, SummaryStats};

/// Renders rows of statistics (`(metric name, stats)`; `None` prints `nan` cells) as a
/// tabulate "pretty" table, without a trailing newline.
pub fn render_stats_table(rows: &[(&str, Option<SummaryStats>)]) -> String {
    let mut header = vec![String::new()];
    header.extend(STATS_COLUMNS.iter().map(|h| (*h).to_owned()));
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(name, stats)| {
            let mut cells = vec![(*name).to_owned()];
            match stats {
                Some(s) => cells.extend(s.columns().iter().map(|v| format_python_float(*v))),
                None => cells.extend(std::iter::repeat_n("nan".to_owned(), STATS_COLUMNS.len())),
            }
            cells
        })
        .collect();
    render_pretty(&header, &body)
}

/// A table in tabulate's "pretty" format: `+---+` rules, `| a | b |` rows, centred cells.
fn render_pretty(header: &[String], body: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|col| {
            body.iter()
                .filter_map(|row| row.get(col))
                .chain(std::iter::once(&header[col]))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rule = {
        let mut line = String::from("+");
        for w in &widths {
            line.push_str(&"-".repeat(w + 2));
            line.push('+');
        }
        line
    };
    let row_line = |cells: &[String]| {
        let mut line = String::from("|");
        for (col, w) in widths.iter().enumerate() {
            let cell = cells.get(col).map(String::as_str).unwrap_or("");
            line.push(' ');
            line.push_str(&center(cell, *w));
            line.push_str(" |");
        }
        line
    };
    let mut lines = vec![rule.clone(), row_line(header), rule.clone()];
    lines.extend(body.iter().map(|row| row_line(row)));
    lines.push(rule);
    lines.join("\n")
}

/// Python's `format(s, "^width")`: the extra space of an odd padding goes to the right.
fn center(s: &str, width: usize) -> String {
    let len = s.chars().count();
    let pad = width.saturating_sub(len);
    let left = pad / 2;
    format!("{}{s}{}", " ".repeat(left), " ".repeat(pad - left))
}

/// Python's `repr(float)` (also numpy float64's `str`): the shortest digits that round-trip, in
/// fixed notation when the decimal exponent is in `-4..16` (always with a `.0` or fraction),
/// otherwise scientific with a signed, at least two-digit exponent (`1e-05`, `1.5e+16`).
pub fn format_python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: "-1.2345e3", "5e-7", "0e0".
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs());
    }
    let point = exponent + 1; // digits before the decimal point
    if point <= 0 {
        let zeros = "0".repeat(point.unsigned_abs() as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = point as usize;
    if digits.len() <= point {
        let zeros = "0".repeat(point - digits.len());
        format!("{sign}{digits}{zeros}.0")
    } else {
        let (int_part, frac_part) = digits.split_at(point);
        format!("{sign}{int_part}.{frac_part}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        // Expected strings are what CPython's repr() prints for these literals.
        let cases = [
            (891.0, "891.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.25, "0.25"),
            (12035.232067159837, "12035.232067159837"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000012345, "1.2345e-05"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (123456.0, "123456.0"),
            (-3.5, "-3.5"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(format_python_float(x), want, "formatting {x:e}");
        }
    }

    #[test]
    fn table_matches_tabulate_pretty_layout() {
        // Written by hand following tabulate 0.9 "pretty": column width = widest cell or header,
        // one space of padding each side, centred with the odd space on the right.
        let stats = SummaryStats {
            count: 2,
            mean: 1.5,
            std_dev: 0.5,
            min: 1.0,
            p25: 1.25,
            median: 1.5,
            p75: 1.75,
            max: 2.0,
        };
        let table = render_stats_table(&[("Output Length", Some(stats))]);
        let expected = "\
+---------------+------+---------+-----+------+--------+------+-----+
|               | Mean | Std Dev | Min | P25  | Median | P75  | Max |
+---------------+------+---------+-----+------+--------+------+-----+
| Output Length | 1.5  |   0.5   | 1.0 | 1.25 |  1.5   | 1.75 | 2.0 |
+---------------+------+---------+-----+------+--------+------+-----+";
        assert_eq!(table, expected);
    }
}
