//! Hybrid retrieval, the search every surface and pipeline uses: BM25 (tantivy) and
//! dense (local embeddings) rankings fused into one, with filters, an exact-identifier
//! boost and a bounded recency boost. It lives here, not in the engine, so a brain
//! pipeline can retrieve with nothing but a store and a [`Retriever`].

use std::collections::HashMap;

use chief_core::{Home, ItemKind, Source, Timestamp};
use chief_embed::Embed;
use chief_store::{Store, StoredItem};
use serde::Serialize;

use crate::config::{EmbedConfig, Fusion, SearchConfig};
use crate::semantic::{EmbedProgress, Semantic};
use crate::{CommitPolicy, Filters, IndexStatus, SearchError, SearchIndex, SearchRequest};

/// How to retrieve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Words and identifiers only.
    Bm25,
    /// Meaning only (local embeddings).
    Dense,
    /// Both, fused; falls back to BM25 when semantic search is off.
    #[default]
    Hybrid,
}

impl SearchMode {
    /// Every mode, for `--mode all` and evaluations.
    pub const ALL: [SearchMode; 3] = [SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid];

    /// The mode's name as in `--mode` and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Bm25 => "bm25",
            SearchMode::Dense => "dense",
            SearchMode::Hybrid => "hybrid",
        }
    }
}

/// A search: words and identifiers, plus optional filters.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub text: String,
    pub mode: SearchMode,
    pub sources: Vec<Source>,
    pub kinds: Vec<ItemKind>,
    /// Container names or ids (`#incidents`, `kestrel/web-app`, `slack:C123`).
    pub containers: Vec<String>,
    /// A person's name or handle; matches items they wrote, were part of, or were mentioned in.
    pub person: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Maximum results (default 20).
    pub limit: Option<usize>,
    /// Favour recent items a little (on for workplace search, off for benchmarks).
    pub recency: bool,
    /// Ranking as of this instant (default: now). The demo sets its own "now".
    pub now: Option<Timestamp>,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            text: String::new(),
            mode: SearchMode::Hybrid,
            sources: Vec::new(),
            kinds: Vec::new(),
            containers: Vec::new(),
            person: None,
            since: None,
            until: None,
            limit: None,
            recency: true,
            now: None,
        }
    }
}

/// One result, in the stable JSON shape documented in the README.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub id: String,
    pub source: String,
    pub kind: String,
    pub container: String,
    pub title: String,
    pub snippet: String,
    pub url: Option<String>,
    pub author: Option<String>,
    pub ts: String,
    pub score: f32,
    /// Byte ranges of the matched words in `snippet`.
    pub highlights: Vec<(usize, usize)>,
    /// Why it matched: `bm25` (words), `dense` (meaning), `id` (it is the ticket or PR
    /// searched for), `ref` (it mentions it), `recency`.
    pub matched: Vec<&'static str>,
    /// The thread root or issue this item belongs to.
    pub parent: Option<String>,
    /// The proposition (a factoid derived from the item) that matched the query, when
    /// it says what the item's own text does not: "Ana approved kestrel/api#12: …".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Results of a search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    pub query: String,
    /// The mode actually used.
    pub mode: SearchMode,
    pub results: Vec<SearchResult>,
    /// Anything the user should know (e.g. semantic search unavailable).
    pub notes: Vec<String>,
}

/// A short title for items that have none (Slack messages): the first line, cut.
fn display_title(title: &str, body: &str) -> String {
    if !title.is_empty() {
        return title.to_string();
    }
    let first = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    if first.chars().count() > 80 {
        format!("{}…", first.chars().take(79).collect::<String>())
    } else {
        first.to_string()
    }
}

