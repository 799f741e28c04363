//! What goes on the wire and how responses are read: bodies, headers, non-content events,
//! usage, non-streaming, completions, embeddings, keep-alive, HTTP/2.

use std::time::Duration;

use serde_json::json;
use servebench_loadgen_core::{EndpointConfig, EndpointKind, LoadMode, body_bytes};
use servebench_metrics::Usage;

use crate::support::server::{Script, ScriptedServer};
use crate::support::{config, dataset, run_collect, run_with};

fn stream(tokens: usize) -> Script {
    Script::Stream {
        ttft: Duration::from_millis(1),
        gap: Duration::from_millis(1),
        tokens,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_body_headers_and_path_reach_the_server() {
    let server = ScriptedServer::start(|_| stream(2)).await;
    let mut config = config(vec![format!("{}/prefix/", server.url())], 2);
    config.endpoint.path = Some("/custom/chat".into());
    config.endpoint.api_key = Some("sk-test".into());
    config.endpoint.extra_headers =
        vec![servebench_loadgen_core::parse_header("X-Trace: abc").unwrap()];
    config
        .endpoint
        .extra_inputs
        .insert("temperature".into(), json!(0.5));
    config.endpoint.pin_output_length = true;
    let endpoint = config.endpoint.clone();
    let data = dataset(2);
    let (report, records) = run_with(
        config,
        data.clone(),
        LoadMode::Concurrency(1),
        Default::default(),
    )
    .await;
    assert_eq!(report.profiling.succeeded, 2);
    for request in server.requests() {
        let record = records.iter().find(|r| r.index == request.seq).unwrap();
        let entry = &data[record.session_index as usize];
        assert_eq!(request.body, body_bytes(&endpoint, entry).unwrap());
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["temperature"], 0.5);
        assert_eq!(body["min_tokens"], 16);
        assert_eq!(body["ignore_eos"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(request.path, "/prefix/custom/chat");
        assert_eq!(request.headers["authorization"], "Bearer sk-test");
        assert_eq!(request.headers["x-trace"], "abc");
        assert_eq!(request.headers["content-type"], "application/json");
        assert_eq!(record.requested_output_tokens, Some(16));
        assert_eq!(record.input_tokens, Some(3));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_content_events_and_usage() {
    let server = ScriptedServer::start(|_| stream(4)).await;
    let (_, records) = run_collect(config(vec![server.url()], 1), LoadMode::Concurrency(1)).await;
    let record = &records[0];
    assert!(record.is_success());
    assert_eq!(record.status, Some(200));
    assert!(record.streaming);
    // Role-only, finish-only, usage-only and [DONE].
    assert_eq!(record.non_content_events, 4);
    let texts: Vec<&str> = record.chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["r0t0 ", "r0t1 ", "r0t2 ", "r0t3 "]);
    assert_eq!(
        record.usage,
        Some(Usage {
            prompt_tokens: Some(3),
            completion_tokens: Some(4),
            total_tokens: Some(7),
            cached_tokens: Some(1),
            reasoning_tokens: None,
        })
    );
    assert!(record.reads as usize >= 1);
    let stamps: Vec<u64> = record.chunks.iter().map(|c| c.stamp_ns).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    assert!(record.start_ns <= record.ack_ns.unwrap() && record.ack_ns.unwrap() <= stamps[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_and_completions_text_and_server_timing() {
    let server = ScriptedServer::start(|_| {
        Script::RawSse(concat!(
            "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"think\"}}]}\n\n",
            "data: {\"choices\":[{\"text\":\"done\"}],\"servebench\":{\"queue_ms\":2.5,\"worker_id\":3}}\n\n",
            "data: [DONE]\n\n"
        ))
    })
    .await;
    let mut config = config(vec![server.url()], 1);
    config.endpoint.kind = EndpointKind::Completions;
    let (_, records) = run_collect(config, LoadMode::Concurrency(1)).await;
    let record = &records[0];
    assert!(record.is_success(), "{:?}", record.error);
    assert_eq!(record.chunks[0].reasoning, "think");
    assert_eq!(record.chunks[1].text, "done");
    let timing = record.server_timing.as_ref().unwrap();
    assert_eq!((timing.queue_ms, timing.worker_id), (Some(2.5), Some(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_streaming_chat_is_one_chunk_stamped_at_the_end() {
    let server = ScriptedServer::start(|_| {
        Script::Json(r#"{"choices":[{"message":{"role":"assistant","content":"whole answer"}}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#)
    })
    .await;
    let mut config = config(vec![server.url()], 1);
    config.endpoint.streaming = false;
    let (_, records) = run_collect(config, LoadMode::Concurrency(1)).await;
    let record = &records[0];
    assert!(record.is_success(), "{:?}", record.error);
    assert!(!record.streaming);
    assert_eq!(record.chunks.len(), 1);
    assert_eq!(record.chunks[0].text, "whole answer");
    assert_eq!(record.chunks[0].stamp_ns, record.end_ns);
    assert_eq!(record.usage.as_ref().unwrap().completion_tokens, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_have_no_text() {
    let server = ScriptedServer::start(|_| {
        Script::Json(r#"{"object":"list","data":[{"embedding":[0.1,0.2]}],"usage":{"prompt_tokens":3,"total_tokens":3}}"#)
    })
    .await;
    let mut config = config(vec![server.url()], 1);
    config.endpoint = EndpointConfig::new(EndpointKind::Embeddings, "e");
    let (_, records) = run_collect(config, LoadMode::Concurrency(1)).await;
    let record = &records[0];
    assert!(record.is_success(), "{:?}", record.error);
    assert!(record.chunks.is_empty());
    assert_eq!(record.requested_output_tokens, None);
    assert_eq!(server.requests()[0].path, "/v1/embeddings");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_reuses_one_connection() {
    let server = ScriptedServer::start(|_| stream(2)).await;
    let (report, _) = run_collect(config(vec![server.url()], 5), LoadMode::Concurrency(1)).await;
    assert_eq!(report.profiling.succeeded, 5);
    assert_eq!(server.connections(), 1);
    assert!(server.requests().iter().all(|r| r.connection == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_streams() {
    let server = ScriptedServer::start(|_| stream(3)).await;
    let mut config = config(vec![server.url()], 4);
    config.http2 = true;
    let (report, records) = run_collect(config, LoadMode::Concurrency(2)).await;
    assert_eq!(report.profiling.succeeded, 4, "{:?}", records[0].error);
    assert!(records.iter().all(|r| r.chunks.len() == 3));
    assert_eq!(server.connections(), 1, "one multiplexed connection");
}
