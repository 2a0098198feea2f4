//! Benchmarks that print numbers (`chief bench ingest|search --items N`): ingest speed
//! into SQLite + tantivy, search latency percentiles with and without filters, disk
//! bytes per item, peak RSS, and the same workload against a SQLite FTS5 table (what
//! comparable tools use) for a ratio. Nothing here asserts a time; it reports.

use std::path::Path;
use std::time::{Duration, Instant};

use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, RefKind, Reference, Source,
    Timestamp,
};
use chief_search::{CommitPolicy, Filters, SearchIndex, SearchRequest};
use chief_store::Store;
use serde::Serialize;

use chief_engine::EngineError;

const COMMON: &[&str] = &[
    "the",
    "a",
    "to",
    "and",
    "we",
    "is",
    "for",
    "on",
    "in",
    "it",
    "this",
    "that",
    "can",
    "be",
    "with",
    "i",
    "you",
    "are",
    "of",
    "please",
    "deploy",
    "release",
    "review",
    "merge",
    "rollback",
    "incident",
    "latency",
    "error",
    "customer",
    "checkout",
    "payments",
    "refund",
    "ledger",
    "database",
    "migration",
    "schema",
    "index",
    "query",
    "timeout",
    "retry",
    "queue",
    "worker",
    "cache",
    "memory",
    "cpu",
    "alert",
    "dashboard",
    "oncall",
    "pager",
    "postmortem",
    "standup",
    "sprint",
    "roadmap",
    "planning",
    "hiring",
    "interview",
    "budget",
    "headcount",
    "design",
    "mock",
    "frontend",
    "backend",
    "api",
    "sdk",
    "client",
    "server",
    "kubernetes",
    "terraform",
    "staging",
    "production",
    "canary",
    "flag",
    "test",
    "flaky",
    "build",
    "pipeline",
    "runner",
    "bug",
    "fix",
    "patch",
    "upgrade",
    "version",
    "config",
    "secret",
    "token",
    "auth",
    "login",
    "billing",
    "invoice",
    "report",
    "finance",
    "security",
    "audit",
    "compliance",
    "vendor",
    "contract",
    "meeting",
    "tomorrow",
    "today",
    "monday",
    "friday",
    "thanks",
    "blocked",
    "ready",
    "shipped",
    "approved",
    "question",
    "proposal",
    "rfc",
    "docs",
    "owner",
    "team",
];

/// Deterministic synthetic workplace messages with a Zipf-like word distribution.
pub struct Synthetic {
    state: u64,
    vocab: Vec<String>,
    cumulative: Vec<f64>,
}

