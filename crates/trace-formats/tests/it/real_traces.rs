//! The real public traces in `shared/data/traces` read without error and rewrite byte for byte.

use std::path::PathBuf;

use servebench_trace_formats::{
    AzureReader, AzureWriter, JsonStyle, MooncakeRecord, MooncakeWriter, ReadOptions, open_mooncake,
};

fn trace(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/traces/"
    ))
    .join(rel)
}

fn read_all(rel: &str) -> Vec<MooncakeRecord> {
    let mut reader = open_mooncake(trace(rel), ReadOptions::default()).expect("trace file present");
    let records: Vec<MooncakeRecord> = reader
        .by_ref()
        .collect::<Result<_, _>>()
        .expect("reads without error");
    assert_eq!(reader.report().malformed, 0);
    records
}

#[test]
fn mooncake_conversation_trace_reads_and_rewrites_byte_identically() {
    let records = read_all("mooncake-fast25/conversation_trace.jsonl");
    // Figures from the data README: 12,031 requests, 0..3,536,999 ms, every row starting with id 0.
    assert_eq!(records.len(), 12_031);
    assert_eq!(records.last().unwrap().timestamp, Some(3_536_999));
    assert!(records.iter().all(|r| r.hash_ids[0] == 0));
    assert!(
        records
            .iter()
            .all(|r| r.hash_ids.len() as u64 == r.input_length.div_ceil(512))
    );
    // The release files are Python json.dumps output: our Python style reproduces them exactly.
    let mut w = MooncakeWriter::new(Vec::new(), "mem", JsonStyle::Python);
    for r in &records {
        w.write(r).unwrap();
    }
    let original = std::fs::read(trace("mooncake-fast25/conversation_trace.jsonl")).unwrap();
    assert!(
        w.finish().unwrap() == original,
        "rewrite differs from the original bytes"
    );
}

#[test]
fn mooncake_synthetic_trace_reads() {
    let records = read_all("mooncake-fast25/synthetic_trace.jsonl");
    assert_eq!(records.len(), 3_993);
    assert_eq!(records.last().unwrap().timestamp, Some(1_022_025));
    assert_eq!(records.iter().map(|r| r.input_length).max(), Some(191_378));
}

#[test]
fn azure_csv_reads_despite_crlf_and_missing_final_newline_and_rewrites_identically() {
    let path = trace("azure-llm-2023/AzureLLMInferenceTrace_conv.csv");
    let original = std::fs::read(&path).unwrap();
    assert!(
        !original.ends_with(b"\r\n") && original.windows(2).any(|w| w == b"\r\n"),
        "the quirks are present"
    );
    let mut reader = AzureReader::open(&path, ReadOptions::default()).unwrap();
    let rows: Vec<_> = reader
        .by_ref()
        .collect::<Result<_, _>>()
        .expect("reads without error");
    assert_eq!(rows.len(), 19_366);
    assert_eq!(rows[0].timestamp.to_string(), "2023-11-16 18:15:46.6805900");
    assert_eq!(
        (rows[0].context_tokens, rows[0].generated_tokens),
        (374, 44)
    );
    assert_eq!(rows.iter().map(|r| r.context_tokens).max(), Some(14_050));
    assert_eq!(rows.iter().map(|r| r.generated_tokens).min(), Some(7));
    let mut w = AzureWriter::new(Vec::new(), "mem").unwrap();
    for r in &rows {
        w.write(r).unwrap();
    }
    assert!(
        w.finish().unwrap() == original,
        "rewrite differs from the original bytes"
    );
}
