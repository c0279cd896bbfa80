//! Where sealed records live: the [`Storage`] trait, the embedded
//! one-file backend and an in-memory backend.
//!
//! The trait sits below encryption: a backend only ever sees the opaque
//! header blob and sealed (AEAD-encrypted) records, so a shared backend
//! for fleets (Redis, PostgreSQL) never holds a plaintext value either.
//!
//! # The file format (version 2)
//!
//! ```text
//! header:  magic "HUSHVLT\0" | version u32 LE | n u32 LE | blob (n bytes)
//!          | crc32 u32 LE of everything before it
//! record:  len u32 LE | crc32 u32 LE of len | crc32 u32 LE of payload
//!          | payload (len bytes)
//! ```
//!
//! All integers are little-endian. The blob and payloads are defined by
//! the vault layer (a postcard-encoded header; a 24-byte nonce plus
//! XChaCha20-Poly1305 ciphertext, see below). Records are only ever appended, each
//! batch with one `write` and an `fsync` before the caller is told it is
//! stored. The length has its own checksum, so a damaged length is told
//! apart from a short write. On reading, an incomplete record at the end
//! (a writer killed mid-write; it was never acknowledged) is ignored and cut off by the
//! next writer; a bad checksum anywhere else is a corruption error naming
//! the file and offset. Rewrites (purge, forget, key rotation) write a new
//! file next to the old one, `fsync` it and rename it over the old one.
//!
//! # Record payloads and versions
//!
//! A payload is a 24-byte nonce, then the XChaCha20-Poly1305 encryption
//! (with the vault id as associated data) of one postcard-encoded record,
//! an enum:
//!
//! ```text
//! 0 Entry { scope: str, kind: str, op: u8, pseudonym: str, value: str,
//!           norm: Option<str>, created: u64, last_used: u64 }
//! 1 Touch { scope: str, items: [(pseudonym: str, last_used: u64)] }
//! 2 Batch { scopes: [str], kinds: [str],
//!           entries: [{ scope: u32 (index into scopes),
//!                       kind: u32 (index into kinds), op: u8,
//!                       pseudonym: str, value: str, norm: Option<str>,
//!                       created: u64, used: i64 (last_used - created,
//!                       wrapping) }] }
//! ```
//!
//! (postcard: integers as varints, `i64` zigzag, strings and sequences
//! length-prefixed, `op` 0 for a tag and 1 for a surrogate, `norm` only
//! when the normal form differs from the value.)
//!
//! - **Version 1** files hold `Entry` and `Touch` records: one sealed
//!   record per mapping.
//! - **Version 2** (written by this build) adds `Batch`: the mappings
//!   stored by one call, and every mapping of a rewrite, go into batch
//!   records of up to 64 KiB of plaintext. Per entry that saves the
//!   nonce, tag, frame and repeated names (about half the file) and,
//!   above all, one AEAD call, which made opening large vaults slow.
//!   `Entry` records are no longer written.
//!
//! Version 1 files are read as they are. Before the first write to one
//! (a new mapping or last-used times), the vault rewrites the whole file
//! in version 2, atomically like a purge; from then on an older build
//! refuses it as a newer format. A file with a version above
//! [`FORMAT_VERSION`] is refused.
//!
//! # Locking
//!
//! Processes coordinate with advisory `flock` locks on a sibling file,
//! `<vault>.lock` (so that a rename does not lose the lock): shared while
//! reading new records, exclusive while appending or rewriting. The data
//! file is reopened under each lock, so a process notices another's
//! rewrite. Advisory locks bind only cooperating processes: anything that
//! writes the file without hush's locking can corrupt it.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The magic number at the start of every vault file.
pub(crate) const MAGIC: &[u8; 8] = b"HUSHVLT\0";
/// The on-disk format version written by this build; files with a higher
/// version are refused.
///
/// # Example
///
/// ```
/// assert_eq!(hush_vault::FORMAT_VERSION, 2);
/// ```
pub const FORMAT_VERSION: u32 = 2;
/// The largest record accepted (1 MiB).
const MAX_RECORD: u32 = 1 << 20;
const MAX_HEADER: u32 = 4096;

