//! The sync engine's common shape: a [`Connector`] per source, the options a run gets
//! (overlap, retention, live mode, reconciliation), the events it reports, and the
//! error classes the scheduler acts on (pause on bad credentials, park until a rate
//! limit resets, retry later on anything transient).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chief_core::Timestamp;
use chief_store::Store;
use serde::Serialize;

/// A boxed future, so connectors can live behind `dyn Connector`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What one run of a connector may do.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// How far below each time cursor a run re-reads (edits, deletes, late replies).
    pub overlap: Duration,
    /// Keep only this many days of items; older ones are neither fetched nor kept.
    pub keep_days: Option<u32>,
    /// Slack live mode: store ids, permalinks and derived signals, not text.
    pub live: bool,
    /// List every id in the retention window and delete what is gone.
    pub reconcile: bool,
    /// The clock of this run.
    pub now: Timestamp,
    /// A fixed clock (`--now`, the demo's): every run uses it instead of the wall clock.
    pub clock: Option<Timestamp>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            overlap: Duration::from_secs(7 * 86_400),
            keep_days: None,
            live: false,
            reconcile: false,
            now: Timestamp::now(),
            clock: None,
        }
    }
}

impl SyncOptions {
    /// The oldest creation time a run fetches and keeps (retention).
    pub fn cutoff(&self) -> Option<Timestamp> {
        self.keep_days.map(|d| Timestamp(self.now.0 - i64::from(d) * 86_400_000))
    }
}

/// Progress a run reports: the CLI draws a bar from it, the desktop forwards it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    Started {
        source: String,
    },
    /// Working on container `done + 1` of `total`.
    Container {
        source: String,
        container: String,
        done: usize,
        total: usize,
    },
    /// A page was stored.
    Page {
        source: String,
        container: String,
        items: usize,
    },
    Finished {
        source: String,
        report: SourceReport,
    },
    /// Credentials were rejected: the source pauses until reconnected.
    Paused {
        source: String,
        message: String,
    },
    /// A long rate-limit wait: the source resumes at `resume_at`.
    Parked {
        source: String,
        resume_at: Timestamp,
        message: String,
    },
    Failed {
        source: String,
        message: String,
    },
}

/// Where progress goes.
pub type Progress = Arc<dyn Fn(&SyncEvent) + Send + Sync>;

/// A progress sink that drops everything.
pub fn no_progress() -> Progress {
    Arc::new(|_| {})
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceReport {
    pub source: String,
    pub account: String,
    pub containers: usize,
    pub people: usize,
    pub pages: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    /// Items that failed to convert this run (kept in `sync_failures`).
    pub failed: usize,
    /// Earlier failures that were stored this run.
    pub recovered: usize,
    pub threads_refreshed: usize,
    /// Items removed by retention.
    pub expired: usize,
    /// Whether this run listed every id to find deletions.
    pub reconciled: bool,
    /// 304 answers that saved a listing.
    pub not_modified: usize,
    /// Containers skipped, with why (`not_in_channel`, ...).
    pub skipped: Vec<(String, String)>,
}

impl SourceReport {
    pub(crate) fn count(&mut self, u: chief_store::Upsert) {
        match u {
            chief_store::Upsert::Inserted => self.inserted += 1,
            chief_store::Upsert::Updated => self.updated += 1,
            chief_store::Upsert::Unchanged => self.unchanged += 1,
        }
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The token was rejected: pause this source until it is reconnected.
    #[error("{0}")]
    Auth(String),
    /// A rate limit resets later than a run should wait; resume then.
    #[error("{message}")]
    Parked { resume_at: Timestamp, message: String },
    /// Network trouble or server errors that did not clear; the next run retries.
    #[error("{0}")]
    Transient(String),
    /// Configuration or data the connector cannot use.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
}

/// What a run needs from the engine.
pub struct SyncCtx<'a> {
    pub store: &'a mut Store,
    pub options: &'a SyncOptions,
    pub progress: &'a Progress,
}

/// One source's incremental sync.
pub trait Connector: Send + Sync {
    /// `slack`, `github`, ...
    fn source(&self) -> &'static str;
    /// Runs once: from the stored cursors to now.
    fn sync<'a>(&'a self, ctx: SyncCtx<'a>) -> BoxFuture<'a, Result<SourceReport, ConnectorError>>;
}

/// The most one API response may weigh; a larger body is refused, not buffered.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// The most pages one paging loop reads in a run (a per-conversation or
/// per-repository cursor saved with each page lets the next run go on).
pub const MAX_PAGES: usize = 5_000;

/// Why a response body was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyError {
    /// Over the size limit: refused, not worth retrying.
    TooLarge(String),
    /// The connection failed mid-body, or the body is not JSON: worth a retry.
    Unreadable(String),
}

/// Reads a JSON response body, refusing one over `max` bytes, whether it says so in
/// `Content-Length` or not (it is read a chunk at a time and never preallocated).
pub async fn read_json(mut resp: reqwest::Response, max: usize) -> Result<serde_json::Value, BodyError> {
    let too_big = || BodyError::TooLarge(format!("the response is larger than {} MiB; refused", max >> 20));
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) =
        resp.chunk().await.map_err(|e| BodyError::Unreadable(format!("unreadable response: {}", e.without_url())))?
    {
        if body.len() + chunk.len() > max {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| BodyError::Unreadable(format!("unreadable response: {e}")))
}

/// What one API response and one paging loop may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body: usize,
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_body: MAX_BODY_BYTES, max_pages: MAX_PAGES }
    }
}

impl Limits {
    /// A guard for one paging loop.
    pub fn pages(&self) -> PageGuard {
        PageGuard::new(self.max_pages)
    }
}

/// Guards a paging loop against a server that never stops: at most `max` pages, and
/// no page cursor twice.
#[derive(Debug)]
pub struct PageGuard {
    seen: std::collections::HashSet<String>,
    max: usize,
}

impl PageGuard {
    pub fn new(max: usize) -> Self {
        PageGuard { seen: Default::default(), max }
    }

    /// Records that the loop goes on to the page `cursor`; an error says why it must not.
    pub fn next(&mut self, cursor: &str) -> Result<(), String> {
        if !self.seen.insert(cursor.to_string()) {
            return Err("the API returned a page cursor it had returned before; stopped paging".into());
        }
        if self.seen.len() >= self.max {
            return Err(format!("more than {} pages in one run; stopped paging", self.max));
        }
        Ok(())
    }
}
