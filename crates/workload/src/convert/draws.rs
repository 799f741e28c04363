//! Python-compatible hash-block draws for many rows, on worker threads.
//!
//! Row `idx` with `n` blocks gets `n` values of `random.randint(0, num_hash_blocks)` after
//! `random.seed(idx)`. The draws of a row depend only on `idx` and `n`, so chunks of rows are
//! drawn in parallel and handed back in order; the output is the same for any thread count.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::thread;

use crate::pycompat::{LANES, LaneRandoms, PyRandom};

/// Rows per job.
pub(crate) const CHUNK: usize = 2048;

/// Block counts of consecutive rows starting at output index `first_index`.
struct Job {
    seq: u64,
    first_index: u64,
    counts: Vec<u64>,
}

/// The drawn values of a [`Job`], row after row.
pub(crate) struct Drawn {
    seq: u64,
    pub(crate) counts: Vec<u64>,
    pub(crate) values: Vec<u64>,
}

/// Draws the blocks of `counts.len()` rows starting at `first_index`.
pub(crate) fn draw_rows(
    first_index: u64,
    counts: &[u64],
    num_hash_blocks: u64,
    lanes: &mut LaneRandoms,
    values: &mut Vec<u64>,
) {
    let words_per_draw = if num_hash_blocks < u64::from(u32::MAX) {
        1
    } else {
        2
    };
    let mut chunks = counts.chunks(LANES);
    let mut index = first_index;
    for group in chunks.by_ref() {
        let last = index + group.len() as u64 - 1;
        if group.len() == LANES && last <= u64::from(u32::MAX) {
            // Enough outputs for about twice the expected draws (randbelow rejects < 1/2 of
            // them); lanes that need more twist the rest lazily.
            let most = group.iter().copied().max().unwrap_or(0) as usize;
            lanes.seed_with_outputs(
                std::array::from_fn(|l| (index + l as u64) as u32),
                most.saturating_mul(words_per_draw * 2).saturating_add(8),
            );
            for (l, n) in group.iter().enumerate() {
                lanes.randints_from_zero(l, num_hash_blocks, *n as usize, values);
            }
        } else {
            for (l, n) in group.iter().enumerate() {
                let mut rng = PyRandom::seed(index + l as u64);
                values.extend((0..*n).map(|_| rng.randint_from_zero(num_hash_blocks)));
            }
        }
        index += group.len() as u64;
    }
}

/// A pool of drawing threads fed in order and drained in order.
pub(crate) struct DrawPool<'scope> {
    jobs: Option<mpsc::SyncSender<Job>>,
    done: mpsc::Receiver<Drawn>,
    waiting: BTreeMap<u64, Drawn>,
    next_seq_out: u64,
    next_seq_in: u64,
    _threads: Vec<thread::ScopedJoinHandle<'scope, ()>>,
}

impl<'scope> DrawPool<'scope> {
    /// Starts `threads` workers (at least 1) inside `scope`.
    pub(crate) fn start<'env>(
        scope: &'scope thread::Scope<'scope, 'env>,
        threads: usize,
        num_hash_blocks: u64,
    ) -> Self {
        let threads = threads.max(1);
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(threads * 2);
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Drawn>();
        let handles = (0..threads)
            .map(|_| {
                let job_rx = std::sync::Arc::clone(&job_rx);
                let done_tx = done_tx.clone();
                scope.spawn(move || {
                    let mut lanes = LaneRandoms::new();
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let mut values =
                            Vec::with_capacity(job.counts.iter().sum::<u64>() as usize);
                        draw_rows(
                            job.first_index,
                            &job.counts,
                            num_hash_blocks,
                            &mut lanes,
                            &mut values,
                        );
                        if done_tx
                            .send(Drawn {
                                seq: job.seq,
                                counts: job.counts,
                                values,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                })
            })
            .collect();
        Self {
            jobs: Some(job_tx),
            done: done_rx,
            waiting: BTreeMap::new(),
            next_seq_out: 0,
            next_seq_in: 0,
            _threads: handles,
        }
    }

    /// Queues the rows `first_index..` with these block counts (blocks while the queue is full).
    pub(crate) fn submit(&mut self, first_index: u64, counts: Vec<u64>) {
        let job = Job {
            seq: self.next_seq_in,
            first_index,
            counts,
        };
        self.next_seq_in += 1;
        if let Some(jobs) = &self.jobs
            && jobs.send(job).is_err()
        {
            self.jobs = None;
        }
    }

    /// Whether some submitted job has not been handed back yet.
    pub(crate) fn pending(&self) -> bool {
        self.next_seq_out < self.next_seq_in
    }

    /// The next job's draws in submission order: waits for it when `block`, else returns `None`
    /// if it is not ready. `None` also when nothing is pending.
    pub(crate) fn next(&mut self, block: bool) -> Option<Drawn> {
        if !self.pending() {
            return None;
        }
        loop {
            if let Some(d) = self.waiting.remove(&self.next_seq_out) {
                self.next_seq_out += 1;
                return Some(d);
            }
            let received = if block {
                self.done.recv().ok()
            } else {
                self.done.try_recv().ok()
            };
            match received {
                Some(d) => {
                    self.waiting.insert(d.seq, d);
                }
                None => return None,
            }
        }
    }

    /// Stops accepting jobs (workers exit once the queue is empty).
    pub(crate) fn close(&mut self) {
        self.jobs = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_draws_equal_sequential_draws_in_order() {
        let counts: Vec<u64> = (0..5000u64).map(|i| i % 13).collect();
        let mut expected = Vec::new();
        for (i, n) in counts.iter().enumerate() {
            let mut rng = PyRandom::seed(i as u64);
            expected.extend((0..*n).map(|_| rng.randint_from_zero(10_000)));
        }
        let got = thread::scope(|scope| {
            let mut pool = DrawPool::start(scope, 3, 10_000);
            let mut got = Vec::new();
            for (c, chunk) in counts.chunks(777).enumerate() {
                pool.submit((c * 777) as u64, chunk.to_vec());
                while let Some(d) = pool.next(false) {
                    got.extend(d.values);
                }
            }
            pool.close();
            while let Some(d) = pool.next(true) {
                got.extend(d.values);
            }
            got
        });
        assert_eq!(got, expected);
    }
}
