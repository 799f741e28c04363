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

/// `sysconf(_SC_CLK_TCK)`: the unit of the times in `/proc/<pid>/stat`.
#[cfg(unix)]
fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// No `/proc` outside Unix: the value is never used.
#[cfg(not(unix))]
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

    /// The tick rate is the system's: `getconf CLK_TCK` says the same, where it exists.
    #[cfg(unix)]
    #[test]
    fn ticks_per_second_come_from_the_system() {
        let ticks = clock_ticks_per_second();
        assert!(ticks > 0);
        if let Ok(out) = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            && out.status.success()
        {
            let system: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            assert_eq!(ticks, system);
        }
    }

    /// A busy loop's CPU time, read from `/proc/self/stat`, agrees with the kernel's nanosecond
    /// process CPU clock (an independent measure) to within a few ticks.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_busy_loop_is_measured_in_seconds_of_cpu() {
        use rustix::time::{ClockId, clock_gettime};
        let cpu_clock = || {
            let t = clock_gettime(ClockId::ProcessCPUTime);
            Duration::new(
                u64::try_from(t.tv_sec).unwrap(),
                u32::try_from(t.tv_nsec).unwrap(),
            )
        };
        let (stat_before, clock_before) = (process_cpu_time().unwrap(), cpu_clock());
        let mut x: u64 = 1;
        while cpu_clock() - clock_before < Duration::from_millis(300) {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        let (stat_after, clock_after) = (process_cpu_time().unwrap(), cpu_clock());
        let from_stat = (stat_after - stat_before).as_secs_f64();
        let from_clock = (clock_after - clock_before).as_secs_f64();
        let slack = 3.0 / clock_ticks_per_second() as f64 + 0.02;
        assert!(
            (from_stat - from_clock).abs() <= slack,
            "/proc/self/stat says {from_stat:.3} s of CPU, the CPU clock {from_clock:.3} s"
        );
    }
}
