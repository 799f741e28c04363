//! Integration tests of servebench-report.
