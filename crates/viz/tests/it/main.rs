//! Integration tests of servebench-viz.
