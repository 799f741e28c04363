//! One small plot of each kind, shared by the tests.

use servebench_viz::{
    Axis, BandPlot, BandPoint, BandSeries, Heatmap, LabeledPoint, LinePlot, ParetoPlot,
    ScatterPlot, ScatterSeries, Series,
};

pub(crate) fn line() -> LinePlot {
    LinePlot::new(
        "Latency vs load",
        Axis::unitless("Concurrency").log(),
        Axis::new("TTFT p50", "ms").log(),
        vec![
            Series::new("alpha-series", vec![(1.0, 20.0), (4.0, 30.0), (16.0, 90.0)]),
            Series::new("beta-series", vec![(1.0, 15.0), (4.0, 18.0), (16.0, 40.0)]),
        ],
    )
}

pub(crate) fn points() -> Vec<ScatterSeries> {
    vec![
        ScatterSeries::new(
            "config-a",
            vec![
                LabeledPoint::new(90.0, 100.0, "c=1"),
                LabeledPoint::new(60.0, 300.0, "c=8"),
            ],
        ),
        ScatterSeries::new(
            "config-b",
            vec![
                LabeledPoint::new(120.0, 80.0, "c=2"),
                LabeledPoint::new(50.0, 200.0, "c=16"),
            ],
        ),
    ]
}

pub(crate) fn scatter() -> ScatterPlot {
    ScatterPlot::new(
        "Per user vs per GPU",
        Axis::new("Throughput per user", "tokens/s/user"),
        Axis::new("Throughput per GPU", "tokens/s/GPU"),
        points(),
    )
}

pub(crate) fn pareto() -> ParetoPlot {
    ParetoPlot::new(
        "Pareto chart",
        Axis::new("Throughput per user", "tokens/s/user"),
        Axis::new("Throughput per GPU", "tokens/s/GPU").from_zero(),
        points(),
    )
}

pub(crate) fn band() -> BandPlot {
    BandPlot::new(
        "TTFT vs prefix ratio",
        Axis::unitless("Prefix ratio"),
        Axis::new("TTFT", "ms"),
        vec![BandSeries::new(
            "kv-router",
            vec![
                BandPoint::new(0.1, 90.0, 100.0, 110.0),
                BandPoint::new(0.5, 70.0, 80.0, 95.0),
                BandPoint::new(0.9, 40.0, 45.0, 55.0),
            ],
        )],
    )
}

pub(crate) fn heatmap() -> Heatmap {
    Heatmap::new(
        "ITL surface",
        Axis::unitless("KV usage"),
        Axis::new("Context length", "tokens"),
        "ITL (ms)",
        vec![0.1, 0.5, 0.9],
        vec![1000.0, 2000.0],
        vec![vec![10.0, 12.0], vec![14.0, 16.0], vec![20.0, 25.0]],
    )
}
