//! The statistics table as Dynamo prints it: `tabulate(df, headers="keys", tablefmt="pretty")`.
//!
//! The "pretty" format turns number parsing off, so `floatfmt` is ignored and every cell is the
//! Python `str()` of a float64; every column is centred, with odd padding going to the right.

use servebench_trace_formats::python_float_repr as format_python_float;

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

#[cfg(test)]
mod tests {
    use super::*;

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
