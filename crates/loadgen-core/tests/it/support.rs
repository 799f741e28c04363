//! Shared fixtures: the scripted server and run helpers.

pub(crate) mod server;

use std::sync::Arc;
use std::time::Duration;

use servebench_loadgen_core::{
    CancelHandle, DatasetEntry, EndpointConfig, EndpointKind, LoadMode, RunConfig, RunReport,
    StopCondition, run,
};
use servebench_metrics::{RequestRecord, RunClock};

/// `n` small dataset entries asking for 16 output tokens.
pub(crate) fn dataset(n: usize) -> Arc<[DatasetEntry]> {
    (0..n)
        .map(|i| DatasetEntry::new(format!("prompt number {i}"), 3, Some(16)))
        .collect()
}

/// A streaming chat configuration for `urls`, stopping after `count` requests.
pub(crate) fn config(urls: Vec<String>, count: u64) -> RunConfig {
    let mut endpoint = EndpointConfig::new(EndpointKind::Chat, "mock");
    endpoint.streaming = true;
    let mut config = RunConfig::new(RunClock::start(), urls, endpoint);
    config.stop = StopCondition::requests(count);
    config.request_timeout = Duration::from_secs(10);
    config.cancel_grace = Duration::from_millis(100);
    config
}

/// Runs to completion and returns the report and the records in index order.
pub(crate) async fn run_collect(
    config: RunConfig,
    load: LoadMode,
) -> (RunReport, Vec<RequestRecord>) {
    run_with(config, dataset(4), load, CancelHandle::new()).await
}

/// [`run_collect`] with an explicit dataset and cancel handle.
pub(crate) async fn run_with(
    config: RunConfig,
    dataset: Arc<[DatasetEntry]>,
    load: LoadMode,
    cancel: CancelHandle,
) -> (RunReport, Vec<RequestRecord>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let report = run(config, dataset, load, tx, cancel).await.expect("run");
    let mut records: Vec<RequestRecord> = rx.try_iter().collect();
    records.sort_by_key(|r| r.index);
    (report, records)
}

/// Request sequence number the scripted server put in the record's first content chunk.
pub(crate) fn server_seq(record: &RequestRecord) -> u64 {
    let text = &record.chunks[0].text;
    text[1..text.find('t').unwrap()].parse().unwrap()
}
