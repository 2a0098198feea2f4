//! The search API every surface uses.

use chief_core::{ItemKind, Source, Timestamp};
use chief_search::{Filters, SearchRequest};
use serde::Serialize;

use crate::{Engine, EngineError};

/// A search: words and identifiers, plus optional filters.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
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
    /// Why it matched: `bm25`, `id`.
    pub matched: Vec<&'static str>,
    /// The thread root or issue this item belongs to.
    pub parent: Option<String>,
}

/// Results of a search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    pub query: String,
    pub results: Vec<SearchResult>,
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

impl Engine {
    /// Searches the local index. Newest first when there are no words.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResponse, EngineError> {
        let span = tracing::info_span!("search", limit = q.limit.unwrap_or(20));
        let _g = span.enter();
        let store = self.store();
        let mut people = Vec::new();
        if let Some(name) = q.person.as_deref().filter(|n| !n.trim().is_empty()) {
            let found = store.find_people(name)?;
            if found.is_empty() {
                return Err(EngineError::InvalidInput(format!("no person matches {name:?}; try part of a name, an email or a handle")));
            }
            people.push(found.iter().flat_map(|p| p.identities.iter().map(|i| i.key())).collect());
        }
        let req = SearchRequest {
            text: q.text.clone(),
            filters: Filters {
                sources: q.sources.iter().map(|s| s.as_str().to_string()).collect(),
                kinds: q.kinds.iter().map(|k| k.as_str().to_string()).collect(),
                containers: q.containers.clone(),
                people,
                since: q.since.map(|t| t.0),
                until: q.until.map(|t| t.0),
            },
            limit: q.limit.unwrap_or(20),
        };
        let hits = self.index.search(&req, &store)?;
        let mut results = Vec::with_capacity(hits.len());
        for hit in hits {
            // The index can briefly hold an item the store has since deleted.
            let Some(stored) = store.item(&hit.id)?.filter(|s| !s.deleted) else { continue };
            let it = &stored.item;
            results.push(SearchResult {
                id: hit.id,
                source: it.source.as_str().to_string(),
                kind: it.kind.as_str().to_string(),
                container: stored.container_name.clone(),
                title: display_title(&it.title, &it.body),
                snippet: hit.snippet,
                url: it.url.clone(),
                author: stored.author_name.clone().or_else(|| it.extra.get("username").and_then(|u| u.as_str()).map(str::to_string)).or_else(|| it.author.as_ref().map(|a| a.value.clone())),
                ts: it.created.to_rfc3339(),
                score: hit.score,
                highlights: hit.highlights,
                matched: hit.matched,
                parent: it.parent.as_ref().map(|p| p.as_str().to_string()),
            });
        }
        Ok(SearchResponse { query: q.text.clone(), results })
    }
}
