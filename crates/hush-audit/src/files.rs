//! The files of a log directory: naming (`audit-<first seq>.jsonl`, zero
//! padded so that name order is chain order), the lock that keeps one
//! writer or purge at a time, the signed head file, and reading the last
//! line of a file backwards (to resume a chain and cut a torn tail).

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::AuditError;

/// The file holding the latest checkpoint line, rewritten atomically.
pub(crate) const HEAD_FILE: &str = "audit.head";
const LOCK_FILE: &str = ".audit.lock";

pub(crate) fn file_name(first_seq: u64) -> String {
    format!("audit-{first_seq:020}.jsonl")
}

fn is_log_name(name: &str) -> bool {
    name.strip_prefix("audit-")
        .and_then(|r| r.strip_suffix(".jsonl"))
        .is_some_and(|d| {
            d.len() == 20 && d.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The log files of a directory, in chain order.
pub(crate) fn list(dir: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let rd = fs::read_dir(dir)
        .map_err(|e| AuditError::io(dir, "cannot list log directory", e))?;
    let mut files = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| {
            AuditError::io(dir, "cannot list log directory", e)
        })?;
        if let Some(name) = ent.file_name().to_str() {
            if is_log_name(name) {
                files.push(ent.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The files to read for `path`: every log file of a directory, or the
/// one file given. The directory is returned too when there is one (it
/// holds the head file).
pub(crate) fn resolve(
    path: &Path,
) -> Result<(Option<PathBuf>, Vec<PathBuf>), AuditError> {
    let meta = fs::metadata(path)
        .map_err(|e| AuditError::io(path, "cannot open audit log", e))?;
    if meta.is_dir() {
        let files = list(path)?;
        if files.is_empty() {
            return Err(AuditError::Config(format!(
                "{}: no audit-*.jsonl files in this directory",
                path.display()
            )));
        }
        Ok((Some(path.to_path_buf()), files))
    } else {
        Ok((None, vec![path.to_path_buf()]))
    }
}

/// Takes the directory's exclusive lock; held until the file is dropped.
pub(crate) fn lock(dir: &Path) -> Result<File, AuditError> {
    let path = dir.join(LOCK_FILE);
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| AuditError::io(&path, "cannot open lock file", e))?;
    match fs4::FileExt::try_lock(&f) {
        Ok(()) => Ok(f),
        Err(fs4::TryLockError::WouldBlock) => {
            Err(AuditError::Locked { path: dir.to_path_buf() })
        }
        Err(fs4::TryLockError::Error(e)) => {
            Err(AuditError::io(&path, "cannot lock", e))
        }
    }
}

/// The end of a file: where the last complete line ends, how many bytes
/// follow it (a torn write), and that last complete line.
#[derive(Debug)]
pub(crate) struct Tail {
    pub good_len: u64,
    pub torn: u64,
    pub last: Option<Vec<u8>>,
}

/// Reads the tail of `f` backwards in growing windows.
pub(crate) fn read_tail(
    f: &mut File,
    path: &Path,
) -> Result<Tail, AuditError> {
    let io = |e| AuditError::io(path, "cannot read", e);
    let len = f.metadata().map_err(io)?.len();
    let mut window: u64 = 64 * 1024;
    loop {
        let w = window.min(len);
        let start = len - w;
        let mut buf = vec![0u8; usize::try_from(w).unwrap_or(usize::MAX)];
        f.seek(SeekFrom::Start(start)).map_err(io)?;
        f.read_exact(&mut buf).map_err(io)?;
        let Some(nl) = memchr::memrchr(b'\n', &buf) else {
            if start == 0 {
                return Ok(Tail { good_len: 0, torn: len, last: None });
            }
            window = window.saturating_mul(4);
            continue;
        };
        let good_len = start + nl as u64 + 1;
        match memchr::memrchr(b'\n', &buf[..nl]) {
            Some(p) => {
                let last = buf[p + 1..nl].to_vec();
                return Ok(Tail {
                    good_len,
                    torn: len - good_len,
                    last: Some(last),
                });
            }
            None if start == 0 => {
                let last = buf[..nl].to_vec();
                return Ok(Tail {
                    good_len,
                    torn: len - good_len,
                    last: Some(last),
                });
            }
            None => window = window.saturating_mul(4),
        }
    }
}

/// Reads the first line of a file (without its newline), if complete.
pub(crate) fn first_line(path: &Path) -> Result<Option<Vec<u8>>, AuditError> {
    use std::io::BufRead;
    let f = File::open(path)
        .map_err(|e| AuditError::io(path, "cannot open", e))?;
    let mut r = std::io::BufReader::new(f);
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)
        .map_err(|e| AuditError::io(path, "cannot read", e))?;
    Ok(line.strip_suffix(b"\n").map(<[u8]>::to_vec))
}

/// Writes `bytes` to `dir/name` atomically (temporary file, sync,
/// rename).
pub(crate) fn write_atomic(
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<(), AuditError> {
    let tmp = dir.join(format!("{name}.tmp"));
    let dest = dir.join(name);
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_data()?;
        fs::rename(&tmp, &dest)
    };
    write().map_err(|e| AuditError::io(&dest, "cannot write", e))?;
    sync_dir(dir);
    Ok(())
}

/// Makes renames and new files in `dir` durable (best effort: not every
/// platform can sync a directory).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn tail_of_torn_and_clean_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        for (content, good, last) in [
            (&b""[..], 0, None),
            (b"abc", 0, None),
            (b"abc\n", 4, Some(&b"abc"[..])),
            (b"abc\ndef\nxy", 8, Some(&b"def"[..])),
        ] {
            File::create(&p).unwrap().write_all(content).unwrap();
            let mut f = File::open(&p).unwrap();
            let t = read_tail(&mut f, &p).unwrap();
            assert_eq!(t.good_len, good);
            assert_eq!(t.last.as_deref(), last);
        }
        let mut big = vec![b'x'; 300_000];
        big.push(b'\n');
        big.extend_from_slice(&[b'y'; 200_000]);
        File::create(&p).unwrap().write_all(&big).unwrap();
        let t = read_tail(&mut File::open(&p).unwrap(), &p).unwrap();
        assert_eq!((t.good_len, t.last.unwrap().len()), (300_001, 300_000));
    }

    #[test]
    fn names_sort_in_chain_order() {
        assert!(file_name(9) < file_name(10));
        assert!(is_log_name(&file_name(u64::MAX)));
        assert!(!is_log_name("audit-1.jsonl"));
    }
}
