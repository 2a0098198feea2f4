//! Full-text search over the store: a tantivy index derived from SQLite.
//!
//! SQLite is the source of truth; this index is a projection that can always be
//! rebuilt. One long-lived `IndexWriter` is owned by one thread ([`writer`]), which
//! follows the store's change log by sequence number, commits every N items or T
//! seconds (never per record), and writes the last applied sequence into the commit
//! payload. On open, the index catches up from that mark, so a crash between a store
//! write and an index commit loses nothing. A corrupt index is moved aside and rebuilt;
//! an index locked by another live Chief process is opened read-only.
//!
//! Searches use one `IndexReader` and a fresh searcher per query. Every call here is
//! blocking: async callers run them on a blocking pool.

pub mod config;
mod hybrid;
mod query;
mod schema;
pub mod semantic;
pub mod vectors;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tantivy::{Index, IndexReader, ReloadPolicy};

use chief_store::{Follower, FollowerStopped};
pub use config::{EmbedConfig, Fusion, SearchConfig};
pub use hybrid::{Retriever, SearchMode, SearchQuery, SearchResponse, SearchResult};
pub use query::{Filters, Hit, SearchRequest};
pub use schema::{IndexSchema, container_key};
pub use semantic::{EmbedProgress, Semantic};
pub use vectors::VectorIndex;

/// Errors from the search index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed.
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The store failed while the index read from it.
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
    /// Filesystem trouble with the index directory.
    #[error("search index directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The writer thread is gone (it failed earlier, or the index is read-only).
    #[error("the search index writer is not running ({reason})")]
    WriterUnavailable { reason: String },
    /// The writer thread or the embedding queue stopped.
    #[error(transparent)]
    Stopped(#[from] FollowerStopped),
    /// The embedding model failed (or could not load).
    #[error("semantic search: {0}")]
    Embed(#[from] chief_embed::EmbedError),
    /// Semantic search was asked for but does not run.
    #[error("semantic search is off: {reason}")]
    SemanticOff { reason: String },
    /// A thread panicked while holding the vector index.
    #[error("the vector index is unavailable after an internal failure; restart Chief")]
    VectorsPoisoned,
    /// A person filter matched nobody.
    #[error("no person matches {name:?}; try part of a name, an email or a handle")]
    NoSuchPerson { name: String },
}

impl SearchError {
    /// True when the caller's input was at fault (not the index, the model or the disk).
    pub fn is_user_input(&self) -> bool {
        matches!(self, SearchError::NoSuchPerson { .. })
    }
}

/// When the writer commits.
#[derive(Debug, Clone, Copy)]
pub struct CommitPolicy {
    /// Commit after this many applied changes.
    pub every_items: usize,
    /// Commit pending changes after this long.
    pub every: Duration,
    /// Memory budget of the tantivy writer in bytes.
    pub writer_memory: usize,
    /// Indexing threads.
    pub threads: usize,
}

impl Default for CommitPolicy {
    fn default() -> Self {
        CommitPolicy { every_items: 50_000, every: Duration::from_secs(2), writer_memory: 64 << 20, threads: 1 }
    }
}

/// Health of the index, for `chief status` and `chief doctor`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IndexStatus {
    pub documents: u64,
    pub segments: usize,
    /// Last store sequence number the committed index reflects.
    pub committed_seq: i64,
    pub read_only: bool,
    /// Notes from opening (rebuilt after corruption, opened read-only, ...).
    pub notes: Vec<String>,
}

/// The search index: a reader for queries and a handle on the writer thread.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    schema: IndexSchema,
    dir: PathBuf,
    writer: Option<Follower<writer::Task>>,
    notes: Vec<String>,
    title_boost: f32,
    facts_boost: f32,
}

