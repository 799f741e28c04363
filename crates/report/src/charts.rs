//! The pictures: `plot.py`'s four line plots and efficiency scatter for sweeps,
//! `plot_pareto.py`'s Pareto chart, and a run's latency percentile curves.

use std::path::Path;

use servebench_viz::{
    Axis, LabeledPoint, LinePlot, ParetoPlot, Plot, ScatterPlot, ScatterSeries, Series, Style,
};

use crate::ReportError;
use crate::export::RunExport;
use crate::pareto::ParetoRow;
use crate::sweep::{SweepSeries, python_title};

/// One picture of any kind, with the file name it is saved under.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File name (`.png`), e.g. `request_throughput_vs_concurrency.png`.
    pub file: String,
    /// Image size and look.
    pub style: Style,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Line(LinePlot),
    Scatter(ScatterPlot),
    Pareto(ParetoPlot),
}

impl Chart {
    fn new(file: &str, style: Style, kind: Kind) -> Self {
        Self {
            file: file.to_owned(),
            style,
            kind,
        }
    }

    /// The chart's title.
    #[must_use]
    pub fn title(&self) -> &str {
        match &self.kind {
            Kind::Line(p) => &p.title,
            Kind::Scatter(p) => &p.title,
            Kind::Pareto(p) => &p.title,
        }
    }

    /// The chart as an SVG document.
    ///
    /// # Errors
    /// [`ReportError::Plot`] when the data cannot be drawn.
    pub fn svg(&self) -> Result<String, ReportError> {
        match &self.kind {
            Kind::Line(p) => p.to_svg(&self.style),
            Kind::Scatter(p) => p.to_svg(&self.style),
            Kind::Pareto(p) => p.to_svg(&self.style),
        }
        .map_err(|source| self.err(source))
    }

    /// The chart as PNG bytes.
    ///
    /// # Errors
    /// [`ReportError::Plot`] when the data cannot be drawn.
    pub fn png(&self) -> Result<Vec<u8>, ReportError> {
        match &self.kind {
            Kind::Line(p) => p.to_png(&self.style),
            Kind::Scatter(p) => p.to_png(&self.style),
            Kind::Pareto(p) => p.to_png(&self.style),
        }
        .map_err(|source| self.err(source))
    }

    /// Renders the PNG and writes it as `dir/<file>`.
    ///
    /// # Errors
    /// [`ReportError::Plot`] or [`ReportError::Io`].
    pub fn save_png(&self, dir: &Path) -> Result<std::path::PathBuf, ReportError> {
        let path = dir.join(&self.file);
        crate::write::write_atomic(&path, &self.png()?)?;
        Ok(path)
    }

    fn err(&self, source: servebench_viz::VizError) -> ReportError {
        ReportError::Plot {
            file: self.file.clone(),
            source,
        }
    }
}

/// The file names of `plot.py`'s pictures, in `SUMMARY.txt` order.
pub const SWEEP_PLOT_FILES: [&str; 5] = [
    "p50_inter_token_latency_vs_concurrency.png",
    "avg_inter_token_latency_vs_concurrency.png",
    "request_throughput_vs_concurrency.png",
    "avg_time_to_first_token_vs_concurrency.png",
    "efficiency_tok_s_gpu_vs_user.png",
];

/// (file, metric, stat, title, quantity, unit) of the four line plots.
const LINES: [(&str, &str, &str, &str, &str, &str); 4] = [
    (
        SWEEP_PLOT_FILES[0],
        "inter_token_latency",
        "p50",
        "P50 Inter-Token Latency vs Concurrency",
        "P50 Inter-Token Latency",
        "ms",
    ),
    (
        SWEEP_PLOT_FILES[1],
        "inter_token_latency",
        "avg",
        "Average Inter-Token Latency vs Concurrency",
        "Average Inter-Token Latency",
        "ms",
    ),
    (
        SWEEP_PLOT_FILES[2],
        "request_throughput",
        "avg",
        "Request Throughput vs Concurrency",
        "Request Throughput",
        "req/s",
    ),
    (
        SWEEP_PLOT_FILES[3],
        "time_to_first_token",
        "avg",
        "Average Time to First Token vs Concurrency",
        "Average Time to First Token",
        "ms",
    ),
];

/// Whether a run has every value the sweep pictures plot (the four line-plot metrics and the
/// output token throughput).
///
/// # Errors
/// [`ReportError::Field`] naming the run's file and the first missing field.
pub fn check_sweep_run(export: &RunExport) -> Result<(), ReportError> {
    for (_, metric, stat, ..) in LINES {
        export.require(metric, stat)?;
    }
    export.output_tokens_per_second().map(|_| ())
}

