//! Which concurrencies a sweep runs and how many requests each gets: `perf.sh`'s list flag and
//! counts, and the later `benchmarks/utils` wrapper's `CONCURRENCIES` / `REQUEST_COUNT`
//! environment variables and `max(3C, 10)` rule.

use crate::SweepError;

/// `perf.sh`'s default `--concurrency` list.
pub const PERF_SH_CONCURRENCIES: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256];

/// The `benchmarks/utils` wrapper's default concurrencies.
pub const UTILS_CONCURRENCIES: &[u64] = &[1, 2, 5, 10, 50, 100, 250];

/// Parses `perf.sh`'s comma-separated `--concurrency` list: every item must be digits only
/// (`^[0-9]+$`) and greater than 0. The order is kept.
///
/// # Errors
/// [`SweepError::Invalid`] naming the first bad item.
pub fn parse_list(list: &str) -> Result<Vec<u64>, SweepError> {
    let bad = |item: &str, why: &str| SweepError::Invalid {
        setting: "concurrency",
        message: format!("invalid concurrency `{item}` in `{list}`: {why}"),
    };
    let mut out = Vec::new();
    for item in list.split(',') {
        if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(item, "must be a positive integer"));
        }
        let value: u64 = item.parse().map_err(|_| bad(item, "too large"))?;
        if value == 0 {
            return Err(bad(item, "must be greater than 0"));
        }
        out.push(value);
    }
    Ok(out)
}

/// The wrapper's concurrencies from the value of `CONCURRENCIES` (`None`: unset): the values
/// sorted ascending; an unset variable gives [`UTILS_CONCURRENCIES`]. A value that does not parse
/// or is not above 0 gives the default and a warning (the wrapper's behaviour), returned for the
/// caller to print.
pub fn utils_concurrencies(env: Option<&str>) -> (Vec<u64>, Option<String>) {
    let Some(text) = env else {
        return (UTILS_CONCURRENCIES.to_vec(), None);
    };
    let parsed: Result<Vec<u64>, ()> = text
        .split(',')
        .map(|item| match item.trim().parse::<i64>() {
            Ok(v) if v > 0 => Ok(v as u64),
            _ => Err(()),
        })
        .collect();
    match parsed {
        Ok(mut values) if !values.is_empty() => {
            values.sort_unstable();
            (values, None)
        }
        _ => (
            UTILS_CONCURRENCIES.to_vec(),
            Some(format!(
                "CONCURRENCIES=`{text}` is not a comma-separated list of integers above 0; \
                 using the default {UTILS_CONCURRENCIES:?}"
            )),
        ),
    }
}

/// The wrapper's request count from `REQUEST_COUNT` (`None`: unset): 0, unset or unparsable
/// means automatic (`None`); a count below a concurrency is allowed but warned about by
/// [`utils_request_count`].
pub fn utils_request_count_env(env: Option<&str>) -> (Option<u64>, Option<String>) {
    match env.map(str::trim) {
        None | Some("") => (None, None),
        Some(text) => match text.parse::<u64>() {
            Ok(0) => (None, None),
            Ok(n) => (Some(n), None),
            Err(_) => (
                None,
                Some(format!(
                    "REQUEST_COUNT=`{text}` is not an integer >= 0; using max(3 x concurrency, 10)"
                )),
            ),
        },
    }
}

/// Requests at concurrency `c` in the wrapper: `fixed` when given, else `max(3c, 10)`; the
/// second value warns when a fixed count is below `c`.
pub fn utils_request_count(c: u64, fixed: Option<u64>) -> (u64, Option<String>) {
    match fixed {
        Some(n) if n < c => (
            n,
            Some(format!(
                "REQUEST_COUNT {n} is below concurrency {c}: not every virtual user gets a request"
            )),
        ),
        Some(n) => (n, None),
        None => ((3 * c).max(10), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_sh_list_rules() {
        assert_eq!(parse_list("1,2,4,8").ok(), Some(vec![1, 2, 4, 8]));
        // Order is kept as given.
        assert_eq!(parse_list("8,1").ok(), Some(vec![8, 1]));
        for bad in ["0", "1,0", "-1", "1.5", "a", "", "1,,2", " 1", "1 ", "+3"] {
            assert!(parse_list(bad).is_err(), "{bad:?}");
        }
        // Leading zeros are digits: perf.sh's regex accepts them.
        assert_eq!(parse_list("08").ok(), Some(vec![8]));
    }

    #[test]
    fn utils_env_concurrencies() {
        assert_eq!(utils_concurrencies(None).0, UTILS_CONCURRENCIES);
        let (v, warn) = utils_concurrencies(Some("8, 2,4"));
        assert_eq!(v, [2, 4, 8]);
        assert!(warn.is_none());
        for bad in ["0", "1,-2", "x", ""] {
            let (v, warn) = utils_concurrencies(Some(bad));
            assert_eq!(v, UTILS_CONCURRENCIES, "{bad:?}");
            assert!(warn.is_some(), "{bad:?}");
        }
    }

    #[test]
    fn utils_request_counts() {
        assert_eq!(utils_request_count(1, None).0, 10);
        assert_eq!(utils_request_count(3, None).0, 10);
        assert_eq!(utils_request_count(4, None).0, 12);
        assert_eq!(utils_request_count(100, None).0, 300);
        assert_eq!(utils_request_count(5, Some(7)), (7, None));
        assert!(utils_request_count(8, Some(7)).1.is_some());
        assert_eq!(utils_request_count_env(Some("0")).0, None);
        assert_eq!(utils_request_count_env(Some("25")).0, Some(25));
        assert_eq!(utils_request_count_env(None), (None, None));
        assert!(utils_request_count_env(Some("-3")).1.is_some());
    }
}
