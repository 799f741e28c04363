//! `--server-metrics-url` / `--no-server-metrics`: which Prometheus endpoints to scrape, and the
//! report after the run.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use anyhow::bail;
use servebench_loadgen_core::server_metrics::{CSV_FILE, JSON_FILE, ServerMetrics, metrics_url};

use crate::args::Args;

/// The metrics URLs and scrape interval, or `None` with `--no-server-metrics`. Default: each
/// server's `/metrics` (as AIPerf).
pub(crate) fn plan(
    args: &Args,
    urls: &[String],
) -> anyhow::Result<Option<(Vec<String>, Duration)>> {
    if args.no_server_metrics {
        return Ok(None);
    }
    let every = args.server_metrics_interval;
    if !(every.is_finite() && every > 0.0) {
        bail!("--server-metrics-interval must be > 0 seconds");
    }
    let mut targets: Vec<String> = if args.server_metrics_urls.is_empty() {
        urls.iter().map(|u| metrics_url(u)).collect()
    } else {
        args.server_metrics_urls
            .iter()
            .map(|u| {
                if u.contains("://") {
                    u.clone()
                } else {
                    format!("http://{u}")
                }
            })
            .collect()
    };
    for extra in &args.server_metrics_extra {
        let url = if extra.trim_end_matches('/').ends_with("/metrics") {
            if extra.contains("://") {
                extra.clone()
            } else {
                format!("http://{extra}")
            }
        } else {
            metrics_url(extra)
        };
        if !targets.contains(&url) {
            targets.push(url);
        }
    }
    Ok(Some((targets, Duration::from_secs_f64(every))))
}

/// Writes the exports and prints the prefix-cache hit rate when a server reports it; scrape
/// failures are warnings (the benchmark itself is unaffected).
///
/// # Errors
/// The exports could not be written.
pub(crate) fn report(scraped: &ServerMetrics, dir: &Path) -> anyhow::Result<()> {
    for endpoint in &scraped.endpoints {
        if let Some((_, first)) = endpoint.errors.first() {
            eprintln!(
                "loadgen: warning: server metrics: {} of {} scrapes of {} failed (first: {first})",
                endpoint.errors.len(),
                endpoint.errors.len() + endpoint.snapshots.len(),
                endpoint.url
            );
        }
    }
    if scraped.endpoints.iter().all(|e| e.snapshots.is_empty()) {
        return Ok(());
    }
    scraped
        .write(dir)
        .with_context(|| format!("cannot write {JSON_FILE} / {CSV_FILE}"))?;
    if let Some(h) = scraped.prefix_cache_hit_rate() {
        println!(
            "Server prefix cache hit rate: {:.2}% ({} of {} prompt tokens, server counters)",
            h.rate() * 100.0,
            h.hits,
            h.queries
        );
    }
    Ok(())
}
