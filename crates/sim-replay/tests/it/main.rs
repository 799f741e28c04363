//! Integration tests of servebench-sim-replay: exports of a whole replay, closed-loop sessions,
//! and the offline replay against the real-time server.

mod exports;
mod hashed_prompts;
mod realtime;
mod support;
