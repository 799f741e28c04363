//! Integration tests of servebench-loadgen-core: the client against an in-process scripted
//! server, and synthetic datasets under the built-in and a real Qwen3 tokenizer.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers: a panic is the failure report"
)]

mod bench_api;
mod context_prompts;
mod faults;
mod fuzz;
mod load;
mod media;
mod profile_exports;
mod protocol;
mod replay_datasets;
mod replay_prefix_cache;
mod replay_runs;
mod sessions_open_loop;
mod sse_split;
mod support;
mod synthetic_builtin;
mod synthetic_qwen3;
mod synthetic_support;
mod timing;
mod trace_timing;
