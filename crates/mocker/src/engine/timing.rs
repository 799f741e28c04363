//! Step durations (spec §9.2): Dynamo mocker's polynomial model or a measured timing file, scaled
//! by the speed-up ratios.

use std::time::Duration;

use super::config::{EngineConfig, TimingModel};
use super::error::EngineError;
use super::perf_file::PerfData;

/// Longest modelled step (one day): longer results of a timing file are cut to it.
const MAX_STEP: Duration = Duration::from_secs(86_400);

/// Prefill time (ms) of `new_tokens` uncached tokens in one step, Dynamo's current polynomial.
pub fn polynomial_prefill_ms(new_tokens: f64) -> f64 {
    4.209989e-7 * new_tokens * new_tokens + 1.518344e-2 * new_tokens + 16.50142
}

/// Decode step time (ms) at KV usage `p` (active KV tokens / total KV tokens), Dynamo's current
/// polynomial, floored at 1 ms.
pub fn polynomial_decode_ms(p: f64) -> f64 {
    (-25.74 * p * p + 54.01 * p + 5.74).max(1.0)
}

/// What one step computes, as the timing model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct StepShape {
    /// Sequences that prefill (a whole prompt or a chunk) in this step.
    pub(crate) prefills: usize,
    /// New (uncached, not yet computed) prompt tokens summed over those prefills.
    pub(crate) prefill_tokens: u64,
    /// Sequences that decode one token in this step.
    pub(crate) decodes: usize,
    /// Sum of the context lengths of the decoding sequences.
    pub(crate) decode_context_tokens: u64,
    /// Blocks in the active pool during the step.
    pub(crate) active_blocks: usize,
}

/// Turns step shapes into durations.
#[derive(Debug, Clone)]
pub(crate) struct StepTimer {
    curves: Curves,
    block_size: f64,
    total_blocks: f64,
    prefill_divisor: f64,
    decode_divisor: f64,
}

#[derive(Debug, Clone)]
enum Curves {
    Polynomial,
    Measured(PerfData),
}

impl StepTimer {
    pub(crate) fn new(config: &EngineConfig) -> Result<Self, EngineError> {
        let curves = match &config.timing {
            TimingModel::Polynomial => Curves::Polynomial,
            TimingModel::FromFile(path) => Curves::Measured(PerfData::load(path)?),
        };
        Ok(Self {
            curves,
            block_size: f64::from(config.block_size.get()),
            total_blocks: f64::from(config.num_gpu_blocks),
            prefill_divisor: config.speedup_ratio,
            decode_divisor: config.speedup_ratio * config.decode_speedup_ratio,
        })
    }

    /// Wall time of a step of this shape: prefill time plus decode time, each scaled.
    pub(crate) fn step_duration(&self, shape: &StepShape) -> Duration {
        let mut ms = 0.0;
        if shape.prefills > 0 && self.prefill_divisor > 0.0 {
            let t = shape.prefill_tokens as f64;
            let raw = match &self.curves {
                Curves::Polynomial => polynomial_prefill_ms(t),
                Curves::Measured(p) => p.prefill_ms(t),
            };
            ms += raw / self.prefill_divisor;
        }
        if shape.decodes > 0 && self.decode_divisor > 0.0 {
            let active_kv = shape.active_blocks as f64 * self.block_size;
            let raw = match &self.curves {
                Curves::Polynomial => {
                    let total = self.total_blocks * self.block_size;
                    polynomial_decode_ms(if total > 0.0 { active_kv / total } else { 0.0 })
                }
                Curves::Measured(p) => {
                    let context = shape.decode_context_tokens as f64 / shape.decodes as f64;
                    p.decode_ms(active_kv, context)
                }
            };
            ms += raw / self.decode_divisor;
        }
        // Validated ratios keep this finite and non-negative; a timing file's extreme values
        // saturate at MAX_STEP rather than panic.
        Duration::try_from_secs_f64(ms / 1000.0)
            .unwrap_or(MAX_STEP)
            .min(MAX_STEP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer(speedup: f64, decode_speedup: f64) -> StepTimer {
        let config = EngineConfig {
            block_size: super::super::config::BlockSize::new(16).unwrap(),
            num_gpu_blocks: 100,
            speedup_ratio: speedup,
            decode_speedup_ratio: decode_speedup,
            ..EngineConfig::default()
        };
        StepTimer::new(&config).expect("polynomial")
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    #[test]
    fn prefill_and_decode_follow_the_polynomials_and_ratios() {
        let shape = StepShape {
            prefills: 1,
            prefill_tokens: 1000,
            decodes: 2,
            decode_context_tokens: 300,
            active_blocks: 50,
        };
        // By hand: prefill(1000) = 0.4209989 + 15.18344 + 16.50142 = 32.1058589 ms;
        // decode(p=0.5) = -6.435 + 27.005 + 5.74 = 26.31 ms.
        assert!((ms(timer(1.0, 1.0).step_duration(&shape)) - 58.4158589).abs() < 1e-6);
        // speedup 2, decode speedup 4: 32.1058589/2 + 26.31/8.
        assert!((ms(timer(2.0, 4.0).step_duration(&shape)) - 19.34167945).abs() < 1e-6);
        assert_eq!(timer(0.0, 1.0).step_duration(&shape), Duration::ZERO);
        assert_eq!(timer(-1.0, 1.0).step_duration(&shape), Duration::ZERO);
    }

    #[test]
    fn decode_is_floored_and_empty_batches_cost_nothing() {
        // p = 2.0 (over-full is impossible, but the floor applies): -102.96 + 108.02 + 5.74 = 10.8.
        assert!((polynomial_decode_ms(2.0) - 10.8).abs() < 1e-9);
        assert_eq!(polynomial_decode_ms(3.0), 1.0);
        assert_eq!(
            timer(1.0, 1.0).step_duration(&StepShape::default()),
            Duration::ZERO
        );
    }
}
