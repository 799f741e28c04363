//! How a profile is consumed (spec §8.5): the planner's prefill and decode interpolators and the
//! conversion of a profile into the mocker's `perf_data` arrays.
//!
//! Prefill: TTFT and throughput per GPU over ISL, the query clamped to the sampled range.
//! Upstream uses scipy's `interp1d(kind="cubic")`, which [`Method::CubicSpline`] reproduces;
//! [`Method::Pchip`] is the shape-preserving alternative (no overshoot between samples).
//!
//! Decode: the scattered (KV usage, context length) samples are interpolated onto a
//! `resolution × resolution` grid, `xi = linspace(0, 1)` × `yi = linspace(0, max context)`, cells
//! outside the samples' hull taking the nearest sample. Upstream uses `griddata(method="cubic")`
//! there ([`Surface::Cubic`], see [`clough_tocher`](crate::clough_tocher));
//! [`Surface::Linear`] is the piecewise-linear alternative, which never leaves the range of the
//! samples. Lookups round to the nearest grid cell.
//!
//! Times stay in milliseconds (the planner divides ITL by 1000 to work in seconds).

use crate::clough_tocher::CubicInterpolator2d;
use crate::error::{Error, Result, check_finite, check_positive_param};
use crate::griddata::{Grid, Interpolant2d, LinearInterpolator2d, OutsideHull, linspace};
use crate::interp1d::{Extrapolation, Interp1d, Method};

/// Grid size the planner and the mocker converter use by default.
pub const DEFAULT_RESOLUTION: usize = 100;

/// Prefill TTFT and throughput per GPU over ISL, with queries clamped to the sampled range.
#[derive(Debug, Clone)]
pub struct PrefillInterpolator {
    ttft: Interp1d,
    thpt: Interp1d,
}

impl PrefillInterpolator {
    /// Builds both curves from a prefill profile (`prefill_isl`, `prefill_ttft` in ms,
    /// `prefill_thpt_per_gpu`).
    pub fn new(isl: &[f64], ttft_ms: &[f64], thpt_per_gpu: &[f64], method: Method) -> Result<Self> {
        Ok(Self {
            ttft: Interp1d::new(isl, ttft_ms, method, Extrapolation::Clamp)?,
            thpt: Interp1d::new(isl, thpt_per_gpu, method, Extrapolation::Clamp)?,
        })
    }

    /// The sampled ISL range.
    pub fn isl_range(&self) -> (f64, f64) {
        self.ttft.domain()
    }

    /// TTFT (ms) at `isl`, clamped into the sampled range.
    pub fn ttft_ms(&self, isl: f64) -> f64 {
        self.ttft.eval(isl)
    }

    /// Prefill throughput per GPU at `isl`, clamped into the sampled range.
    pub fn thpt_per_gpu(&self, isl: f64) -> f64 {
        self.thpt.eval(isl)
    }
}

/// What [`DecodeInterpolator::find_best_throughput_per_gpu`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BestThroughput {
    /// Throughput per GPU at the chosen cell.
    pub thpt_per_gpu: f64,
    /// ITL (ms) at the chosen cell.
    pub itl_ms: f64,
    /// KV usage (0..=1) of the chosen cell.
    pub kv_usage: f64,
    /// `false` when no cell of the row met the ITL target and the lowest-KV cell was returned.
    pub meets_target: bool,
}

/// How the decode grid is interpolated from the scattered samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Piecewise linear on the Delaunay triangles (`griddata(method="linear")`).
    Linear,
    /// Clough–Tocher piecewise cubic (`griddata(method="cubic")`), what the planner uses.
    Cubic,
}

