//! One `.npy` array: NumPy's format version 1.0 (written) and 1.0 / 2.0 / 3.0 (read).
//!
//! Layout: the magic `\x93NUMPY`, the major and minor version bytes, the header length
//! (`u16` little-endian in 1.0, `u32` in 2.0 and 3.0), then the header — the Python literal
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }` padded with spaces and ended by
//! `'\n'` so the data start on a multiple of 64 bytes — then the values, C order, little-endian.
//! The writer reproduces NumPy 2's header byte for byte, including the spare spaces it leaves
//! after the dict so the first axis can grow in place.

use super::NpzError;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// NumPy aligns the data to this many bytes.
const ALIGN: usize = 64;
/// NumPy reserves room for this many digits of the growing axis after the dict.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// The values of an array, one variant per supported dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    /// `<f8`: 64-bit floats.
    F64(Vec<f64>),
    /// `<i8`: 64-bit signed integers (what NumPy makes of a list of Python ints).
    I64(Vec<i64>),
    /// `<f4`: 32-bit floats.
    F32(Vec<f32>),
}

impl NpyData {
    /// Number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::F64(v) => v.len(),
            Self::I64(v) => v.len(),
            Self::F32(v) => v.len(),
        }
    }

    /// Whether there are no values.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// NumPy's dtype string: `<f8`, `<i8` or `<f4`.
    #[must_use]
    pub fn descr(&self) -> &'static str {
        match self {
            Self::F64(_) => "<f8",
            Self::I64(_) => "<i8",
            Self::F32(_) => "<f4",
        }
    }

    fn item_size(&self) -> usize {
        match self {
            Self::F64(_) | Self::I64(_) => 8,
            Self::F32(_) => 4,
        }
    }
}

/// An n-dimensional array in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    shape: Vec<usize>,
    data: NpyData,
}

impl NpyArray {
    /// An array of `shape` (empty for a scalar) holding `data` in C order.
    ///
    /// # Errors
    /// [`NpzError::ShapeMismatch`] when the product of `shape` is not the number of values.
    pub fn new(shape: Vec<usize>, data: NpyData) -> Result<Self, NpzError> {
        let expected = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| NpzError::ShapeMismatch {
                shape: shape.clone(),
                values: data.len(),
            })?;
        if expected != data.len() {
            return Err(NpzError::ShapeMismatch {
                shape,
                values: data.len(),
            });
        }
        Ok(Self { shape, data })
    }

    /// A one-dimensional `<f8` array.
    #[must_use]
    pub fn from_f64(values: Vec<f64>) -> Self {
        Self {
            shape: vec![values.len()],
            data: NpyData::F64(values),
        }
    }

    /// A one-dimensional `<i8` array.
    #[must_use]
    pub fn from_i64(values: Vec<i64>) -> Self {
        Self {
            shape: vec![values.len()],
            data: NpyData::I64(values),
        }
    }

    /// The shape (empty for a scalar).
    #[must_use]
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The values.
    #[must_use]
    pub fn data(&self) -> &NpyData {
        &self.data
    }

    /// The values as `f64`, whatever the dtype (64-bit integers beyond 2^53 lose precision).
    #[must_use]
    pub fn to_f64(&self) -> Vec<f64> {
        match &self.data {
            NpyData::F64(v) => v.clone(),
            NpyData::I64(v) => v.iter().map(|&x| x as f64).collect(),
            NpyData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        }
    }

    /// The header dict exactly as NumPy writes it, without padding.
    fn header_dict(&self) -> String {
        let shape = match self.shape.as_slice() {
            [] => "()".to_owned(),
            [one] => format!("({one},)"),
            many => {
                let parts: Vec<String> = many.iter().map(ToString::to_string).collect();
                format!("({})", parts.join(", "))
            }
        };
        let mut dict = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
            self.data.descr()
        );
        if let Some(first) = self.shape.first() {
            let digits = first.to_string().len();
            dict.extend(std::iter::repeat_n(
                ' ',
                GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
            ));
        }
        dict
    }

    /// The `.npy` bytes (format 1.0; 2.0 if the header were ever longer than 65535 bytes).
    #[must_use]
    pub fn to_npy(&self) -> Vec<u8> {
        let dict = self.header_dict();
        // magic + version + length field + dict + '\n', padded to ALIGN.
        let (major, len_field) = if dict.len() + 1 + MAGIC.len() + 4 <= usize::from(u16::MAX) {
            (1u8, 2usize)
        } else {
            (2u8, 4usize)
        };
        let unpadded = MAGIC.len() + 2 + len_field + dict.len() + 1;
        let pad = (ALIGN - unpadded % ALIGN) % ALIGN;
        let header_len = dict.len() + pad + 1;
        let mut out = Vec::with_capacity(unpadded + pad + self.data.len() * self.data.item_size());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[major, 0]);
        if major == 1 {
            // Checked above: fits in u16.
            out.extend_from_slice(&(header_len as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header_len as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.extend(std::iter::repeat_n(b' ', pad));
        out.push(b'\n');
        match &self.data {
            NpyData::F64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::I64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::F32(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        }
        out
    }

    /// Parses `.npy` bytes (versions 1.0, 2.0 and 3.0; dtypes `<f8`, `<i8`, `<f4` and their
    /// big-endian forms; C order only).
    ///
    /// # Errors
    /// [`NpzError::Npy`] naming what is wrong: magic, version, header field, dtype, order or
    /// a data length that does not match the shape.
    pub fn from_npy(bytes: &[u8]) -> Result<Self, NpzError> {
        let bad = |reason: String| NpzError::Npy { reason };
        if bytes.len() < MAGIC.len() + 2 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad(
                "not an .npy array: the magic \\x93NUMPY is missing".into()
            ));
        }
        let major = bytes[6];
        let (header_len, start): (usize, usize) = match major {
            1 => {
                let raw = bytes
                    .get(8..10)
                    .ok_or_else(|| bad("truncated before the header length".into()))?;
                (usize::from(u16::from_le_bytes([raw[0], raw[1]])), 10)
            }
            2 | 3 => {
                let raw = bytes
                    .get(8..12)
                    .ok_or_else(|| bad("truncated before the header length".into()))?;
                let len = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
                (usize::try_from(len).unwrap_or(usize::MAX), 12)
            }
            v => return Err(bad(format!("unsupported format version {v}.{}", bytes[7]))),
        };
        let end = start
            .checked_add(header_len)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| {
                bad(format!(
                    "header of {header_len} bytes runs past the end ({} bytes)",
                    bytes.len()
                ))
            })?;
        let header = std::str::from_utf8(&bytes[start..end])
            .map_err(|_| bad("the header is not text".into()))?;
        let fields = parse_header(header).map_err(bad)?;
        if fields.fortran_order {
            return Err(bad(
                "field 'fortran_order': True is not supported (C order only)".into(),
            ));
        }
        let body = &bytes[end..];
        let count = fields
            .shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| bad("field 'shape': too many values".into()))?;
        let (little, kind) = match fields.descr.as_bytes() {
            [b'<' | b'=', rest @ ..] => (true, rest),
            [b'>', rest @ ..] => (false, rest),
            _ => {
                return Err(bad(format!(
                    "field 'descr': unsupported dtype '{}'",
                    fields.descr
                )));
            }
        };
        let item = match kind {
            b"f8" | b"i8" => 8,
            b"f4" => 4,
            _ => {
                return Err(bad(format!(
                    "field 'descr': unsupported dtype '{}'",
                    fields.descr
                )));
            }
        };
        let need = count
            .checked_mul(item)
            .ok_or_else(|| bad("field 'shape': too many values".into()))?;
        if body.len() != need {
            return Err(bad(format!(
                "shape {:?} of '{}' needs {need} data bytes, found {}",
                fields.shape,
                fields.descr,
                body.len()
            )));
        }
        let data = match kind {
            b"f8" => NpyData::F64(
                body.chunks_exact(8)
                    .map(|c| {
                        let b: [u8; 8] = c.try_into().unwrap_or([0; 8]);
                        if little {
                            f64::from_le_bytes(b)
                        } else {
                            f64::from_be_bytes(b)
                        }
                    })
                    .collect(),
            ),
            b"i8" => NpyData::I64(
                body.chunks_exact(8)
                    .map(|c| {
                        let b: [u8; 8] = c.try_into().unwrap_or([0; 8]);
                        if little {
                            i64::from_le_bytes(b)
                        } else {
                            i64::from_be_bytes(b)
                        }
                    })
                    .collect(),
            ),
            _ => NpyData::F32(
                body.chunks_exact(4)
                    .map(|c| {
                        let b: [u8; 4] = c.try_into().unwrap_or([0; 4]);
                        if little {
                            f32::from_le_bytes(b)
                        } else {
                            f32::from_be_bytes(b)
                        }
                    })
                    .collect(),
            ),
        };
        Ok(Self {
            shape: fields.shape,
            data,
        })
    }
}

struct HeaderFields {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses the header dict: the three keys NumPy writes, in any order.
fn parse_header(header: &str) -> Result<HeaderFields, String> {
    let text = header.trim_end_matches(['\n', ' ', '\0']).trim();
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.trim_end().strip_suffix('}'))
        .ok_or_else(|| format!("the header is not a dict: {text:?}"))?;
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        let (key, after) = quoted(rest).ok_or_else(|| format!("bad key at {rest:?}"))?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or_else(|| format!("field '{key}': missing ':'"))?
            .trim_start();
        let after = match key {
            "descr" => {
                let (v, a) =
                    quoted(after).ok_or_else(|| "field 'descr': not a string".to_owned())?;
                descr = Some(v.to_owned());
                a
            }
            "fortran_order" => {
                if let Some(a) = after.strip_prefix("True") {
                    fortran = Some(true);
                    a
                } else if let Some(a) = after.strip_prefix("False") {
                    fortran = Some(false);
                    a
                } else {
                    return Err("field 'fortran_order': not True or False".into());
                }
            }
            "shape" => {
                let close = after
                    .find(')')
                    .filter(|_| after.starts_with('('))
                    .ok_or_else(|| "field 'shape': not a tuple".to_owned())?;
                let mut dims = Vec::new();
                for part in after[1..close].split(',') {
                    let part = part.trim();
                    if part.is_empty() {
                        continue;
                    }
                    // NumPy may write `3L` on Python 2.
                    let digits = part.trim_end_matches('L');
                    dims.push(digits.parse::<usize>().map_err(|_| {
                        format!("field 'shape': {part:?} is not a non-negative integer")
                    })?);
                }
                shape = Some(dims);
                &after[close + 1..]
            }
            other => return Err(format!("unexpected field '{other}'")),
        };
        let after = after.trim_start();
        rest = after.strip_prefix(',').unwrap_or(after).trim_start();
    }
    Ok(HeaderFields {
        descr: descr.ok_or("field 'descr' is missing")?,
        fortran_order: fortran.ok_or("field 'fortran_order' is missing")?,
        shape: shape.ok_or("field 'shape' is missing")?,
    })
}

/// A `'…'` or `"…"` string at the start of `s` (no escapes: NumPy's keys and dtypes have none),
/// and the text after it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &s[1..];
    let end = body.find(quote)?;
    Some((&body[..end], &body[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_numpy_byte_for_byte() {
        // Header lines printed by NumPy 2.4 `np.save` (10-byte prefix + 118 header bytes).
        let numpy_f8_3 = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
        let npy = NpyArray::from_f64(vec![1.0, 2.0, 3.0]).to_npy();
        assert_eq!(&npy[..10], b"\x93NUMPY\x01\x00\x76\x00");
        let header = std::str::from_utf8(&npy[10..128]).unwrap();
        assert_eq!(header, format!("{numpy_f8_3}{}\n", " ".repeat(60)));
        assert_eq!(npy.len(), 128 + 24);

        let two_d = NpyArray::new(vec![2, 3], NpyData::F32(vec![0.0; 6]))
            .unwrap()
            .to_npy();
        let header = std::str::from_utf8(&two_d[10..128]).unwrap();
        assert_eq!(
            header,
            format!(
                "{{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}{}\n",
                " ".repeat(58)
            )
        );
        let scalar = NpyArray::new(vec![], NpyData::F64(vec![5.0]))
            .unwrap()
            .to_npy();
        assert_eq!(scalar.len(), 136, "NumPy: 128-byte header + 8 data bytes");
        assert_eq!(scalar[127], b'\n');
    }

    #[test]
    fn malformed_headers_are_errors() {
        let good = NpyArray::from_i64(vec![1, 2]).to_npy();
        let mut bad_magic = good.clone();
        bad_magic[1] = b'X';
        assert!(NpyArray::from_npy(&bad_magic).is_err());
        assert!(
            NpyArray::from_npy(&good[..good.len() - 1]).is_err(),
            "short data"
        );
        let mut other_dtype = good.clone();
        let at = good.windows(3).position(|w| w == b"<i8").unwrap();
        other_dtype[at..at + 3].copy_from_slice(b"<u2");
        let msg = NpyArray::from_npy(&other_dtype).unwrap_err().to_string();
        assert!(msg.contains("descr") && msg.contains("<u2"), "{msg}");
        assert!(NpyArray::from_npy(&good[..9]).is_err());
    }
}
