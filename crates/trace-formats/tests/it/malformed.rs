//! One test per class of malformed input: the error names file, line and field, and the reader
//! stops or skips-and-counts as asked.

use servebench_trace_formats::{
    AzureReader, BurstGptReader, Error, ErrorPolicy, MooncakeReader, MultiTurnReader, ReadOptions,
    RecordError, RecordErrorKind, SingleTurnReader, open_mooncake,
};

const GOOD: &str =
    "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n";

/// The first error of a Mooncake stream made of a good line followed by `bad`.
fn mooncake_error(bad: &str) -> RecordError {
    let text = format!("{GOOD}{bad}");
    let mut reader = MooncakeReader::new(text.as_bytes(), "bad.jsonl", ReadOptions::default());
    assert!(reader.next().unwrap().is_ok(), "first line is good");
    match reader.next() {
        Some(Err(Error::Record(e))) => {
            assert!(reader.next().is_none(), "Stop ends the stream");
            e
        }
        other => panic!("expected a record error, got {other:?}"),
    }
}

fn assert_error(e: &RecordError, line: u64, field: Option<&str>, kind: RecordErrorKind) {
    assert_eq!(
        (e.line, e.field.as_deref(), e.kind),
        (line, field, kind),
        "{e}"
    );
    assert!(e.source_name.starts_with("bad."), "{e}");
    let prefix = match field {
        Some(f) => format!("{}:{line}: field `{f}`: ", e.source_name),
        None => format!("{}:{line}: ", e.source_name),
    };
    assert!(
        e.to_string().starts_with(&prefix),
        "{e} should start with {prefix}"
    );
}

#[test]
fn bad_json_names_the_line() {
    let e = mooncake_error("{\"timestamp\": 1, \"input_length\": 5,, }\n");
    assert_error(&e, 2, None, RecordErrorKind::InvalidJson);
    assert!(e.message.contains("invalid JSON"), "{e}");
    let e = mooncake_error("[1, 2]\n");
    assert_error(&e, 2, None, RecordErrorKind::InvalidJson);
}

#[test]
fn missing_field_is_named() {
    let e = mooncake_error("{\"timestamp\": 1, \"output_length\": 5, \"hash_ids\": [1]}\n");
    assert_error(&e, 2, Some("input_length"), RecordErrorKind::MissingField);
}

#[test]
fn negative_fields_are_named_including_array_items() {
    let e = mooncake_error(
        "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": -3, \"hash_ids\": [1]}\n",
    );
    assert_error(&e, 2, Some("output_length"), RecordErrorKind::NegativeValue);
    let e = mooncake_error(
        "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 3, \"hash_ids\": [1, -2]}\n",
    );
    assert_error(&e, 2, Some("hash_ids[1]"), RecordErrorKind::NegativeValue);
    let e = mooncake_error(
        "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 3, \"hash_ids\": [1], \"delay\": -5}\n",
    );
    assert_error(&e, 2, Some("delay"), RecordErrorKind::NegativeValue);
}

#[test]
fn wrong_types_are_named() {
    let e = mooncake_error(
        "{\"timestamp\": 1.5, \"input_length\": 5, \"output_length\": 3, \"hash_ids\": [1]}\n",
    );
    assert_error(&e, 2, Some("timestamp"), RecordErrorKind::InvalidValue);
    let e = mooncake_error(
        "{\"timestamp\": 1, \"input_length\": \"5\", \"output_length\": 3, \"hash_ids\": [1]}\n",
    );
    assert_error(&e, 2, Some("input_length"), RecordErrorKind::InvalidValue);
}

#[test]
fn non_monotonic_timestamp_is_reported_and_can_be_allowed() {
    let bad = "{\"timestamp\": 10, \"input_length\": 5, \"output_length\": 3, \"hash_ids\": [1]}\n\
               {\"timestamp\": 4, \"input_length\": 5, \"output_length\": 3, \"hash_ids\": [1]}\n";
    let text = format!("{GOOD}{bad}");
    let mut reader = MooncakeReader::new(text.as_bytes(), "bad.jsonl", ReadOptions::default());
    let err = reader.find_map(Result::err).expect("an error");
    let Error::Record(e) = err else {
        panic!("{err}")
    };
    assert_error(
        &e,
        3,
        Some("timestamp"),
        RecordErrorKind::NonMonotonicTimestamp,
    );
    assert!(e.message.contains("4") && e.message.contains("10"), "{e}");
    let relaxed = ReadOptions::default().monotonic_timestamps(false);
    assert_eq!(
        MooncakeReader::new(text.as_bytes(), "ok", relaxed)
            .filter(Result::is_ok)
            .count(),
        3
    );
}

