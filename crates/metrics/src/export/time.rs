//! A tiny civil-date formatter (no chrono): epoch nanoseconds to ISO-8601 text.

/// Formats epoch nanoseconds as ISO-8601 UTC date-time text the way Python's
/// `datetime.isoformat()` prints a naive datetime on a UTC host (what AIPerf writes for
/// `start_time` / `end_time`): `YYYY-MM-DDTHH:MM:SS` plus `.ffffff` when the microseconds are not 0.
pub fn iso8601_utc(epoch_ns: u64) -> String {
    let secs = epoch_ns / 1_000_000_000;
    let micros = (epoch_ns % 1_000_000_000) / 1_000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let mut out = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}");
    if micros != 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    out
}

/// Proleptic Gregorian (year, month, day) of `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, restricted to non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00");
        // 2000-02-29 (leap day, century divisible by 400): 11016 days after the epoch.
        assert_eq!(
            iso8601_utc(11_016 * 86_400 * 1_000_000_000),
            "2000-02-29T00:00:00"
        );
        // 1_700_000_000 s = 2023-11-14T22:13:20Z (a well-known epoch value).
        assert_eq!(
            iso8601_utc(1_700_000_000_123_456_789),
            "2023-11-14T22:13:20.123456"
        );
        // 2100-03-01: 2100 is not a leap year; 47541 days after the epoch.
        assert_eq!(
            iso8601_utc(47_541 * 86_400 * 1_000_000_000),
            "2100-03-01T00:00:00"
        );
    }
}
