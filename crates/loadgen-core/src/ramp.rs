//! Ramps at the start of the profiling phase (AIPerf `--request-rate-ramp-duration`,
//! `--concurrency-ramp-duration`): the load grows linearly to its target instead of starting at
//! full strength.

use std::time::Duration;

/// Open-loop arrival offsets under a linear rate ramp: the rate grows from 0 to the target over
/// `ramp`, then stays there. Wraps offsets drawn at the target rate (any pattern) and warps
/// their times so that the expected number of arrivals by time `t` is the integral of the ramped
/// rate: an offset `s` becomes `sqrt(2·ramp·s)` while `s < ramp/2`, else `s + ramp/2`.
#[derive(Debug, Clone)]
pub struct RateRamp<I> {
    inner: I,
    ramp: f64,
}

impl<I> RateRamp<I> {
    /// Ramps `inner` (offsets at the target rate) over `ramp`.
    pub fn new(inner: I, ramp: Duration) -> Self {
        Self {
            inner,
            ramp: ramp.as_secs_f64(),
        }
    }
}

impl<I: Iterator<Item = Duration>> Iterator for RateRamp<I> {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let s = self.inner.next()?.as_secs_f64();
        let t = if s < self.ramp / 2.0 {
            (2.0 * self.ramp * s).sqrt()
        } else {
            s + self.ramp / 2.0
        };
        Some(Duration::from_secs_f64(t))
    }
}

/// When closed-loop user `user` (of `users`) starts under a concurrency ramp from 1 to `users`
/// over `ramp`: user 0 at once, the last at `ramp`, the others evenly between.
pub fn user_start(user: usize, users: usize, ramp: Duration) -> Duration {
    if users <= 1 {
        return Duration::ZERO;
    }
    ramp.mul_f64(user as f64 / (users - 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_ramp_warps_offsets_continuously_and_keeps_the_target_rate_after() {
        let secs = |v: &[f64]| {
            v.iter()
                .map(|&s| Duration::from_secs_f64(s))
                .collect::<Vec<_>>()
        };
        let out: Vec<Duration> = RateRamp::new(
            secs(&[0.0, 0.125, 0.5, 1.0, 2.0]).into_iter(),
            Duration::from_secs(1),
        )
        .collect();
        // sqrt(2·1·0.125) = 0.5; 0.5 → 1.0 from both sides; after the ramp, shifted by 0.5.
        assert_eq!(out, secs(&[0.0, 0.5, 1.0, 1.5, 2.5]));
    }

    #[test]
    fn users_start_evenly_over_the_ramp() {
        let ramp = Duration::from_secs(3);
        let starts: Vec<Duration> = (0..4).map(|u| user_start(u, 4, ramp)).collect();
        assert_eq!(starts, [0, 1, 2, 3].map(Duration::from_secs));
        assert_eq!(user_start(0, 1, ramp), Duration::ZERO);
    }
}
