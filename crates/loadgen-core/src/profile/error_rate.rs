//! Which failed requests count against the server, and the run's error rate.

use servebench_metrics::ErrorKind;

use crate::PhaseSummary;

/// Default of a run's acceptable error rate, percent (`loadgen --max-error-rate`): a benchmark
/// with more than one failed request in twenty measures a failing server, not its speed.
pub const DEFAULT_MAX_ERROR_RATE_PCT: f64 = 5.0;

/// The profiling phase's failures, split by who caused them.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRate {
    /// Profiling requests that completed (successes and failures, cancelled ones excluded).
    pub completed: u64,
    /// Failures charged to the server (or the network path to it).
    pub server_errors: u64,
    /// Failures the client caused itself: [`ErrorKind::is_client_side`] kinds, and timeouts
    /// while the client was saturated.
    pub client_errors: u64,
    /// Requests cancelled by the user or the end of the run (not failures of anyone).
    pub cancelled: u64,
    /// Server failures by kind, most frequent first.
    pub server_kinds: Vec<(ErrorKind, u64)>,
}

impl ErrorRate {
    /// Splits `profiling`'s failures; with `client_saturated`, timeouts are the client's.
    pub fn of(profiling: &PhaseSummary, client_saturated: bool) -> Self {
        let mut rate = Self {
            completed: 0,
            server_errors: 0,
            client_errors: 0,
            cancelled: 0,
            server_kinds: Vec::new(),
        };
        for (&kind, &count) in &profiling.errors {
            if kind == ErrorKind::Cancelled {
                rate.cancelled += count;
            } else if kind.is_client_side() || (client_saturated && kind == ErrorKind::Timeout) {
                rate.client_errors += count;
            } else {
                rate.server_errors += count;
                rate.server_kinds.push((kind, count));
            }
        }
        rate.server_kinds
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rate.completed = profiling.records.saturating_sub(rate.cancelled);
        rate
    }

    /// Server failures as a percentage of the requests the server was really asked to serve
    /// (completed requests minus those the client failed itself); 0 when there were none.
    pub fn server_error_pct(&self) -> f64 {
        let served = self.completed.saturating_sub(self.client_errors);
        if served == 0 {
            0.0
        } else {
            100.0 * self.server_errors as f64 / served as f64
        }
    }

    /// The split as exported (`error_attribution` in `profile_export_aiperf.json`).
    pub fn to_json(&self) -> serde_json::Value {
        let kinds: serde_json::Map<String, serde_json::Value> = self
            .server_kinds
            .iter()
            .map(|(kind, count)| (kind.as_str().to_owned(), (*count).into()))
            .collect();
        serde_json::json!({
            "completed": self.completed,
            "server_errors": self.server_errors,
            "client_errors": self.client_errors,
            "cancelled": self.cancelled,
            "server_error_rate_pct": self.server_error_pct(),
            "server_error_kinds": kinds,
        })
    }

    /// True when the server error rate is above `max_pct` percent.
    pub fn exceeds(&self, max_pct: f64) -> bool {
        self.server_error_pct() > max_pct
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(records: u64, errors: &[(ErrorKind, u64)]) -> PhaseSummary {
        let failed: u64 = errors.iter().map(|e| e.1).sum();
        PhaseSummary {
            records,
            succeeded: records - failed,
            errors: errors.iter().copied().collect(),
        }
    }

    #[test]
    fn server_errors_over_the_requests_the_server_served() {
        let p = phase(
            100,
            &[
                (ErrorKind::HttpStatus, 4),
                (ErrorKind::EmptyResponse, 6),
                (ErrorKind::ClientResource, 20),
                (ErrorKind::Cancelled, 30),
            ],
        );
        let r = ErrorRate::of(&p, false);
        assert_eq!((r.completed, r.client_errors, r.cancelled), (70, 20, 30));
        // 10 server errors of 50 served.
        assert_eq!(r.server_error_pct(), 20.0);
        assert_eq!(
            r.server_kinds,
            [(ErrorKind::EmptyResponse, 6), (ErrorKind::HttpStatus, 4)]
        );
        assert!(r.exceeds(5.0) && !r.exceeds(20.0));
    }

    #[test]
    fn timeouts_are_the_clients_only_when_it_was_saturated() {
        let p = phase(10, &[(ErrorKind::Timeout, 1)]);
        assert_eq!(ErrorRate::of(&p, false).server_error_pct(), 10.0);
        let saturated = ErrorRate::of(&p, true);
        assert_eq!((saturated.server_errors, saturated.client_errors), (0, 1));
        assert_eq!(ErrorRate::of(&phase(0, &[]), false).server_error_pct(), 0.0);
    }
}
