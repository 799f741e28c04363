//! Integration tests of servebench-loadgen-core.

mod support;
mod synthetic_builtin;
mod synthetic_qwen3;