#[test]
fn empty_hash_ids_with_positive_length() {
    let e = mooncake_error(
        "{\"timestamp\": 1, \"input_length\": 700, \"output_length\": 3, \"hash_ids\": []}\n",
    );
    assert_error(&e, 2, Some("hash_ids"), RecordErrorKind::EmptyHashIds);
    let e = mooncake_error("{\"timestamp\": 1, \"input_length\": 700, \"output_length\": 3}\n");
    assert_error(&e, 2, Some("hash_ids"), RecordErrorKind::EmptyHashIds);
    // zero length, or literal text, needs no blocks
    let ok = "{\"input_length\": 0, \"output_length\": 3}\n{\"input_length\": 9, \"output_length\": 1, \"text_input\": \"hi\"}\n";
    assert_eq!(
        MooncakeReader::new(ok.as_bytes(), "ok", ReadOptions::default())
            .filter(Result::is_ok)
            .count(),
        2
    );
}

#[test]
fn truncated_last_line_is_distinguished_from_bad_json() {
    let e = mooncake_error("{\"timestamp\": 1, \"input_length\": 700, \"output_len");
    assert_error(&e, 2, None, RecordErrorKind::TruncatedLine);
    assert!(e.message.contains("truncated last line"), "{e}");
    // a complete last line without final newline is fine
    let text = GOOD.trim_end();
    assert_eq!(
        MooncakeReader::new(text.as_bytes(), "ok", ReadOptions::default())
            .filter(Result::is_ok)
            .count(),
        1
    );
}

#[test]
fn skip_policy_counts_every_error_and_keeps_the_first_few() {
    let text = format!(
        "{GOOD}not json\n{GOOD}{{\"output_length\": 1}}\n\n{GOOD}{{\"input_length\": -1, \"output_length\": 1}}\n{{\"input_length\": 1, \"output_length\": 1}}\n{GOOD}{{\"input_length\""
    );
    let options = ReadOptions::with_policy(ErrorPolicy::Skip).max_kept_errors(2);
    let mut reader = MooncakeReader::new(text.as_bytes(), "mixed.jsonl", options);
    let good = reader
        .by_ref()
        .collect::<Result<Vec<_>, _>>()
        .expect("skip yields only records")
        .len();
    let report = reader.report();
    assert_eq!((good, report.records, report.malformed), (4, 4, 5));
    let kept: Vec<String> = report
        .first_errors
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(kept.len(), 2);
    assert!(
        kept[0].starts_with("mixed.jsonl:2: invalid JSON"),
        "{}",
        kept[0]
    );
    assert!(
        kept[1].starts_with("mixed.jsonl:4: field `input_length`: missing"),
        "{}",
        kept[1]
    );
}

#[test]
fn errors_from_files_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.jsonl");
    std::fs::write(
        &path,
        format!(
            "{GOOD}{GOOD}{{\"input_length\": 1, \"output_length\": true, \"hash_ids\": [1]}}\n"
        ),
    )
    .unwrap();
    let err = open_mooncake(&path, ReadOptions::default())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: field `output_length`: expected a non-negative integer, found boolean true",
            path.display()
        )
    );
}

const BURST_HEADER: &str = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n";

fn burst_error(body: &str) -> RecordError {
    let text = format!("{BURST_HEADER}5,ChatGPT,472,18,490,Conversation log\n{body}");
    let mut reader =
        BurstGptReader::new(text.as_bytes(), "bad.csv", ReadOptions::default()).unwrap();
    assert!(reader.next().unwrap().is_ok());
    match reader.next() {
        Some(Err(Error::Record(e))) => e,
        other => panic!("expected a record error, got {other:?}"),
    }
}

#[test]
fn csv_wrong_header_names_the_missing_column() {
    let text = "Timestamp,Model,Request tokens,Response tokens,Total tokens\n5,ChatGPT,1,2,3\n";
    let Err(Error::Record(e)) =
        BurstGptReader::new(text.as_bytes(), "bad.csv", ReadOptions::default())
    else {
        panic!("header must be rejected")
    };
    assert_error(&e, 1, Some("Log Type"), RecordErrorKind::BadHeader);
    let text = "time,ContextTokens,GeneratedTokens\r\n";
    let Err(Error::Record(e)) =
        AzureReader::new(text.as_bytes(), "bad.csv", ReadOptions::default())
    else {
        panic!("header must be rejected")
    };
    assert_error(&e, 1, Some("TIMESTAMP"), RecordErrorKind::BadHeader);
}

#[test]
fn csv_negative_missing_and_bad_values_are_named() {
    let e = burst_error("45,ChatGPT,-1087,230,1317,Conversation log\n");
    assert_error(
        &e,
        3,
        Some("Request tokens"),
        RecordErrorKind::NegativeValue,
    );
    let e = burst_error("45,ChatGPT,1087,,1317,Conversation log\n");
    assert_error(
        &e,
        3,
        Some("Response tokens"),
        RecordErrorKind::MissingField,
    );
    let e = burst_error("-45,ChatGPT,1087,230,1317,Conversation log\n");
    assert_error(&e, 3, Some("Timestamp"), RecordErrorKind::NegativeValue);
    let e = burst_error("45,ChatGPT,1087,23x,1317,Conversation log\n");
    assert_error(
        &e,
        3,
        Some("Response tokens"),
        RecordErrorKind::InvalidValue,
    );
    let e = burst_error("45,ChatGPT,1087\n118,GPT-4,417,276,693,Conversation log\n");
    assert_error(&e, 3, None, RecordErrorKind::WrongFieldCount);
}

