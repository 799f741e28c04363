//! Writes one PNG and one SVG of each plot kind into a directory, to look at the house style:
//! `cargo run -p servebench-viz --example gallery -- /tmp/viz-samples`
//! (the directory defaults to `$SERVEBENCH_VIZ_OUT`, then `viz-samples`).

use std::path::PathBuf;

use servebench_viz::{
    Axis, BandPlot, BandPoint, BandSeries, Figure, Heatmap, LabeledPoint, LinePlot, Panel,
    ParetoPlot, Plot, ScatterPlot, ScatterSeries, Series, Style, VizError,
};

fn main() -> Result<(), VizError> {
    let dir = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("SERVEBENCH_VIZ_OUT").ok())
        .map_or_else(|| PathBuf::from("viz-samples"), PathBuf::from);
    std::fs::create_dir_all(&dir).map_err(|source| VizError::Io {
        path: dir.clone(),
        source,
    })?;
    let style = Style::default();
    let conc = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
    let line = LinePlot::new(
        "Time to first token vs concurrency",
        Axis::unitless("Concurrency").log2(),
        Axis::new("TTFT p50", "ms"),
        vec![
            Series::new(
                "agg tp1",
                zip(&conc, &[21.0, 24.5, 33.0, 61.0, 140.0, 310.0]),
            ),
            Series::new(
                "agg tp2",
                zip(&conc, &[14.0, 15.5, 19.0, 30.0, 66.0, 150.0]),
            ),
            Series::new(
                "disagg 1P+1D",
                zip(&conc, &[17.0, 18.0, 20.0, 24.0, 38.0, 80.0]),
            ),
        ],
    );
    save(&line, &style, &dir, "line")?;

    let scatter = ScatterPlot::new(
        "Throughput per user vs per GPU",
        Axis::new("Output throughput per user", "tokens/s/user"),
        Axis::new("Output throughput per GPU", "tokens/s/GPU").from_zero(),
        vec![
            labeled(
                "agg tp1",
                &[(95.0, 90.0), (88.0, 170.0), (74.0, 300.0), (52.0, 410.0)],
            ),
            labeled(
                "agg tp2",
                &[(140.0, 65.0), (131.0, 125.0), (112.0, 230.0), (80.0, 330.0)],
            ),
        ],
    );
    save(&scatter, &style, &dir, "scatter")?;

    let pareto = ParetoPlot::new(
        "Pareto frontier: per-GPU vs per-user throughput",
        Axis::new("Output throughput per user", "tokens/s/user"),
        Axis::new("Output throughput per GPU", "tokens/s/GPU").from_zero(),
        vec![
            labeled(
                "agg tp1",
                &[(95.0, 90.0), (88.0, 170.0), (74.0, 300.0), (52.0, 410.0)],
            ),
            labeled(
                "agg tp2",
                &[(140.0, 65.0), (131.0, 125.0), (112.0, 230.0), (80.0, 330.0)],
            ),
            labeled(
                "disagg 1P+1D",
                &[(120.0, 70.0), (100.0, 160.0), (60.0, 250.0)],
            ),
        ],
    );
    save(&pareto, &style, &dir, "pareto")?;

    let ratios = [0.1, 0.3, 0.5, 0.7, 0.9];
    let band = BandPlot::new(
        "TTFT vs prefix ratio",
        Axis::unitless("Prefix ratio"),
        Axis::new("TTFT", "ms").from_zero(),
        vec![
            BandSeries::new(
                "round-robin",
                bands(&ratios, &[120.0, 118.0, 115.0, 113.0, 110.0]),
            ),
            BandSeries::new("kv", bands(&ratios, &[118.0, 104.0, 88.0, 70.0, 48.0])),
        ],
    );
    save(&band, &style, &dir, "band")?;

    let throughput = BandPlot::new(
        "Output throughput vs prefix ratio",
        Axis::unitless("Prefix ratio"),
        Axis::new("Output throughput", "tokens/s").from_zero(),
        vec![
            BandSeries::new(
                "round-robin",
                bands(&ratios, &[2100.0, 2150.0, 2180.0, 2200.0, 2230.0]),
            ),
            BandSeries::new(
                "kv",
                bands(&ratios, &[2120.0, 2300.0, 2500.0, 2750.0, 3100.0]),
            ),
        ],
    );
    let figure = Figure::new(
        "Prefix ratio benchmark",
        2,
        vec![Panel::from(band), Panel::from(throughput)],
    );
    save(&figure, &Style::with_size(1600, 600), &dir, "figure")?;

    let xs: Vec<f64> = (0..10).map(|i| 0.1 * f64::from(i) + 0.05).collect();
    let ys: Vec<f64> = (0..8).map(|j| 1024.0 * f64::from(j + 1)).collect();
    let z: Vec<Vec<f64>> = xs
        .iter()
        .map(|&kv| {
            ys.iter()
                .map(|&ctx| 8.0 + 20.0 * kv + ctx / 1000.0)
                .collect()
        })
        .collect();
    let heat = Heatmap::new(
        "Decode ITL over KV usage and context length",
        Axis::unitless("KV cache usage (fraction)"),
        Axis::new("Context length", "tokens"),
        "ITL (ms)",
        xs,
        ys,
        z,
    );
    save(&heat, &style, &dir, "heatmap")?;
    println!("wrote {}", dir.display());
    Ok(())
}

fn zip(xs: &[f64], ys: &[f64]) -> Vec<(f64, f64)> {
    xs.iter().copied().zip(ys.iter().copied()).collect()
}

fn labeled(label: &str, pts: &[(f64, f64)]) -> ScatterSeries {
    let conc = [1, 2, 4, 8, 16, 32];
    ScatterSeries::new(
        label,
        pts.iter()
            .zip(conc)
            .map(|(&(x, y), c)| LabeledPoint::new(x, y, format!("c={c}")))
            .collect(),
    )
}

fn bands(xs: &[f64], medians: &[f64]) -> Vec<BandPoint> {
    xs.iter()
        .zip(medians)
        .map(|(&x, &m)| BandPoint::new(x, m * 0.85, m, m * 1.12))
        .collect()
}

fn save(
    plot: &impl Plot,
    style: &Style,
    dir: &std::path::Path,
    name: &str,
) -> Result<(), VizError> {
    plot.save_png(style, &dir.join(format!("{name}.png")))?;
    plot.save_svg(style, &dir.join(format!("{name}.svg")))
}
