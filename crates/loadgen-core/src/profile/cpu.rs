use std::time::Duration;

/// CPU time (user + system) this process has used so far, from `/proc/self/stat`; `None` where
/// that file does not exist (non-Linux) or cannot be parsed.
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_time_from_stat(&stat, clock_ticks_per_second())
}

/// Parses utime and stime (fields 14 and 15) from a `/proc/<pid>/stat` line. The command name in
/// field 2 may contain spaces and parentheses, so fields are counted after its closing `)`.
fn cpu_time_from_stat(stat: &str, ticks_per_second: u64) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name: state is field 3, so utime (14) is the 12th field here.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime + stime;
    Some(Duration::from_nanos(
        ticks.saturating_mul(1_000_000_000) / ticks_per_second.max(1),
    ))
}

/// `sysconf(_SC_CLK_TCK)` is 100 on every Linux architecture servebench runs on; reading it would
/// need `unsafe` libc calls, which this crate forbids.
fn clock_ticks_per_second() -> u64 {
    100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime_after_a_name_with_spaces() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        let line = "42 (a b) c)) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_time_from_stat(line, 100), Some(Duration::from_secs(3)));
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(cpu_time_from_stat("no parens here", 100), None);
        assert_eq!(cpu_time_from_stat("1 (x) S 1 2", 100), None);
    }

    #[test]
    fn this_process_has_a_cpu_time_on_linux() {
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(process_cpu_time().is_some());
        }
    }
}
