//! `server_metrics_export.json` and `.csv`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::{EndpointMetrics, MetricType, ServerMetrics};

/// File names, as AIPerf's.
pub const JSON_FILE: &str = "server_metrics_export.json";
/// CSV export file name.
pub const CSV_FILE: &str = "server_metrics_export.csv";

/// One series (a metric name and a label set) of one endpoint, over all scrapes.
struct Series<'a> {
    endpoint: &'a str,
    name: &'a str,
    kind: MetricType,
    labels: &'a BTreeMap<String, String>,
    points: Vec<(f64, f64)>,
}

/// A series' identity: metric name and label pairs.
type SeriesKey<'a> = (&'a str, Vec<(&'a str, &'a str)>);

fn series(endpoint: &EndpointMetrics) -> Vec<Series<'_>> {
    let mut by_key: BTreeMap<SeriesKey<'_>, Series<'_>> = BTreeMap::new();
    for (at, samples) in &endpoint.snapshots {
        for s in samples {
            let key = (
                s.name.as_str(),
                s.labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
            );
            by_key
                .entry(key)
                .or_insert_with(|| Series {
                    endpoint: &endpoint.url,
                    name: &s.name,
                    kind: s.kind,
                    labels: &s.labels,
                    points: Vec::new(),
                })
                .points
                .push((*at, s.value));
        }
    }
    by_key.into_values().collect()
}

/// Counters, histograms and summaries are cumulative: reported as their change over the run.
fn cumulative(kind: MetricType) -> bool {
    matches!(
        kind,
        MetricType::Counter | MetricType::Histogram | MetricType::Summary
    )
}

