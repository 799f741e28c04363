//! The output side shared by every trace writer: a named byte sink whose I/O errors name it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::Error;

/// A writer plus the name (usually the file path) its errors carry.
#[derive(Debug)]
pub(crate) struct NamedSink<W> {
    out: W,
    name: String,
}

impl NamedSink<BufWriter<File>> {
    /// Creates (truncates) `path`, buffered.
    pub(crate) fn create(path: &Path) -> Result<Self, Error> {
        let name = path.display().to_string();
        let file = File::create(path).map_err(|e| Error::write(&name, e))?;
        Ok(Self::new(BufWriter::with_capacity(1 << 16, file), name))
    }
}

impl<W: Write> NamedSink<W> {
    /// Wraps `out`; `name` names it in errors.
    pub(crate) fn new(out: W, name: impl Into<String>) -> Self {
        Self {
            out,
            name: name.into(),
        }
    }

    /// Runs one write operation on the underlying writer, naming the sink if it fails.
    pub(crate) fn with(
        &mut self,
        op: impl FnOnce(&mut W) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        op(&mut self.out).map_err(|e| Error::write(&self.name, e))
    }

    /// Writes all of `bytes`.
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.with(|out| out.write_all(bytes))
    }

    /// Flushes and returns the underlying writer.
    pub(crate) fn finish(mut self) -> Result<W, Error> {
        self.out.flush().map_err(|e| Error::write(&self.name, e))?;
        Ok(self.out)
    }
}
