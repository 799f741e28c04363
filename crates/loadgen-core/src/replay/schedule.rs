//! Fixed-schedule replay: send each entry at its trace timestamp.

use std::time::Duration;

use super::ReplayError;
use crate::DatasetEntry;

/// AIPerf's `--fixed-schedule-*` options plus a speed-up factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedSchedule {
    /// Measure times from the first kept timestamp (AIPerf `--fixed-schedule-auto-offset`).
    pub auto_offset: bool,
    /// Drop entries before this trace time; it becomes time zero (unless `auto_offset`).
    pub start_offset: Option<Duration>,
    /// Drop entries after this trace time.
    pub end_offset: Option<Duration>,
    /// Trace time divided by this: 2 replays twice as fast, 0.5 at half speed.
    pub speedup: f64,
}

impl Default for FixedSchedule {
    fn default() -> Self {
        Self {
            auto_offset: false,
            start_offset: None,
            end_offset: None,
            speedup: 1.0,
        }
    }
}

impl FixedSchedule {
    /// Keeps the entries inside the offsets, ordered by timestamp (stable), and returns them with
    /// their send offsets from the start of the run: `(timestamp - zero) / speedup`.
    ///
    /// # Errors
    /// A non-positive or non-finite speed-up, an entry without a timestamp, or no entry left.
    pub fn apply(
        &self,
        entries: Vec<DatasetEntry>,
    ) -> Result<(Vec<DatasetEntry>, Vec<Duration>), ReplayError> {
        self.check_speedup()?;
        let mut timed = Vec::with_capacity(entries.len());
        for (i, e) in entries.into_iter().enumerate() {
            let Some(ts) = e.timestamp() else {
                return Err(missing_timestamp(i));
            };
            timed.push((ts, e));
        }
        let (kept, offsets) = self.timeline(timed)?;
        Ok((kept, offsets))
    }

    /// [`Self::apply`] for a dataset of multi-turn sessions (consecutive entries of one session,
    /// turns in order): the sessions are kept, filtered and ordered by the timestamp of their
    /// first turn, which gives their start offsets (one per session); later turns are sent after
    /// the previous turn completed plus their delay (AIPerf), so their timestamps are not used.
    ///
    /// # Errors
    /// As [`Self::apply`], for the first turns.
    pub fn apply_sessions(
        &self,
        entries: Vec<DatasetEntry>,
    ) -> Result<(Vec<DatasetEntry>, Vec<Duration>), ReplayError> {
        self.check_speedup()?;
        let mut sessions: Vec<(Duration, Vec<DatasetEntry>)> = Vec::new();
        let mut last = None;
        for (i, e) in entries.into_iter().enumerate() {
            let key = e.session().map(|s| s.session);
            match sessions.last_mut() {
                Some((_, turns)) if key.is_some() && key == last => turns.push(e),
                _ => {
                    let Some(ts) = e.timestamp() else {
                        return Err(missing_timestamp(i));
                    };
                    sessions.push((ts, vec![e]));
                }
            }
            last = key;
        }
        let (kept, offsets) = self.timeline(sessions)?;
        Ok((kept.into_iter().flatten().collect(), offsets))
    }

    fn check_speedup(&self) -> Result<(), ReplayError> {
        if self.speedup.is_finite() && self.speedup > 0.0 {
            return Ok(());
        }
        Err(ReplayError::Invalid {
            what: "--fixed-schedule-speedup",
            message: format!("must be a positive number, found {}", self.speedup),
        })
    }

    /// Keeps the items inside the offsets, ordered by timestamp (stable), with their offsets.
    fn timeline<T>(
        &self,
        mut timed: Vec<(Duration, T)>,
    ) -> Result<(Vec<T>, Vec<Duration>), ReplayError> {
        timed.retain(|(ts, _)| {
            self.start_offset.is_none_or(|s| *ts >= s)
                && self.end_offset.is_none_or(|end| *ts <= end)
        });
        timed.sort_by_key(|(ts, _)| *ts);
        let Some(&(first, _)) = timed.first() else {
            return Err(ReplayError::Invalid {
                what: "--fixed-schedule-start-offset/--fixed-schedule-end-offset",
                message: "no entry is inside the offsets".into(),
            });
        };
        let zero = if self.auto_offset {
            first
        } else {
            self.start_offset.unwrap_or(Duration::ZERO)
        };
        let offsets = timed
            .iter()
            .map(|(ts, _)| {
                Duration::try_from_secs_f64((*ts - zero).as_secs_f64() / self.speedup).map_err(
                    |_| ReplayError::Invalid {
                        what: "--fixed-schedule-speedup",
                        message: format!("{} stretches the trace too far", self.speedup),
                    },
                )
            })
            .collect::<Result<_, _>>()?;
        Ok((timed.into_iter().map(|(_, e)| e).collect(), offsets))
    }
}

fn missing_timestamp(i: usize) -> ReplayError {
    ReplayError::Invalid {
        what: "--fixed-schedule",
        message: format!(
            "entry {} has no timestamp (use --no-fixed-schedule to ignore timestamps)",
            i + 1
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::dataset::EntryExtras;

    fn at(ms: u64) -> DatasetEntry {
        let mut e = DatasetEntry::new(format!("t{ms}"), 1, None);
        e.extras = Some(Arc::new(EntryExtras {
            timestamp: Some(Duration::from_millis(ms)),
            ..EntryExtras::default()
        }));
        e
    }

    fn ms(d: &[Duration]) -> Vec<u128> {
        d.iter().map(Duration::as_millis).collect()
    }

    #[test]
    fn offsets_filter_sort_and_scale() {
        let entries = vec![at(1000), at(3000), at(2000), at(9000)];
        let plain = FixedSchedule::default().apply(entries.clone()).unwrap();
        assert_eq!(ms(&plain.1), [1000, 2000, 3000, 9000]);
        assert_eq!(plain.0[1].prompt, "t2000");

        let auto = FixedSchedule {
            auto_offset: true,
            speedup: 10.0,
            ..FixedSchedule::default()
        };
        assert_eq!(
            ms(&auto.apply(entries.clone()).unwrap().1),
            [0, 100, 200, 800]
        );

        let window = FixedSchedule {
            start_offset: Some(Duration::from_millis(1500)),
            end_offset: Some(Duration::from_millis(3000)),
            ..FixedSchedule::default()
        };
        let (kept, offsets) = window.apply(entries).unwrap();
        assert_eq!(ms(&offsets), [500, 1500]);
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn missing_timestamps_and_bad_speedups_are_errors() {
        let untimed = vec![DatasetEntry::new("x".into(), 1, None)];
        let e = FixedSchedule::default().apply(untimed).unwrap_err();
        assert!(e.to_string().contains("entry 1 has no timestamp"), "{e}");
        let bad = FixedSchedule {
            speedup: 0.0,
            ..FixedSchedule::default()
        };
        assert!(bad.apply(vec![at(0)]).is_err());
    }
}
