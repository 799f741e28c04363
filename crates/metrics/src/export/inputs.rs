//! `inputs.json`: the exact payloads sent, per session, written as a stream.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// File name of the payload export.
pub const INPUTS_FILE: &str = "inputs.json";

/// AIPerf's session id for session `index`: `session_000000`.
pub fn session_id(index: u64) -> String {
    format!("session_{index:06}")
}

/// Streams `{"data":[{"session_id": ..., "payloads": [...]}, ...]}` without holding the sessions
/// in memory. Call [`InputsJsonWriter::finish`] to close the document.
#[derive(Debug)]
pub struct InputsJsonWriter<W: Write> {
    out: BufWriter<W>,
    sessions: u64,
}

fn io_error(source: std::io::Error) -> Error {
    Error::Io {
        what: INPUTS_FILE,
        source,
    }
}

impl InputsJsonWriter<File> {
    /// Creates (truncates) `path` and writes the document's opening.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|source| Error::Write {
            path: path.to_owned(),
            source,
        })?;
        Self::new(file)
    }
}

impl<W: Write> InputsJsonWriter<W> {
    /// Writes the document's opening to `inner`.
    pub fn new(inner: W) -> Result<Self> {
        let mut out = BufWriter::new(inner);
        out.write_all(b"{\"data\":[").map_err(io_error)?;
        Ok(Self { out, sessions: 0 })
    }

    /// Appends one session with its payloads (one request body per turn, exactly as sent).
    pub fn write_session(&mut self, session_id: &str, payloads: &[Value]) -> Result<()> {
        if self.sessions > 0 {
            self.out.write_all(b",").map_err(io_error)?;
        }
        let entry = serde_json::json!({ "session_id": session_id, "payloads": payloads });
        serde_json::to_writer(&mut self.out, &entry).map_err(|e| io_error(e.into()))?;
        self.sessions += 1;
        Ok(())
    }

    /// Number of sessions written.
    pub fn sessions(&self) -> u64 {
        self.sessions
    }

    /// Closes the document, flushes, and returns the underlying writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.write_all(b"]}\n").map_err(io_error)?;
        self.out.into_inner().map_err(|e| io_error(e.into_error()))
    }
}
