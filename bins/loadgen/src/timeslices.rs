//! `--slice-duration`: the time-sliced exports live in [`servebench_metrics::timeslices`]; this
//! module only names them for the binary's call sites.

pub(crate) use servebench_metrics::timeslices::{CSV_FILE, JSON_FILE, write};
