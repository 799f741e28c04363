//! AIPerf's export files: `profile_export_aiperf.json`, `profile_export_aiperf.csv`,
//! `profile_export.jsonl` and `inputs.json`.

mod csv;
mod inputs;
mod json;
mod jsonl;
mod time;

pub use self::csv::summary_csv;
pub use inputs::{INPUTS_FILE, InputsJsonWriter, session_id};
pub use json::{
    CSV_FILE, ExportContext, JSON_FILE, SCHEMA_VERSION, commit_partial, partial_path, summary_json,
    write_atomically, write_summary_exports,
};
pub use jsonl::{JSONL_FILE, RecordJsonlWriter, record_line, x_request_id};
pub use time::iso8601_utc;
