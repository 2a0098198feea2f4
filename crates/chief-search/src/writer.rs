//! The one writer. It owns the `IndexWriter`, follows the store's change log on a
//! [`Follower`] thread, and commits in batches with the applied sequence number as the
//! commit payload.

use std::path::Path;
use std::time::{Duration, Instant};

use chief_store::{ChangeConsumer, Follower, IndexRecord, OnStop, Store};
use tantivy::schema::Term;
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument};

use crate::schema::{IndexSchema, container_key};
use crate::{CommitPolicy, SearchError};

/// Reads the applied sequence from a commit payload (`{"seq": N}`); 0 when absent.
pub(crate) fn payload_seq(payload: Option<&str>) -> i64 {
    payload
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|v| v.get("seq")?.as_i64())
        .unwrap_or(0)
}

const BATCH: usize = 2_000;

pub(crate) struct Task {
    writer: IndexWriter,
    reader: IndexReader,
    schema: IndexSchema,
    store: Store,
    policy: CommitPolicy,
    applied: i64,
    committed: i64,
    pending: usize,
    last_commit: Instant,
}

pub(crate) fn spawn(
    index: &Index,
    reader: IndexReader,
    schema: IndexSchema,
    store_path: &Path,
    policy: CommitPolicy,
) -> Result<Follower<Task>, SearchError> {
    let writer: IndexWriter =
        index.writer_with_num_threads(policy.threads.max(1), policy.writer_memory.max(15 << 20))?;
    let store = Store::open(store_path)?;
    let committed = payload_seq(index.load_metas()?.payload.as_deref());
    let task = Task {
        writer,
        reader,
        schema,
        store,
        policy,
        applied: committed,
        committed,
        pending: 0,
        last_commit: Instant::now(),
    };
    Follower::spawn("index-writer", task, OnStop::CatchUp)
        .map_err(|source| SearchError::Io { path: store_path.to_path_buf(), source })
}

impl ChangeConsumer for Task {
    type Error = SearchError;

    fn apply_batch(&mut self) -> Result<bool, SearchError> {
        let records = self.store.index_records_since(self.applied, BATCH)?;
        if records.is_empty() {
            return Ok(false);
        }
        let span = tracing::debug_span!("index_batch", from_seq = self.applied, items = records.len());
        let _g = span.enter();
        for rec in &records {
            self.apply(rec)?;
        }
        self.applied = records.last().map(|r| r.seq).unwrap_or(self.applied);
        self.pending += records.len();
        if self.pending >= self.policy.every_items || self.last_commit.elapsed() >= self.policy.every {
            self.commit()?;
        }
        Ok(true)
    }

    fn flush(&mut self) -> Result<i64, SearchError> {
        self.commit()
    }

    fn flush_due(&self) -> Option<Duration> {
        (self.pending > 0).then(|| self.policy.every.saturating_sub(self.last_commit.elapsed()))
    }
}

impl Task {
    fn apply(&mut self, rec: &IndexRecord) -> Result<(), SearchError> {
        let s = &self.schema;
        self.writer.delete_term(Term::from_field_text(s.id, &rec.id));
        if rec.deleted {
            return Ok(());
        }
        let mut doc = TantivyDocument::default();
        doc.add_text(s.id, &rec.id);
        if !rec.title.is_empty() {
            doc.add_text(s.title, &rec.title);
        }
        doc.add_text(s.body, &rec.body);
        for f in &rec.facts {
            doc.add_text(s.facts, f);
        }
        if !rec.author_name.is_empty() {
            doc.add_text(s.author, &rec.author_name);
        }
        doc.add_text(s.container_keys, &rec.container_id);
        doc.add_text(s.container_keys, container_key(&rec.container_name));
        doc.add_text(s.source, &rec.source);
        doc.add_text(s.kind, &rec.kind);
        for p in &rec.people {
            doc.add_text(s.people, p);
        }
        for r in &rec.ref_terms {
            doc.add_text(s.refs, r);
        }
        for k in &rec.own_terms {
            doc.add_text(s.keys, k);
        }
        doc.add_i64(s.ts, rec.created_ms);
        self.writer.add_document(doc)?;
        Ok(())
    }

    fn commit(&mut self) -> Result<i64, SearchError> {
        if self.pending == 0 && self.committed == self.applied {
            return Ok(self.committed);
        }
        let span = tracing::debug_span!("index_commit", seq = self.applied, pending = self.pending);
        let _g = span.enter();
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&serde_json::json!({ "seq": self.applied }).to_string());
        prepared.commit()?;
        self.committed = self.applied;
        self.pending = 0;
        self.last_commit = Instant::now();
        self.reader.reload()?;
        Ok(self.committed)
    }

    /// Drops every document and re-indexes the whole store.
    pub(crate) fn rebuild(&mut self) -> Result<i64, SearchError> {
        self.writer.delete_all_documents()?;
        self.applied = 0;
        self.pending = 1; // force a commit even for an empty store
        while self.apply_batch()? {}
        self.commit()
    }
}
