//! Integration tests of servebench-profiler-fit.
