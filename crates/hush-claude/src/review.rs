//! Hold for review: on a route marked high-risk the proxy does not hand
//! the answer to the client. It stores it, as it came from upstream
//! (pseudonyms, never an original value), and answers `202` with a
//! pending status. A reviewer lists, reads and approves or rejects held
//! answers with `hush review`; the client polls
//! `GET /hush/reviews/{id}` and gets the restored answer once approved.
//!
//! The store is a directory with one JSON file per held answer, written
//! atomically (temporary file, then rename), so the proxy and the
//! reviewer's CLI share it without a server, and a crash never leaves a
//! half-written item.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a held answer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Waiting for a reviewer.
    Pending,
    /// Released to the client.
    Approved,
    /// Withheld for good.
    Rejected,
}

impl ReviewStatus {
    /// The status as a word.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Rejected => "rejected",
        }
    }
}

/// A held answer.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// `rev_` and the request id.
    pub id: String,
    /// The vault scope whose pseudonyms the answer holds (only that
    /// client may fetch it).
    pub scope: String,
    /// The request's model.
    pub model: Option<String>,
    /// The endpoint (`/v1/messages`).
    pub endpoint: String,
    /// Seconds since the epoch when it was held.
    pub created: u64,
    /// Where it stands.
    pub status: ReviewStatus,
    /// Who decided, and why (free text from the reviewer).
    pub note: Option<String>,
    /// The sanitised request as sent upstream.
    pub request: Value,
    /// The sanitised answer (a `Message`).
    pub answer: Value,
}

// Held items carry prompts and answers (pseudonymised, but still
// content): Debug shows what a log may show.
impl std::fmt::Debug for ReviewItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewItem")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// Errors of the review store. Messages name files and ids, never
/// content.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No held answer with that id.
    #[error("no held answer {0}")]
    NotFound(String),
    /// The id is not a review id.
    #[error(
        "not a review id: use the rev_... id that `hush review list` shows"
    )]
    BadId,
    /// Already decided.
    #[error("{id} was already {status}")]
    Decided {
        /// The item.
        id: String,
        /// Its status.
        status: &'static str,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a held answer.
    #[error("{path}: not a held answer ({why})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
}

/// The directory of held answers.
///
/// # Example
///
/// ```
/// use hush_claude::review::{ReviewStore, ReviewStatus};
/// use serde_json::json;
///
/// let dir = tempfile::tempdir()?;
/// let store = ReviewStore::open(dir.path())?;
/// let item = store.hold("hush_1", "client-ab", Some("m"), "/v1/messages",
///     json!({"messages": []}), json!({"type": "message", "content": []}))?;
/// assert_eq!(store.list()?.len(), 1);
/// store.decide(&item.id, ReviewStatus::Approved, Some("ok".into()))?;
/// assert_eq!(store.get(&item.id)?.status, ReviewStatus::Approved);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct ReviewStore {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReviewError + '_ {
    move |source| ReviewError::Io { path: path.to_path_buf(), source }
}

fn valid_id(id: &str) -> bool {
    id.len() <= 64
        && id.starts_with("rev_")
        && id[4..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && id.len() > 4
}

impl ReviewStore {
    /// Opens (creating) a store directory, mode 0700 on Unix.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created.
    pub fn open(dir: &Path) -> Result<ReviewStore, ReviewError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(
                dir,
                std::fs::Permissions::from_mode(0o700),
            );
        }
        Ok(ReviewStore { dir: dir.to_path_buf() })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> Result<PathBuf, ReviewError> {
        if !valid_id(id) {
            return Err(ReviewError::BadId);
        }
        Ok(self.dir.join(format!("{id}.json")))
    }

    fn write(&self, item: &ReviewItem) -> Result<(), ReviewError> {
        let path = self.path(&item.id)?;
        let tmp = self.dir.join(format!(".{}.tmp", item.id));
        let bytes = serde_json::to_vec_pretty(item).map_err(|e| {
            ReviewError::Corrupt { path: path.clone(), why: e.to_string() }
        })?;
        std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }

    /// Holds an answer; its id is `rev_` and the request id.
    ///
    /// # Errors
    ///
    /// When the item cannot be written.
    pub fn hold(
        &self,
        request_id: &str,
        scope: &str,
        model: Option<&str>,
        endpoint: &str,
        request: Value,
        answer: Value,
    ) -> Result<ReviewItem, ReviewError> {
        let id: String = format!("rev_{request_id}")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        let item = ReviewItem {
            id,
            scope: scope.to_string(),
            model: model.map(str::to_string),
            endpoint: endpoint.to_string(),
            created: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            status: ReviewStatus::Pending,
            note: None,
            request,
            answer,
        };
        self.write(&item)?;
        Ok(item)
    }

    /// One held answer.
    ///
    /// # Errors
    ///
    /// A bad or unknown id, or a file that is not a held answer.
    pub fn get(&self, id: &str) -> Result<ReviewItem, ReviewError> {
        let path = self.path(id)?;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReviewError::NotFound(id.to_string()))
            }
            Err(e) => return Err(ReviewError::Io { path, source: e }),
        };
        serde_json::from_slice(&bytes)
            .map_err(|e| ReviewError::Corrupt { path, why: e.to_string() })
    }

    /// Every held answer, oldest first. Files that are not held answers
    /// are reported as errors, not skipped.
    ///
    /// # Errors
    ///
    /// When the directory or an item cannot be read.
    pub fn list(&self) -> Result<Vec<ReviewItem>, ReviewError> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let e = e.map_err(io(&self.dir))?;
            let name = e.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            if valid_id(id) {
                out.push(self.get(id)?);
            }
        }
        out.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(out)
    }

    /// Approves or rejects a pending answer.
    ///
    /// # Errors
    ///
    /// Unknown id, an item already decided, or a write failure.
    pub fn decide(
        &self,
        id: &str,
        status: ReviewStatus,
        note: Option<String>,
    ) -> Result<ReviewItem, ReviewError> {
        let mut item = self.get(id)?;
        if item.status != ReviewStatus::Pending {
            return Err(ReviewError::Decided {
                id: item.id,
                status: item.status.as_str(),
            });
        }
        item.status = status;
        item.note = note;
        self.write(&item)?;
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decide_once_and_bad_ids_and_corrupt_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = ReviewStore::open(dir.path()).unwrap();
        let a = s
            .hold("hush_2", "c", None, "/v1/messages", json!({}), json!({}))
            .unwrap();
        assert_eq!(a.id, "rev_hush_2");
        s.decide(&a.id, ReviewStatus::Rejected, None).unwrap();
        assert!(matches!(
            s.decide(&a.id, ReviewStatus::Approved, None),
            Err(ReviewError::Decided { .. })
        ));
        assert!(matches!(s.get("../etc/passwd"), Err(ReviewError::BadId)));
        assert!(matches!(s.get("rev_nope"), Err(ReviewError::NotFound(_))));
        std::fs::write(dir.path().join("rev_bad.json"), b"{not json").unwrap();
        let e = s.get("rev_bad").unwrap_err().to_string();
        assert!(e.contains("not a held answer"), "{e}");
        assert!(s.list().is_err());
    }

    #[test]
    fn debug_shows_no_content() {
        let item = ReviewItem {
            id: "rev_x".into(),
            scope: "c".into(),
            model: None,
            endpoint: "/v1/messages".into(),
            created: 0,
            status: ReviewStatus::Pending,
            note: None,
            request: json!({"secret": "Dana Whitfield"}),
            answer: json!("Dana Whitfield"),
        };
        assert!(!format!("{item:?}").contains("Dana"));
    }
}
