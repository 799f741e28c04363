//! Integration tests of servebench-profiler: the file forms and the SLA analysis on hand-made
//! measurements (the measuring runs are tested end to end by the profile-endpoint and
//! profile-sla binaries).

mod data;
mod sla;
