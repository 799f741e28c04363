//! The two-pass conversion's progress: a byte bar on a terminal, plain percentage lines otherwise.

use indicatif::ProgressBar;
use servebench_cli_support::progress;
use servebench_workload::ConvertProgress;

/// A two-pass byte progress bar on a terminal; plain percentage lines otherwise.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    input_len: u64,
    last_plain_decile: u64,
}

impl Progress {
    pub(crate) fn new(input_len: u64) -> Self {
        let bar = progress::bar(
            input_len.saturating_mul(2),
            "",
            "{bar:40} {percent}% {msg} {elapsed_precise}",
        );
        let bar = (!bar.is_hidden()).then_some(bar);
        Self {
            bar,
            input_len,
            last_plain_decile: 0,
        }
    }

    pub(crate) fn update(&mut self, p: ConvertProgress) {
        let done = if p.pass == 1 {
            p.bytes
        } else {
            self.input_len + p.bytes
        };
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(if p.pass == 1 {
                    "scanning".to_owned()
                } else {
                    format!("{} rows written", p.rows_written)
                });
            }
            None => {
                let decile = done.saturating_mul(10) / self.input_len.saturating_mul(2).max(1);
                if decile > self.last_plain_decile && decile < 10 {
                    self.last_plain_decile = decile;
                    eprintln!("progress: {}0% ({} rows written)", decile, p.rows_written);
                }
            }
        }
    }

    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
