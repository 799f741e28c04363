//! Integration tests of servebench-profiler-fit.

mod no_panic;
mod npz;
mod profile_model;
mod scipy_oracle;
mod sla_flow;
