//! Output files that never destroy an input and never leave a partial file under the final name.
//!
//! Rules, for every file a tool writes:
//! - An output that is the same file as any input is refused before anything is written: same
//!   canonical path, same device and inode (hard links, symlinks), or, when the output does not
//!   exist yet, the same canonical parent directory and file name as an input.
//! - The data goes to a new temporary file in the target directory (created with `create_new`,
//!   so no existing file is touched); [`OutputFile::commit`] renames it over the final path.
//! - On an error (the [`OutputFile`] is dropped without commit) and on an interrupt (the signal
//!   waiter calls [`remove_pending`]) the temporary file is removed; no other file is ever
//!   removed, and the final path is only ever replaced by a complete file.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The output is the same file as an input.
    #[error(
        "refusing to write {output}: it is the same file as the input {input}, which would be \
         destroyed; choose another output path"
    )]
    SameAsInput {
        /// The output path as given.
        output: PathBuf,
        /// The input path as given.
        input: PathBuf,
    },
    /// The temporary file could not be created in the output's directory.
    #[error("cannot create {path}")]
    Create {
        /// The final output path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Writing, flushing or renaming into place failed.
    #[error("cannot write {path}")]
    Write {
        /// The final output path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// Refuses `output` if it is the same file as any of `inputs` (inputs that do not exist are
/// ignored: they cannot be destroyed).
pub fn check_not_input(output: &Path, inputs: &[&Path]) -> Result<(), OutputError> {
    let out_id = FileId::of(output);
    let out_canonical = canonical_even_if_missing(output);
    for &input in inputs {
        let same_inode = match (&out_id, FileId::of(input)) {
            (Some(a), Some(b)) => *a == b,
            _ => false,
        };
        let same_path = match (&out_canonical, std::fs::canonicalize(input)) {
            (Some(a), Ok(b)) => *a == b,
            _ => false,
        };
        if same_inode || same_path {
            return Err(OutputError::SameAsInput {
                output: output.to_owned(),
                input: input.to_owned(),
            });
        }
    }
    Ok(())
}

/// Device and inode of an existing file.
#[derive(Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    #[cfg(unix)]
    fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    #[cfg(not(unix))]
    fn of(_path: &Path) -> Option<Self> {
        None
    }
}

/// The canonical path of `path`, or for a file that does not exist yet its canonical parent
/// joined with its file name.
fn canonical_even_if_missing(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(name))
}

/// Temporary files not yet committed: what an interrupt removes.
static PENDING: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn pending() -> MutexGuard<'static, Vec<(u64, PathBuf)>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes every temporary file not yet committed and returns the guard that keeps any
/// [`OutputFile::commit`] from renaming one afterwards (hold it until the process exits). Called
/// by the signal waiter before it exits.
pub fn remove_pending() -> MutexGuard<'static, Vec<(u64, PathBuf)>> {
    let mut guard = pending();
    for (_, path) in guard.drain(..) {
        let _ = std::fs::remove_file(path);
    }
    guard
}

/// An output being written: a temporary file beside the final path, renamed into place by
/// [`Self::commit`] and removed if dropped before. Buffered; implements [`Write`].
#[derive(Debug)]
pub struct OutputFile {
    /// The path as given (for messages).
    path: PathBuf,
    /// What the temporary file is renamed to; `None` when writing in place (not a regular file).
    target: Option<PathBuf>,
    temp: PathBuf,
    id: u64,
    out: Option<BufWriter<File>>,
}

