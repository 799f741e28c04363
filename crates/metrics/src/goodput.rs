//! Goodput SLOs (AIPerf `--goodput "time_to_first_token:100 inter_token_latency:5"`).

use std::str::FromStr;

use crate::catalog::{Metric, MetricKind};
use crate::compute::RecordMetrics;
use crate::error::{Error, Result};

/// One threshold: the metric and its limit in the metric's display unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slo {
    /// The metric constrained.
    pub metric: Metric,
    /// The limit, in the metric's display unit.
    pub threshold: f64,
}

impl Slo {
    /// True if `value` meets the threshold: `<=` for smaller-is-better metrics, `>=` for
    /// larger-is-better ones.
    pub fn is_met_by(&self, value: f64) -> bool {
        if self.metric.spec().larger_is_better() {
            value >= self.threshold
        } else {
            value <= self.threshold
        }
    }
}

/// A set of SLOs; a request is good iff it has every referenced metric and meets every threshold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Goodput {
    slos: Vec<Slo>,
}

impl Goodput {
    /// Parses space-separated `tag:value` items (values in display units).
    pub fn parse(spec: &str) -> Result<Self> {
        let mut slos = Vec::new();
        for item in spec.split_whitespace() {
            let malformed = |reason| Error::MalformedGoodput {
                item: item.to_owned(),
                reason,
            };
            let (tag, value) = item
                .split_once(':')
                .ok_or_else(|| malformed("expected `tag:value`"))?;
            if tag.is_empty() {
                return Err(malformed("empty metric tag"));
            }
            let threshold = f64::from_str(value)
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| malformed("value is not a finite number"))?;
            let metric = Metric::from_tag(tag).ok_or_else(|| Error::UnknownGoodputMetric {
                tag: tag.to_owned(),
            })?;
            if metric.spec().kind != MetricKind::Record {
                return Err(Error::NotPerRequestMetric {
                    tag: tag.to_owned(),
                });
            }
            slos.push(Slo { metric, threshold });
        }
        if slos.is_empty() {
            return Err(Error::MalformedGoodput {
                item: spec.to_owned(),
                reason: "no `tag:value` items",
            });
        }
        Ok(Self { slos })
    }

    /// The thresholds, in the order given.
    pub fn slos(&self) -> &[Slo] {
        &self.slos
    }

    /// True if the request has every referenced metric and meets each threshold.
    pub fn is_good(&self, metrics: &RecordMetrics) -> bool {
        self.slos
            .iter()
            .all(|slo| metrics.get(slo.metric).is_some_and(|v| slo.is_met_by(v)))
    }
}

impl FromStr for Goodput {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_and_values() {
        let g = Goodput::parse("time_to_first_token:100  output_token_throughput_per_user:25.5")
            .unwrap();
        assert_eq!(
            g.slos(),
            &[
                Slo {
                    metric: Metric::TimeToFirstToken,
                    threshold: 100.0
                },
                Slo {
                    metric: Metric::OutputTokenThroughputPerUser,
                    threshold: 25.5
                },
            ]
        );
    }

    #[test]
    fn unknown_tag_is_named() {
        let err = Goodput::parse("time_to_first_token:1 ttft:100").unwrap_err();
        assert_eq!(err.to_string(), "goodput: unknown metric tag `ttft`");
    }

    #[test]
    fn malformed_items_are_errors() {
        for bad in [
            "time_to_first_token",
            "time_to_first_token:",
            ":5",
            "request_latency:abc",
            "request_latency:inf",
            "",
            "   ",
        ] {
            assert!(
                matches!(Goodput::parse(bad), Err(Error::MalformedGoodput { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Goodput::parse("request_throughput:5"),
            Err(Error::NotPerRequestMetric { .. })
        ));
    }

    #[test]
    fn direction_follows_larger_is_better() {
        let ttft = Slo {
            metric: Metric::TimeToFirstToken,
            threshold: 100.0,
        };
        assert!(ttft.is_met_by(100.0) && ttft.is_met_by(99.0) && !ttft.is_met_by(100.1));
        let tps = Slo {
            metric: Metric::OutputTokenThroughputPerUser,
            threshold: 20.0,
        };
        assert!(tps.is_met_by(20.0) && tps.is_met_by(30.0) && !tps.is_met_by(19.9));
    }
}
