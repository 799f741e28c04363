//! The streaming hot path of the client: SSE parsing plus extraction of the chunk's text, on a
//! realistic vLLM-style chat stream (role chunk, 256 content chunks, finish chunk, usage chunk,
//! `[DONE]`), fed as one event per read, four events per read, and 1448-byte TCP segments.
//! `sse_and_json` decodes with a per-stream `ChunkTemplate` (what the client does),
//! `sse_and_scanner_json` with `ResponseChunk::parse` (fast scanner, serde fallback) and
//! `sse_and_serde_json` with serde alone, for comparison.
//!
//! Run: `cargo bench -p servebench-benches --bench sse_parser`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use servebench_loadgen_core::{ChunkTemplate, ResponseChunk, SseParser};

const TOKENS: usize = 256;

fn event(delta: &str, finish: &str, usage: &str) -> String {
    format!(
        "data: {{\"id\":\"chatcmpl-9f0c2a7b1e\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,\"model\":\"Qwen/Qwen3-0.6B\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}]{usage}}}\n\n"
    )
}

/// The stream's events, one string each.
fn stream_events() -> Vec<String> {
    let words = [
        " the", " quick", " brown", " fox", " jumps", "\\n", " über", " 42",
    ];
    let mut events = vec![event(r#"{"role":"assistant","content":""}"#, "null", "")];
    for i in 0..TOKENS {
        events.push(event(
            &format!(r#"{{"content":"{}"}}"#, words[i % words.len()]),
            "null",
            "",
        ));
    }
    events.push(event("{}", "\"length\"", ""));
    events.push(
        "data: {\"id\":\"chatcmpl-9f0c2a7b1e\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,\"model\":\"Qwen/Qwen3-0.6B\",\"choices\":[],\"usage\":{\"prompt_tokens\":550,\"completion_tokens\":256,\"total_tokens\":806,\"prompt_tokens_details\":{\"cached_tokens\":512}}}\n\n"
            .to_owned(),
    );
    events.push("data: [DONE]\n\n".to_owned());
    events
}

/// The stream cut into reads of `per_read` events each.
fn reads_by_events(events: &[String], per_read: usize) -> Vec<Vec<u8>> {
    events
        .chunks(per_read)
        .map(|group| group.concat().into_bytes())
        .collect()
}

/// The stream cut into reads of `size` bytes (events split across reads).
fn reads_by_bytes(events: &[String], size: usize) -> Vec<Vec<u8>> {
    events
        .concat()
        .into_bytes()
        .chunks(size)
        .map(<[u8]>::to_vec)
        .collect()
}

/// What the client does per stream: parse SSE, decode each event's JSON, keep the text.
/// `decoder` selects `ChunkTemplate` (what the client uses), `ResponseChunk::parse` (fast
/// scanner, serde fallback) or serde alone.
fn client_path(reads: &[Vec<u8>], decoder: Decoder) -> usize {
    let mut template = ChunkTemplate::default();
    let mut parser = SseParser::new();
    let mut kept = Vec::with_capacity(TOKENS);
    let mut on_event = |event: servebench_loadgen_core::SseEvent<'_>| {
        let data = event.data.trim_ascii();
        if data == b"[DONE]" {
            return;
        }
        let parsed = match decoder {
            Decoder::Template => template.parse(data),
            Decoder::Scanner => ResponseChunk::parse(data),
            Decoder::Serde => ResponseChunk::parse_with_serde(data),
        };
        if let Ok(chunk) = parsed {
            let text = chunk.text();
            if !text.is_empty() {
                kept.push(text.to_owned());
            }
            black_box(chunk.usage());
        }
    };
    for read in reads {
        parser.feed(read, &mut on_event);
    }
    parser.finish(&mut on_event);
    kept.len()
}

/// How `client_path` decodes each event's JSON.
#[derive(Clone, Copy)]
enum Decoder {
    Template,
    Scanner,
    Serde,
}

fn parse_only(reads: &[Vec<u8>]) -> usize {
    let mut parser = SseParser::new();
    let mut bytes = 0;
    let mut on_event = |event: servebench_loadgen_core::SseEvent<'_>| bytes += event.data.len();
    for read in reads {
        parser.feed(read, &mut on_event);
    }
    parser.finish(&mut on_event);
    bytes
}

fn bench(c: &mut Criterion) {
    let events = stream_events();
    let cases = [
        ("1_event_per_read", reads_by_events(&events, 1)),
        ("4_events_per_read", reads_by_events(&events, 4)),
        ("1448_byte_reads", reads_by_bytes(&events, 1448)),
    ];
    let mut group = c.benchmark_group("sse_parser");
    group.throughput(Throughput::Elements(events.len() as u64));
    for (name, reads) in &cases {
        group.bench_function(format!("sse_only/{name}"), |b| {
            b.iter(|| parse_only(black_box(reads)))
        });
        for (label, decoder) in [
            ("sse_and_json", Decoder::Template),
            ("sse_and_scanner_json", Decoder::Scanner),
            ("sse_and_serde_json", Decoder::Serde),
        ] {
            group.bench_function(format!("{label}/{name}"), |b| {
                b.iter(|| client_path(black_box(reads), decoder))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
