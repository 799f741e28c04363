//! Which injected faults strike one request, decided up front from the seed.

use http::StatusCode;

use super::config::FaultConfig;
use super::sampling::{Purpose, index_below, uniform};

/// The faults of one request. Stream positions count output tokens: a fault at `k` strikes just
/// before token `k` is sent (or before the final chunk when `k` equals the number of tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FaultPlan {
    /// Answer with this error status instead of generating.
    pub(crate) error: Option<StatusCode>,
    /// Close the connection after tokens `0..k`; `k` is at least 1, so a stream's headers and
    /// first token always go out before the cut (unless the request generates no token).
    pub(crate) disconnect_at: Option<u32>,
    /// Pause before token `k`.
    pub(crate) stall_at: Option<u32>,
    /// Send token `k`'s chunk as invalid JSON.
    pub(crate) malformed_at: Option<u32>,
}

impl FaultPlan {
    /// Draws the faults of request number `request` that will generate `output_tokens` tokens.
    pub(crate) fn draw(cfg: &FaultConfig, seed: u64, request: u64, output_tokens: u32) -> Self {
        if cfg.is_off() {
            return Self::default();
        }
        let u = uniform(seed, request, Purpose::ErrorStatus);
        let error = if u < cfg.http_500_rate {
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        } else if u < cfg.http_500_rate + cfg.http_429_rate {
            Some(StatusCode::TOO_MANY_REQUESTS)
        } else {
            None
        };
        let positions = output_tokens.max(1);
        let at = |hit: Purpose, rate: f64, pos: Purpose| {
            (uniform(seed, request, hit) < rate).then(|| index_below(seed, request, pos, positions))
        };
        Self {
            error,
            disconnect_at: at(
                Purpose::Disconnect,
                cfg.disconnect_rate,
                Purpose::DisconnectAt,
            )
            .map(|k| (k + 1).min(output_tokens)),
            stall_at: at(Purpose::Stall, cfg.stall_rate, Purpose::StallAt),
            malformed_at: at(Purpose::Malformed, cfg.malformed_rate, Purpose::MalformedAt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_config_never_faults() {
        let cfg = FaultConfig::default();
        for r in 0..100 {
            assert_eq!(FaultPlan::draw(&cfg, 1, r, 10), FaultPlan::default());
        }
    }

    #[test]
    fn certain_faults_always_strike_within_the_stream() {
        let cfg = FaultConfig {
            http_429_rate: 1.0,
            disconnect_rate: 1.0,
            stall_rate: 1.0,
            malformed_rate: 1.0,
            ..FaultConfig::default()
        };
        for r in 0..100 {
            let plan = FaultPlan::draw(&cfg, 1, r, 10);
            assert_eq!(plan.error, Some(StatusCode::TOO_MANY_REQUESTS));
            assert!(plan.disconnect_at.is_some_and(|k| (1..=10).contains(&k)));
            assert!(plan.stall_at.is_some_and(|k| k < 10));
            assert!(plan.malformed_at.is_some_and(|k| k < 10));
        }
    }

    #[test]
    fn error_rates_split_between_500_and_429() {
        let cfg = FaultConfig {
            http_500_rate: 0.25,
            http_429_rate: 0.25,
            ..FaultConfig::default()
        };
        let (mut e500, mut e429) = (0, 0);
        for r in 0..10_000 {
            match FaultPlan::draw(&cfg, 9, r, 1).error {
                Some(StatusCode::INTERNAL_SERVER_ERROR) => e500 += 1,
                Some(StatusCode::TOO_MANY_REQUESTS) => e429 += 1,
                _ => {}
            }
        }
        // Expected 2 500 each; 5 standard deviations ≈ 217.
        assert!((2_283..=2_717).contains(&e500), "{e500}");
        assert!((2_283..=2_717).contains(&e429), "{e429}");
    }
}