/// A backend that stores the header blob and sealed records of a vault.
///
/// Implementations see only ciphertext. The vault calls `lock` before
/// reading or writing and `unlock` after; `append` must be durable when
/// it returns (that is when a mapping counts as acknowledged); `replace`
/// must be atomic (readers see the old or the new content, never a mix).
/// Positions are opaque cursors chosen by the backend: `read_records`
/// starts at the position returned by the previous read or append.
///
/// # Example
///
/// ```
/// use hush_vault::{MemoryStorage, Storage};
///
/// let mut s = MemoryStorage::new();
/// s.lock(true)?;
/// let mut end = s.replace(b"header", &[b"r1".to_vec()])?;
/// end = s.append(end, &[b"r2".to_vec()])?;
/// let mut seen = Vec::new();
/// let start = s.records_start()?;
/// assert_eq!(
///     s.read_records(start, &mut |r| Ok(seen.push(r.to_vec())))?,
///     end
/// );
/// s.unlock();
/// assert_eq!(seen, [b"r1".to_vec(), b"r2".to_vec()]);
/// # Ok::<(), hush_vault::Error>(())
/// ```
pub trait Storage: Send + fmt::Debug {
    /// The location named in error messages.
    fn location(&self) -> &Path;
    /// Takes the shared (`false`) or exclusive (`true`) lock, waiting for
    /// it.
    ///
    /// # Errors
    ///
    /// When the lock cannot be taken or the store cannot be opened.
    fn lock(&mut self, exclusive: bool) -> Result<(), Error>;
    /// Releases the lock.
    fn unlock(&mut self);
    /// The header blob, or `None` for a store that was never written.
    ///
    /// # Errors
    ///
    /// When the store cannot be read, is not a vault, has a damaged
    /// header or a newer format version.
    fn read_header(&mut self) -> Result<Option<Vec<u8>>, Error>;
    /// The position of the first record.
    ///
    /// # Errors
    ///
    /// When the store cannot be read.
    fn records_start(&mut self) -> Result<u64, Error>;
    /// The format version of the store as of the last `read_header` or
    /// `replace` (see the module docs): the vault rewrites a store of an
    /// older version before appending to it. A backend that only ever
    /// holds what this build wrote keeps the default, [`FORMAT_VERSION`].
    fn format_version(&self) -> u32 {
        FORMAT_VERSION
    }
    /// Calls `visit` with each record from `from` on; returns the
    /// position after the last complete record.
    ///
    /// # Errors
    ///
    /// On I/O errors, corruption, or an error from `visit`.
    fn read_records(
        &mut self,
        from: u64,
        visit: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error>;
    /// Durably appends records at `at` (the position returned by the last
    /// read or append, under the exclusive lock); returns the new end.
    ///
    /// # Errors
    ///
    /// On I/O errors.
    fn append(&mut self, at: u64, records: &[Vec<u8>]) -> Result<u64, Error>;
    /// Atomically replaces the whole content; returns the end position.
    ///
    /// # Errors
    ///
    /// On I/O errors.
    fn replace(
        &mut self,
        header: &[u8],
        records: &[Vec<u8>],
    ) -> Result<u64, Error>;
}

/// Stores a vault in memory, for tests and short-lived processes.
///
/// # Example
///
/// ```
/// use hush_vault::{MemoryStorage, Storage};
///
/// let mut s = MemoryStorage::new();
/// assert!(s.read_header()?.is_none());
/// # Ok::<(), hush_vault::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStorage {
    header: Option<Vec<u8>>,
    records: Vec<Vec<u8>>,
    location: PathBuf,
}

impl MemoryStorage {
    /// An empty store.
    ///
    /// # Example
    ///
    /// ```
    /// let _s = hush_vault::MemoryStorage::new();
    /// ```
    pub fn new() -> MemoryStorage {
        MemoryStorage {
            location: PathBuf::from("<memory>"),
            ..Default::default()
        }
    }
}

impl Storage for MemoryStorage {
    fn location(&self) -> &Path {
        &self.location
    }
    fn lock(&mut self, _exclusive: bool) -> Result<(), Error> {
        Ok(())
    }
    fn unlock(&mut self) {}
    fn read_header(&mut self) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.header.clone())
    }
    fn records_start(&mut self) -> Result<u64, Error> {
        Ok(0)
    }
    fn read_records(
        &mut self,
        from: u64,
        visit: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        for r in self.records.iter().skip(from as usize) {
            visit(r)?;
        }
        Ok(self.records.len() as u64)
    }
    fn append(&mut self, at: u64, records: &[Vec<u8>]) -> Result<u64, Error> {
        self.records.truncate(at as usize);
        self.records.extend(records.iter().cloned());
        Ok(self.records.len() as u64)
    }
    fn replace(
        &mut self,
        header: &[u8],
        records: &[Vec<u8>],
    ) -> Result<u64, Error> {
        self.header = Some(header.to_vec());
        self.records = records.to_vec();
        Ok(self.records.len() as u64)
    }
}