impl OutputFile {
    /// Checks `path` against `inputs` ([`check_not_input`]) and creates the temporary file
    /// beside the file it will replace (for a symlink, beside the link's target). An existing
    /// path that is not a regular file (a terminal, `/dev/null`, a pipe) is written in place:
    /// there is nothing to replace, and renaming over a device would destroy it.
    pub fn create(path: &Path, inputs: &[&Path]) -> Result<Self, OutputError> {
        check_not_input(path, inputs)?;
        let create_error = |source| OutputError::Create {
            path: path.to_owned(),
            source,
        };
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(create_error)?;
            return Ok(Self {
                path: path.to_owned(),
                target: None,
                temp: PathBuf::new(),
                id,
                out: Some(BufWriter::with_capacity(1 << 16, file)),
            });
        }
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        let name = target.file_name().ok_or_else(|| {
            create_error(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the path names no file",
            ))
        })?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.{id}.tmp", std::process::id()));
        let temp = target.with_file_name(temp_name);
        // Registered before it exists, so an interrupt between the two cannot miss it.
        pending().push((id, temp.clone()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|source| {
                unregister(id);
                create_error(source)
            })?;
        Ok(Self {
            path: path.to_owned(),
            target: Some(target),
            temp,
            id,
            out: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the data and renames the temporary file over the final path.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let path = self.path.clone();
        let write_error = |source| OutputError::Write { path, source };
        if let Some(out) = self.out.take() {
            // No fsync: the rename makes the file complete or absent for every reader while the
            // machine runs (a power loss may still lose it); fsync would cost the large trace
            // outputs a second pass over their pages.
            out.into_inner()
                .map_err(|e| write_error.clone()(e.into_error()))?;
        }
        let Some(target) = &self.target else {
            return Ok(()); // written in place
        };
        // Rename under the registry lock, so an interrupt either removed the temp file first
        // (the rename fails) or sees it committed.
        let mut guard = pending();
        if !guard.iter().any(|(id, _)| *id == self.id) {
            return Err(write_error(io::Error::new(
                io::ErrorKind::Interrupted,
                "interrupted before the file was complete",
            )));
        }
        std::fs::rename(&self.temp, target).map_err(write_error)?;
        guard.retain(|(id, _)| *id != self.id);
        Ok(())
    }

    fn writer(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("output already committed"))
    }
}

fn unregister(id: u64) {
    pending().retain(|(i, _)| *i != id);
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        let mut guard = pending();
        if let Some(at) = guard.iter().position(|(id, _)| *id == self.id) {
            guard.swap_remove(at);
            self.out = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `path` by the same rules as [`OutputFile`].
pub fn write_file(path: &Path, inputs: &[&Path], bytes: &[u8]) -> Result<(), OutputError> {
    let mut out = OutputFile::create(path, inputs)?;
    out.write_all(bytes).map_err(|source| OutputError::Write {
        path: path.to_owned(),
        source,
    })?;
    out.commit()
}

/// The default cap on the rows a generating tool writes (`--max-rows`).
pub const DEFAULT_MAX_ROWS: u64 = 50_000_000;

/// The `--max-rows` flag of tools that generate rows; flatten with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct MaxRowsArg {
    /// Refuse to start when the flags ask for more rows than this (estimated before writing).
    #[arg(long, default_value_t = DEFAULT_MAX_ROWS)]
    pub max_rows: u64,
}

/// The flags ask for more rows than `--max-rows` allows.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to write about {estimate:.0} rows (estimated from {flags}), more than --max-rows \
     {max_rows}; lower {flags}, or raise --max-rows if that many rows are wanted"
)]
pub struct TooManyRows {
    /// The estimate.
    pub estimate: f64,
    /// The cap.
    pub max_rows: u64,
    /// The flags the estimate comes from, e.g. `--request-rate-max × --time-duration`.
    pub flags: &'static str,
}