/// Does a stored item pass the filters? Used for dense candidates, which the vector
/// index does not filter.
fn passes(item: &StoredItem, f: &Filters) -> bool {
    let it = &item.item;
    if item.deleted {
        return false;
    }
    if !f.sources.is_empty() && !f.sources.iter().any(|s| s == it.source.as_str()) {
        return false;
    }
    if !f.kinds.is_empty() && !f.kinds.iter().any(|k| k == it.kind.as_str()) {
        return false;
    }
    if !f.containers.is_empty() {
        let name = crate::container_key(&item.container_name);
        if !f.containers.iter().any(|c| c == it.container.as_str() || crate::container_key(c) == name) {
            return false;
        }
    }
    if f.since.is_some_and(|t| it.created.0 < t) || f.until.is_some_and(|t| it.created.0 >= t) {
        return false;
    }
    for person in &f.people {
        let mut keys: Vec<String> = it.author.iter().map(|a| a.key()).collect();
        keys.extend(it.participants.iter().map(|p| p.key()));
        keys.extend(it.references.iter().filter(|r| r.kind == chief_core::RefKind::Person).map(|r| r.value.clone()));
        if !keys.iter().any(|k| person.contains(k)) {
            return false;
        }
    }
    true
}

struct Candidate {
    bm25_rank: Option<usize>,
    bm25_score: f32,
    dense_rank: Option<usize>,
    dense_score: f32,
    /// The item is the identifier searched for (its own ticket key or PR ref).
    id_match: bool,
    /// The item mentions the identifier.
    ref_match: bool,
}

/// The index, the vectors and the fusion settings: everything a search needs but the
/// store, which the caller lends for each search.
pub struct Retriever {
    index: SearchIndex,
    semantic: Option<Semantic>,
    semantic_problem: Option<String>,
    config: SearchConfig,
}

impl Retriever {
    /// Opens the home's index (catching up with the store in the background) and, when
    /// `[embed] enabled`, the embedding queue. Semantic search that cannot start (no
    /// model, no ONNX Runtime) leaves BM25 working and says why in [`Retriever::semantic_problem`].
    pub fn open(
        home: &Home,
        policy: CommitPolicy,
        search: &SearchConfig,
        embed: &EmbedConfig,
    ) -> Result<Retriever, SearchError> {
        let mut index = SearchIndex::open(&home.index(), &home.db(), policy)?;
        index.set_title_boost(search.title_boost);
        index.set_facts_boost(search.facts_boost);
        for note in index.status()?.notes {
            tracing::warn!("{note}");
        }
        let (semantic, semantic_problem) = if embed.enabled {
            match Semantic::start(&home.db(), embed) {
                Ok(s) => {
                    for n in &s.notes {
                        tracing::warn!("{n}");
                    }
                    (Some(s), None)
                }
                Err(e) => {
                    tracing::warn!("semantic search is off: {e}");
                    (None, Some(e.to_string()))
                }
            }
        } else {
            (None, None)
        };
        Ok(Retriever { index, semantic, semantic_problem, config: search.clone() })
    }

    /// The full-text index.
    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// The embedding queue and vectors, when semantic search runs.
    pub fn semantic(&self) -> Option<&Semantic> {
        self.semantic.as_ref()
    }

    /// Why semantic search is off when it should be on.
    pub fn semantic_problem(&self) -> Option<&str> {
        self.semantic_problem.as_deref()
    }

    /// New store changes may be waiting: the index writer and the embedding queue pick them up.
    pub fn nudge(&self) {
        self.index.nudge();
        if let Some(s) = &self.semantic {
            s.nudge();
        }
    }

    /// Makes every store change searchable by words now; returns the committed sequence.
    pub fn flush(&self) -> Result<i64, SearchError> {
        if self.index.is_read_only() {
            return Ok(self.index.status()?.committed_seq);
        }
        self.index.flush()
    }

    /// Embeds every item not embedded yet (blocking), reporting progress.
    pub fn embed_wait(&self, progress: &mut dyn FnMut(EmbedProgress)) -> Result<i64, SearchError> {
        match &self.semantic {
            Some(s) => s.wait(progress),
            None => Err(SearchError::SemanticOff {
                reason: self
                    .semantic_problem
                    .clone()
                    .unwrap_or_else(|| "disabled in chief.toml ([embed] enabled = false)".into()),
            }),
        }
    }