/// Stores a vault in one append-only file (see the module docs for the
/// format and the locking model).
///
/// # Example
///
/// ```
/// use hush_vault::{FileStorage, Storage};
///
/// let dir = tempfile::tempdir()?;
/// let mut s = FileStorage::new(dir.path().join("v.hushvault"))?;
/// s.lock(true)?;
/// assert!(s.read_header()?.is_none());
/// s.unlock();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileStorage {
    path: PathBuf,
    lock_file: File,
    file: Option<File>,
    header_end: u64,
    version: u32,
}

impl FileStorage {
    /// Opens (or prepares to create) the vault file at `path`, creating
    /// its directory and the `<path>.lock` file.
    ///
    /// # Errors
    ///
    /// When the directory or lock file cannot be created.
    ///
    /// # Example
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let _s = hush_vault::FileStorage::new(dir.path().join("a/b.hushvault"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Result<FileStorage, Error> {
        let path = path.into();
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                fs::create_dir_all(dir).map_err(|e| {
                    Error::io(dir, "cannot create vault directory", e)
                })?;
            }
        }
        let lock_path = lock_path(&path);
        let lock_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, "cannot open lock file", e))?;
        Ok(FileStorage {
            path,
            lock_file,
            file: None,
            header_end: 0,
            version: FORMAT_VERSION,
        })
    }

    fn file(&mut self) -> Result<&mut File, Error> {
        if self.file.is_none() {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&self.path)
                .map_err(|e| Error::io(&self.path, "cannot open vault", e))?;
            self.file = Some(f);
        }
        Ok(self.file.as_mut().unwrap())
    }

    /// The open vault file and its current length.
    fn file_and_len(&mut self) -> Result<(&mut File, u64), Error> {
        let path = self.path.clone();
        let file = self.file()?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(&path, "cannot stat vault", e))?
            .len();
        Ok((file, len))
    }

    fn ioerr(&self, action: &'static str) -> impl Fn(io::Error) -> Error + '_ {
        move |e| Error::io(&self.path, action, e)
    }
}

/// The lock file of a vault file.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

impl Storage for FileStorage {
    fn location(&self) -> &Path {
        &self.path
    }

    fn lock(&mut self, exclusive: bool) -> Result<(), Error> {
        let r = if exclusive {
            fs4::FileExt::lock(&self.lock_file)
        } else {
            fs4::FileExt::lock_shared(&self.lock_file)
        };
        r.map_err(|e| Error::io(&self.path, "cannot lock vault", e))?;
        // Reopen: another process may have renamed a rewrite over it.
        self.file = None;
        self.file()?;
        Ok(())
    }

    fn unlock(&mut self) {
        let _ = fs4::FileExt::unlock(&self.lock_file);
    }