/// A decode profile as `raw_data.npz` / `decode_raw_data.json` hold it.
#[derive(Debug, Clone, Copy)]
pub struct DecodeProfile<'a> {
    /// `x_kv_usage`: fraction of the KV cache in use, per point.
    pub x_kv_usage: &'a [f64],
    /// `y_context_length`, per point.
    pub y_context_length: &'a [f64],
    /// `z_itl` in ms, per point.
    pub z_itl_ms: &'a [f64],
    /// `z_thpt_per_gpu`, per point.
    pub z_thpt_per_gpu: &'a [f64],
    /// `max_kv_tokens[0]`.
    pub max_kv_tokens: f64,
}

/// The planner's decode grids: ITL (ms) and throughput per GPU over (KV usage, context length).
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeInterpolator {
    itl_ms: Grid,
    thpt_per_gpu: Grid,
    max_kv_tokens: f64,
}

impl DecodeInterpolator {
    /// Interpolates a decode profile (`x_kv_usage`, `y_context_length`, `z_itl` in ms,
    /// `z_thpt_per_gpu`, `max_kv_tokens`) onto the planner's `resolution × resolution` grid,
    /// piecewise linearly; [`from_profile`](Self::from_profile) chooses the [`Surface`].
    ///
    /// `resolution` must be at least 2 and the largest context length > 0.
    pub fn new(
        x_kv_usage: &[f64],
        y_context_length: &[f64],
        z_itl_ms: &[f64],
        z_thpt_per_gpu: &[f64],
        max_kv_tokens: f64,
        resolution: usize,
    ) -> Result<Self> {
        let profile = DecodeProfile {
            x_kv_usage,
            y_context_length,
            z_itl_ms,
            z_thpt_per_gpu,
            max_kv_tokens,
        };
        Self::from_profile(&profile, resolution, Surface::Linear)
    }

    /// Interpolates `profile` onto the planner's `resolution × resolution` grid with `surface`
    /// ([`Surface::Cubic`] is the planner's own choice).
    pub fn from_profile(
        profile: &DecodeProfile<'_>,
        resolution: usize,
        surface: Surface,
    ) -> Result<Self> {
        let DecodeProfile {
            x_kv_usage,
            y_context_length,
            z_itl_ms,
            z_thpt_per_gpu,
            max_kv_tokens,
        } = *profile;
        check_positive_param("max_kv_tokens", max_kv_tokens)?;
        if resolution < 2 {
            return Err(Error::InvalidParameter {
                name: "resolution",
                value: resolution.to_string(),
                reason: "must be at least 2",
            });
        }
        check_finite("y_context_length", y_context_length)?;
        let y_max = y_context_length
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if y_max.is_finite() && y_max <= 0.0 {
            return Err(Error::InvalidParameter {
                name: "y_context_length",
                value: y_max.to_string(),
                reason: "the largest context length must be > 0",
            });
        }
        let xi = linspace(0.0, 1.0, resolution);
        let yi = linspace(0.0, y_max, resolution);
        let grid =
            |z: &[f64]| -> Result<Grid> {
                Ok(match surface {
                    Surface::Linear => LinearInterpolator2d::new(x_kv_usage, y_context_length, z)?
                        .grid(&xi, &yi, OutsideHull::Nearest),
                    Surface::Cubic => CubicInterpolator2d::new(x_kv_usage, y_context_length, z)?
                        .grid(&xi, &yi, OutsideHull::Nearest),
                })
            };
        Ok(Self {
            itl_ms: grid(z_itl_ms)?,
            thpt_per_gpu: grid(z_thpt_per_gpu)?,
            max_kv_tokens,
        })
    }

    /// The ITL grid (ms), rows over context length, columns over KV usage.
    pub fn itl_grid(&self) -> &Grid {
        &self.itl_ms
    }

    /// The throughput-per-GPU grid, laid out like [`itl_grid`](Self::itl_grid).
    pub fn thpt_grid(&self) -> &Grid {
        &self.thpt_per_gpu
    }

    /// The profile's KV cache size in tokens.
    pub fn max_kv_tokens(&self) -> f64 {
        self.max_kv_tokens
    }

