//! Integration tests of servebench-profiler.
