//! The SQLite store: the source of truth for everything Chief knows.
//!
//! Items, people and their identities, containers, extracted references, sync cursors
//! and an append-only log of item changes live in one SQLite file (WAL mode, foreign
//! keys on, versioned migrations). The search index is derived from it and can always
//! be rebuilt; other components follow the change log by sequence number.
//!
//! Writes go through a [`Writer`], one SQLite transaction: a page of items and the
//! sync cursor that covers them commit together, so an interrupted import or sync
//! re-reads at most one page and re-reading changes nothing (upserts compare a
//! content hash).

mod brain;
pub mod follow;
mod migrations;
mod read;
mod sync;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use brain::{BriefingRecord, FeedbackRecord, MeIdentity, RunRecord, RunStatus, StepRecord};
pub use follow::{ChangeConsumer, Follower, FollowerStopped, OnStop};
pub use read::{Change, Counts, EmbedRecord, ImportRun, IndexRecord, ItemEvent, PersonSummary, StoredItem};
pub use sync::{SourceState, SourceStatus, SyncFailure};
pub use write::{Upsert, Writer};

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or is not a Chief database.
    #[error(
        "cannot open the store at {path}: {source}. If the file is damaged, move it aside and re-import; the search index is rebuilt from it automatically"
    )]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer Chief.
    #[error(
        "the store at {path} has schema version {found}, newer than this Chief understands ({supported}); upgrade Chief"
    )]
    TooNew { path: PathBuf, found: i64, supported: i64 },
    /// A stored value could not be decoded.
    #[error("stored {what} is malformed: {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// JSON (de)serialization of a stored column failed.
    #[error("stored JSON is malformed: {0}")]
    Json(#[from] serde_json::Error),
}

impl StoreError {
    /// True if retrying later may succeed (the database was busy or locked).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
    }
}

/// A handle on the SQLite store. One per thread; open more with [`Store::open`].
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
        // Deleted text (tombstones, retention) is overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON").map_err(open_err)?;
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(open_err)?;
        // A 64 MiB page cache keeps the id and reference b-trees hot during large
        // imports; SQLite allocates it lazily, so small homes don't pay for it.
        conn.pragma_update(None, "cache_size", -65_536).map_err(open_err)?;
        let mut store = Store { conn, path: path.to_path_buf() };
        migrations::apply(&mut store.conn, path)?;
        Ok(store)
    }

    /// Opens a fresh in-memory store (tests, benchmarks).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::apply(&mut conn, Path::new(":memory:"))?;
        Ok(Store { conn, path: PathBuf::from(":memory:") })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a write transaction.
    pub fn writer(&mut self) -> Result<Writer<'_>, StoreError> {
        Writer::begin(&mut self.conn)
    }

    /// The current schema version.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Runs SQLite's own consistency check; `Ok(())` when healthy.
    pub fn quick_check(&self) -> Result<Result<(), String>, StoreError> {
        let res: String = self.conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        Ok(if res == "ok" { Ok(()) } else { Err(res) })
    }

    /// Direct access for benchmarks that compare against other SQLite features.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Content hash used to make upserts idempotent: hex of the first 16 bytes of the
/// SHA-256 of the value's JSON, streamed into the hasher without a buffer.
pub(crate) fn content_hash<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    use sha2::Digest;
    struct HashWriter(sha2::Sha256);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(sha2::Sha256::new());
    serde_json::to_writer(&mut w, value)?;
    let digest = w.0.finalize();
    Ok(digest.iter().take(16).fold(String::with_capacity(32), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    }))
}

#[cfg(test)]
mod tests;
