//! The zip container of an `.npz`: stored (uncompressed) entries with CRC-32, as `np.savez`
//! writes them. The reader also takes the Zip64 fields Python's `zipfile` adds.

use super::NpzError;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
/// Version 2.0: what a stored entry needs.
const VERSION: u16 = 20;
/// Made by Unix (3), version 2.0.
const MADE_BY: u16 = (3 << 8) | VERSION;
/// 1980-01-01, the zip epoch (what NumPy's entries carry too).
const DOS_DATE: u16 = (1 << 5) | 1;
/// `-rw-------` in the high half, as NumPy writes.
const EXTERNAL_ATTR: u32 = 0o600 << 16;

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of `data`.
#[must_use]
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    !data
        .iter()
        .fold(!0u32, |c, &b| table[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

/// Writes a zip of stored entries `(name, bytes)`.
///
/// # Errors
/// [`NpzError::TooLarge`] when an entry, a name or the archive exceeds the 4 GiB / 65535-entry
/// limits of a zip without Zip64.
pub(crate) fn write(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>, NpzError> {
    let too_large = |what: String| NpzError::TooLarge { what };
    let mut out = Vec::new();
    let mut central = Vec::new();
    let count = u16::try_from(entries.len())
        .map_err(|_| too_large(format!("{} entries", entries.len())))?;
    for (name, data) in entries {
        let offset = u32::try_from(out.len()).map_err(|_| too_large("the archive".into()))?;
        let size = u32::try_from(data.len()).map_err(|_| too_large(format!("entry {name}")))?;
        let name_len =
            u16::try_from(name.len()).map_err(|_| too_large(format!("the name {name}")))?;
        let crc = crc32(data);
        // Local header.
        put32(&mut out, LOCAL_SIG);
        put16(&mut out, VERSION);
        put16(&mut out, 0); // flags
        put16(&mut out, 0); // stored
        put16(&mut out, 0); // time
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, size);
        put32(&mut out, size);
        put16(&mut out, name_len);
        put16(&mut out, 0); // extra
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Central directory record.
        put32(&mut central, CENTRAL_SIG);
        put16(&mut central, MADE_BY);
        put16(&mut central, VERSION);
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        put32(&mut central, size);
        put32(&mut central, size);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra
        put16(&mut central, 0); // comment
        put16(&mut central, 0); // disk
        put16(&mut central, 0); // internal attributes
        put32(&mut central, EXTERNAL_ATTR);
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).map_err(|_| too_large("the archive".into()))?;
    let cd_size = u32::try_from(central.len()).map_err(|_| too_large("the archive".into()))?;
    out.extend_from_slice(&central);
    put32(&mut out, EOCD_SIG);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, cd_size);
    put32(&mut out, cd_offset);
    put16(&mut out, 0);
    Ok(out)
}

/// Reads every entry of a zip whose entries are stored (not compressed), checking each CRC-32.
///
/// # Errors
/// [`NpzError::Zip`] for a damaged archive (naming the entry when one is at fault),
/// [`NpzError::Compressed`] for a compressed entry (`np.savez_compressed`).
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, NpzError> {
    let zip = |entry: Option<&str>, reason: String| NpzError::Zip {
        entry: entry.map(str::to_owned),
        reason,
    };
    let eocd = find_eocd(bytes).ok_or_else(|| {
        zip(
            None,
            "not a zip archive: no end-of-central-directory record".into(),
        )
    })?;
    let r = Reader(bytes);
    let mut count = u64::from(r.u16(eocd + 10)?);
    let mut cd_offset = u64::from(r.u32(eocd + 16)?);
    if (count == 0xFFFF || cd_offset == 0xFFFF_FFFF)
        && eocd >= 20
        && r.u32(eocd - 20)? == ZIP64_LOCATOR_SIG
    {
        let z64 = to_usize(r.u64(eocd - 20 + 8)?)?;
        if r.u32(z64)? != ZIP64_EOCD_SIG {
            return Err(zip(
                None,
                "bad Zip64 end-of-central-directory record".into(),
            ));
        }
        count = r.u64(z64 + 32)?;
        cd_offset = r.u64(z64 + 48)?;
    }
    let mut at = to_usize(cd_offset)?;
    let mut entries = Vec::new();
    for _ in 0..count {
        if r.u32(at)? != CENTRAL_SIG {
            return Err(zip(
                None,
                format!("bad central-directory record at byte {at}"),
            ));
        }
        let method = r.u16(at + 10)?;
        let crc = r.u32(at + 16)?;
        let mut comp = u64::from(r.u32(at + 20)?);
        let mut size = u64::from(r.u32(at + 24)?);
        let name_len = usize::from(r.u16(at + 28)?);
        let extra_len = usize::from(r.u16(at + 30)?);
        let comment_len = usize::from(r.u16(at + 32)?);
        let mut local = u64::from(r.u32(at + 42)?);
        let name_bytes = r.slice(at + 46, name_len)?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        // Zip64 extended information: the 0xFFFFFFFF fields, in order.
        let extra = r.slice(at + 46 + name_len, extra_len)?;
        let mut e = 0;
        while e + 4 <= extra.len() {
            let id = u16::from_le_bytes([extra[e], extra[e + 1]]);
            let len = usize::from(u16::from_le_bytes([extra[e + 2], extra[e + 3]]));
            let field = extra.get(e + 4..e + 4 + len).unwrap_or(&[]);
            if id == 1 {
                let fr = Reader(field);
                let mut k = 0;
                for value in [&mut size, &mut comp, &mut local] {
                    if *value == 0xFFFF_FFFF {
                        *value = fr.u64(k)?;
                        k += 8;
                    }
                }
            }
            e += 4 + len;
        }
        if method != 0 {
            return Err(NpzError::Compressed {
                entry: name,
                method,
            });
        }
        if comp != size {
            return Err(zip(Some(&name), "stored entry with different sizes".into()));
        }
        let local = to_usize(local)?;
        if r.u32(local)? != LOCAL_SIG {
            return Err(zip(Some(&name), "bad local header".into()));
        }
        let data_at =
            local + 30 + usize::from(r.u16(local + 26)?) + usize::from(r.u16(local + 28)?);
        let data = r
            .slice(data_at, to_usize(size)?)
            .map_err(|_| zip(Some(&name), "data run past the end of the archive".into()))?;
        if crc32(data) != crc {
            return Err(zip(
                Some(&name),
                "CRC-32 mismatch: the data are damaged".into(),
            ));
        }
        entries.push((name, data.to_vec()));
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

fn find_eocd(bytes: &[u8]) -> Option<usize> {
    let last = bytes.len().checked_sub(22)?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last)
        .rev()
        .find(|&i| bytes[i..i + 4] == EOCD_SIG.to_le_bytes())
}

fn to_usize(v: u64) -> Result<usize, NpzError> {
    usize::try_from(v).map_err(|_| NpzError::Zip {
        entry: None,
        reason: format!("offset {v} does not fit this machine"),
    })
}

/// Bounds-checked little-endian reads.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn slice(&self, at: usize, len: usize) -> Result<&[u8], NpzError> {
        at.checked_add(len)
            .and_then(|end| self.0.get(at..end))
            .ok_or_else(|| NpzError::Zip {
                entry: None,
                reason: format!("truncated: {len} bytes at byte {at} are past the end"),
            })
    }
    fn u16(&self, at: usize) -> Result<u16, NpzError> {
        let s = self.slice(at, 2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&self, at: usize) -> Result<u32, NpzError> {
        let s = self.slice(at, 4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&self, at: usize) -> Result<u64, NpzError> {
        let s = self.slice(at, 8)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(s);
        Ok(u64::from_le_bytes(b))
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32 check value of "123456789" (IEEE 802.3).
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn damaged_archives_are_errors_naming_the_entry() {
        let zip = write(&[("a.npy".into(), b"hello".to_vec())]).unwrap();
        assert_eq!(
            read(&zip).unwrap(),
            vec![("a.npy".to_owned(), b"hello".to_vec())]
        );
        let mut flipped = zip.clone();
        let at = zip.windows(5).position(|w| w == b"hello").unwrap();
        flipped[at] = b'j';
        let msg = read(&flipped).unwrap_err().to_string();
        assert!(msg.contains("a.npy") && msg.contains("CRC"), "{msg}");
        assert!(read(&zip[..zip.len() - 3]).is_err());
        assert!(read(b"not a zip").is_err());
        let mut deflated = zip.clone();
        let cd = zip
            .windows(4)
            .position(|w| w == CENTRAL_SIG.to_le_bytes())
            .unwrap();
        deflated[cd + 10] = 8;
        assert!(matches!(
            read(&deflated),
            Err(NpzError::Compressed { method: 8, .. })
        ));
    }
}