fn stats(s: &Series<'_>) -> Value {
    let first = s.points.first().map_or(0.0, |p| p.1);
    let last = s.points.last().map_or(0.0, |p| p.1);
    if cumulative(s.kind) {
        let span = s.points.last().map_or(0.0, |p| p.0) - s.points.first().map_or(0.0, |p| p.0);
        let total = if last >= first { last - first } else { last };
        return json!({
            "total": finite(total),
            "rate": if span > 0.0 { finite(total / span) } else { Value::Null },
            "start": finite(first),
            "end": finite(last),
        });
    }
    let mut values: Vec<f64> = s
        .points
        .iter()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .collect();
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return json!({"last": finite(last)});
    }
    let pct = |q: f64| {
        let rank = q * (values.len() - 1) as f64;
        let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
        values[lo] + (values[hi] - values[lo]) * (rank - lo as f64)
    };
    let avg = values.iter().sum::<f64>() / values.len() as f64;
    let std = (values.iter().map(|v| (v - avg).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    json!({
        "avg": avg,
        "std": std,
        "min": values[0],
        "max": values[values.len() - 1],
        "p50": pct(0.5),
        "p90": pct(0.9),
        "p99": pct(0.99),
        "last": finite(last),
    })
}

fn finite(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

impl ServerMetrics {
    /// The JSON export, shaped as AIPerf's: `{"summary": {"endpoints_configured",
    /// "endpoints_successful"}, "endpoints": [...], "prefix_cache", "metrics": {name: {"type",
    /// "series": [{"endpoint_url", "labels", "stats", ["timeseries"]}]}}}`. Cumulative metrics have `stats.total` (the
    /// change over the run), `rate`, `start`, `end`; gauges
    /// `avg/std/min/max/p50/p90/p99/last` and `timeseries` (`[seconds since the first scrape,
    /// value]` pairs).
    pub fn to_json(&self) -> Value {
        let mut metrics: BTreeMap<&str, (MetricType, Vec<Value>)> = BTreeMap::new();
        for endpoint in &self.endpoints {
            for s in series(endpoint) {
                let mut entry = json!({
                    "endpoint_url": s.endpoint,
                    "labels": s.labels,
                    "stats": stats(&s),
                });
                if !cumulative(s.kind) {
                    entry["timeseries"] = s
                        .points
                        .iter()
                        .map(|(t, v)| json!([t, finite(*v)]))
                        .collect();
                }
                metrics
                    .entry(s.name)
                    .or_insert_with(|| (s.kind, Vec::new()))
                    .1
                    .push(entry);
            }
        }
        let metrics: serde_json::Map<String, Value> = metrics
            .into_iter()
            .map(|(name, (kind, series))| {
                (
                    name.to_owned(),
                    json!({"type": kind.name(), "series": series}),
                )
            })
            .collect();
        json!({
            "summary": {
                "endpoints_configured": self.endpoints.iter().map(|e| e.url.as_str()).collect::<Vec<_>>(),
                "endpoints_successful": self.endpoints.iter().filter(|e| !e.snapshots.is_empty()).map(|e| e.url.as_str()).collect::<Vec<_>>(),
            },
            "endpoints": self.endpoints.iter().map(|e| json!({
                "url": e.url,
                "scrapes": e.snapshots.len(),
                "errors": e.errors.iter().map(|(t, m)| json!({"at_s": t, "message": m})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "prefix_cache": self.prefix_cache_hit_rate().map(|h| json!({
                "hit_tokens": h.hits, "query_tokens": h.queries, "hit_rate": h.rate(),
            })),
            "metrics": metrics,
        })
    }

    /// The CSV export: one row per statistic, columns
    /// `endpoint,metric,type,labels,stat,value` (labels as `k=v;k=v`).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("endpoint,metric,type,labels,stat,value\n");
        for endpoint in &self.endpoints {
            for s in series(endpoint) {
                let labels: Vec<String> =
                    s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if let Value::Object(stats) = stats(&s) {
                    for (stat, value) in stats {
                        let value = value.as_f64().map_or_else(String::new, |v| v.to_string());
                        let _ = writeln!(
                            out,
                            "{},{},{},{},{stat},{value}",
                            csv_field(s.endpoint),
                            csv_field(s.name),
                            s.kind.name(),
                            csv_field(&labels.join(";")),
                        );
                    }
                }
            }
        }
        out
    }

    /// Writes both exports into `dir`, each through a `.partial` sidecar renamed into place
    /// (never a partial file under the final name).
    ///
    /// # Errors
    /// The files cannot be written.
    pub fn write(&self, dir: &Path) -> Result<(), servebench_metrics::Error> {
        let json = serde_json::to_string_pretty(&self.to_json()).map_err(|e| {
            servebench_metrics::Error::Write {
                path: dir.join(JSON_FILE),
                source: e.into(),
            }
        })?;
        servebench_metrics::write_atomically(&dir.join(JSON_FILE), json.as_bytes())?;
        servebench_metrics::write_atomically(&dir.join(CSV_FILE), self.to_csv().as_bytes())
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn endpoint(scrapes: &[(f64, &str)]) -> EndpointMetrics {
        EndpointMetrics {
            url: "http://s/metrics".into(),
            snapshots: scrapes
                .iter()
                .map(|(t, text)| (*t, parse(text).unwrap()))
                .collect(),
            errors: Vec::new(),
        }
    }

    #[test]
    fn exports_are_renamed_into_place_and_a_failure_leaves_no_partial_file() {
        let m = ServerMetrics {
            endpoints: vec![endpoint(&[(0.0, "# TYPE c counter\nc 1\n")])],
        };
        let dir = tempfile::tempdir().unwrap();
        m.write(dir.path()).unwrap();
        let names = |d: &Path| {
            let mut n: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(dir.path()), [CSV_FILE, JSON_FILE]);

        // The CSV cannot be renamed over a directory: an error naming it, no sidecar left.
        let blocked = tempfile::tempdir().unwrap();
        std::fs::create_dir(blocked.path().join(CSV_FILE)).unwrap();
        let err = m.write(blocked.path()).unwrap_err();
        assert!(err.to_string().contains(CSV_FILE), "{err}");
        assert_eq!(names(blocked.path()), [CSV_FILE, JSON_FILE]);
    }

    #[test]
    fn counters_are_deltas_and_gauges_time_series() {
        let m = ServerMetrics {
            endpoints: vec![endpoint(&[
                (
                    0.0,
                    "# TYPE c counter\nc{a=\"x\"} 10\n# TYPE g gauge\ng 1\n",
                ),
                (
                    1.0,
                    "# TYPE c counter\nc{a=\"x\"} 15\n# TYPE g gauge\ng 3\n",
                ),
                (
                    2.0,
                    "# TYPE c counter\nc{a=\"x\"} 30\n# TYPE g gauge\ng 2\n",
                ),
            ])],
        };
        let j = m.to_json();
        let c = &j["metrics"]["c"];
        assert_eq!(c["type"], "counter");
        assert_eq!(c["series"][0]["labels"]["a"], "x");
        assert_eq!(c["series"][0]["stats"]["total"], 20.0);
        assert_eq!(c["series"][0]["stats"]["rate"], 10.0);
        let g = &j["metrics"]["g"]["series"][0];
        assert_eq!(g["stats"]["avg"], 2.0);
        assert_eq!(g["stats"]["max"], 3.0);
        assert_eq!(g["stats"]["last"], 2.0);
        assert_eq!(g["timeseries"], json!([[0.0, 1.0], [1.0, 3.0], [2.0, 2.0]]));
        let csv = m.to_csv();
        assert!(
            csv.contains("http://s/metrics,c,counter,a=x,total,20\n"),
            "{csv}"
        );
        assert!(csv.contains("http://s/metrics,g,gauge,,avg,2\n"), "{csv}");
    }

    #[test]
    fn prefix_cache_hit_rate_is_the_ratio_of_counter_deltas() {
        let scrape = |hits: u32, queries: u32| {
            format!(
                "# TYPE vllm:prefix_cache_hits_total counter\nvllm:prefix_cache_hits_total{{model_name=\"m\"}} {hits}\n\
                 # TYPE vllm:prefix_cache_queries_total counter\nvllm:prefix_cache_queries_total{{model_name=\"m\"}} {queries}\n"
            )
        };
        let (a, b) = (scrape(100, 400), scrape(400, 1000));
        let m = ServerMetrics {
            endpoints: vec![endpoint(&[(0.0, &a), (1.0, &b)])],
        };
        let h = m.prefix_cache_hit_rate().unwrap();
        assert_eq!((h.hits, h.queries), (300.0, 600.0));
        assert_eq!(h.rate(), 0.5);
        assert!(ServerMetrics::default().prefix_cache_hit_rate().is_none());
    }
}