    /// The grid cell `(ix, iy)` nearest to `kv_usage = concurrency · context_length /
    /// max_kv_tokens` and `context_length`, clipped to the grid.
    pub fn compute_idx(&self, concurrency: f64, context_length: f64) -> (usize, usize) {
        let kv_usage = concurrency * context_length / self.max_kv_tokens;
        (
            nearest_index(self.itl_ms.xs(), kv_usage),
            nearest_index(self.itl_ms.ys(), context_length),
        )
    }

    /// ITL (ms) at the cell nearest to (`concurrency`, `context_length`).
    pub fn itl_ms(&self, concurrency: f64, context_length: f64) -> f64 {
        let (ix, iy) = self.compute_idx(concurrency, context_length);
        self.itl_ms.get(ix, iy).unwrap_or(f64::NAN)
    }

    /// Throughput per GPU at the cell nearest to (`concurrency`, `context_length`).
    pub fn thpt_per_gpu(&self, concurrency: f64, context_length: f64) -> f64 {
        let (ix, iy) = self.compute_idx(concurrency, context_length);
        self.thpt_per_gpu.get(ix, iy).unwrap_or(f64::NAN)
    }

    /// In the row of `context_length`, the highest-KV-usage cell whose ITL is at most
    /// `itl_target_ms` (scanning from full KV down, since interpolated ITL need not be
    /// monotone); the lowest-KV cell, flagged, when none is.
    pub fn find_best_throughput_per_gpu(
        &self,
        itl_target_ms: f64,
        context_length: f64,
    ) -> BestThroughput {
        let iy = nearest_index(self.itl_ms.ys(), context_length);
        let nx = self.itl_ms.xs().len();
        let cell = |ix: usize, meets_target: bool| BestThroughput {
            thpt_per_gpu: self.thpt_per_gpu.get(ix, iy).unwrap_or(f64::NAN),
            itl_ms: self.itl_ms.get(ix, iy).unwrap_or(f64::NAN),
            kv_usage: self.itl_ms.xs()[ix],
            meets_target,
        };
        for ix in (0..nx).rev() {
            if self.itl_ms.get(ix, iy).is_some_and(|v| v <= itl_target_ms) {
                return cell(ix, true);
            }
        }
        cell(0, false)
    }
}

/// `clip(round((v − axis[0]) / (axis[1] − axis[0])), 0, len − 1)` for an evenly spaced axis of
/// at least two points; 0 for NaN.
fn nearest_index(axis: &[f64], v: f64) -> usize {
    let last = axis.len().saturating_sub(1);
    if axis.len() < 2 {
        return 0;
    }
    let pos = ((v - axis[0]) / (axis[1] - axis[0])).round_ties_even();
    if pos.is_nan() || pos <= 0.0 {
        0
    } else if pos >= last as f64 {
        last
    } else {
        pos as usize
    }
}

/// The arrays of the mocker's `perf_data.npz`, as Dynamo's converter builds them from a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct MockerPerfData {
    /// `linspace(min isl, max isl, resolution)`.
    pub prefill_isl: Vec<f64>,
    /// Interpolated TTFT (ms) at each `prefill_isl`.
    pub prefill_ttft_ms: Vec<f64>,
    /// `linspace(0, 1, resolution) · max_kv_tokens`.
    pub decode_active_kv_tokens: Vec<f64>,
    /// `linspace(0, max context length, resolution)`.
    pub decode_context_length: Vec<f64>,
    /// ITL (ms), row-major `[kv][ctx]` (the planner grid transposed).
    pub decode_itl: Vec<f64>,
}