/// Refuses an estimate above `max_rows` (and one that is not a number).
pub fn check_rows(estimate: f64, max_rows: u64, flags: &'static str) -> Result<(), TooManyRows> {
    if estimate <= max_rows as f64 {
        Ok(())
    } else {
        Err(TooManyRows {
            estimate,
            max_rows,
            flags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry is process-wide: tests that create outputs run one at a time (under
    /// `cargo test`, which shares one process).
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> MutexGuard<'static, ()> {
        SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn row_cap_refuses_above_and_names_the_flags() {
        assert!(check_rows(50.0, 50, "--n").is_ok());
        let err = check_rows(51.0, 50, "--n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing to write about 51 rows (estimated from --n), more than --max-rows 50; \
             lower --n, or raise --max-rows if that many rows are wanted"
        );
        assert!(check_rows(f64::NAN, 50, "--n").is_err());
        assert!(check_rows(f64::INFINITY, 50, "--n").is_err());
    }

    #[test]
    fn committed_output_replaces_the_final_path_and_leaves_no_temp() {
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, b"old").unwrap();
        let mut out = OutputFile::create(&path, &[]).unwrap();
        out.write_all(b"new contents").unwrap();
        // Until commit the final path holds the old file.
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        out.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        assert_eq!(leftovers(dir.path()), ["out.jsonl"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_output_replaces_the_target_and_keeps_the_link() {
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.jsonl");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut out = OutputFile::create(&link, &[]).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(leftovers(dir.path()), ["link.jsonl", "real.jsonl"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_pipe_is_written_in_place_not_replaced() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader_path = fifo.clone();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            File::open(reader_path)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        });
        let mut out = OutputFile::create(&fifo, &[]).unwrap();
        out.write_all(b"through the pipe").unwrap();
        out.commit().unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(leftovers(dir.path()), ["pipe"]);
    }

    #[test]
    fn dropped_output_removes_only_its_temp_file() {
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, b"keep me").unwrap();
        {
            let mut out = OutputFile::create(&path, &[]).unwrap();
            out.write_all(b"partial").unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
        assert_eq!(leftovers(dir.path()), ["out.jsonl"]);
        // A new output with no old file: nothing under the final name after a drop.
        let fresh = dir.path().join("fresh.jsonl");
        drop(OutputFile::create(&fresh, &[]).unwrap());
        assert!(!fresh.exists());
    }

    #[test]
    fn interrupt_cleanup_removes_pending_temps_and_blocks_commit() {
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut out = OutputFile::create(&path, &[]).unwrap();
        out.write_all(b"partial").unwrap();
        drop(remove_pending());
        assert_eq!(leftovers(dir.path()), Vec::<String>::new());
        assert!(matches!(out.commit(), Err(OutputError::Write { .. })));
        assert!(!path.exists());
    }

    #[test]
    fn same_file_as_input_is_refused_by_path_link_and_missing_name() {
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("trace.csv");
        std::fs::write(&input, b"data").unwrap();
        // Same path spelled differently.
        let dotted = dir.path().join(".").join("trace.csv");
        assert!(matches!(
            check_not_input(&dotted, &[&input]),
            Err(OutputError::SameAsInput { .. })
        ));
        // A hard link is the same inode under another name.
        let link = dir.path().join("link.csv");
        std::fs::hard_link(&input, &link).unwrap();
        assert!(check_not_input(&link, &[&input]).is_err());
        // A symlink to the input.
        #[cfg(unix)]
        {
            let sym = dir.path().join("sym.csv");
            std::os::unix::fs::symlink(&input, &sym).unwrap();
            assert!(check_not_input(&sym, &[&input]).is_err());
        }
        // An output that does not exist, named like an input that was given by another spelling.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let missing_in = sub.join("new.jsonl");
        let missing_out = sub.join("..").join("sub").join("new.jsonl");
        assert!(canonical_even_if_missing(&missing_out) == canonical_even_if_missing(&missing_in));
        // A different file is fine, and so is a missing input.
        assert!(check_not_input(&dir.path().join("other.jsonl"), &[&input, &missing_in]).is_ok());
        let err = OutputFile::create(&input, &[&input]).unwrap_err();
        assert!(err.to_string().contains("same file as the input"), "{err}");
        assert_eq!(std::fs::read(&input).unwrap(), b"data");
    }
}
