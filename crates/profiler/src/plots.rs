//! The profile's pictures (spec §8.3): prefill TTFT with its quadratic fit, prefill throughput,
//! and decode ITL / throughput as heatmaps of the interpolated surface. PNG bytes out.

use servebench_profiler_fit::clough_tocher::griddata_cubic;
use servebench_profiler_fit::fit::quadratic;
use servebench_profiler_fit::griddata::{OutsideHull, linspace};
use servebench_viz::{Axis, Heatmap, LinePlot, Plot, Series, Style};

use crate::data::{DecodeData, PrefillData};
use crate::error::ProfilerError;

/// File name of the prefill TTFT plot.
pub const PREFILL_TTFT_PNG: &str = "prefill_ttft_interpolation.png";
/// File name of the prefill throughput plot.
pub const PREFILL_THPT_PNG: &str = "prefill_throughput_interpolation.png";
/// File name of the decode ITL heatmap.
pub const DECODE_ITL_PNG: &str = "decode_itl_interpolation.png";
/// File name of the decode throughput heatmap.
pub const DECODE_THPT_PNG: &str = "decode_throughput_interpolation.png";

/// Points per axis of the decode heatmaps (the original's 100 × 100 grid).
const HEATMAP_POINTS: usize = 100;
/// Points drawn along the quadratic fit.
const FIT_POINTS: usize = 25;

/// `v` as Python's `{:.2e}` writes it (`4.21e-07`, `1.52e+01`).
#[must_use]
pub fn python_e2(v: f64) -> String {
    let s = format!("{v:.2e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// The legend of the fit: `Quadratic fit: {a:.2e}x² + {b:.2e}x + {c:.2e}`.
#[must_use]
pub fn fit_label(a: f64, b: f64, c: f64) -> String {
    format!(
        "Quadratic fit: {}x² + {}x + {}",
        python_e2(a),
        python_e2(b),
        python_e2(c)
    )
}

fn png(plot: &impl Plot, file: &'static str) -> Result<Vec<u8>, ProfilerError> {
    png_sized(plot, file, &Style::default())
}

fn png_sized(
    plot: &impl Plot,
    file: &'static str,
    style: &Style,
) -> Result<Vec<u8>, ProfilerError> {
    plot.to_png(style)
        .map_err(|source| ProfilerError::Plot { file, source })
}

/// `prefill_ttft_interpolation.png`: measured TTFT and the least-squares quadratic, whose
/// coefficients are returned too (highest power first). Needs at least 3 points.
///
/// # Errors
/// Too few or degenerate points, or a plot that cannot be drawn.
pub fn prefill_ttft_png(data: &PrefillData) -> Result<(Vec<u8>, [f64; 3]), ProfilerError> {
    let xs: Vec<f64> = data.prefill_isl.iter().map(|&x| x as f64).collect();
    let fit = quadratic(&xs, &data.prefill_ttft).map_err(|source| ProfilerError::Fit {
        what: "the quadratic fit of prefill TTFT".into(),
        source,
    })?;
    let c = fit.coefficients_highest_first();
    let abc = [c[0], c[1], c[2]];
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    let line: Vec<(f64, f64)> = linspace(lo, hi, FIT_POINTS)
        .into_iter()
        .map(|x| (x, fit.eval(x)))
        .collect();
    let measured: Vec<(f64, f64)> = xs
        .iter()
        .copied()
        .zip(data.prefill_ttft.iter().copied())
        .collect();
    let plot = LinePlot::new(
        "Prefill TTFT vs Input Sequence Length",
        Axis::new("Input Sequence Length", "tokens"),
        Axis::new("Time to First Token", "ms"),
        vec![
            Series::new("Measured TTFT", measured),
            Series::new(fit_label(abc[0], abc[1], abc[2]), line),
        ],
    );
    // Wide enough for the whole fit legend.
    let style = Style::with_size(1300, 600);
    Ok((png_sized(&plot, PREFILL_TTFT_PNG, &style)?, abc))
}

/// `prefill_throughput_interpolation.png`: throughput per GPU over ISL.
///
/// # Errors
/// No points, or a plot that cannot be drawn.
pub fn prefill_throughput_png(data: &PrefillData) -> Result<Vec<u8>, ProfilerError> {
    let points: Vec<(f64, f64)> = data
        .prefill_isl
        .iter()
        .map(|&x| x as f64)
        .zip(data.prefill_thpt_per_gpu.iter().copied())
        .collect();
    let plot = LinePlot::new(
        "Prefill Throughput vs Input Sequence Length",
        Axis::new("Input Sequence Length", "tokens"),
        Axis::new("Prefill throughput per GPU", "tokens/s/GPU"),
        vec![Series::new("Measured throughput per GPU", points)],
    );
    png(&plot, PREFILL_THPT_PNG)
}

/// Grid x values, grid y values, and `z[ix][iy]`.
type Surface = (Vec<f64>, Vec<f64>, Vec<Vec<f64>>);

/// The interpolated surface of `values` over (KV usage %, context length) on a 100 × 100 grid
/// spanning the samples: Clough–Tocher cubic as the original's `griddata(method="cubic")`, cells
/// outside the samples' hull taking the nearest sample (where matplotlib leaves them blank).
fn surface(data: &DecodeData, values: &[f64], what: &str) -> Result<Surface, ProfilerError> {
    let x: Vec<f64> = data.x_kv_usage.iter().map(|v| v * 100.0).collect();
    let range = |v: &[f64]| {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            })
    };
    let (x0, x1) = range(&x);
    let (y0, y1) = range(&data.y_context_length);
    let xi = linspace(x0, x1, HEATMAP_POINTS);
    let yi = linspace(y0, y1, HEATMAP_POINTS);
    let grid = griddata_cubic(
        &x,
        &data.y_context_length,
        values,
        &xi,
        &yi,
        OutsideHull::Nearest,
    )
    .map_err(|source| ProfilerError::Fit {
        what: format!("the decode {what} surface (needs 3 points not on one line)"),
        source,
    })?;
    let z = (0..xi.len())
        .map(|ix| {
            (0..yi.len())
                .map(|iy| grid.get(ix, iy).unwrap_or(0.0))
                .collect()
        })
        .collect();
    Ok((xi, yi, z))
}