/// The plottable part of a sweep: each series with only the runs [`check_sweep_run`] accepts
/// (series left with none are dropped), and the errors of the runs left out.
#[must_use]
pub fn plottable(series: &[SweepSeries]) -> (Vec<SweepSeries>, Vec<ReportError>) {
    let mut errors = Vec::new();
    let mut kept = Vec::with_capacity(series.len());
    for s in series {
        let mut s = s.clone();
        s.points.retain(|p| match check_sweep_run(&p.export) {
            Ok(()) => true,
            Err(e) => {
                errors.push(e);
                false
            }
        });
        if !s.points.is_empty() {
            kept.push(s);
        }
    }
    (kept, errors)
}

/// The concurrency axis: base 2 when every concurrency is a power of two (1, 2, 4, …), base 10
/// otherwise (1, 2, 5, 10, …); logarithmic either way, as `plot.py`.
fn concurrency_axis(series: &[SweepSeries]) -> Axis {
    let axis = Axis::unitless("Concurrency Level (concurrent requests)");
    let all_pow2 = series
        .iter()
        .flat_map(|s| &s.points)
        .all(|p| p.concurrency.is_power_of_two());
    if all_pow2 { axis.log2() } else { axis.log() }
}

/// `plot.py`'s five pictures for `series` (labels title-cased as there), in
/// [`SWEEP_PLOT_FILES`] order.
///
/// The efficiency plot uses each run's measured output throughput
/// ([`RunExport::output_tokens_per_second`]) where the original multiplied the request rate by a
/// hard-coded 200 tokens; tokens/s per GPU divides by the GPUs of the series'
/// `deployment_config.json`, or by 1 when there is none.
///
/// # Errors
/// [`ReportError::Field`] naming the file and metric when a run lacks one of the plotted values.
pub fn sweep_charts(series: &[SweepSeries]) -> Result<Vec<Chart>, ReportError> {
    let mut charts = Vec::with_capacity(5);
    for (file, metric, stat, title, quantity, unit) in LINES {
        let mut lines = Vec::with_capacity(series.len());
        for s in series {
            let mut pts = Vec::with_capacity(s.points.len());
            for p in &s.points {
                pts.push((p.concurrency as f64, p.export.require(metric, stat)?));
            }
            lines.push(Series::new(python_title(&s.label), pts));
        }
        let y = Axis::new(quantity, unit);
        let y = if metric == "request_throughput" {
            y.from_zero()
        } else {
            y
        };
        let plot = LinePlot::new(title, concurrency_axis(series), y, lines);
        charts.push(Chart::new(file, Style::default(), Kind::Line(plot)));
    }
    charts.push(efficiency_chart(series)?);
    Ok(charts)
}

/// One point of the efficiency plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EfficiencyPoint {
    /// The run's concurrency (the point's label).
    pub concurrency: u64,
    /// Output tokens per second per user: total output tokens/s ÷ concurrency.
    pub per_user: f64,
    /// Output tokens per second per GPU: total output tokens/s ÷ GPUs (1 when unknown).
    pub per_gpu: f64,
}

/// The points of `plot.py`'s efficiency plot, per series, from the measured output token
/// throughput of each run (not the original's request rate × 200).
///
/// # Errors
/// [`ReportError::Field`] when a run has neither `output_token_throughput` nor the request rate
/// and mean output length.
pub fn efficiency_points(
    series: &[SweepSeries],
) -> Result<Vec<(String, Vec<EfficiencyPoint>)>, ReportError> {
    let mut out = Vec::with_capacity(series.len());
    for s in series {
        let gpus = s.gpus().unwrap_or(1).max(1) as f64;
        let mut pts = Vec::with_capacity(s.points.len());
        for p in &s.points {
            let total = p.export.output_tokens_per_second()?;
            pts.push(EfficiencyPoint {
                concurrency: p.concurrency,
                per_user: total / p.concurrency.max(1) as f64,
                per_gpu: total / gpus,
            });
        }
        out.push((s.label.clone(), pts));
    }
    Ok(out)
}

fn efficiency_chart(series: &[SweepSeries]) -> Result<Chart, ReportError> {
    let groups = efficiency_points(series)?
        .into_iter()
        .map(|(label, pts)| {
            let pts = pts
                .iter()
                .map(|p| LabeledPoint::new(p.per_user, p.per_gpu, p.concurrency.to_string()))
                .collect();
            ScatterSeries::new(python_title(&label), pts)
        })
        .collect();
    let plot = ScatterPlot::new(
        "GPU Efficiency vs User Experience (numbers on dots: concurrency)",
        Axis::new("Tokens/sec per User", "tokens/s/user").from_zero(),
        Axis::new("Tokens/sec per GPU", "tokens/s/GPU").from_zero(),
        groups,
    );
    Ok(Chart::new(
        SWEEP_PLOT_FILES[4],
        Style::with_size(1200, 800),
        Kind::Scatter(plot),
    ))
}

