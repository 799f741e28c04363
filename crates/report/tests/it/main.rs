//! Integration tests of servebench-report: AIPerf-shaped exports written by hand from the
//! AIPerf 0.13 export layout, and real sweeps run against the in-process simulated engine.

mod aiperf;
mod browser;
mod errors;
mod fixtures;
mod html;
mod ours;
mod pareto;
mod records;
