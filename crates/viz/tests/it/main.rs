//! Integration tests of servebench-viz.

mod errors;
mod fixtures;
mod pareto;
mod render;