impl SearchIndex {
    /// Opens the index in `dir` (creating or rebuilding it as needed) and starts the
    /// writer thread that follows the store at `store_path`.
    pub fn open(dir: &Path, store_path: &Path, policy: CommitPolicy) -> Result<SearchIndex, SearchError> {
        let io = |source| SearchError::Io { path: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut notes = Vec::new();
        let (index, reader) = match open_or_create(dir) {
            Ok(opened) => opened,
            // Written by another Chief version (another schema): nothing in it is lost, as
            // everything comes back from the store, so it is replaced, not kept aside.
            Err(SearchError::Tantivy(tantivy::TantivyError::SchemaError(m))) if m == OTHER_VERSION => {
                std::fs::remove_dir_all(dir).map_err(io)?;
                std::fs::create_dir_all(dir).map_err(io)?;
                let note = "the search index was built by another Chief version; rebuilt it from the store".to_string();
                tracing::info!("{note}");
                notes.push(note);
                open_or_create(dir)?
            }
            Err(e) => {
                let aside = dir.with_extension(format!("broken-{}", chief_core::Timestamp::now().0));
                std::fs::rename(dir, &aside).map_err(io)?;
                std::fs::create_dir_all(dir).map_err(io)?;
                let note = format!(
                    "the search index was unreadable ({e}); moved it to {} and rebuilt it from the store",
                    aside.display()
                );
                tracing::warn!("{note}");
                notes.push(note);
                open_or_create(dir)?
            }
        };
        let schema = IndexSchema::from_index(&index);
        let writer = match writer::spawn(&index, reader.clone(), schema.clone(), store_path, policy) {
            Ok(w) => Some(w),
            Err(SearchError::Tantivy(tantivy::TantivyError::LockFailure(..))) => {
                let note = "another Chief process is writing the search index; this one opened it read-only and its results may lag".to_string();
                tracing::warn!("{note}");
                notes.push(note);
                None
            }
            Err(e) => return Err(e),
        };
        Ok(SearchIndex {
            index,
            reader,
            schema,
            dir: dir.to_path_buf(),
            writer,
            notes,
            title_boost: 1.0,
            facts_boost: 1.0,
        })
    }

    /// Weight of title matches relative to body matches (default 1).
    pub fn set_title_boost(&mut self, boost: f32) {
        self.title_boost = boost.max(0.0);
    }

    /// Sets the weight of a word matching an item's propositions (0: not searched).
    pub fn set_facts_boost(&mut self, boost: f32) {
        self.facts_boost = boost.max(0.0);
    }

    /// Asks the writer to pick up new store changes (returns at once).
    pub fn nudge(&self) {
        if let Some(w) = &self.writer {
            w.nudge();
        }
    }

    /// Applies every store change so far, commits, and makes it visible to searches.
    /// Returns the committed sequence number.
    pub fn flush(&self) -> Result<i64, SearchError> {
        let seq = self.writer()?.flush()?;
        self.reader.reload()?;
        Ok(seq)
    }

    /// Drops every document and re-indexes the whole store. Returns the sequence reached.
    pub fn rebuild(&self) -> Result<i64, SearchError> {
        let seq = self.writer()?.call(writer::Task::rebuild)??;
        self.reader.reload()?;
        Ok(seq)
    }

    fn writer(&self) -> Result<&Follower<writer::Task>, SearchError> {
        self.writer.as_ref().ok_or_else(|| SearchError::WriterUnavailable { reason: "opened read-only".into() })
    }

    /// Document count, segments, committed sequence, and notes from opening.
    pub fn status(&self) -> Result<IndexStatus, SearchError> {
        let searcher = self.reader.searcher();
        let metas = self.index.load_metas()?;
        Ok(IndexStatus {
            documents: searcher.num_docs(),
            segments: searcher.segment_readers().len(),
            committed_seq: writer::payload_seq(metas.payload.as_deref()),
            read_only: self.writer.is_none(),
            notes: self.notes.clone(),
        })
    }

    /// True when another process holds the writer and this one only reads.
    pub fn is_read_only(&self) -> bool {
        self.writer.is_none()
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the writer after a final catch-up and commit.
    pub fn close(mut self) -> Result<(), SearchError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), SearchError> {
        if let Some(mut w) = self.writer.take() {
            w.stop()?;
        }
        Ok(())
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Why an index whose schema is not this build's is not opened.
const OTHER_VERSION: &str = "the index schema is from another Chief version";

fn open_or_create(dir: &Path) -> Result<(Index, IndexReader), SearchError> {
    let has_meta = dir.join("meta.json").exists();
    let mut index = if has_meta {
        let index = Index::open_in_dir(dir)?;
        if !IndexSchema::matches(&index.schema()) {
            return Err(SearchError::Tantivy(tantivy::TantivyError::SchemaError(OTHER_VERSION.into())));
        }
        // Loading the metas validates that every segment file listed is present.
        index.searchable_segment_metas()?;
        index
    } else {
        Index::create_in_dir(dir, IndexSchema::build().schema)?
    };
    schema::register_tokenizers(&mut index);
    let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
    // Opening every segment's files now surfaces missing or truncated files here,
    // where the index can still be rebuilt, rather than in the middle of a search.
    reader.searcher().num_docs();
    Ok((index, reader))
}

#[cfg(test)]
mod tests;