/// Converts a prefill and a decode profile into [`MockerPerfData`] (spec §8.5), at the decode
/// grid's resolution for both parts.
pub fn mocker_perf_data(
    prefill: &PrefillInterpolator,
    decode: &DecodeInterpolator,
) -> MockerPerfData {
    let grid = decode.itl_grid();
    let (lo, hi) = prefill.isl_range();
    let prefill_isl = linspace(lo, hi, grid.xs().len());
    let prefill_ttft_ms = prefill_isl.iter().map(|&x| prefill.ttft_ms(x)).collect();
    MockerPerfData {
        prefill_isl,
        prefill_ttft_ms,
        decode_active_kv_tokens: grid.xs().iter().map(|x| x * decode.max_kv_tokens).collect(),
        decode_context_length: grid.ys().to_vec(),
        decode_itl: grid.values_transposed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sites on a 3 × 3 lattice over KV usage 0..1 × context 0..4000 (the whole planner grid
    /// is inside their hull) carrying ITL = 10 + 20·x ms and thpt = 100 + 400·x.
    fn lattice() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let (mut xs, mut ys, mut itl, mut thpt) = (vec![], vec![], vec![], vec![]);
        for x in [0.0, 0.5, 1.0] {
            for y in [0.0, 2000.0, 4000.0] {
                xs.push(x);
                ys.push(y);
                itl.push(10.0 + 20.0 * x);
                thpt.push(100.0 + 400.0 * x);
            }
        }
        (xs, ys, itl, thpt)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn grid_lookup_rounds_to_the_nearest_cell() {
        let (xs, ys, itl, thpt) = lattice();
        // Resolution 5: xi = 0, .25, .5, .75, 1; yi = 0, 1000, …, 4000.
        let d = DecodeInterpolator::new(&xs, &ys, &itl, &thpt, 10_000.0, 5).expect("decode");
        // 10 requests · 1000 tokens / 10000 = KV 1.0 → ix 4; context 1000 → iy 1.
        assert_eq!(d.compute_idx(10.0, 1000.0), (4, 1));
        // KV 3·1400/10000 = 0.42 → 0.42/0.25 = 1.68 → 2; context 1400 → 1.4 → 1.
        assert_eq!(d.compute_idx(3.0, 1400.0), (2, 1));
        assert!(close(d.itl_ms(3.0, 1400.0), 20.0));
        assert!(close(d.thpt_per_gpu(3.0, 1400.0), 300.0));
        // Round half to even as numpy: KV 0.375 → 1.5 → 2; context 2500 → 2.5 → 2.
        assert_eq!(d.compute_idx(1.5, 2500.0), (2, 2));
        // Clipped both ways.
        assert_eq!(d.compute_idx(1000.0, 1e9), (4, 4));
        assert_eq!(d.compute_idx(-1.0, -5.0), (0, 0));
    }

    #[test]
    fn best_throughput_scans_from_full_kv_down() {
        let (xs, ys, itl, thpt) = lattice();
        let d = DecodeInterpolator::new(&xs, &ys, &itl, &thpt, 10_000.0, 5).expect("decode");
        // Row ITLs 10, 15, 20, 25, 30: the last ≤ 22 is KV 0.5, thpt 300.
        let best = d.find_best_throughput_per_gpu(22.0, 3000.0);
        assert!(
            close(best.thpt_per_gpu, 300.0) && close(best.itl_ms, 20.0) && best.kv_usage == 0.5
        );
        assert!(best.meets_target);
        // Nothing ≤ 5 ms: the KV-0 cell, flagged.
        let best = d.find_best_throughput_per_gpu(5.0, 3000.0);
        assert!(close(best.thpt_per_gpu, 100.0) && !best.meets_target && best.kv_usage == 0.0);
    }

    #[test]
    fn outside_the_samples_takes_the_nearest_sample() {
        // Samples only at KV ≤ 0.5 and context ≥ 1000: the grid's KV-1.0 column copies the
        // nearest sample (KV 0.5) and context 0 copies context 1000.
        let xs = [0.0, 0.5, 0.0, 0.5];
        let ys = [1000.0, 1000.0, 2000.0, 2000.0];
        let itl = [10.0, 20.0, 12.0, 22.0];
        let d = DecodeInterpolator::new(&xs, &ys, &itl, &itl, 1.0, 3).expect("decode");
        // yi = 0, 1000, 2000; xi = 0, .5, 1.
        let g = d.itl_grid();
        assert_eq!(g.get(2, 2), Some(22.0));
        assert_eq!(g.get(2, 1), Some(20.0));
        assert_eq!(g.get(0, 0), Some(10.0));
        assert!(close(g.get(1, 1).expect("cell"), 20.0));
        assert_eq!(g.nan_count(), 0);
    }

    #[test]
    fn mocker_perf_data_layout() {
        let (xs, ys, itl, thpt) = lattice();
        let d = DecodeInterpolator::new(&xs, &ys, &itl, &thpt, 10_000.0, 5).expect("decode");
        let p = PrefillInterpolator::new(
            &[100.0, 1100.0, 2100.0],
            &[20.0, 40.0, 80.0],
            &[5000.0, 27500.0, 26250.0],
            Method::Linear,
        )
        .expect("prefill");
        let m = mocker_perf_data(&p, &d);
        assert_eq!(m.prefill_isl, [100.0, 600.0, 1100.0, 1600.0, 2100.0]);
        assert_eq!(m.prefill_ttft_ms, [20.0, 30.0, 40.0, 60.0, 80.0]);
        assert_eq!(
            m.decode_active_kv_tokens,
            [0.0, 2500.0, 5000.0, 7500.0, 10_000.0]
        );
        assert_eq!(
            m.decode_context_length,
            [0.0, 1000.0, 2000.0, 3000.0, 4000.0]
        );
        // [kv][ctx]: kv index 3 (usage .75) → ITL 25 at every context.
        assert_eq!(m.decode_itl.len(), 25);
        for c in 0..5 {
            assert!(close(m.decode_itl[3 * 5 + c], 25.0));
        }
        // Prefill queries clamp.
        assert_eq!(p.ttft_ms(0.0), 20.0);
        assert_eq!(p.thpt_per_gpu(1e6), 26250.0);
        assert_eq!(p.isl_range(), (100.0, 2100.0));
    }

    #[test]
    fn cubic_surface_agrees_on_a_plane() {
        // ITL and thpt are planes in x: the cubic surface reproduces them like the linear one.
        let (xs, ys, itl, thpt) = lattice();
        let profile = DecodeProfile {
            x_kv_usage: &xs,
            y_context_length: &ys,
            z_itl_ms: &itl,
            z_thpt_per_gpu: &thpt,
            max_kv_tokens: 10_000.0,
        };
        let cubic = DecodeInterpolator::from_profile(&profile, 5, Surface::Cubic).expect("cubic");
        let linear =
            DecodeInterpolator::from_profile(&profile, 5, Surface::Linear).expect("linear");
        for (c, l) in cubic
            .itl_grid()
            .values()
            .iter()
            .zip(linear.itl_grid().values())
        {
            assert!((c - l).abs() < 1e-4, "{c} vs {l}");
        }
        let best = cubic.find_best_throughput_per_gpu(22.0, 3000.0);
        assert!((best.thpt_per_gpu - 300.0).abs() < 1e-3 && best.kv_usage == 0.5);
    }

    #[test]
    fn refuses_bad_input() {
        let (xs, ys, itl, thpt) = lattice();
        assert!(DecodeInterpolator::new(&xs, &ys, &itl, &thpt, 0.0, 5).is_err());
        assert!(DecodeInterpolator::new(&xs, &ys, &itl, &thpt, 1.0, 1).is_err());
        let zeros = vec![0.0; ys.len()];
        assert!(DecodeInterpolator::new(&xs, &zeros, &itl, &thpt, 1.0, 5).is_err());
        assert!(DecodeInterpolator::new(&xs, &ys, &itl[..3], &thpt, 1.0, 5).is_err());
        assert!(PrefillInterpolator::new(&[1.0], &[1.0], &[1.0], Method::Pchip).is_err());
    }
}
