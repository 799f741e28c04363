//! Analysis of endpoint profiles, with no I/O and no async: least-squares polynomial fits with
//! R² and residuals, monotone 1-D interpolation, 2-D scattered-data interpolation onto a regular
//! grid (the planner's `griddata`), Pareto fronts, the SLA selection rule and cost per 1,000
//! requests of Dynamo's `profile_sla`, and the NPY/NPZ encoding of `raw_data.npz`.
//!
//! `profile-endpoint`, `profile-sla` and the mocker's `--planner-profile-data` build on it.
#![warn(missing_docs)]

pub mod error;
pub mod fit;
pub mod griddata;
pub mod interp1d;
pub mod npz;

pub use error::{Error, Result};
