//! Bad data are clear errors, never panics, and nothing is rendered.

use servebench_viz::{
    Axis, BandPoint, LabeledPoint, LinePlot, Plot, ScatterSeries, Series, Style, VizError,
};

use crate::fixtures;

#[test]
fn empty_series_list_and_empty_series_are_errors() {
    let mut p = fixtures::line();
    p.series.clear();
    let err = p.to_png(&Style::default()).unwrap_err();
    assert!(matches!(err, VizError::Empty { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "plot `Latency vs load`: the series list is empty"
    );

    let mut p = fixtures::line();
    p.series[1].points.clear();
    let err = p.to_svg(&Style::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plot `Latency vs load`: series `beta-series` is empty"
    );
}

#[test]
fn non_finite_values_are_errors() {
    let mut p = fixtures::line();
    p.x = Axis::unitless("Concurrency");
    p.series[0].points[2].1 = f64::NAN;
    let err = p.to_png(&Style::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plot `Latency vs load`: series `alpha-series` point 2: y is NaN, which is not a finite number"
    );

    let mut s = fixtures::scatter();
    s.series[1].points[0].x = f64::INFINITY;
    assert!(matches!(s.check(), Err(VizError::NonFinite { .. })));

    let mut b = fixtures::band();
    b.series[0].points[1].p75 = f64::NEG_INFINITY;
    assert!(matches!(b.check(), Err(VizError::NonFinite { .. })));

    let mut h = fixtures::heatmap();
    h.z[1][1] = f64::NAN;
    let err = h.check().unwrap_err();
    assert_eq!(
        err.to_string(),
        "plot `ITL surface`: z[1][1]: z is NaN, which is not a finite number"
    );
}

#[test]
fn log_axes_reject_zero_and_negative_values() {
    // x log: a zero concurrency.
    let mut p = fixtures::line();
    p.series[1].points[0].0 = 0.0;
    let err = p.to_png(&Style::default()).unwrap_err();
    assert!(matches!(err, VizError::NonPositiveOnLog { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "plot `Latency vs load`: series `beta-series` point 0: x is 0, but the x axis is logarithmic and needs values > 0"
    );
    // y log: a negative latency.
    let mut p = fixtures::line();
    p.series[0].points[1].1 = -3.0;
    assert!(matches!(
        p.to_svg(&Style::default()),
        Err(VizError::NonPositiveOnLog { .. })
    ));
    // The same values are fine on linear axes.
    let mut p = fixtures::line();
    p.x = Axis::unitless("Concurrency");
    p.y = Axis::new("TTFT p50", "ms");
    p.series[1].points[0].0 = 0.0;
    p.series[0].points[1].1 = -3.0;
    assert!(p.to_png(&Style::with_size(400, 300)).is_ok());
    // Scatter, band and heatmap axes check too.
    let mut s = fixtures::scatter();
    s.y = s.y.log();
    s.series.push(ScatterSeries::new(
        "zero",
        vec![LabeledPoint::new(1.0, 0.0, "")],
    ));
    assert!(matches!(s.check(), Err(VizError::NonPositiveOnLog { .. })));
    let mut b = fixtures::band();
    b.y = b.y.log();
    b.series[0].points.push(BandPoint::new(1.0, -1.0, 1.0, 2.0));
    assert!(matches!(b.check(), Err(VizError::NonPositiveOnLog { .. })));
    let mut h = fixtures::heatmap();
    h.x = h.x.log();
    h.xs[0] = 0.0;
    assert!(matches!(h.check(), Err(VizError::NonPositiveOnLog { .. })));
}

#[test]
fn heatmap_grid_mismatches_are_errors() {
    let mut h = fixtures::heatmap();
    h.z.pop();
    let err = h.to_png(&Style::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plot `ITL surface`: z has 2 rows but there are 3 x values (z[i][j] is the value at x[i], y[j])"
    );
    let mut h = fixtures::heatmap();
    h.z[2].push(1.0);
    assert_eq!(
        h.check().unwrap_err().to_string(),
        "plot `ITL surface`: z[2] has 3 values but there are 2 y values"
    );
    let mut h = fixtures::heatmap();
    h.ys = vec![2000.0, 1000.0];
    assert!(matches!(
        h.check(),
        Err(VizError::NotIncreasing { index: 1, .. })
    ));
    let mut h = fixtures::heatmap();
    h.xs.clear();
    h.z.clear();
    assert!(matches!(h.check(), Err(VizError::Empty { .. })));
}

#[test]
fn band_quantiles_out_of_order_are_errors() {
    let mut b = fixtures::band();
    b.series[0].points[2] = BandPoint::new(0.9, 50.0, 45.0, 55.0);
    assert_eq!(
        b.check().unwrap_err().to_string(),
        "plot `TTFT vs prefix ratio`: series `kv-router` point 2: needs p25 <= median <= p75, got 50 / 45 / 55"
    );
}

#[test]
fn image_sizes_outside_the_layout_are_errors() {
    let p = LinePlot::new(
        "t",
        Axis::unitless("x"),
        Axis::unitless("y"),
        vec![Series::new("s", vec![(0.0, 0.0)])],
    );
    for (w, h) in [(10, 10), (0, 600), (1000, 100_000)] {
        assert!(matches!(
            p.to_png(&Style::with_size(w, h)),
            Err(VizError::Size { .. })
        ));
    }
    // A single point (zero-width ranges) still renders.
    assert!(p.to_png(&Style::with_size(320, 240)).is_ok());
}

#[test]
fn figures_check_every_panel() {
    use servebench_viz::Figure;
    let empty = Figure::new("f", 2, vec![]);
    assert!(matches!(empty.check(), Err(VizError::Empty { .. })));
    let no_columns = Figure::new("f", 0, vec![fixtures::band().into()]);
    assert!(matches!(
        no_columns.check(),
        Err(VizError::GridShape { .. })
    ));
    let mut bad = fixtures::heatmap();
    bad.z.pop();
    let fig = Figure::new("f", 2, vec![fixtures::band().into(), bad.into()]);
    assert!(matches!(
        fig.to_png(&Style::default()),
        Err(VizError::GridShape { .. })
    ));
}

#[test]
fn ranges_plotters_cannot_tick_are_errors_not_hangs() {
    // plotters 0.3.7 loops forever laying out ticks near the float limits.
    let p = LinePlot::new(
        "huge",
        Axis::unitless("x"),
        Axis::unitless("y"),
        vec![Series::new("s", vec![(-1e308, 0.0), (1e308, 1.0)])],
    );
    let err = p.to_png(&Style::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plot `huge`: the x values run from -1e308 to 1e308, beyond what can be drawn (magnitudes up to 1e100)"
    );
    let mut h = fixtures::heatmap();
    h.z[0][0] = -1e300;
    assert!(matches!(
        h.to_svg(&Style::default()),
        Err(VizError::Range { .. })
    ));
    // Values that differ by less than float precision are drawn as one value.
    let p = LinePlot::new(
        "flat",
        Axis::unitless("x"),
        Axis::unitless("y"),
        vec![Series::new("s", vec![(1e15, 1.0), (1e15 + 1.0, 1.0)])],
    );
    assert!(p.to_png(&Style::default()).is_ok());
}
