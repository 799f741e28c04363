//! The progress bars of every tool: drawn on stderr only when it is a terminal, hidden otherwise
//! (so logs and pipes get no control characters).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Template of a bar over bytes read.
pub const BYTES: &str = "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})";
/// Template of a bar over counted items.
pub const ITEMS: &str = "{msg} [{bar:40}] {human_pos}/{human_len} ({per_sec}, eta {eta})";

/// Template of a live status line: a spinner, the elapsed time and a message the caller updates.
pub const STATUS: &str = "{spinner} [{elapsed_precise}] {msg}";

/// A live status line with no total (e.g. a benchmark's running counts): set its message and
/// `tick` it; hidden when stderr is not a terminal.
pub fn status_line() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    styled_status()
}

fn styled_status() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template(STATUS) {
        bar.set_style(style);
    }
    bar
}

/// A bar over `total` bytes read, labelled `message`.
pub fn bytes(total: u64, message: &'static str) -> ProgressBar {
    bar(total, message, BYTES)
}

/// A bar over `total` items, labelled `message`.
pub fn items(total: u64, message: &'static str) -> ProgressBar {
    bar(total, message, ITEMS)
}

/// A bar with an indicatif `template`, or a hidden bar when stderr is not a terminal.
pub fn bar(total: u64, message: &'static str, template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    styled(total, message, template)
}

fn styled(total: u64, message: &'static str, template: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    ProgressBar::new(total)
        .with_style(style)
        .with_message(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_bars_count() {
        for template in [BYTES, ITEMS, STATUS] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
        let bar = styled(10, "x", ITEMS);
        bar.set_position(4);
        assert_eq!((bar.position(), bar.length()), (4, Some(10)));
        let line = styled_status();
        line.set_message("done 3");
        assert_eq!((line.message(), line.length()), ("done 3".to_owned(), None));
    }
}
