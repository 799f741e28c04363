//! How late a thread wakes up for a due time, per waiting strategy: the first part of an
//! open-loop request's schedule lag (the timer thread's wake-up), measured alone.
//!
//! Strategies: `sleep` (one OS sleep to the due time), `slack1-sleep` (the same with the
//! thread's timer slack cut from 50 µs to 1 ns through `/proc/<tid>/timerslack_ns`, where
//! allowed), `sleep-yield` (sleep to 200 µs before, then `sched_yield` until due) and
//! `sleep-spin` (sleep to 200 µs before, then spin). Prints lateness p50/p90/p99/max in µs, the
//! thread's scheduling policy (0 time sharing, 1 FIFO, 2 RR) and the 1-minute load average.
//!
//! Run: `cargo run --release -p servebench-benches --bin timer_wakeup -- [wake-ups] [gap_us]`
//! (defaults 2000 1000); prefix `chrt -f 50` or `nice -n -10` to compare priorities.

use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_micros(200);

fn percentile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied().unwrap_or(0)
}

fn first_field(path: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn policy() -> String {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(38).map(str::to_owned))
        })
        .unwrap_or_else(|| "?".into())
}

fn cut_slack() -> String {
    let Some(tid) = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|l| l.file_name().map(|n| n.to_owned()))
    else {
        return "?".into();
    };
    let path = std::path::Path::new("/proc")
        .join(tid)
        .join("timerslack_ns");
    match std::fs::write(&path, "1") {
        Ok(()) => first_field(&path.to_string_lossy()),
        Err(e) => format!("not cut ({e})"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let gap_us: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    println!(
        "scheduling policy {} ({n} wake-ups, {gap_us} µs apart)",
        policy()
    );
    println!(
        "{:<13} {:>8} {:>8} {:>8} {:>8} {:>6}",
        "strategy", "p50 µs", "p90 µs", "p99 µs", "max µs", "load"
    );
    for mode in ["sleep", "slack1-sleep", "sleep-yield", "sleep-spin"] {
        if mode == "slack1-sleep" {
            println!("timer slack now {} ns", cut_slack());
        }
        let start = Instant::now() + Duration::from_millis(5);
        let mut late = Vec::with_capacity(n as usize);
        for k in 0..n {
            let due = start + Duration::from_micros(gap_us * k);
            loop {
                let now = Instant::now();
                if now >= due {
                    break;
                }
                let left = due - now;
                match mode {
                    "sleep" | "slack1-sleep" => std::thread::sleep(left),
                    _ if left > WINDOW => std::thread::sleep(left - WINDOW),
                    "sleep-yield" => std::thread::yield_now(),
                    _ => std::hint::spin_loop(),
                }
            }
            late.push(u64::try_from(due.elapsed().as_nanos()).unwrap_or(u64::MAX) / 1000);
        }
        late.sort_unstable();
        println!(
            "{mode:<13} {:>8} {:>8} {:>8} {:>8} {:>6}",
            percentile(&late, 50.0),
            percentile(&late, 90.0),
            percentile(&late, 99.0),
            late.last().copied().unwrap_or(0),
            first_field("/proc/loadavg"),
        );
    }
}
