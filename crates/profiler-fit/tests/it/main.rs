//! Integration tests of servebench-profiler-fit.

mod npz;
