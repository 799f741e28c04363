//! Integration tests of servebench-trace-formats.