/// `decode_itl_interpolation.png`: heatmap of ITL over KV usage × context length.
///
/// # Errors
/// Fewer than 3 points, all points on one line, or a plot that cannot be drawn.
pub fn decode_itl_png(data: &DecodeData) -> Result<Vec<u8>, ProfilerError> {
    let (xi, yi, z) = surface(data, &data.z_itl, "ITL")?;
    let plot = Heatmap::new(
        "Decode ITL Interpolation",
        Axis::new("Active KV Percentage", "%"),
        Axis::new("Decode Context Length", "tokens"),
        "ITL (ms)",
        xi,
        yi,
        z,
    );
    png(&plot, DECODE_ITL_PNG)
}

/// `decode_throughput_interpolation.png`: heatmap of throughput per GPU.
///
/// # Errors
/// As [`decode_itl_png`].
pub fn decode_throughput_png(data: &DecodeData) -> Result<Vec<u8>, ProfilerError> {
    let (xi, yi, z) = surface(data, &data.z_thpt_per_gpu, "throughput")?;
    let plot = Heatmap::new(
        "Decode Throughput Interpolation",
        Axis::new("Active KV Percentage", "%"),
        Axis::new("Decode Context Length", "tokens"),
        "Throughput (tokens/s/GPU)",
        xi,
        yi,
        z,
    );
    png(&plot, DECODE_THPT_PNG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_numbers_look_like_pythons() {
        assert_eq!(python_e2(4.209989e-7), "4.21e-07");
        assert_eq!(python_e2(1.518344e-2), "1.52e-02");
        assert_eq!(python_e2(16.50142), "1.65e+01");
        assert_eq!(python_e2(-25.74), "-2.57e+01");
        assert_eq!(
            fit_label(1e-6, 0.5, 20.0),
            "Quadratic fit: 1.00e-06x² + 5.00e-01x + 2.00e+01"
        );
    }
}
