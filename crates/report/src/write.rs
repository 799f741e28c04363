//! Writing output files whole: a temporary file next to the target, renamed over it, so a
//! reader never sees half a report.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::ReportError;

/// Writes `bytes` to `path` through a temporary sibling file and a rename.
///
/// # Errors
/// [`ReportError::Io`] naming `path` (or the temporary file).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp: PathBuf = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        ReportError::io(path, "cannot write", e)
    })
}

/// Creates `dir` and its parents.
///
/// # Errors
/// [`ReportError::Io`] naming `dir`.
pub(crate) fn create_dir(dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, "cannot create directory", e))
}
