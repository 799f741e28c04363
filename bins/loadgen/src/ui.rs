//! Live progress: a status line on a terminal (cli-support's [`progress::status_line`]),
//! periodic log lines otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use servebench_cli_support::progress;
use servebench_loadgen_core::profile::{LiveProgress, ProgressSnapshot};

use crate::args::Ui;

/// A running progress display; [`Progress::finish`] stops it.
pub(crate) struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn describe(s: &ProgressSnapshot, total: Option<u64>) -> String {
    let finished = match total {
        Some(t) => format!("{}/{t}", s.finished),
        None => s.finished.to_string(),
    };
    let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2} ms"));
    format!(
        "done {finished}  in flight {}  errors {}  TTFT {}  ITL {}",
        s.in_flight(),
        s.errors,
        ms(s.ttft_ms),
        ms(s.itl_ms)
    )
}

impl Progress {
    /// Starts the display for `ui`; `total` is the expected number of requests, when known.
    pub(crate) fn start(ui: Ui, live: Arc<LiveProgress>, total: Option<u64>) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let tty = std::io::stderr().is_terminal();
        let mode = match ui {
            Ui::Auto if tty => Some(true),
            Ui::Auto | Ui::Simple => Some(false),
            Ui::None => None,
        };
        let thread = mode.and_then(|live_line| {
            let done = Arc::clone(&done);
            std::thread::Builder::new()
                .name("servebench-progress".into())
                .spawn(move || {
                    if live_line {
                        live_bar(&live, total, &done);
                    } else {
                        log_lines(&live, total, &done);
                    }
                })
                .ok()
        });
        Self { done, thread }
    }

    /// Stops the display.
    pub(crate) fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn live_bar(live: &LiveProgress, total: Option<u64>, done: &AtomicBool) {
    let bar = progress::status_line();
    while !done.load(Ordering::Relaxed) {
        bar.set_message(describe(&live.snapshot(), total));
        bar.tick();
        std::thread::sleep(Duration::from_millis(200));
    }
    bar.finish_and_clear();
}

fn log_lines(live: &LiveProgress, total: Option<u64>, done: &AtomicBool) {
    let start = Instant::now();
    let mut last = Instant::now();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() >= Duration::from_secs(5) {
            last = Instant::now();
            eprintln!(
                "loadgen: [{:>6.1}s] {}",
                start.elapsed().as_secs_f64(),
                describe(&live.snapshot(), total)
            );
        }
    }
}
