//! NumPy's `.npy` and `.npz` formats as bytes in and out (no file I/O): what `raw_data.npz` of
//! Dynamo's profiler and the mocker's `perf_data.npz` are.
//!
//! An `.npz` is a zip archive of stored (uncompressed) `<name>.npy` entries, each checked by
//! CRC-32. Arrays are `<f8`, `<i8` or `<f4` of any shape, in C order. The writer emits NumPy's
//! `.npy` headers byte for byte (format 1.0, 64-byte alignment); the reader takes any archive
//! `np.savez` writes (including Python's Zip64 fields).
//!
//! The original's `raw_data.npz` layouts, with their dtypes, are [`PREFILL_ARRAYS`] and
//! [`DECODE_ARRAYS`].
//!
//! ```
//! use servebench_profiler_fit::npz::{Npz, NpyArray};
//!
//! let mut npz = Npz::default();
//! npz.insert("prefill_isl", NpyArray::from_i64(vec![100, 2000]))?;
//! npz.insert("prefill_ttft", NpyArray::from_f64(vec![18.1, 52.7]))?;
//! let bytes = npz.to_bytes()?;
//! let back = Npz::from_bytes(&bytes)?;
//! assert_eq!(back.get("prefill_ttft").map(|a| a.to_f64()), Some(vec![18.1, 52.7]));
//! # Ok::<(), servebench_profiler_fit::npz::NpzError>(())
//! ```

mod npy;
mod zip;

pub use npy::{NpyArray, NpyData};
pub use zip::crc32;

/// Arrays of a prefill `raw_data.npz` (`profile_prefill`): name and NumPy dtype.
pub const PREFILL_ARRAYS: [(&str, &str); 3] = [
    ("prefill_isl", "<i8"),
    ("prefill_ttft", "<f8"),
    ("prefill_thpt_per_gpu", "<f8"),
];

/// Arrays of a decode `raw_data.npz` (`profile_decode`): name and NumPy dtype;
/// `max_kv_tokens` has shape `(1,)`.
pub const DECODE_ARRAYS: [(&str, &str); 5] = [
    ("x_kv_usage", "<f8"),
    ("y_context_length", "<f8"),
    ("z_itl", "<f8"),
    ("z_thpt_per_gpu", "<f8"),
    ("max_kv_tokens", "<i8"),
];

/// Why an array or archive could not be built or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpzError {
    /// The shape does not match the number of values.
    #[error("shape {shape:?} does not hold {values} values")]
    ShapeMismatch {
        /// The shape given.
        shape: Vec<usize>,
        /// The number of values given.
        values: usize,
    },
    /// An `.npy` array is malformed or of an unsupported kind.
    #[error("bad .npy array: {reason}")]
    Npy {
        /// What is wrong (names the header field).
        reason: String,
    },
    /// An entry of the archive holds a bad `.npy` array.
    #[error("entry {entry}: {source}")]
    Entry {
        /// The zip entry name.
        entry: String,
        /// What is wrong with it.
        #[source]
        source: Box<NpzError>,
    },
    /// The zip container is damaged.
    #[error("bad .npz archive{}: {reason}", entry.as_ref().map(|e| format!(" (entry {e})")).unwrap_or_default())]
    Zip {
        /// The entry at fault, when one is.
        entry: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// An entry is compressed (`np.savez_compressed`); only stored entries are read.
    #[error(
        "entry {entry} is compressed (zip method {method}); only np.savez's stored entries are supported"
    )]
    Compressed {
        /// The zip entry name.
        entry: String,
        /// The zip compression method.
        method: u16,
    },
    /// Two arrays have the same name.
    #[error("array {name} is given twice")]
    Duplicate {
        /// The repeated name.
        name: String,
    },
    /// An array name that cannot be an archive entry.
    #[error("bad array name {name:?}: {reason}")]
    BadName {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// Something exceeds what a zip without Zip64 holds.
    #[error("{what} is too large for an .npz archive")]
    TooLarge {
        /// What.
        what: String,
    },
}

/// Named arrays in insertion order: the contents of an `.npz`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Npz {
    arrays: Vec<(String, NpyArray)>,
}

impl Npz {
    /// Adds an array (`name` without the `.npy` suffix, as `np.savez`'s keywords).
    ///
    /// # Errors
    /// [`NpzError::Duplicate`] for a name already present, [`NpzError::BadName`] for an empty
    /// name or one with a NUL byte.
    pub fn insert(&mut self, name: &str, array: NpyArray) -> Result<(), NpzError> {
        if name.is_empty() || name.contains('\0') {
            return Err(NpzError::BadName {
                name: name.to_owned(),
                reason: "empty or containing NUL",
            });
        }
        if self.get(name).is_some() {
            return Err(NpzError::Duplicate {
                name: name.to_owned(),
            });
        }
        self.arrays.push((name.to_owned(), array));
        Ok(())
    }

    /// The array called `name`, if any.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&NpyArray> {
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// The arrays' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.arrays.iter().map(|(n, _)| n.as_str())
    }

    /// The arrays, in order.
    #[must_use]
    pub fn arrays(&self) -> &[(String, NpyArray)] {
        &self.arrays
    }

    /// The `.npz` bytes: one stored `<name>.npy` entry per array.
    ///
    /// # Errors
    /// [`NpzError::TooLarge`] beyond 4 GiB or 65535 arrays.
    pub fn to_bytes(&self) -> Result<Vec<u8>, NpzError> {
        let entries: Vec<(String, Vec<u8>)> = self
            .arrays
            .iter()
            .map(|(n, a)| (format!("{n}.npy"), a.to_npy()))
            .collect();
        zip::write(&entries)
    }

    /// Parses `.npz` bytes; entry names lose their `.npy` suffix, as `np.load` shows them.
    ///
    /// # Errors
    /// A damaged or compressed archive, a bad array (naming its entry), or a name given twice.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NpzError> {
        let mut npz = Self::default();
        for (entry, data) in zip::read(bytes)? {
            let array = NpyArray::from_npy(&data).map_err(|e| NpzError::Entry {
                entry: entry.clone(),
                source: Box::new(e),
            })?;
            let name = entry.strip_suffix(".npy").unwrap_or(&entry);
            npz.insert(name, array)?;
        }
        Ok(npz)
    }
}
