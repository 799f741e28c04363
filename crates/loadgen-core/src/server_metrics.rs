//! Server metrics: each server's Prometheus `/metrics` scraped at the start of a run, every
//! interval, and at the end (as AIPerf does by default), reduced to counters as deltas over the
//! run and gauges as time series, and written as `server_metrics_export.json` / `.csv`.
//!
//! [`ServerMetrics::prefix_cache_hit_rate`] gives the share of prompt tokens the servers served
//! from their prefix cache during the run, from vLLM's counters
//! (`vllm:prefix_cache_hits_total` / `vllm:prefix_cache_queries_total`, also exported by the
//! servebench mocker).

mod export;
mod parse;
mod scrape;

use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use export::{CSV_FILE, JSON_FILE};
pub use parse::{MetricType, ParseError, Sample, parse};
pub use scrape::metrics_url;

/// Longest wait for one scrape.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

/// The scrapes of one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointMetrics {
    /// The metrics URL.
    pub url: String,
    /// Successful scrapes: seconds since collection started, and the samples.
    pub snapshots: Vec<(f64, Vec<Sample>)>,
    /// Failed scrapes: seconds since collection started, and what went wrong.
    pub errors: Vec<(f64, String)>,
}

/// Everything scraped during a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerMetrics {
    /// One entry per endpoint, in the order given.
    pub endpoints: Vec<EndpointMetrics>,
}

/// Scrapes endpoints in the background until [`Collector::finish`].
#[derive(Debug)]
pub struct Collector {
    stop: watch::Sender<bool>,
    task: JoinHandle<ServerMetrics>,
}

impl Collector {
    /// Scrapes `urls` (full metrics URLs, see [`metrics_url`]) once before returning (the
    /// start-of-run values), then every `interval` in the background on the current tokio
    /// runtime.
    pub async fn start(urls: Vec<String>, interval: Duration) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let origin = Instant::now();
        let mut metrics = ServerMetrics {
            endpoints: urls
                .into_iter()
                .map(|url| EndpointMetrics {
                    url,
                    snapshots: Vec::new(),
                    errors: Vec::new(),
                })
                .collect(),
        };
        scrape_all(&mut metrics, origin).await;
        let interval = interval.max(Duration::from_millis(10));
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    _ = stopped.changed() => break,
                }
                scrape_all(&mut metrics, origin).await;
            }
            scrape_all(&mut metrics, origin).await;
            metrics
        });
        Self { stop, task }
    }

    /// Takes the final scrape and returns everything collected.
    pub async fn finish(self) -> ServerMetrics {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

async fn scrape_all(metrics: &mut ServerMetrics, origin: Instant) {
    let fetches = metrics.endpoints.iter().map(|e| {
        let url = e.url.clone();
        async move { scrape::fetch(&url, SCRAPE_TIMEOUT).await }
    });
    let bodies = futures_join_all(fetches).await;
    let at = origin.elapsed().as_secs_f64();
    for (endpoint, body) in metrics.endpoints.iter_mut().zip(bodies) {
        match body.and_then(|text| parse(&text).map_err(|e| format!("{}: {e}", endpoint.url))) {
            Ok(samples) => endpoint.snapshots.push((at, samples)),
            Err(e) => endpoint.errors.push((at, e)),
        }
    }
}

/// Runs the futures concurrently and returns their outputs in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        match h.await {
            Ok(v) => out.push(v),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    out
}

/// The value of a counter at the first and last scrape of an endpoint, summed over its series
/// with that name.
fn counter_delta(endpoint: &EndpointMetrics, name: &str) -> Option<f64> {
    let total = |samples: &[Sample]| -> Option<f64> {
        let mut found = false;
        let mut sum = 0.0;
        for s in samples.iter().filter(|s| s.name == name) {
            found = true;
            sum += s.value;
        }
        found.then_some(sum)
    };
    let first = total(&endpoint.snapshots.first()?.1)?;
    let last = total(&endpoint.snapshots.last()?.1)?;
    // A counter that went down was reset: count from zero.
    Some(if last >= first { last - first } else { last })
}

impl ServerMetrics {
    /// The run's delta of counter `name` over every endpoint that reports it (`None` if none
    /// does).
    pub fn counter_delta(&self, name: &str) -> Option<f64> {
        let deltas: Vec<f64> = self
            .endpoints
            .iter()
            .filter_map(|e| counter_delta(e, name))
            .collect();
        (!deltas.is_empty()).then(|| deltas.iter().sum())
    }

    /// Prompt tokens served from the prefix cache during the run over prompt tokens looked up,
    /// from vLLM's `vllm:prefix_cache_hits_total` / `vllm:prefix_cache_queries_total` (summed over
    /// endpoints). `None` when no server reports them or nothing was looked up.
    pub fn prefix_cache_hit_rate(&self) -> Option<PrefixCacheHits> {
        let hits = self.counter_delta("vllm:prefix_cache_hits_total")?;
        let queries = self.counter_delta("vllm:prefix_cache_queries_total")?;
        (queries > 0.0).then_some(PrefixCacheHits { hits, queries })
    }
}

/// Prefix-cache tokens of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrefixCacheHits {
    /// Prompt tokens served from the cache.
    pub hits: f64,
    /// Prompt tokens looked up.
    pub queries: f64,
}

impl PrefixCacheHits {
    /// `hits / queries`.
    pub fn rate(&self) -> f64 {
        self.hits / self.queries
    }
}
