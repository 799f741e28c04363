//! Virtual-clock scenario tests of the engine, router and pool. Expected values are computed by
//! hand from the spec's formulas (written out in each test), never by the code under test.

mod caching;
mod cluster_queue;
mod disagg;
mod pool;
mod pool_disagg;
mod router_index;
mod router_modes;
mod router_queue;
mod routing;
mod scheduling;
mod timing_file;

use std::time::Duration;

use super::{BlockSize, Engine, EngineConfig, RequestId};

/// A block size for tests (non-zero by construction).
fn bs(tokens: u32) -> BlockSize {
    BlockSize::new(tokens).unwrap()
}
use crate::protocol::{GenerateEvent, GenerateRequest};

/// An event with the virtual time it happened.
pub(super) type Timed = (Duration, RequestId, GenerateEvent);

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(super) fn assert_close(actual_ms: f64, expected_ms: f64) {
    assert!(
        (actual_ms - expected_ms).abs() < 1e-6,
        "expected {expected_ms} ms, got {actual_ms} ms"
    );
}

/// Distinct prompt tokens `base..base+len`.
pub(super) fn prompt(base: u32, len: u32) -> Vec<u32> {
    (base..base + len).collect()
}

pub(super) fn request(prompt_tokens: Vec<u32>, output_tokens: u32) -> GenerateRequest {
    GenerateRequest {
        prompt_tokens,
        output_tokens,
    }
}

pub(super) fn engine(config: EngineConfig) -> Engine {
    Engine::new(&config, 0).expect("valid config")
}

/// Steps back to back from `start` until the engine is idle; returns the timed events.
pub(super) fn run(engine: &mut Engine, start: Duration) -> (Vec<Timed>, Duration) {
    let mut now = start;
    let mut events = Vec::new();
    let mut steps = 0;
    while engine.has_work() {
        let out = engine.step(now);
        now = out.end;
        events.extend(out.events.iter().map(|(id, e)| (out.end, *id, e.clone())));
        steps += 1;
        assert!(steps < 100_000, "engine never went idle");
    }
    (events, now)
}

/// Times of the token events of one request.
pub(super) fn token_times(events: &[Timed], id: RequestId) -> Vec<Duration> {
    events
        .iter()
        .filter(|(_, r, e)| *r == id && matches!(e, GenerateEvent::Token { .. }))
        .map(|(t, _, _)| *t)
        .collect()
}

/// The `Finished` timings of one request.
pub(super) fn finished(events: &[Timed], id: RequestId) -> crate::protocol::ServerTimings {
    events
        .iter()
        .find_map(|(_, r, e)| match e {
            GenerateEvent::Finished { timings, .. } if *r == id => Some(*timings),
            _ => None,
        })
        .expect("request finished")
}

/// Dynamo's prefill polynomial, written out independently of the code under test.
pub(super) fn prefill_poly(t: f64) -> f64 {
    4.209989e-7 * t * t + 1.518344e-2 * t + 16.50142
}

/// Dynamo's decode polynomial with its 1 ms floor.
pub(super) fn decode_poly(p: f64) -> f64 {
    f64::max(-25.74 * p * p + 54.01 * p + 5.74, 1.0)
}
