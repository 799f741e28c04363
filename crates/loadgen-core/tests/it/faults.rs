//! Every fault becomes a counted error record of the right kind, and the run finishes.

use std::time::Duration;

use servebench_loadgen_core::{LoadMode, RunConfigError, run};
use servebench_metrics::{ErrorKind, RequestRecord};

use crate::support::server::{Script, ScriptedServer};
use crate::support::{config, dataset, run_collect};

const OK_STREAM: Script = Script::Stream {
    ttft: Duration::from_millis(1),
    gap: Duration::from_millis(1),
    tokens: 3,
};

/// Request 1 of 3 gets `fault`; the others succeed. Returns the faulty record.
async fn one_fault(fault: Script) -> RequestRecord {
    let server =
        ScriptedServer::start(move |seq| if seq == 1 { fault.clone() } else { OK_STREAM }).await;
    let mut config = config(vec![server.url()], 3);
    config.request_timeout = Duration::from_millis(400);
    let (report, records) = run_collect(config, LoadMode::Concurrency(1)).await;
    assert_eq!(records.len(), 3);
    assert_eq!(report.profiling.records, 3);
    assert_eq!(report.profiling.failed(), 1, "{records:#?}");
    assert_eq!(report.profiling.succeeded, 2);
    assert!(records[0].is_success() && records[2].is_success());
    let failed = records[1].clone();
    let kind = failed.error.as_ref().unwrap().kind;
    assert_eq!(report.profiling.errors.get(&kind), Some(&1));
    assert!(failed.end_ns >= failed.start_ns);
    failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_500_is_an_http_status_error_with_the_body() {
    let record = one_fault(Script::Status(500, r#"{"error":"engine exploded"}"#)).await;
    let error = record.error.unwrap();
    assert_eq!(
        (error.kind, error.code, record.status),
        (ErrorKind::HttpStatus, Some(500), Some(500))
    );
    assert!(
        error.message.contains("engine exploded"),
        "{}",
        error.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_429_is_an_http_status_error() {
    let error = one_fault(Script::Status(429, "slow down"))
        .await
        .error
        .unwrap();
    assert_eq!((error.kind, error.code), (ErrorKind::HttpStatus, Some(429)));
    assert!(error.message.contains("slow down"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_stream_keeps_the_chunks_before_it() {
    let record = one_fault(Script::ResetAfter { tokens: 2 }).await;
    let error = record.error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::StreamReset, "{}", error.message);
    assert!(error.message.contains("mid-stream"), "{}", error.message);
    assert_eq!(record.chunks.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_past_the_timeout_is_a_timeout() {
    let record = one_fault(Script::Stall).await;
    let error = record.error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_eq!(record.chunks.len(), 1, "the chunk before the stall is kept");
    let elapsed_ms = (record.end_ns - record.credit_issued_ns) as f64 / 1e6;
    assert!(elapsed_ms >= 400.0, "timed out after {elapsed_ms} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_json_in_a_chunk_is_an_invalid_response() {
    let record = one_fault(Script::RawSse(
        "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata: {\"choices\": [oops\n\n",
    ))
    .await;
    let error = record.error.unwrap();
    assert_eq!(error.kind, ErrorKind::InvalidResponse);
    assert!(
        error.message.contains("invalid JSON in SSE event 2"),
        "{}",
        error.message
    );
    assert!(error.message.contains("oops"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_to_a_streaming_request_is_not_sse() {
    let error = one_fault(Script::Json(
        r#"{"choices":[{"message":{"content":"hi"}}]}"#,
    ))
    .await
    .error
    .unwrap();
    assert_eq!(error.kind, ErrorKind::NotSse);
    assert!(
        error.message.contains("application/json"),
        "{}",
        error.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untyped_non_sse_body_is_not_sse() {
    let error = one_fault(Script::Untyped("hello, I am not an event stream"))
        .await
        .error
        .unwrap();
    assert_eq!(error.kind, ErrorKind::NotSse);
    assert!(
        error.message.contains("not an event stream"),
        "{}",
        error.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_error_event_is_a_server_error_502() {
    let error = one_fault(Script::RawSse(
        "event: error\ndata: {\"message\":\"overloaded\"}\n\n",
    ))
    .await
    .error
    .unwrap();
    assert_eq!(
        (error.kind, error.code),
        (ErrorKind::ServerError, Some(502))
    );
    assert!(error.message.contains("overloaded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_a_connect_error_naming_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (report, records) =
        run_collect(config(vec![url.clone()], 2), LoadMode::Concurrency(1)).await;
    assert_eq!(report.profiling.errors.get(&ErrorKind::Connect), Some(&2));
    for record in records {
        let error = record.error.unwrap();
        assert_eq!(error.kind, ErrorKind::Connect);
        assert!(error.message.contains(&url), "{}", error.message);
        assert!(
            error.message.to_lowercase().contains("refused"),
            "{}",
            error.message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_and_bad_configurations_are_refused_up_front() {
    let (tx, _rx) = std::sync::mpsc::channel();
    let result = run(
        config(vec!["https://api.example.test".into()], 1),
        dataset(1),
        LoadMode::Concurrency(1),
        tx.clone(),
        Default::default(),
    )
    .await;
    assert!(matches!(
        result,
        Err(RunConfigError::HttpsUnsupported { .. })
    ));
    let message = result.err().unwrap().to_string();
    assert!(message.contains("https://api.example.test"), "{message}");

    let result = run(
        config(vec!["http://127.0.0.1:1".into()], 1),
        dataset(1),
        LoadMode::Concurrency(0),
        tx.clone(),
        Default::default(),
    )
    .await;
    assert!(matches!(
        result,
        Err(RunConfigError::ZeroConcurrency { .. })
    ));
    let result = run(
        config(vec!["http://127.0.0.1:1".into()], 1),
        dataset(0),
        LoadMode::Concurrency(1),
        tx,
        Default::default(),
    )
    .await;
    assert!(matches!(result, Err(RunConfigError::EmptyDataset)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_with_zero_content_tokens_is_an_empty_response() {
    let record = one_fault(Script::Stream {
        ttft: Duration::from_millis(1),
        gap: Duration::from_millis(1),
        tokens: 0,
    })
    .await;
    let error = record.error.unwrap();
    assert_eq!(error.kind, ErrorKind::EmptyResponse, "{}", error.message);
    assert!(
        error.message.contains("16 output tokens were requested")
            && error.message.contains("\"length\""),
        "{}",
        error.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finish_reason_abort_or_error_is_an_aborted_response() {
    for reason in ["abort", "error"] {
        let sse: &'static str = Box::leak(
            format!(
                "data: {{\"choices\":[{{\"delta\":{{\"content\":\"partial\"}},\"finish_reason\":null}}]}}\n\n\
                 data: {{\"choices\":[{{\"delta\":{{}},\"finish_reason\":\"{reason}\"}}]}}\n\n\
                 data: [DONE]\n\n"
            )
            .into_boxed_str(),
        );
        let record = one_fault(Script::RawSse(sse)).await;
        let error = record.error.unwrap();
        assert_eq!(error.kind, ErrorKind::Aborted, "{}", error.message);
        assert!(error.message.contains(reason), "{}", error.message);
        assert_eq!(
            record.chunks.len(),
            1,
            "the content before the abort is kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_streamed_empty_completion_is_an_empty_response() {
    let server = ScriptedServer::start(|seq| {
        if seq == 0 {
            Script::Json(r#"{"choices":[{"message":{"content":""},"finish_reason":"length"}]}"#)
        } else {
            Script::Json(r#"{"choices":[{"message":{"content":"hello"},"finish_reason":"stop"}]}"#)
        }
    })
    .await;
    let mut config = config(vec![server.url()], 2);
    config.endpoint.streaming = false;
    let (report, records) = run_collect(config, LoadMode::Concurrency(1)).await;
    assert_eq!(
        report.profiling.errors.get(&ErrorKind::EmptyResponse),
        Some(&1)
    );
    assert_eq!(
        records[0].error.as_ref().map(|e| e.kind),
        Some(ErrorKind::EmptyResponse)
    );
    assert!(records[1].is_success(), "{:?}", records[1].error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_http_bytes_are_an_invalid_response_not_a_reset() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // A service that answers whatever it is sent in its own protocol.
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    let (report, records) = run_collect(config(vec![url], 2), LoadMode::Concurrency(1)).await;
    assert_eq!(
        report.profiling.errors.get(&ErrorKind::InvalidResponse),
        Some(&2),
        "{records:#?}"
    );
    let message = &records[0].error.as_ref().unwrap().message;
    assert!(message.contains("valid HTTP response"), "{message}");
}
