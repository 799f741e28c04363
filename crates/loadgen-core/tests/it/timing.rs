//! Client stamps against the server's own write stamps (both clocks in one process).

use std::time::Duration;

use servebench_loadgen_core::LoadMode;

use crate::support::server::{Script, ScriptedServer, marker};
use crate::support::{config, run_collect, server_seq};

const TOKENS: usize = 20;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttft_and_itl_match_server_write_stamps() {
    let server = ScriptedServer::start(|_| Script::Stream {
        ttft: Duration::from_millis(25),
        gap: Duration::from_millis(4),
        tokens: TOKENS,
    })
    .await;
    let config = config(vec![server.url()], 5);
    let clock = config.clock;
    let (report, records) = run_collect(config, LoadMode::Concurrency(1)).await;
    assert_eq!(
        report.profiling.succeeded,
        5,
        "{:?}",
        records.iter().map(|r| &r.error).collect::<Vec<_>>()
    );

    let requests = server.requests();
    let mut ttft_errors_ms = Vec::new();
    let mut itl_errors = Vec::new();
    for record in &records {
        assert_eq!(record.chunks.len(), TOKENS);
        let seq = server_seq(record);
        let received = requests.iter().find(|r| r.seq == seq).unwrap().received;
        let writes: Vec<(u64, u64)> = (0..TOKENS)
            .map(|i| {
                let (called, returned) = server.write_instants_of(&marker(seq, i)).unwrap();
                (clock.ns_at(called), clock.ns_at(returned))
            })
            .collect();
        for (chunk, (called, _)) in record.chunks.iter().zip(&writes) {
            // Causality: a chunk cannot be read before the server started writing it.
            assert!(
                chunk.stamp_ns >= *called,
                "chunk read before it was written"
            );
        }
        // The truth: when each chunk's write was handed to the socket.
        let truth: Vec<u64> = writes.iter().map(|(_, returned)| *returned).collect();
        // Request start precedes the server seeing the request.
        assert!(record.start_ns <= clock.ns_at(received));
        let client_ttft = (record.chunks[0].stamp_ns - record.start_ns) as f64 / 1e6;
        let server_ttft = (truth[0] - clock.ns_at(received)) as f64 / 1e6;
        ttft_errors_ms.push((client_ttft - server_ttft).abs());
        let client_itl = (record.chunks[TOKENS - 1].stamp_ns - record.chunks[0].stamp_ns) as f64
            / (TOKENS - 1) as f64;
        let server_itl = (truth[TOKENS - 1] - truth[0]) as f64 / (TOKENS - 1) as f64;
        itl_errors.push((client_itl - server_itl).abs() / server_itl);
    }
    let ttft_error = median(ttft_errors_ms.clone());
    let itl_error = median(itl_errors.clone());
    eprintln!(
        "TTFT |client-server| ms per request: {ttft_errors_ms:?}; ITL relative errors: {itl_errors:?}"
    );
    assert!(ttft_error < 0.5, "median TTFT error {ttft_error} ms");
    assert!(itl_error < 0.02, "median ITL relative error {itl_error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_one_read_share_its_stamp() {
    // Three content events and [DONE] in a single write: one read, one stamp.
    let server = ScriptedServer::start(|_| {
        Script::RawSse(concat!(
            "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"c\"}}]}\n\n",
            "data: [DONE]\n\n"
        ))
    })
    .await;
    let (report, records) =
        run_collect(config(vec![server.url()], 1), LoadMode::Concurrency(1)).await;
    let record = &records[0];
    assert!(record.is_success(), "{:?}", record.error);
    assert_eq!(record.chunks.len(), 3);
    assert!(
        record
            .chunks
            .iter()
            .all(|c| c.stamp_ns == record.chunks[0].stamp_ns)
    );
    assert!(
        record
            .chunks
            .iter()
            .all(|c| c.read_index == record.chunks[0].read_index)
    );
    assert_eq!(report.health.content_events_per_read[3], 1);
    assert!(record.ack_ns.unwrap() <= record.chunks[0].stamp_ns);
    assert!(record.end_ns >= record.chunks[2].stamp_ns);
}