impl Synthetic {
    pub fn new(seed: u64) -> Synthetic {
        let mut vocab: Vec<String> = COMMON.iter().map(|s| s.to_string()).collect();
        let syllables =
            ["ka", "lo", "mi", "ren", "tos", "va", "pel", "dun", "sha", "qui", "bor", "nex", "tal", "gri", "zo"];
        for a in syllables {
            for b in syllables {
                for c in ["", "ix", "on", "er", "us", "at"] {
                    vocab.push(format!("{a}{b}{c}"));
                }
            }
        }
        let mut cumulative = Vec::with_capacity(vocab.len());
        let mut total = 0.0;
        for rank in 1..=vocab.len() {
            total += 1.0 / (rank as f64).powf(1.05);
            cumulative.push(total);
        }
        Synthetic { state: seed, vocab, cumulative }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn word(&mut self) -> &str {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let x = self.unit() * total;
        let i = self.cumulative.partition_point(|&c| c < x).min(self.vocab.len() - 1);
        &self.vocab[i]
    }

    /// A query of 1–3 words from the informative middle of the vocabulary.
    pub fn query(&mut self) -> String {
        let n = 1 + (self.next() % 3) as usize;
        (0..n)
            .map(|_| {
                let k = 20 + (self.next() % 400) as usize;
                self.vocab[k].clone()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `i`-th synthetic message.
    pub fn item(&mut self, i: usize, containers: usize) -> Item {
        let words = 6 + (self.next() % 35) as usize;
        let mut body = String::with_capacity(words * 7);
        for w in 0..words {
            if w > 0 {
                body.push(' ');
            }
            let word = self.word().to_string();
            body.push_str(&word);
        }
        let mut references = Vec::new();
        if self.next().is_multiple_of(20) {
            let key = format!("BENCH-{}", self.next() % 5000);
            body.push_str(&format!(" see {key}"));
            references.push(Reference::new(RefKind::Ticket, key));
        }
        let channel = i % containers;
        let created = Timestamp(1_760_000_000_000 + i as i64 * 30_000);
        Item {
            id: ItemId::new(Source::Slack, &format!("CB{channel:03}:{i}.000000")),
            source: Source::Slack,
            kind: ItemKind::Message,
            container: ContainerId::new(Source::Slack, &format!("CB{channel:03}")),
            author: Some(Identity::new(IdentityKind::Slack, &format!("UB{:04}", self.next() % 200))),
            participants: vec![],
            created,
            updated: created,
            title: String::new(),
            body,
            url: None,
            parent: None,
            references,
            is_bot: false,
            extra: serde_json::Value::Null,
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

fn percentiles(mut d: Vec<Duration>) -> Percentiles {
    d.sort();
    let at = |q: f64| d.get(((d.len() as f64 - 1.0) * q).round() as usize).map_or(0.0, |x| x.as_secs_f64() * 1000.0);
    Percentiles { p50_ms: at(0.50), p95_ms: at(0.95), p99_ms: at(0.99) }
}

/// Results of an ingest run.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub items: usize,
    /// Store + index, from the first write until the index commit is visible.
    pub items_per_sec: f64,
    pub store_only_items_per_sec: f64,
    pub fts5_items_per_sec: f64,
    pub store_bytes_per_item: f64,
    pub index_bytes_per_item: f64,
    pub fts5_bytes_per_item: f64,
    pub peak_rss_mb: f64,
}

/// Results of a search run.
#[derive(Debug, Clone, Serialize)]
pub struct SearchBenchReport {
    pub items: usize,
    pub queries: usize,
    pub chief: Percentiles,
    pub chief_filtered: Percentiles,
    pub fts5: Percentiles,
    pub fts5_filtered: Percentiles,
    /// FTS5 p95 / Chief p95 (higher is better for Chief).
    pub speedup_p95: f64,
    pub speedup_p95_filtered: f64,
    pub peak_rss_mb: f64,
    pub ingest: IngestReport,
}

/// Peak resident memory of this process (VmHWM), in MiB; 0 where unavailable.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_size(p: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(p) else { return 0 };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(p).map(|rd| rd.filter_map(|e| e.ok()).map(|e| dir_size(&e.path())).sum()).unwrap_or(0)
}

const CONTAINERS: usize = 50;
const BATCH: usize = 10_000;

struct Corpus {
    store: Store,
    index: SearchIndex,
    fts: rusqlite::Connection,
    report: IngestReport,
}

/// The synthetic corpus's channels (`CB000`…), which its items live in.
fn bench_channels(w: &chief_store::Writer<'_>) -> Result<(), chief_store::StoreError> {
    for c in 0..CONTAINERS {
        w.upsert_container(&Container {
            id: ContainerId::new(Source::Slack, &format!("CB{c:03}")),
            source: Source::Slack,
            kind: ContainerKind::Channel,
            name: format!("#bench-{c}"),
            description: String::new(),
        })?;
    }
    Ok(())
}

fn ingest(dir: &Path, items: usize, with_fts5: bool, progress: &mut dyn FnMut(&str)) -> Result<Corpus, EngineError> {
    let db = dir.join("chief.db");
    let mut store = Store::open(&db)?;
    let policy =
        CommitPolicy { every_items: 200_000, every: Duration::from_secs(30), writer_memory: 256 << 20, threads: 2 };
    let index = SearchIndex::open(&dir.join("index"), &db, policy)?;
    {
        let w = store.writer()?;
        bench_channels(&w)?;
        w.commit()?;
    }
    let mut synth = Synthetic::new(42);
    let batch_items = |synth: &mut Synthetic, from: usize| -> Vec<Item> {
        (from..(from + BATCH).min(items)).map(|i| synth.item(i, CONTAINERS)).collect()
    };

    let start = Instant::now();
    let mut store_time = Duration::ZERO;
    let mut from = 0;
    while from < items {
        let batch = batch_items(&mut synth, from);
        let t = Instant::now();
        let w = store.writer()?;
        for it in &batch {
            w.upsert_item(it)?;
        }
        w.commit()?;
        store_time += t.elapsed();
        index.nudge();
        from += batch.len();
        progress(&format!("ingest {from}/{items}"));
    }
    index.flush()?;
    let total = start.elapsed();

    // The same text into FTS5, the baseline.
    let fts_path = dir.join("fts5.db");
    let mut fts = rusqlite::Connection::open(&fts_path).map_err(chief_store::StoreError::from)?;
    fts.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE VIRTUAL TABLE fts USING fts5(body, container UNINDEXED, ts UNINDEXED, tokenize = 'porter unicode61');",
    )
    .map_err(chief_store::StoreError::from)?;
    let mut synth = Synthetic::new(42);
    let t = Instant::now();
    let mut from = 0;
    while with_fts5 && from < items {
        let batch = batch_items(&mut synth, from);
        let tx = fts.transaction().map_err(chief_store::StoreError::from)?;
        {
            let mut ins = tx
                .prepare_cached("INSERT INTO fts (rowid, body, container, ts) VALUES (?1, ?2, ?3, ?4)")
                .map_err(chief_store::StoreError::from)?;
            for (k, it) in batch.iter().enumerate() {
                ins.execute(rusqlite::params![(from + k) as i64, it.body, it.container.as_str(), it.created.0])
                    .map_err(chief_store::StoreError::from)?;
            }
        }
        tx.commit().map_err(chief_store::StoreError::from)?;
        from += batch.len();
        progress(&format!("fts5 {from}/{items}"));
    }
    let fts_time = t.elapsed();
    let per = |bytes: u64| bytes as f64 / items.max(1) as f64;
    let report = IngestReport {
        items,
        items_per_sec: items as f64 / total.as_secs_f64(),
        store_only_items_per_sec: items as f64 / store_time.as_secs_f64(),
        fts5_items_per_sec: items as f64 / fts_time.as_secs_f64(),
        store_bytes_per_item: per(dir_size(&db) + dir_size(&dir.join("chief.db-wal"))),
        index_bytes_per_item: per(dir_size(&dir.join("index"))),
        fts5_bytes_per_item: per(dir_size(&fts_path) + dir_size(&dir.join("fts5.db-wal"))),
        peak_rss_mb: peak_rss_mb(),
    };
    Ok(Corpus { store, index, fts, report })
}

/// Ingests `items` synthetic messages into a fresh store + index (and FTS5) in `dir`.
pub fn run_ingest(dir: &Path, items: usize, progress: &mut dyn FnMut(&str)) -> Result<IngestReport, EngineError> {
    let corpus = ingest(dir, items, true, progress)?;
    corpus.index.close()?;
    Ok(corpus.report)
}

/// Ingests, then runs `queries` 1–3 word searches with and without filters against
/// Chief and FTS5, top 10 with snippets each.
pub fn run_search(
    dir: &Path,
    items: usize,
    queries: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<SearchBenchReport, EngineError> {
    let corpus = ingest(dir, items, true, progress)?;
    let mut synth = Synthetic::new(7);
    let qs: Vec<String> = (0..queries).map(|_| synth.query()).collect();
    let span_ms = items as i64 * 30_000;
    let filters = |k: usize| Filters {
        containers: vec![format!("slack:CB{:03}", k % CONTAINERS)],
        since: Some(1_760_000_000_000 + span_ms / 4),
        until: Some(1_760_000_000_000 + span_ms / 4 * 3),
        ..Default::default()
    };
    // Warm both engines' caches with one pass, as a long-running app would be.
    for q in qs.iter().take(20) {
        corpus.index.search(
            &SearchRequest { text: q.clone(), filters: Filters::default(), limit: 10, no_snippets: false },
            &corpus.store,
        )?;
    }
    let mut chief = Vec::new();
    let mut chief_f = Vec::new();
    for (k, q) in qs.iter().enumerate() {
        let t = Instant::now();
        corpus.index.search(
            &SearchRequest { text: q.clone(), filters: Filters::default(), limit: 10, no_snippets: false },
            &corpus.store,
        )?;
        chief.push(t.elapsed());
        let t = Instant::now();
        corpus.index.search(
            &SearchRequest { text: q.clone(), filters: filters(k), limit: 10, no_snippets: false },
            &corpus.store,
        )?;
        chief_f.push(t.elapsed());
    }
    progress("fts5 queries");
    let mut fts = Vec::new();
    let mut fts_f = Vec::new();
    let sql = "SELECT rowid, snippet(fts, 0, '[', ']', '…', 16) FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 10";
    let sql_f = "SELECT rowid, snippet(fts, 0, '[', ']', '…', 16) FROM fts WHERE fts MATCH ?1 AND container = ?2 AND ts >= ?3 AND ts < ?4 ORDER BY rank LIMIT 10";
    let run = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<Duration, EngineError> {
        let t = Instant::now();
        let mut stmt = corpus.fts.prepare_cached(sql).map_err(chief_store::StoreError::from)?;
        let rows: Vec<(i64, String)> = stmt
            .query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(chief_store::StoreError::from)?
            .collect::<Result<_, _>>()
            .map_err(chief_store::StoreError::from)?;
        std::hint::black_box(rows);
        Ok(t.elapsed())
    };
    for q in qs.iter().take(20) {
        run(sql, &[&q.split(' ').collect::<Vec<_>>().join(" OR ")])?;
    }
    for (k, q) in qs.iter().enumerate() {
        let m = q.split(' ').collect::<Vec<_>>().join(" OR ");
        fts.push(run(sql, &[&m])?);
        let f = filters(k);
        fts_f.push(run(sql_f, &[&m, &f.containers[0], &f.since, &f.until])?);
    }
    let (c, cf, f, ff) = (percentiles(chief), percentiles(chief_f), percentiles(fts), percentiles(fts_f));
    let report = SearchBenchReport {
        items,
        queries,
        speedup_p95: f.p95_ms / c.p95_ms.max(1e-9),
        speedup_p95_filtered: ff.p95_ms / cf.p95_ms.max(1e-9),
        chief: c,
        chief_filtered: cf,
        fts5: f,
        fts5_filtered: ff,
        peak_rss_mb: peak_rss_mb(),
        ingest: corpus.report.clone(),
    };
    corpus.index.close()?;
    Ok(report)
}

/// One row of `chief bench embed`.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedBenchRow {
    /// `short` (~20 tokens), `passage` (~200 tokens) or `mixed` (three short messages
    /// for each passage, interleaved, as a workspace's items come).
    pub texts: &'static str,
    pub threads: usize,
    pub count: usize,
    pub avg_tokens: f64,
    pub chunks_per_sec: f64,
    pub tokens_per_sec: f64,
    /// The same texts through Python onnxruntime + tokenizers, when available.
    pub python_chunks_per_sec: Option<f64>,
    /// Chief / Python.
    pub ratio: Option<f64>,
}

/// Embeds short messages and passages with 1 and 2 threads, and (given a Python with
/// onnxruntime and tokenizers) the same texts through the plain reference pipeline.
pub fn run_embed(
    cfg: &chief_engine::EmbedConfig,
    python: Option<&Path>,
    reference_script: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<EmbedBenchRow>, EngineError> {
    use chief_embed::Embed;
    let files = chief_search::semantic::model_files(cfg);
    let mut synth = Synthetic::new(99);
    let short: Vec<String> = (0..512)
        .map(|i| {
            let mut it = synth.item(i, 1);
            it.body.truncate(it.body.char_indices().nth(90).map_or(it.body.len(), |(b, _)| b));
            it.body
        })
        .collect();
    let passage: Vec<String> =
        (0..96).map(|i| (0..6).map(|k| synth.item(i * 6 + k, 1).body).collect::<Vec<_>>().join(". ")).collect();
    let mixed: Vec<String> = (0..384)
        .map(|i| if i % 4 == 3 { passage[(i / 4) % passage.len()].clone() } else { short[i % short.len()].clone() })
        .collect();
    let dir = tempfile::tempdir().map_err(|source| EngineError::Home { path: std::env::temp_dir(), source })?;
    let mut rows = Vec::new();
    for threads in [1usize, 2] {
        let embedder = chief_embed::OnnxEmbedder::load(&files, threads).map_err(embed_err)?;
        for (name, texts) in [("short", &short), ("passage", &passage), ("mixed", &mixed)] {
            progress(&format!("embedding {name} texts with {threads} thread(s)"));
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let tokens: usize = embedder.token_counts(&refs).map_err(embed_err)?.iter().sum();
            embedder.embed(&refs[..refs.len().min(32)]).map_err(embed_err)?;
            let t = Instant::now();
            embedder.embed(&refs).map_err(embed_err)?;
            let secs = t.elapsed().as_secs_f64();
            let python_rate = match python {
                Some(py) => {
                    let texts_path = dir.path().join(format!("{name}.json"));
                    std::fs::write(&texts_path, serde_json::to_vec(texts).unwrap_or_default())
                        .map_err(|source| EngineError::Home { path: texts_path.clone(), source })?;
                    progress(&format!("python reference: {name}, {threads} thread(s)"));
                    let model_dir = files.model.parent().unwrap_or(Path::new("."));
                    let out = std::process::Command::new(py)
                        .arg(reference_script)
                        .arg(model_dir)
                        .arg(&texts_path)
                        .arg(threads.to_string())
                        .output();
                    match out {
                        Ok(o) if o.status.success() => serde_json::from_slice::<serde_json::Value>(&o.stdout)
                            .ok()
                            .and_then(|v| Some(v["texts"].as_f64()? / v["seconds"].as_f64()?)),
                        Ok(o) => {
                            tracing::warn!("python reference failed: {}", String::from_utf8_lossy(&o.stderr));
                            None
                        }
                        Err(e) => {
                            tracing::warn!("python reference could not run: {e}");
                            None
                        }
                    }
                }
                None => None,
            };
            let rate = texts.len() as f64 / secs;
            rows.push(EmbedBenchRow {
                texts: name,
                threads,
                count: texts.len(),
                avg_tokens: tokens as f64 / texts.len() as f64,
                chunks_per_sec: rate,
                tokens_per_sec: tokens as f64 / secs,
                python_chunks_per_sec: python_rate,
                ratio: python_rate.map(|p| rate / p),
            });
        }
    }
    Ok(rows)
}

/// Results of `chief bench search --mode hybrid`.
#[derive(Debug, Clone, Serialize)]
pub struct HybridBenchReport {
    pub items: usize,
    pub chunks: usize,
    pub queries: usize,
    /// End to end: query embedding, BM25 top 100, vector top 100, fusion, top 10 with snippets.
    pub total: Percentiles,
    pub query_embedding: Percentiles,
    pub bm25: Percentiles,
    pub vectors: Percentiles,
    pub vector_memory_mb_per_million: f64,
    pub peak_rss_mb: f64,
}

/// Hybrid search latency over `items` synthetic messages with one vector each (random
/// unit vectors stand in for embeddings: the scan cost does not depend on values).
pub fn run_hybrid(
    dir: &Path,
    items: usize,
    queries: usize,
    cfg: &chief_engine::EmbedConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<HybridBenchReport, EngineError> {
    use chief_embed::Embed;
    use std::collections::HashMap;
    let corpus = ingest(dir, items, false, progress)?;
    let embedder = chief_embed::OnnxEmbedder::load(&chief_search::semantic::model_files(cfg), cfg.threads.max(1))
        .map_err(embed_err)?;
    let dims = embedder.dims();
    progress("building the vector index");
    let mut vectors = chief_search::VectorIndex::new(dims);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut v = vec![0f32; dims];
    for rid in 1..=items as i64 {
        for x in v.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *x = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
        }
        let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
        v.iter_mut().for_each(|a| *a /= n);
        vectors.push_encoded(rid, 0, &chief_search::vectors::encode(&v));
    }
    let mut synth = Synthetic::new(7);
    let qs: Vec<String> = (0..queries).map(|_| synth.query()).collect();
    let (mut total, mut emb, mut bm, mut vec_t) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    progress("hybrid queries");
    for (i, q) in qs.iter().enumerate() {
        let t0 = Instant::now();
        let qv = embedder.embed(&[q.as_str()]).map_err(embed_err)?.pop().unwrap_or_default();
        let t1 = Instant::now();
        let hits = corpus.index.search(
            &SearchRequest { text: q.clone(), filters: Filters::default(), limit: 100, no_snippets: true },
            &corpus.store,
        )?;
        let t2 = Instant::now();
        let dense = vectors.search(&qv, 100, cfg.threads.max(1), &|_| true);
        let t3 = Instant::now();
        let mut fused: HashMap<String, f32> = HashMap::new();
        for (r, h) in hits.iter().enumerate() {
            *fused.entry(h.id.clone()).or_default() += 1.0 / (61.0 + r as f32);
        }
        let rids: Vec<i64> = dense.iter().map(|(rid, _)| *rid).collect();
        for (r, id) in corpus.store.ids_for_rids(&rids)?.into_iter().enumerate() {
            if let Some(id) = id {
                *fused.entry(id).or_default() += 1.0 / (61.0 + r as f32);
            }
        }
        let mut top: Vec<(String, f32)> = fused.into_iter().collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (id, _) in top.iter().take(10) {
            if let Some(item) = corpus.store.item(id)? {
                std::hint::black_box(corpus.index.snippet(q, &item.item.body)?);
            }
        }
        if i >= 10 {
            total.push(t0.elapsed());
            emb.push(t1 - t0);
            bm.push(t2 - t1);
            vec_t.push(t3 - t2);
        }
    }
    let report = HybridBenchReport {
        items,
        chunks: vectors.len(),
        queries: total.len(),
        total: percentiles(total),
        query_embedding: percentiles(emb),
        bm25: percentiles(bm),
        vectors: percentiles(vec_t),
        vector_memory_mb_per_million: vectors.memory_bytes() as f64 / (1024.0 * 1024.0) * 1_000_000.0
            / items.max(1) as f64,
        peak_rss_mb: peak_rss_mb(),
    };
    corpus.index.close()?;
    Ok(report)
}

/// Results of `chief bench sync`.
#[derive(Debug, Clone, Serialize)]
pub struct SyncBenchReport {
    pub slack_messages: usize,
    pub github_items: usize,
    /// Jira issues and their comments.
    pub jira_items: usize,
    /// Google events, Docs, comment threads and mail.
    pub google_items: usize,
    pub pulls: usize,
    pub latency_ms: u64,
    pub items: usize,
    pub seconds: f64,
    pub items_per_sec: f64,
    pub requests: u64,
    pub requests_per_item: f64,
    /// From the start of the sync until the first item is searchable.
    pub first_searchable_ms: f64,
    pub slack_seconds: f64,
    pub github_seconds: f64,
    pub jira_seconds: f64,
    pub google_seconds: f64,
    pub peak_rss_mb: f64,
}

/// Syncs a generated workspace (`messages` Slack messages, `pulls` PRs with reviews
/// and comments) from the local mock API with `latency` per request, through the
/// real connectors and scheduler into a fresh store + index in `dir`.
pub fn run_sync(
    dir: &Path,
    messages: usize,
    pulls: usize,
    latency: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<SyncBenchReport, EngineError> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use chief_sources::connector::{SyncEvent, SyncOptions};
    use chief_sources::github_sync::{GithubApi, GithubConnector};
    use chief_sources::google_auth::{Credentials, TokenSource};
    use chief_sources::google_sync::{GoogleApi, GoogleConnector, GoogleScope};
    use chief_sources::jira_sync::{JiraApi, JiraConnector};
    use chief_sources::scheduler::{Job, Scheduler};
    use chief_sources::slack_sync::{SlackApi, SlackConnector};

    let now = Timestamp::now().0 as u64 / 1000;
    let spec = chief_mockapi::Synthetic {
        channels: 50,
        messages,
        thread_every: 8,
        replies_per_thread: 3,
        repos: 20,
        pulls,
        issues: pulls / 4,
        comments_per_pull: 2,
        jira_projects: 5,
        jira_issues: pulls / 2,
        comments_per_issue: 3,
        google_events: 200,
        google_docs: 20,
        google_messages: pulls,
        days: 60,
        end_secs: now - 60,
        seed: 3,
    };
    progress("generating the mock workspace");
    let world = chief_mockapi::World::synthetic(&spec);
    let (slack_messages, github_items) = (world.slack.message_count(), world.github.item_count());
    let jira_items = world.jira.item_count();
    let google_items = world.google.item_count();
    let repos: Vec<String> = world.github.repos.keys().cloned().collect();
    let token = world.token.clone();
    let jira_email = world.jira.email.clone();
    let mock = chief_mockapi::MockApi::start_background(world)
        .map_err(|e| EngineError::internal("starting the mock API", e))?;
    mock.faults(|f| f.latency = latency);

    let db = dir.join("chief.db");
    drop(Store::open(&db)?);
    let policy =
        CommitPolicy { every_items: 5_000, every: Duration::from_millis(250), writer_memory: 128 << 20, threads: 1 };
    let index = SearchIndex::open(&dir.join("index"), &db, policy)?;
    let jobs = vec![
        Job {
            connector: Arc::new(SlackConnector::new(SlackApi::new(&mock.slack_base(), &token), None)),
            options: SyncOptions::default(),
            interval: Duration::from_secs(600),
        },
        Job {
            connector: Arc::new(GithubConnector::new(GithubApi::new(&mock.github_base(), &token), repos)),
            options: SyncOptions::default(),
            interval: Duration::from_secs(600),
        },
        Job {
            connector: Arc::new(JiraConnector::new(JiraApi::new(&mock.jira_base(), &jira_email, &token), vec![], None)),
            options: SyncOptions::default(),
            interval: Duration::from_secs(600),
        },
        Job {
            connector: Arc::new(GoogleConnector::new(
                GoogleApi::new(&mock.google_base(), TokenSource::new(Credentials::Access(token.clone()))),
                GoogleScope::default(),
            )),
            options: SyncOptions::default(),
            interval: Duration::from_secs(600),
        },
    ];
    let scheduler = Scheduler::new(db.clone(), jobs);
    let dirty = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let finished: Arc<std::sync::Mutex<Vec<(String, Duration)>>> = Arc::default();
    let start = Instant::now();
    let on_event: chief_sources::connector::Progress = {
        let (dirty, finished) = (dirty.clone(), finished.clone());
        Arc::new(move |e| match e {
            SyncEvent::Page { .. } => dirty.store(true, Ordering::Relaxed),
            SyncEvent::Finished { source, .. }
            | SyncEvent::Failed { source, .. }
            | SyncEvent::Paused { source, .. }
            | SyncEvent::Parked { source, .. } => {
                finished.lock().unwrap_or_else(|p| p.into_inner()).push((source.clone(), start.elapsed()));
            }
            _ => {}
        })
    };
    progress("syncing");
    let first = std::thread::scope(|s| -> Result<Option<Duration>, EngineError> {
        let watcher = s.spawn(|| {
            let mut first = None;
            while !done.load(Ordering::Relaxed) {
                if dirty.swap(false, Ordering::Relaxed) {
                    index.nudge();
                }
                if first.is_none() && index.status().is_ok_and(|st| st.committed_seq > 0) {
                    first = Some(start.elapsed());
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            first
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|source| EngineError::Home { path: dir.to_path_buf(), source })?;
        let outcomes = rt.block_on(scheduler.run_once(&on_event, true));
        done.store(true, Ordering::Relaxed);
        let first = watcher.join().unwrap_or(None);
        for o in outcomes {
            if let Err(e) = o.result {
                return Err(EngineError::Sync(e));
            }
        }
        Ok(first)
    })?;
    index.flush()?;
    let seconds = start.elapsed().as_secs_f64();
    index.close()?;
    let store = Store::open(&db)?;
    let items: usize = store.counts()?.items.iter().map(|c| c.2 as usize).sum();
    let requests = mock.request_count();
    let took = |src: &str| {
        finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(s, _)| s == src)
            .map_or(0.0, |(_, d)| d.as_secs_f64())
    };
    Ok(SyncBenchReport {
        slack_messages,
        github_items,
        jira_items,
        google_items,
        pulls,
        latency_ms: latency.as_millis() as u64,
        items,
        seconds,
        items_per_sec: items as f64 / seconds,
        requests,
        requests_per_item: requests as f64 / items.max(1) as f64,
        first_searchable_ms: first.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        slack_seconds: took("slack"),
        github_seconds: took("github"),
        jira_seconds: took("jira"),
        google_seconds: took("google"),
        peak_rss_mb: peak_rss_mb(),
    })
}

fn embed_err(e: chief_embed::EmbedError) -> EngineError {
    EngineError::Search(e.into())
}

/// Popup lookups on an idle engine and on the same engine while a sync runs.
#[derive(Debug, Clone, Serialize)]
pub struct ContextDuringSyncReport {
    /// Items in the home the lookups search.
    pub home_items: usize,
    pub peak_rss_mb: f64,
    pub idle_lookups: usize,
    pub idle: Percentiles,
    pub during_sync_lookups: usize,
    pub during_sync: Percentiles,
    /// Messages and pull requests the concurrent sync stored.
    pub synced_items: usize,
    pub sync_seconds: f64,
}

/// `chief bench context`: the demo home, context lookups with nothing else running,
/// then the same lookups while a sync of a synthetic workspace (every mock response
/// delayed by `latency`) runs on another thread of the same engine.
pub fn run_context_during_sync(
    dir: &Path,
    messages: usize,
    latency: Duration,
    extra_items: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<ContextDuringSyncReport, EngineError> {
    use std::sync::atomic::{AtomicBool, Ordering};

    const TEXTS: [&str; 4] = [
        "checkout 502 errors after the deploy",
        "PAY-142",
        "who owns the headcount plan",
        "kestrel/web-app#214 review",
    ];
    progress("loading the demo workspace");
    let (engine, _) =
        crate::demo::load(&dir.join("home"), true, std::env::vars(), chief_sources::connector::no_progress())?;
    if extra_items > 0 {
        // The demo inside a big home: every lookup searches all of it.
        fill_synthetic(&engine, extra_items, progress)?;
        progress("indexing");
        engine.sync_index()?;
    }
    let home_items: usize = engine.status()?.counts.items.iter().map(|c| c.2 as usize).sum();
    // The demo's texts, and in a big home as many texts in its own (common) words.
    let mut texts: Vec<String> = TEXTS.iter().map(|t| t.to_string()).collect();
    if extra_items > 0 {
        let mut synth = Synthetic::new(11);
        texts.extend((0..TEXTS.len()).map(|_| synth.query()));
    }
    let lookup = |i: usize| -> Result<Duration, EngineError> {
        let t = Instant::now();
        engine.context(&texts[i % texts.len()], engine.clock())?;
        Ok(t.elapsed())
    };
    // Warm up, then the idle figures.
    for i in 0..8 {
        lookup(i)?;
    }
    progress("lookups on an idle engine");
    let idle: Vec<Duration> = (0..200).map(lookup).collect::<Result<_, _>>()?;

    let now = Timestamp::now().0 as u64 / 1000;
    let spec = chief_mockapi::Synthetic {
        channels: 10,
        messages,
        thread_every: 8,
        replies_per_thread: 3,
        repos: 2,
        pulls: messages / 50,
        issues: messages / 200,
        comments_per_pull: 2,
        jira_projects: 2,
        jira_issues: messages / 100,
        comments_per_issue: 2,
        google_events: 50,
        google_docs: 5,
        google_messages: messages / 50,
        days: 10,
        end_secs: now - 60,
        seed: 7,
    };
    let (mock, endpoints) = crate::serve(chief_mockapi::World::synthetic(&spec), None)?;
    mock.faults(|f| f.latency = latency);
    progress("lookups during a sync");
    let syncing = AtomicBool::new(true);
    let start = Instant::now();
    let (during, outcomes) = std::thread::scope(|s| -> Result<_, EngineError> {
        let sync = s.spawn(|| {
            let r = engine.sync_at(&endpoints, chief_sources::connector::no_progress());
            syncing.store(false, Ordering::Relaxed);
            r
        });
        let mut during = Vec::new();
        while syncing.load(Ordering::Relaxed) {
            during.push(lookup(during.len())?);
        }
        let outcomes =
            sync.join().map_err(|_| EngineError::internal("the sync thread", std::io::Error::other("panicked")))??;
        Ok((during, outcomes))
    })?;
    let sync_seconds = start.elapsed().as_secs_f64();
    let synced_items = outcomes.iter().filter_map(|o| o.report.as_ref()).map(|r| r.inserted + r.updated).sum();
    engine.close()?;
    Ok(ContextDuringSyncReport {
        home_items,
        peak_rss_mb: peak_rss_mb(),
        idle_lookups: idle.len(),
        idle: percentiles(idle),
        during_sync_lookups: during.len(),
        during_sync: percentiles(during),
        synced_items,
        sync_seconds,
    })
}

/// What `chief bench brief` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BriefBenchReport {
    /// The demo (seed 0): items in the briefing window, the first briefing (every
    /// discussion summarized) and a re-run (summaries cached).
    pub demo_window_items: usize,
    pub demo_first_ms: f64,
    pub demo_rerun_ms: f64,
    /// A synthetic home of `synthetic_items` messages (threads, mentions of the user).
    pub synthetic_items: usize,
    pub synthetic_window_items: usize,
    pub synthetic_discussions: usize,
    pub synthetic_first_ms: f64,
    pub synthetic_rerun_ms: f64,
    pub peak_rss_mb: f64,
}

/// Adds `items` synthetic messages (threads, one in three hundred mentioning the bench
/// user) to the engine's home in bench channels; returns the newest one's time.
fn fill_synthetic(
    engine: &chief_engine::Engine,
    items: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Timestamp, EngineError> {
    engine.write(bench_channels)?;
    let mut synth = Synthetic::new(7);
    let mut last_root: Vec<Option<ItemId>> = vec![None; CONTAINERS];
    let mut from = 0;
    let mut newest = Timestamp(0);
    while from < items {
        let batch: Vec<Item> = (from..(from + BATCH).min(items))
            .map(|i| {
                let mut it = synth.item(i, CONTAINERS);
                let c = i % CONTAINERS;
                // Three in four messages reply to the channel's latest thread; one in
                // three hundred mentions the user.
                match (&last_root[c], (i / CONTAINERS) % 4) {
                    (Some(root), 1..=3) => it.parent = Some(root.clone()),
                    _ => last_root[c] = Some(it.id.clone()),
                }
                if i % 300 == 7 {
                    it.body.push_str(" @Bench User can you look at this?");
                    it.references.push(Reference::new(RefKind::Person, "slack:UB0001"));
                }
                it
            })
            .collect();
        newest = batch.last().map_or(newest, |it| it.created);
        engine.write(|w| {
            for it in &batch {
                w.upsert_item(it)?;
            }
            Ok(())
        })?;
        from += batch.len();
        progress(&format!("synthetic items {from}/{items}"));
    }
    Ok(newest)
}

/// Times the offline briefing on the demo and on a synthetic home of `items` messages.
pub fn run_brief(dir: &Path, items: usize, progress: &mut dyn FnMut(&str)) -> Result<BriefBenchReport, EngineError> {
    let no_embed = || vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
    let offline = chief_engine::BriefRequest { offline: true, ..Default::default() };
    let timed = |engine: &chief_engine::Engine| -> Result<(f64, chief_engine::Briefing), EngineError> {
        let t = Instant::now();
        let b = engine.brief(&offline)?;
        Ok((t.elapsed().as_secs_f64() * 1000.0, b))
    };
    progress("loading the demo");
    let demo_home = dir.join("demo");
    let (engine, _) = crate::demo::load(&demo_home, false, no_embed(), chief_engine::no_progress())?;
    let (demo_first_ms, b) = timed(&engine)?;
    let (demo_rerun_ms, _) = timed(&engine)?;
    engine.close()?;

    let home = dir.join("synthetic");
    std::fs::create_dir_all(&home).map_err(|e| EngineError::internal("creating the bench home", e))?;
    std::fs::write(home.join("chief.toml"), "[me]\nname = \"Bench User\"\nslack_id = \"UB0001\"\n")
        .map_err(|e| EngineError::internal("writing the bench config", e))?;
    let engine = chief_engine::Engine::open(&home, chief_engine::Config::load(&home, no_embed())?)?;
    let newest = fill_synthetic(&engine, items, progress)?;
    engine.sync_index()?;
    let engine = engine.with_clock(Some(Timestamp(newest.0 + 60_000)));
    progress("briefing the synthetic home");
    let (synthetic_first_ms, sb) = timed(&engine)?;
    let (synthetic_rerun_ms, _) = timed(&engine)?;
    engine.close()?;
    Ok(BriefBenchReport {
        demo_window_items: b.items,
        demo_first_ms,
        demo_rerun_ms,
        synthetic_items: items,
        synthetic_window_items: sb.items,
        synthetic_discussions: sb.discussions,
        synthetic_first_ms,
        synthetic_rerun_ms,
        peak_rss_mb: peak_rss_mb(),
    })
}