    fn read_header(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let path = self.path.clone();
        let (file, len) = self.file_and_len()?;
        if len == 0 {
            return Ok(None);
        }
        let mut fixed = [0u8; 16];
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_exact(&mut fixed))
            .map_err(|_| Error::not_a_vault(&path))?;
        if &fixed[..8] != MAGIC {
            return Err(Error::not_a_vault(&path));
        }
        let version = u32::from_le_bytes(fixed[8..12].try_into().unwrap());
        if version > FORMAT_VERSION {
            return Err(Error::newer(&path, version, FORMAT_VERSION));
        }
        if version == 0 {
            return Err(Error::not_a_vault(&path));
        }
        let n = u32::from_le_bytes(fixed[12..16].try_into().unwrap());
        if n > MAX_HEADER || 16 + u64::from(n) + 4 > len {
            return Err(Error::corrupt(&path, 12, "header length"));
        }
        let mut blob = vec![0u8; n as usize + 4];
        file.read_exact(&mut blob)
            .map_err(|e| Error::io(&path, "cannot read vault header", e))?;
        let crc_stored =
            u32::from_le_bytes(blob[n as usize..].try_into().unwrap());
        blob.truncate(n as usize);
        let mut h = crc32fast::Hasher::new();
        h.update(&fixed);
        h.update(&blob);
        if h.finalize() != crc_stored {
            return Err(Error::corrupt(&path, 0, "header checksum mismatch"));
        }
        self.header_end = 16 + u64::from(n) + 4;
        self.version = version;
        Ok(Some(blob))
    }

    fn records_start(&mut self) -> Result<u64, Error> {
        if self.header_end == 0 {
            self.read_header()?;
        }
        Ok(self.header_end)
    }

    fn format_version(&self) -> u32 {
        self.version
    }

    fn read_records(
        &mut self,
        from: u64,
        visit: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let path = self.path.clone();
        let (file, len) = self.file_and_len()?;
        if from >= len {
            return Ok(from);
        }
        file.seek(SeekFrom::Start(from))
            .map_err(|e| Error::io(&path, "cannot seek vault", e))?;
        let mut r = BufReader::with_capacity(1 << 20, &*file);
        let mut pos = from;
        let mut buf = Vec::new();
        let rd = |e| Error::io(&path, "cannot read vault", e);
        loop {
            if len - pos < 12 {
                // Nothing, or a torn record header: never acknowledged.
                return Ok(pos);
            }
            let mut head = [0u8; 12];
            r.read_exact(&mut head).map_err(rd)?;
            let n = u32::from_le_bytes(head[..4].try_into().unwrap());
            let len_crc = u32::from_le_bytes(head[4..8].try_into().unwrap());
            let crc = u32::from_le_bytes(head[8..].try_into().unwrap());
            let body_end = pos + 12 + u64::from(n);
            if head.iter().all(|&b| b == 0)
                && rest_is_zero(&mut r).map_err(rd)?
            {
                // Zeros after a crash (space allocated, data not written).
                return Ok(pos);
            }
            if crc32fast::hash(&head[..4]) != len_crc {
                return Err(Error::corrupt(&path, pos, "bad record length"));
            }
            if n == 0 || n > MAX_RECORD {
                return Err(Error::corrupt(&path, pos, "bad record length"));
            }
            if body_end > len {
                // A record cut short by a crash: it was never synced,
                // so never acknowledged.
                return Ok(pos);
            }
            buf.resize(n as usize, 0);
            r.read_exact(&mut buf).map_err(rd)?;
            if crc32fast::hash(&buf) != crc {
                let last = body_end == len;
                if last && buf.iter().all(|&b| b == 0) {
                    return Ok(pos);
                }
                return Err(Error::corrupt(
                    &path,
                    pos,
                    "record checksum mismatch",
                ));
            }
            visit(&buf)?;
            pos = body_end;
        }
    }

    fn append(&mut self, at: u64, records: &[Vec<u8>]) -> Result<u64, Error> {
        let mut out = Vec::with_capacity(
            records.iter().map(|r| r.len() + 12).sum::<usize>(),
        );
        for rec in records {
            frame(&mut out, rec);
        }
        let path = self.path.clone();
        let (file, len) = self.file_and_len()?;
        if len != at {
            // Cut off a torn tail left by a writer that was killed.
            file.set_len(at).map_err(|e| {
                Error::io(&path, "cannot truncate torn tail", e)
            })?;
        }
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.write_all(&out))
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(&path, "cannot write vault", e))?;
        Ok(at + out.len() as u64)
    }

    fn replace(
        &mut self,
        header: &[u8],
        records: &[Vec<u8>],
    ) -> Result<u64, Error> {
        let mut tmp = self.path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(header);
        out.extend_from_slice(&crc32fast::hash(&out).to_le_bytes());
        let header_end = out.len() as u64;
        let w = (|| -> io::Result<u64> {
            let mut f = File::create(&tmp)?;
            f.write_all(&out)?;
            let mut end = header_end;
            let mut buf = Vec::with_capacity(1 << 20);
            for rec in records {
                frame(&mut buf, rec);
                if buf.len() >= 1 << 20 {
                    f.write_all(&buf)?;
                    end += buf.len() as u64;
                    buf.clear();
                }
            }
            f.write_all(&buf)?;
            end += buf.len() as u64;
            f.sync_all()?;
            Ok(end)
        })();
        let end = match w {
            Ok(end) => end,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(Error::io(&tmp, "cannot write vault", e));
            }
        };
        fs::rename(&tmp, &self.path).map_err(self.ioerr("cannot rename"))?;
        if let Some(dir) = self.path.parent() {
            let dir =
                if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.file = None;
        self.file()?;
        self.header_end = header_end;
        self.version = FORMAT_VERSION;
        Ok(end)
    }
}

/// Appends one framed record to `out`.
fn frame(out: &mut Vec<u8>, rec: &[u8]) {
    let len = (rec.len() as u32).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc32fast::hash(&len).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(rec).to_le_bytes());
    out.extend_from_slice(rec);
}

fn rest_is_zero(r: &mut impl Read) -> io::Result<bool> {
    let mut buf = [0u8; 8192];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(true);
        }
        if buf[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
    }
}