    /// Index health.
    pub fn status(&self) -> Result<IndexStatus, SearchError> {
        self.index.status()
    }

    /// Stops the embedding queue after its batch in flight and the index writer after
    /// a final commit.
    pub fn close(mut self) -> Result<(), SearchError> {
        if let Some(mut s) = self.semantic.take() {
            s.stop();
        }
        self.index.close()
    }

    fn filters(&self, store: &Store, q: &SearchQuery) -> Result<Filters, SearchError> {
        let mut people = Vec::new();
        if let Some(name) = q.person.as_deref().filter(|n| !n.trim().is_empty()) {
            let found = store.find_people(name)?;
            if found.is_empty() {
                return Err(SearchError::NoSuchPerson { name: name.to_string() });
            }
            people.push(found.iter().flat_map(|p| p.identities.iter().map(|i| i.key())).collect());
        }
        Ok(Filters {
            sources: q.sources.iter().map(|s| s.as_str().to_string()).collect(),
            kinds: q.kinds.iter().map(|k| k.as_str().to_string()).collect(),
            containers: q.containers.clone(),
            people,
            since: q.since.map(|t| t.0),
            until: q.until.map(|t| t.0),
        })
    }

    /// Searches the local index and vectors. Newest first when there are no words.
    pub fn search(&self, store: &Store, q: &SearchQuery) -> Result<SearchResponse, SearchError> {
        let span = tracing::info_span!("search", mode = ?q.mode, limit = q.limit.unwrap_or(20));
        let _g = span.enter();
        let limit = q.limit.unwrap_or(20).clamp(1, 1000);
        let mut notes = Vec::new();
        let filters = self.filters(store, q)?;
        let fusion = &self.config;
        let mut mode = q.mode;
        if mode != SearchMode::Bm25 && (self.semantic.is_none() || q.text.trim().is_empty()) {
            if self.semantic.is_none() {
                notes.push(format!(
                    "semantic search is off ({}); showing word matches only",
                    self.semantic_problem.as_deref().unwrap_or("disabled in [embed]")
                ));
            }
            mode = SearchMode::Bm25;
        }

        let mut cands: HashMap<String, Candidate> = HashMap::new();
        let mut query_vector: Option<Vec<f32>> = None;
        let mut order: Vec<String> = Vec::new();
        if mode != SearchMode::Dense {
            // Deeper than `limit`: the recency bonus reorders the candidates, and the first
            // results must not depend on how many were asked for. Snippets are made for
            // the results only.
            let depth = fusion.candidates.max(limit);
            let req = SearchRequest { text: q.text.clone(), filters: filters.clone(), limit: depth, no_snippets: true };
            for (rank, hit) in self.index.search(&req, store)?.into_iter().enumerate() {
                order.push(hit.id.clone());
                cands.insert(
                    hit.id,
                    Candidate {
                        bm25_rank: Some(rank),
                        bm25_score: hit.score,
                        dense_rank: None,
                        dense_score: 0.0,
                        id_match: hit.matched.contains(&"id"),
                        ref_match: hit.matched.contains(&"ref"),
                    },
                );
            }
        }
        if let Some(sem) = self.semantic.as_ref().filter(|_| mode != SearchMode::Bm25) {
            let qv = sem.embedder.embed(&[q.text.as_str()])?.pop().unwrap_or_default();
            query_vector = Some(qv.clone());
            let filtered =
                filters.sources.len() + filters.kinds.len() + filters.containers.len() + filters.people.len() > 0
                    || filters.since.is_some()
                    || filters.until.is_some();
            // As deep as the word matches, for the same reason.
            let depth = fusion.candidates.max(limit);
            let raw = {
                let vectors = sem.vectors.read().map_err(|_| SearchError::VectorsPoisoned)?;
                vectors.search(&qv, if filtered { depth * 4 } else { depth }, sem.threads, &|_| true)
            };
            let kept: Vec<(i64, f32)> = raw.into_iter().filter(|(_, sim)| *sim >= sem.min_similarity).collect();
            let rids: Vec<i64> = kept.iter().map(|(rid, _)| *rid).collect();
            let ids = store.ids_for_rids(&rids)?;
            let mut rank = 0;
            for (id, (_, sim)) in ids.into_iter().zip(kept) {
                let Some(id) = id else { continue };
                if filtered {
                    match store.item(&id)? {
                        Some(item) if passes(&item, &filters) => {}
                        _ => continue,
                    }
                }
                let c = cands.entry(id.clone()).or_insert_with(|| {
                    order.push(id.clone());
                    Candidate {
                        bm25_rank: None,
                        bm25_score: 0.0,
                        dense_rank: None,
                        dense_score: 0.0,
                        id_match: false,
                        ref_match: false,
                    }
                });
                c.dense_rank = Some(rank);
                c.dense_score = sim;
                rank += 1;
                if rank >= depth {
                    break;
                }
            }
        }

        // Linear fusion scores every candidate on both signals: exact cosines for word
        // matches the vector top list missed.
        if let (Some(sem), Some(qv), true) =
            (&self.semantic, &query_vector, mode == SearchMode::Hybrid && fusion.fusion == Fusion::Linear)
        {
            let missing: Vec<String> = order.iter().filter(|id| cands[*id].dense_rank.is_none()).cloned().collect();
            let mut rids = Vec::with_capacity(missing.len());
            for id in &missing {
                rids.push(store.rid_of(id)?.unwrap_or(-1));
            }
            let scores = sem.vectors.read().map_err(|_| SearchError::VectorsPoisoned)?.score_items(qv, &rids);
            for (id, sc) in missing.iter().zip(scores) {
                if let (Some(c), Some(sc)) = (cands.get_mut(id), sc) {
                    c.dense_score = sc;
                }
            }
        }

        // Fuse: reciprocal ranks, exact identifiers first, a bounded recency bonus.
        let now = q.now.unwrap_or_else(Timestamp::now);
        let mut scored: Vec<(f32, String, Vec<&'static str>)> = Vec::with_capacity(order.len());
        let max_bm25 = cands.values().map(|c| c.bm25_score).fold(0f32, f32::max).max(1e-6);
        // A short query is lexical — a key, a name, two words — and meaning matters more
        // the more a query says: the dense weight grows with its content words.
        let share = dense_share(self.index.words(&q.text).len(), fusion.dense_full_words);
        let (wb, wd) = (fusion.bm25_weight, fusion.dense_weight * share);
        for id in &order {
            let c = &cands[id];
            // Words alone rank by reciprocal rank whatever the fusion, so BM25 mode is the same
            // ranking under every `[search]` setting.
            let mut score = if fusion.fusion == Fusion::Linear && mode != SearchMode::Bm25 {
                // BM25 scaled to [0, 1] by the best hit; cosine as is.
                wb * c.bm25_score / max_bm25 + wd * c.dense_score
            } else {
                let k = fusion.rrf_k;
                wb * c.bm25_rank.map_or(0.0, |r| 1.0 / (k + r as f32 + 1.0))
                    + wd * c.dense_rank.map_or(0.0, |r| 1.0 / (k + r as f32 + 1.0))
            };
            let mut why = Vec::new();
            if c.bm25_rank.is_some() && !q.text.trim().is_empty() {
                why.push("bm25");
            }
            if c.dense_rank.is_some() {
                why.push("dense");
            }
            // The item an identifier names always ranks first; items that mention it
            // rank above ones that merely share words.
            if c.id_match {
                why.push("id");
                score += 100.0;
            } else if c.ref_match {
                why.push("ref");
                score += 0.02;
            }
            scored.push((score, id.clone(), why));
        }
        if q.recency && !q.text.trim().is_empty() {
            for (score, id, why) in scored.iter_mut() {
                if let Some(item) = store.item(id)? {
                    let age_days = ((now.0 - item.item.created.0).max(0) as f32) / 86_400_000.0;
                    // At most +15% for something from today, halving every two weeks.
                    let bonus = 0.15 * 0.5f32.powf(age_days / 14.0);
                    if bonus > 0.03 {
                        why.push("recency");
                    }
                    *score *= 1.0 + bonus;
                }
            }
        }
        if mode != SearchMode::Bm25 || !q.text.trim().is_empty() {
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        }
        scored.truncate(limit);

        let words = self.index.words(&q.text);
        let mut results = Vec::with_capacity(scored.len());
        for (score, id, mut matched) in scored {
            // The index can briefly hold an item the store has since deleted.
            let Some(stored) = store.item(&id)?.filter(|s| !s.deleted) else { continue };
            let it = &stored.item;
            let reason = self.reason(store, &stored, &words, query_vector.as_deref())?;
            if reason.is_some() {
                matched.push("fact");
            }
            let (snippet, highlights) = self.index.snippet(&q.text, &it.body)?;
            results.push(SearchResult {
                id,
                source: it.source.as_str().to_string(),
                kind: it.kind.as_str().to_string(),
                container: stored.container_name.clone(),
                title: display_title(&it.title, &it.body),
                snippet,
                url: it.url.clone(),
                author: stored
                    .author_name
                    .clone()
                    .or_else(|| it.extra.get("username").and_then(|u| u.as_str()).map(str::to_string))
                    .or_else(|| it.author.as_ref().map(|a| a.value.clone())),
                ts: it.created.to_rfc3339(),
                score,
                highlights,
                matched,
                parent: it.parent.as_ref().map(|p| p.as_str().to_string()),
                reason,
            });
        }
        Ok(SearchResponse { query: q.text.clone(), mode, results, notes })
    }
}

impl Retriever {
    /// The proposition of `stored` that explains why it matched: the one adding the most
    /// query words its title and text lack, or else the one whose vector is the item's
    /// closest to the query.
    fn reason(
        &self,
        store: &Store,
        stored: &StoredItem,
        words: &[String],
        query_vector: Option<&[f32]>,
    ) -> Result<Option<String>, SearchError> {
        let facts = store.propositions(stored.item.id.as_str())?;
        if facts.is_empty() {
            return Ok(None);
        }
        if self.config.facts_boost > 0.0 && !words.is_empty() {
            let own = self.index.words(&format!("{} {}", stored.item.title, stored.item.body));
            let best = facts
                .iter()
                .map(|(text, _)| {
                    let mine = self.index.words(text);
                    (words.iter().filter(|w| mine.contains(w) && !own.contains(w)).count(), text)
                })
                .filter(|(n, _)| *n > 0)
                .max_by_key(|(n, _)| *n);
            if let Some((_, text)) = best {
                return Ok(Some(text.clone()));
            }
        }
        let (Some(sem), Some(qv)) = (&self.semantic, query_vector) else { return Ok(None) };
        let Some(rid) = store.rid_of(stored.item.id.as_str())? else { return Ok(None) };
        let best = sem.vectors.read().map_err(|_| SearchError::VectorsPoisoned)?.best_chunks(qv, &[rid]);
        Ok(best
            .first()
            .copied()
            .flatten()
            .filter(|(idx, _)| *idx < crate::vectors::SENTENCE_CHUNK_BASE)
            .and_then(|(idx, _)| (idx as usize).checked_sub(crate::semantic::FACT_CHUNK_BASE))
            .and_then(|k| facts.get(k))
            .map(|(text, _)| text.clone()))
    }
}

/// The share of the dense weight a query of `words` content words gets: all of it from
/// `full` words on, proportionally less below (at least 15%); `full` = 0 always gives
/// all of it.
fn dense_share(words: usize, full: usize) -> f32 {
    if full <= 1 {
        return 1.0;
    }
    ((words as f32 - 1.0) / (full as f32 - 1.0)).clamp(0.15, 1.0)
}
