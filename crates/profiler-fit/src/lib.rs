//! Analysis of endpoint profiles, with no I/O and no async: least-squares polynomial fits with
//! R² and residuals, monotone 1-D interpolation, 2-D scattered-data interpolation onto a regular
//! grid (the planner's `griddata`), Pareto fronts, the SLA selection rule and cost per 1,000
//! requests of Dynamo's `profile_sla`, and the NPY/NPZ encoding of `raw_data.npz`.
//!
//! `profile-endpoint`, `profile-sla` and the mocker's `--planner-profile-data` build on it.
//!
//! * [`fit`]: `numpy.polyfit` with R², residuals, standard errors and confidence intervals
//!   ([`fit::quadratic`] for TTFT over ISL);
//! * [`interp1d`]: linear, monotone cubic (PCHIP) and not-a-knot cubic spline interpolation,
//!   clamped or extrapolated;
//! * [`griddata`]: Delaunay + barycentric interpolation of scattered (x, y, z) onto a grid, NaN or
//!   nearest-site fill outside the convex hull; [`clough_tocher`]: the same with scipy's
//!   `method="cubic"` (C¹ piecewise cubic);
//! * [`sweeps`]: the prefill ISL grid and the decode ISL × concurrency grid of §8.3, and the
//!   per-point quantities (KV usage, context length, throughput per GPU);
//! * [`pareto`]: the (latency, throughput) Pareto front;
//! * [`sla`]: the TTFT / ITL selection rule, planner bounds, cost per 1,000 requests;
//! * [`planner`]: how a profile is consumed (§8.5): the planner's clamped prefill curves and
//!   decode grid lookups, and the mocker's `perf_data` arrays.
//!
//! Bad input is an [`Error`] naming the input and the position of the offending value, never a
//! panic.
//!
//! ```
//! use servebench_profiler_fit::{fit, sla, sweeps};
//!
//! // TTFT measured over the prefill sweep of a 4096-token model (here: a known quadratic).
//! let isls = sweeps::prefill_isl_points(4096, 8)?;
//! let xs: Vec<f64> = isls.iter().map(|&i| i as f64).collect();
//! let ttft: Vec<f64> = xs.iter().map(|x| 1e-6 * x * x + 0.02 * x + 15.0).collect();
//! let quad = fit::quadratic(&xs, &ttft)?;
//! assert!((quad.coefficients_highest_first()[0] - 1e-6).abs() < 1e-12);
//!
//! // Two candidate configurations at ISL 3000: 60 ms / 25000 tok/s/GPU and 45 ms / 16667.
//! let pick = sla::select(&[60.0, 45.0], &[25000.0, 16667.0], 50.0)?;
//! assert_eq!((pick.index, pick.meets_target), (1, true));
//! # Ok::<(), servebench_profiler_fit::Error>(())
//! ```
#![warn(missing_docs)]

pub mod clough_tocher;
pub mod error;
pub mod fit;
pub mod griddata;
pub mod interp1d;
pub mod npz;
pub mod pareto;
pub mod planner;
pub mod sla;
pub mod sweeps;

pub use error::{Error, Result};