#[test]
fn csv_truncated_last_line() {
    let e = burst_error("118,GPT-4,417,27");
    assert_error(&e, 3, Some("Log Type"), RecordErrorKind::TruncatedLine);
    let text = "TIMESTAMP,ContextTokens,GeneratedTokens\r\n2023-11-16 18:15:46.6805900,374,44\r\n2023-11-16 18:15:50.99";
    let mut reader = AzureReader::new(text.as_bytes(), "bad.csv", ReadOptions::default()).unwrap();
    assert!(reader.next().unwrap().is_ok());
    let Some(Err(Error::Record(e))) = reader.next() else {
        panic!("expected an error")
    };
    assert_error(&e, 3, Some("ContextTokens"), RecordErrorKind::TruncatedLine);
}

#[test]
fn azure_bad_and_non_monotonic_timestamps() {
    let head = "TIMESTAMP,ContextTokens,GeneratedTokens\r\n2023-11-16 18:15:46.6805900,374,44\r\n";
    for (row, kind) in [
        (
            "2023-11-16 18:15:40.0000000,1,2",
            RecordErrorKind::NonMonotonicTimestamp,
        ),
        (
            "2023-11-16 25:15:40.0000000,1,2",
            RecordErrorKind::InvalidValue,
        ),
        ("yesterday,1,2", RecordErrorKind::InvalidValue),
    ] {
        let text = format!("{head}{row}");
        let mut reader =
            AzureReader::new(text.as_bytes(), "bad.csv", ReadOptions::default()).unwrap();
        let Some(Err(Error::Record(e))) = reader.nth(1) else {
            panic!("expected an error for {row}")
        };
        assert_error(&e, 3, Some("TIMESTAMP"), kind);
    }
}

#[test]
fn csv_skip_policy_counts_and_continues() {
    let text = format!(
        "{BURST_HEADER}1,ChatGPT,1,1,2,API log\n2,ChatGPT,x,1,2,API log\n3,GPT-4,-1,1,2,API log\n4,GPT-4,5,5,10,API log\n"
    );
    let mut reader = BurstGptReader::new(
        text.as_bytes(),
        "s.csv",
        ReadOptions::with_policy(ErrorPolicy::Skip),
    )
    .unwrap();
    let stamps: Vec<f64> = reader.by_ref().map(|r| r.unwrap().timestamp).collect();
    assert_eq!(stamps, vec![1.0, 4.0]);
    assert_eq!(reader.report().malformed, 2);
    assert!(
        reader.report().first_errors[1]
            .to_string()
            .starts_with("s.csv:4: field `Request tokens`: must not be negative")
    );
}

#[test]
fn aiperf_validation_names_nested_fields() {
    let text = "{\"text\": \"hi\"}\n{\"role\": \"user\"}\n";
    let Some(Err(Error::Record(e))) =
        SingleTurnReader::new(text.as_bytes(), "bad.jsonl", ReadOptions::default()).nth(1)
    else {
        panic!("expected an error")
    };
    assert_error(&e, 2, Some("text"), RecordErrorKind::MissingField);
    let text = "{\"text\": \"a\", \"texts\": [\"b\"]}\n";
    let Some(Err(Error::Record(e))) =
        SingleTurnReader::new(text.as_bytes(), "bad.jsonl", ReadOptions::default()).next()
    else {
        panic!("expected an error")
    };
    assert_error(&e, 1, Some("texts"), RecordErrorKind::InvalidValue);
    let text = "{\"session_id\": \"s\", \"turns\": [{\"text\": \"a\"}, {\"text\": \"b\", \"delay\": -5}]}\n";
    let Some(Err(Error::Record(e))) =
        MultiTurnReader::new(text.as_bytes(), "bad.jsonl", ReadOptions::default()).next()
    else {
        panic!("expected an error")
    };
    assert_error(
        &e,
        1,
        Some("turns[1].delay"),
        RecordErrorKind::NegativeValue,
    );
    let text = "{\"session_id\": \"s\", \"turns\": [{\"texts\": [{\"name\": \"q\", \"contents\": [1]}]}]}\n";
    let Some(Err(Error::Record(e))) =
        MultiTurnReader::new(text.as_bytes(), "bad.jsonl", ReadOptions::default()).next()
    else {
        panic!("expected an error")
    };
    assert_error(
        &e,
        1,
        Some("turns[0].texts[0].contents"),
        RecordErrorKind::InvalidValue,
    );
    let text = "{\"session_id\": \"s\", \"turns\": []}\n";
    let Some(Err(Error::Record(e))) =
        MultiTurnReader::new(text.as_bytes(), "bad.jsonl", ReadOptions::default()).next()
    else {
        panic!("expected an error")
    };
    assert_error(&e, 1, Some("turns"), RecordErrorKind::MissingField);
}