/// `plot_pareto.py`'s picture: per-user against per-GPU output throughput, one colour and one
/// frontier per label (legend `<label>` and `Pareto Frontier <label>`); saved as
/// `pareto_plot.png`. Drawing errors surface when it is rendered.
#[must_use]
pub fn pareto_chart(rows: &[ParetoRow], title: &str) -> Chart {
    let mut groups: Vec<ScatterSeries> = Vec::new();
    for r in rows {
        let label = r.label.clone();
        let point = LabeledPoint::new(r.per_user, r.per_gpu, format!("c{}", r.concurrency));
        match groups.iter_mut().find(|g| g.label == label) {
            Some(g) => g.points.push(point),
            None => groups.push(ScatterSeries::new(label, vec![point])),
        }
    }
    let mut plot = ParetoPlot::new(
        format!("Pareto - {title}"),
        Axis::new("Output token throughput per user, avg", "tokens/s/user"),
        Axis::new("Output token throughput per GPU, avg", "tokens/s/GPU"),
        groups,
    )
    .per_series_frontiers();
    plot.frontier_label = "Pareto Frontier".into();
    Chart::new(
        "pareto_plot.png",
        Style::with_size(1400, 600),
        Kind::Pareto(plot),
    )
}

/// A run's latency distribution: TTFT, request latency and inter-token latency percentiles
/// (p1 … p99), one plot each (TTFT and ITL only exist for streamed runs). Metrics without percentiles are left
/// out; no chart when there is nothing to draw.
#[must_use]
pub fn run_charts(export: &RunExport) -> Vec<Chart> {
    const PCTS: [(&str, f64); 9] = [
        ("p1", 1.0),
        ("p5", 5.0),
        ("p10", 10.0),
        ("p25", 25.0),
        ("p50", 50.0),
        ("p75", 75.0),
        ("p90", 90.0),
        ("p95", 95.0),
        ("p99", 99.0),
    ];
    let curve = |metric: &str, label: &str| {
        let pts: Vec<(f64, f64)> = PCTS
            .iter()
            .filter_map(|(k, q)| Some((*q, export.get(metric, k)?)))
            .collect();
        (!pts.is_empty()).then(|| Series::new(label, pts))
    };
    let mut charts = Vec::new();
    // One plot each: TTFT is often two orders of magnitude below the request latency and would
    // lie flat on a shared axis.
    let plots = [
        (
            "time_to_first_token",
            "Time to first token",
            "time_to_first_token_percentiles.png",
        ),
        (
            "request_latency",
            "Request latency",
            "request_latency_percentiles.png",
        ),
        (
            "inter_token_latency",
            "Inter-token latency",
            "inter_token_latency_percentiles.png",
        ),
    ];
    for (metric, name, file) in plots {
        if let Some(series) = curve(metric, name) {
            let plot = LinePlot::new(
                format!("{name} percentiles"),
                Axis::new("Percentile", "%"),
                Axis::new(name, "ms").from_zero(),
                vec![series],
            );
            charts.push(Chart::new(file, Style::default(), Kind::Line(plot)));
        }
    }
    charts
}

/// The run report's timeline: each profiling request's latency against its start time, failed
/// requests in their own colour; `None` when there are no records.
#[must_use]
pub fn timeline_chart(t: &crate::records::Timeline) -> Option<Chart> {
    let to_points = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|&(x, y)| LabeledPoint::new(x, y, ""))
            .collect::<Vec<_>>()
    };
    let mut groups = Vec::new();
    if !t.succeeded.is_empty() {
        groups.push(ScatterSeries::new("succeeded", to_points(&t.succeeded)));
    }
    if !t.failed.is_empty() {
        groups.push(ScatterSeries::new("failed", to_points(&t.failed)));
    }
    if groups.is_empty() {
        return None;
    }
    let shown = t.succeeded.len() + t.failed.len();
    let title = if shown < t.records {
        format!(
            "Request latency over the run ({shown} of {} requests)",
            t.records
        )
    } else {
        "Request latency over the run".to_owned()
    };
    let plot = ScatterPlot::new(
        title,
        Axis::new("Start time since the first request", "s").from_zero(),
        Axis::new("Request latency", "ms").from_zero(),
        groups,
    );
    Some(Chart::new(
        "request_latency_timeline.png",
        Style::default(),
        Kind::Scatter(plot),
    ))
}
