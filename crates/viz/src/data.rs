//! Plain input data shared by the plot kinds: axes and series of points.

use crate::VizError;

/// How an axis maps values to positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Base-10 logarithmic, ticks labelled at 1, 2 and 5 times powers of ten; every value on
    /// the axis must be > 0.
    Log,
    /// Base-2 logarithmic, ticks at powers of two (concurrency sweeps: 1, 2, 4, 8, …); every
    /// value on the axis must be > 0.
    Log2,
}

impl Scale {
    /// Whether the scale is logarithmic (of either base).
    #[must_use]
    pub fn is_log(self) -> bool {
        matches!(self, Self::Log | Self::Log2)
    }

    /// The logarithm base, if logarithmic.
    pub(crate) fn base(self) -> f64 {
        match self {
            Self::Log2 => 2.0,
            _ => 10.0,
        }
    }
}

/// One axis: its title (with the unit) and scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Title drawn along the axis, e.g. `TTFT p50 (ms)`.
    pub title: String,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// Always show 0 on a linear axis (for throughputs and counts); ignored on a log axis.
    pub from_zero: bool,
}

impl Axis {
    /// An axis for `quantity` measured in `unit`; the title reads `quantity (unit)`, so the unit
    /// is never forgotten. Use [`Axis::unitless`] for ratios and counts.
    #[must_use]
    pub fn new(quantity: &str, unit: &str) -> Self {
        Self {
            title: format!("{quantity} ({unit})"),
            scale: Scale::Linear,
            from_zero: false,
        }
    }

    /// An axis for a dimensionless quantity (a ratio, a concurrency); the title is `quantity`.
    #[must_use]
    pub fn unitless(quantity: &str) -> Self {
        Self {
            title: quantity.to_owned(),
            scale: Scale::Linear,
            from_zero: false,
        }
    }

    /// The same axis on a base-10 logarithmic scale.
    #[must_use]
    pub fn log(mut self) -> Self {
        self.scale = Scale::Log;
        self
    }

    /// The same axis on a base-2 logarithmic scale (ticks at 1, 2, 4, 8, …).
    #[must_use]
    pub fn log2(mut self) -> Self {
        self.scale = Scale::Log2;
        self
    }

    /// The same axis, always including 0 (linear axes only).
    #[must_use]
    pub fn from_zero(mut self) -> Self {
        self.from_zero = true;
        self
    }
}

/// A named sequence of `(x, y)` points, drawn in the given order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text; an empty label keeps the series out of the legend.
    pub label: String,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from a label and points.
    #[must_use]
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
        }
    }
}

/// Checks one coordinate: finite, and > 0 on a log axis.
pub(crate) fn check_value(
    plot: &str,
    place: &dyn Fn() -> String,
    field: &str,
    value: f64,
    scale: Scale,
) -> Result<(), VizError> {
    if !value.is_finite() {
        return Err(VizError::NonFinite {
            plot: plot.to_owned(),
            place: place(),
            field: field.to_owned(),
            value,
        });
    }
    if scale.is_log() && value <= 0.0 {
        return Err(VizError::NonPositiveOnLog {
            plot: plot.to_owned(),
            place: place(),
            field: field.to_owned(),
            value,
        });
    }
    Ok(())
}

/// Checks every point of every series (non-empty, finite, positive on log axes).
pub(crate) fn check_series(
    plot: &str,
    series: &[Series],
    x: &Axis,
    y: &Axis,
) -> Result<(), VizError> {
    if series.is_empty() {
        return Err(empty(plot, "the series list"));
    }
    for s in series {
        if s.points.is_empty() {
            return Err(empty(plot, &format!("series `{}`", s.label)));
        }
        for (i, &(px, py)) in s.points.iter().enumerate() {
            let place = || format!("series `{}` point {i}", s.label);
            check_value(plot, &place, "x", px, x.scale)?;
            check_value(plot, &place, "y", py, y.scale)?;
        }
    }
    Ok(())
}

pub(crate) fn empty(plot: &str, what: &str) -> VizError {
    VizError::Empty {
        plot: plot.to_owned(),
        what: what.to_owned(),
    }
}

/// The drawn range of an axis: the data range plus a little room, so markers and labels at the
/// extremes are not cut by the frame. `values` must be non-empty, finite, and > 0 on a log axis
/// (checked before).
pub(crate) fn axis_range(
    plot: &str,
    name: &str,
    values: impl Iterator<Item = f64>,
    axis: &Axis,
) -> Result<(f64, f64), VizError> {
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let (data_lo, data_hi) = (lo, hi);
    let range = padded(lo, hi, axis);
    check_span(plot, name, (data_lo, data_hi), range)?;
    Ok(range)
}

/// Largest magnitude an axis may reach. plotters 0.3.7's tick search loops forever on ranges
/// near the float limits; benchmark data stay many orders of magnitude below this.
const LIMIT: f64 = 1e100;

/// Fails when a drawn range reaches beyond ±[`LIMIT`] or has no positive finite width;
/// plotters cannot lay out ticks for it.
pub(crate) fn check_span(
    plot: &str,
    name: &str,
    data: (f64, f64),
    drawn: (f64, f64),
) -> Result<(), VizError> {
    let width = drawn.1 - drawn.0;
    let ok = drawn.0.abs() <= LIMIT && drawn.1.abs() <= LIMIT && width.is_finite() && width > 0.0;
    if ok {
        Ok(())
    } else {
        Err(VizError::Range {
            plot: plot.to_owned(),
            axis: name.to_owned(),
            lo: data.0,
            hi: data.1,
        })
    }
}

fn padded(mut lo: f64, mut hi: f64, axis: &Axis) -> (f64, f64) {
    match axis.scale {
        Scale::Log | Scale::Log2 => {
            let ratio = hi / lo;
            let (padded_lo, padded_hi) = if ratio <= 1.0 {
                (lo / 2.0, hi * 2.0)
            } else {
                let f = ratio.powf(0.06);
                (lo / f, hi * f)
            };
            // plotters only puts ticks from the first power of the base inside the range on,
            // so the axis starts no higher than the power at or below the smallest value
            // (15..90 ms is drawn from 10 and gets ticks 10, 20, 50).
            let base = axis.scale.base();
            let power_below = base.powf((lo.log(base) + 1e-9).floor());
            (padded_lo.min(power_below), padded_hi)
        }
        Scale::Linear => {
            if axis.from_zero {
                lo = lo.min(0.0);
                hi = hi.max(0.0);
            }
            let span = hi - lo;
            // A span lost in rounding (e.g. 1e15 and 1e15 + 1) is drawn as a single value.
            let pad = if span > hi.abs().max(lo.abs()) * 1e-9 && span > 1.0 / LIMIT {
                span * 0.06
            } else {
                (hi.abs() * 0.1).max(1.0)
            };
            let lo = if axis.from_zero && lo == 0.0 {
                0.0
            } else {
                lo - pad
            };
            let hi = if axis.from_zero && hi == 0.0 {
                0.0
            } else {
                hi + pad
            };
            (lo, hi)
        }
    }
}

/// Tick label text: at most four significant digits, no trailing zeros, scientific notation
/// only for very large or very small magnitudes.
#[must_use]
pub fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a < 1e-12 {
        return "0".to_owned();
    }
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.2e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
        let mantissa = trim_zeros(mantissa);
        return format!("{mantissa}e{exp}");
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 6) as usize;
    trim_zeros(&format!("{v:.decimals$}")).to_owned()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}
