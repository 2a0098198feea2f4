//! The background embedding queue and the in-memory vector index it feeds.
//!
//! One thread follows the store's change log (like the search index writer): it
//! chunks each new or changed item, embeds the chunks, and writes the vectors and its
//! new log position in one transaction, then updates the in-memory index. A crash or
//! `kill -9` loses at most the batch in flight, which is redone on the next start;
//! deleted items leave the index. The vector index is rebuilt from SQLite on open.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chief_embed::{Embed, ModelFiles, ModelSlot};
use chief_store::{ChangeConsumer, Follower, OnStop, Store};

use crate::SearchError;
use crate::config::EmbedConfig;
use crate::vectors::{SENTENCE_CHUNK_BASE, VectorIndex, encode};

/// The key under which the queue's position is stored: the model and how items are cut
/// into passages. A new key embeds every item again (in the background; the old vectors
/// answer until each item's new ones replace them). `chunks-v2`: passages counted in the
/// model's own word pieces (v1 estimated them and the model cut long ones short);
/// `chunks-v3`: items of three sentences or more also get a vector per sentence.
pub const MODEL_KEY: &str = "all-MiniLM-L6-v2-int8/chunks-v3";

/// The queue's key for `[embed] sentences`: turning sentence vectors on or off embeds
/// every item again, since each item's stored vectors follow the setting.
pub fn model_key(sentences: bool) -> &'static str {
    if sentences { MODEL_KEY } else { "all-MiniLM-L6-v2-int8/chunks-v3-passages" }
}
const BATCH_ITEMS: usize = 64;
const BATCH_CHUNKS: usize = 96;

/// Where the model files are, by configuration or convention.
pub fn model_files(cfg: &EmbedConfig) -> ModelFiles {
    let dir = if !cfg.model_dir.is_empty() {
        PathBuf::from(&cfg.model_dir)
    } else {
        // `models/` beside the executable (a build or an unpacked archive), then where the
        // .deb puts it (`/usr/bin/chief` → `/usr/lib/Chief/models`), then the repository's.
        let exe_dir = std::env::current_exe().ok().and_then(|e| e.parent().map(PathBuf::from));
        let installed = exe_dir.iter().flat_map(|d| [d.join("models"), d.join("../lib/Chief/models")]);
        match installed.into_iter().find(|d| d.join("model.onnx").exists()) {
            Some(d) => d,
            None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"),
        }
    };
    let mut files = ModelFiles::in_dir(&dir);
    if !cfg.onnxruntime.is_empty() {
        files.onnxruntime = PathBuf::from(&cfg.onnxruntime);
    }
    files
}

/// Progress of the queue.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct EmbedProgress {
    /// Change-log position embedded so far.
    pub done_seq: i64,
    /// Chunks in the in-memory index.
    pub chunks: usize,
}

/// Shared state between the queue thread and searchers.
pub struct Semantic {
    /// The model, unloaded after `[embed] unload_after_secs` unused.
    pub embedder: Arc<ModelSlot>,
    pub vectors: Arc<RwLock<VectorIndex>>,
    pub threads: usize,
    pub min_similarity: f32,
    done_seq: Arc<AtomicI64>,
    queue: Follower<Worker>,
    /// Unloads the model when idle; stops when its sender drops.
    trimmer: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
    pub notes: Vec<String>,
}

impl Semantic {
    /// Loads the model (at its first use with `load_when_needed`), rebuilds the vector
    /// index from the store, and starts the queue.
    pub fn start(db: &Path, cfg: &EmbedConfig) -> Result<Semantic, SearchError> {
        let files = model_files(cfg);
        let keep = (cfg.unload_after_secs > 0).then(|| Duration::from_secs(cfg.unload_after_secs));
        let embedder = Arc::new(if cfg.load_when_needed {
            ModelSlot::deferred(files, cfg.threads.max(1), keep)?
        } else {
            ModelSlot::load(files, cfg.threads.max(1), keep)?
        });
        let store = Store::open(db)?;
        let mut vectors = VectorIndex::new(embedder.dims());
        let t = Instant::now();
        store.for_each_chunk(|rid, idx, bytes| {
            vectors.push_encoded(rid, idx, bytes);
        })?;
        let mut notes = Vec::new();
        let mut done = store.embed_seq(model_key(cfg.sentences))?;
        if vectors.skipped > 0 {
            // Unreadable vectors: re-embed everything; the store rewrites them.
            notes.push(format!("{} stored vectors were unreadable; re-embedding from the store", vectors.skipped));
            vectors = VectorIndex::new(embedder.dims());
            done = 0;
        }
        tracing::info!(chunks = vectors.len(), ms = t.elapsed().as_millis() as u64, "vector index loaded");
        let vectors = Arc::new(RwLock::new(vectors));
        let done_seq = Arc::new(AtomicI64::new(done));
        let worker = Worker {
            store,
            embedder: embedder.clone(),
            vectors: vectors.clone(),
            done_seq: done_seq.clone(),
            max_chunks: cfg.max_chunks_per_item.max(1),
            sentences: cfg.sentences,
            idle: !cfg.background,
        };
        let queue = Follower::spawn("embed", worker, OnStop::FinishBatch)
            .map_err(|source| SearchError::Io { path: db.to_path_buf(), source })?;
        if !cfg.background {
            // The queue only embeds when asked ([`Semantic::wait`]); let it start idle.
            queue.call(|w| w.idle = false)?;
        }
        let trimmer = match keep {
            Some(keep) => Some(
                spawn_trimmer(embedder.clone(), keep)
                    .map_err(|source| SearchError::Io { path: db.to_path_buf(), source })?,
            ),
            None => None,
        };
        Ok(Semantic {
            embedder,
            vectors,
            threads: cfg.threads.max(1),
            min_similarity: cfg.min_similarity,
            done_seq,
            queue,
            trimmer,
            notes,
        })
    }

