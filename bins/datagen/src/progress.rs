//! Progress bars drawn on stderr only when it is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `total` bytes read.
pub(crate) fn bytes(total: u64, message: &'static str) -> ProgressBar {
    bar(
        total,
        message,
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
    )
}

/// A bar over `total` items.
pub(crate) fn items(total: u64, message: &'static str) -> ProgressBar {
    bar(
        total,
        message,
        "{msg} [{bar:40}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
    )
}

fn bar(total: u64, message: &'static str, template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    ProgressBar::new(total)
        .with_style(style)
        .with_message(message)
}
