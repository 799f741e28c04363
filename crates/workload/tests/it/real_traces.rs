//! The real Azure trace in `shared/data/traces` converts to a valid Mooncake trace.

use std::path::PathBuf;

use servebench_trace_formats::{
    AzureReader, JsonStyle, MooncakeReader, MooncakeRecord, MooncakeWriter, ReadOptions,
};
use servebench_workload::{AzureConvertOptions, convert_azure};

fn trace(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/traces/"
    ))
    .join(rel)
}

#[test]
fn azure_csv_converts_to_a_valid_mooncake_trace() {
    let path = trace("azure-llm-2023/AzureLLMInferenceTrace_conv.csv");
    let reader = AzureReader::open(&path, ReadOptions::default()).unwrap();
    let mut w = MooncakeWriter::new(Vec::new(), "mem", JsonStyle::Python);
    let done = convert_azure(reader, &mut w, &AzureConvertOptions::default()).unwrap();
    assert_eq!(done.written, 19_366);
    let bytes = w.finish().unwrap();
    let records: Vec<MooncakeRecord> =
        MooncakeReader::new(&bytes[..], "converted", ReadOptions::default())
            .collect::<Result<_, _>>()
            .expect("converted trace is valid (monotonic, hash ids present)");
    assert_eq!(records.len(), 19_366);
    assert_eq!(
        (
            records[0].timestamp,
            records[0].input_length,
            records[0].output_length
        ),
        (Some(0), 374, 44)
    );
    // second row: 18:15:50.9951690 − 18:15:46.6805900 = 4.314579 s
    assert_eq!(records[1].timestamp, Some(4_314));
    // last row 19:14:08.40... is about 58 min after the first
    let last = records.last().unwrap().timestamp.unwrap();
    assert!((3_500_000..3_510_000).contains(&last), "{last}");
    assert!(
        records
            .iter()
            .all(|r| r.hash_ids.len() as u64 == r.input_length.div_ceil(512))
    );
}
