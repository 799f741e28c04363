//! Integration tests of servebench-profiler-fit.

mod npz;
mod profile_model;
mod scipy_oracle;
mod sla_flow;