    /// Asks the queue to pick up new items.
    pub fn nudge(&self) {
        self.queue.nudge();
    }

    /// Embeds everything pending, calling `progress` about twice a second.
    pub fn wait(&self, progress: &mut dyn FnMut(EmbedProgress)) -> Result<i64, SearchError> {
        self.queue.flush_ticking(Duration::from_millis(500), &mut || progress(self.progress()))
    }

    /// Where the queue is.
    pub fn progress(&self) -> EmbedProgress {
        EmbedProgress {
            done_seq: self.done_seq.load(Ordering::Relaxed),
            chunks: self.vectors.read().map(|v| v.len()).unwrap_or(0),
        }
    }

    /// Stops the queue after the batch in flight.
    pub fn stop(&mut self) {
        let _ = self.queue.stop();
        if let Some((tx, handle)) = self.trimmer.take() {
            drop(tx);
            let _ = handle.join();
        }
    }
}

/// A thread that unloads the model once it has been idle for `keep`, checking a few
/// times per `keep` (at most every 30 s); it ends when the returned sender drops.
fn spawn_trimmer(
    slot: Arc<ModelSlot>,
    keep: Duration,
) -> std::io::Result<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let tick = (keep / 4).clamp(Duration::from_millis(50), Duration::from_secs(30));
    let handle = std::thread::Builder::new().name("embed-unload".into()).spawn(move || {
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(tick) {
            slot.unload_if_idle();
        }
    })?;
    Ok((tx, handle))
}

/// Chunk indexes from here on are the item's propositions, not passages of its text
/// (up to [`SENTENCE_CHUNK_BASE`], its single sentences).
pub const FACT_CHUNK_BASE: usize = 100_000;

/// An item's chunks as stored: index, byte range, encoded vector.
type ChunkRows = Vec<(u32, usize, usize, Vec<u8>)>;

struct Worker {
    store: Store,
    embedder: Arc<ModelSlot>,
    vectors: Arc<RwLock<VectorIndex>>,
    done_seq: Arc<AtomicI64>,
    max_chunks: usize,
    /// Embed the sentences of long items too (`[embed] sentences`).
    sentences: bool,
    /// Set while the queue must not embed on its own (`background = false`, at start).
    idle: bool,
}

impl ChangeConsumer for Worker {
    type Error = SearchError;

    fn apply_batch(&mut self) -> Result<bool, SearchError> {
        if self.idle {
            return Ok(false);
        }
        let from = self.done_seq.load(Ordering::Relaxed);
        let records = self.store.embed_records_since(from, BATCH_ITEMS)?;
        if records.is_empty() {
            return Ok(false);
        }
        // Chunk live items until the batch holds about BATCH_CHUNKS chunks, so one
        // batch (and a shutdown waiting for it) stays short even for huge items.
        let mut plan: Vec<(i64, Vec<chief_embed::Chunk>)> = Vec::with_capacity(records.len());
        let mut last = from;
        let mut chunk_count = 0;
        for r in &records {
            let mut chunks = if r.deleted { Vec::new() } else { self.embedder.chunk(&r.title, &r.body)? };
            chunks.truncate(self.max_chunks);
            if !r.deleted && self.sentences {
                chunks.extend(
                    chief_embed::sentence_chunks(&r.title, &r.body, self.max_chunks)
                        .into_iter()
                        .map(|c| chief_embed::Chunk { index: SENTENCE_CHUNK_BASE as usize + c.index, ..c }),
                );
                // Each proposition is a chunk of its own, so a query close to the factoid
                // finds the item even when its wording is far from the text.
                chunks.extend(r.facts.iter().enumerate().map(|(k, f)| chief_embed::Chunk {
                    index: FACT_CHUNK_BASE + k,
                    start: 0,
                    end: 0,
                    text: f.clone(),
                }));
            }
            chunk_count += chunks.len();
            plan.push((r.rid, chunks));
            last = r.seq;
            if chunk_count >= BATCH_CHUNKS {
                break;
            }
        }
        let span = tracing::debug_span!("embed_batch", from_seq = from, items = plan.len(), chunks = chunk_count);
        let _g = span.enter();
        let texts: Vec<&str> = plan.iter().flat_map(|(_, cs)| cs.iter().map(|c| c.text.as_str())).collect();
        let vectors = self.embedder.embed(&texts)?;
        let mut it = vectors.into_iter();
        let mut encoded: Vec<(i64, ChunkRows)> = Vec::with_capacity(plan.len());
        for (rid, chunks) in &plan {
            let rows = chunks
                .iter()
                .map(|c| (c.index as u32, c.start, c.end, encode(&it.next().unwrap_or_default())))
                .collect();
            encoded.push((*rid, rows));
        }
        let w = self.store.writer()?;
        for (rid, rows) in &encoded {
            w.replace_chunks(*rid, rows)?;
        }
        w.set_embed_seq(model_key(self.sentences), last)?;
        w.commit()?;
        if let Ok(mut v) = self.vectors.write() {
            for (rid, rows) in &encoded {
                let rows: Vec<(u32, Vec<u8>)> = rows.iter().map(|(i, _, _, b)| (*i, b.clone())).collect();
                v.replace(*rid, &rows);
            }
        }
        self.done_seq.store(last, Ordering::Relaxed);
        Ok(true)
    }

    fn flush(&mut self) -> Result<i64, SearchError> {
        // Every batch commits with its position: nothing waits.
        Ok(self.done_seq.load(Ordering::Relaxed))
    }
}
