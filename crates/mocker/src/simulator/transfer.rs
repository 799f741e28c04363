//! The KV transfer thread of a disaggregated real-clock pool: prefilled requests wait here until
//! their KV blocks land (on the real clock, at the time the transfer-time model gives), then their
//! first token goes to the client and the decode router hands them to a decode worker.
//!
//! It does what [`VirtualCluster`](super::VirtualCluster) does when a transfer lands, so the
//! real-time and the offline runs agree.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use rustc_hash::FxHashMap as FastMap;
use tokio::sync::mpsc::UnboundedSender;

use super::sequence::RequestId;
use super::worker::{MAIN_STAGE, Phase, PoolShared, Submission};
use crate::protocol::{FinishReason, GenerateEvent, GenerateRequest, ServerTimings};

/// A prefilled request whose KV blocks are on their way to a decode worker.
#[derive(Debug)]
pub(crate) struct Transfer {
    pub(crate) id: RequestId,
    /// When the transfer lands, since the pool's epoch.
    pub(crate) lands_at: Duration,
    /// The request as the client sent it.
    pub(crate) request: GenerateRequest,
    pub(crate) events: UnboundedSender<GenerateEvent>,
    /// The token the prefill produced (none if the request asked for none).
    pub(crate) first_token: Option<u32>,
    /// What its `Finished` reports (the worker id is the decode engine's).
    pub(crate) timings: ServerTimings,
}

/// Transfers in flight, landing in time order (then in the order they started).
#[derive(Debug, Default)]
struct InFlight {
    order: BinaryHeap<Reverse<(Duration, u64)>>,
    transfers: FastMap<u64, Transfer>,
    next_seq: u64,
}

impl InFlight {
    fn push(&mut self, transfer: Transfer) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push(Reverse((transfer.lands_at, seq)));
        self.transfers.insert(seq, transfer);
    }

    fn next_landing(&self) -> Option<Duration> {
        self.order.peek().map(|Reverse((at, _))| *at)
    }

    fn pop(&mut self) -> Option<Transfer> {
        let Reverse((_, seq)) = self.order.pop()?;
        self.transfers.remove(&seq)
    }
}

/// Runs the transfer thread until the pool drops its sender (transfers still in flight are then
/// dropped: their streams close without `Finished`).
pub(crate) fn run(shared: &Arc<PoolShared>, incoming: &Receiver<Transfer>) {
    let mut in_flight = InFlight::default();
    loop {
        let Some(at) = in_flight.next_landing() else {
            match incoming.recv() {
                Ok(t) => in_flight.push(t),
                Err(_) => return,
            }
            continue;
        };
        let wait = at.saturating_sub(shared.epoch.elapsed());
        if wait.is_zero() {
            if let Some(t) = in_flight.pop() {
                land(shared, t);
            }
            continue;
        }
        match incoming.recv_timeout(wait) {
            Ok(t) => in_flight.push(t),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// A transfer landed: the first token reaches the client and the decode router books the request
/// on a decode engine, which decodes the rest (or it ends, if it asked for one token). A client
/// that went away during the transfer holds nothing anywhere: it is dropped.
fn land(shared: &PoolShared, t: Transfer) {
    let Some(stage) = shared.stages.get(MAIN_STAGE) else {
        return;
    };
    if t.events.is_closed() {
        return;
    }
    let mut router = stage.router();
    let target = router.route_at(t.id, &t.request.prompt_tokens, t.lands_at);
    // The decode worker computes no prompt: its booked prefill load ends at once.
    router.first_token(target, t.id);
    if let Some(token_id) = t.first_token
        && t.events.send(GenerateEvent::Token { token_id }).is_err()
    {
        router.finished(target, t.id);
        shared.release_queued(MAIN_STAGE, &mut router);
        return;
    }
    if t.request.output_tokens >= 2 {
        let submission = Submission {
            id: t.id,
            request: t.request,
            arrival: t.lands_at,
            events: t.events,
            phase: Phase::Decode { timings: t.timings },
        };
        shared.send_to(MAIN_STAGE, &mut router, target, submission);
        return;
    }
    // One token (or none) was asked for: the request ends with the transfer.
    router.finished(target, t.id);
    shared.release_queued(MAIN_STAGE, &mut router);
    let engine = shared.engine_of(MAIN_STAGE, target);
    let timings = ServerTimings {
        worker_id: u32::try_from(engine).unwrap_or(u32::MAX),
        ..t.timings
    };
    let _ = t.events.send(GenerateEvent::Finished {
        reason: FinishReason::Length,
        timings,
    });
}
