//! The context API behind the hotkey popup (and `chief context`): what a piece of
//! captured text names — tickets, pull requests, people, links — and the items around
//! it, grouped by kind (threads, tickets, code, events), all from the local index.

use std::collections::HashSet;
use std::time::Instant;

use chief_core::{RefKind, Timestamp};
use serde::Serialize;

use crate::search::{SearchMode, SearchQuery, SearchResult};
use crate::{Engine, EngineError};

/// Something the text names.
#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    /// `ticket`, `pr`, `person`, `url`
    pub kind: String,
    pub value: String,
    /// A readable name: the ticket's title, the person's name.
    pub label: String,
    /// The item that *is* this entity (the Jira issue, the PR), when Chief has it.
    pub item_id: Option<String>,
    pub url: Option<String>,
}

/// Related items of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct ContextGroup {
    /// `threads`, `tickets`, `code`, `events`, `other`
    pub kind: &'static str,
    pub label: &'static str,
    pub items: Vec<SearchResult>,
}

/// What the popup shows.
#[derive(Debug, Clone, Serialize)]
pub struct ContextResponse {
    pub text: String,
    pub entities: Vec<Entity>,
    pub groups: Vec<ContextGroup>,
    /// The retrieval mode used (`hybrid`, or `bm25` without embeddings).
    pub mode: String,
    pub took_ms: f64,
}

/// The longest text looked up; a whole screen of text says less than its start.
const MAX_CHARS: usize = 1_000;
const PER_GROUP: usize = 6;

fn group_of(r: &SearchResult) -> (&'static str, &'static str) {
    match (r.source.as_str(), r.kind.as_str()) {
        ("slack", _) => ("threads", "Slack threads"),
        ("jira", _) => ("tickets", "Tickets"),
        ("github", _) => ("code", "Pull requests & issues"),
        ("google", "event") => ("events", "Meetings"),
        _ => ("other", "Other"),
    }
}

impl Engine {
    /// Entities in `text` and the related items, grouped. Works offline.
    pub fn context(&self, text: &str, now: Option<Timestamp>) -> Result<ContextResponse, EngineError> {
        let t = Instant::now();
        let text: String = text.trim().chars().take(MAX_CHARS).collect();
        if text.is_empty() {
            return Err(EngineError::InvalidInput("no text to look up: select some text (or type it) first".into()));
        }
        let mut entities = Vec::new();
        let mut keyed: Vec<SearchResult> = Vec::new();
        let mut seen_refs = HashSet::new();
        for r in chief_core::refs::extract(&text) {
            if !seen_refs.insert((r.kind, r.value.clone())) {
                continue;
            }
            match r.kind {
                RefKind::Ticket | RefKind::PullRequest => {
                    // Items that are or mention the identifier, the item itself first.
                    let found = self.search(&SearchQuery { text: r.value.clone(), mode: SearchMode::Bm25, limit: Some(20), now, ..SearchQuery::default() })?;
                    let own = found.results.iter().find(|x| x.matched.contains(&"id"));
                    entities.push(Entity {
                        kind: if r.kind == RefKind::Ticket { "ticket".into() } else { "pr".into() },
                        value: r.value.clone(),
                        label: own.map(|o| o.title.clone()).unwrap_or_default(),
                        item_id: own.map(|o| o.id.clone()),
                        url: own.and_then(|o| o.url.clone()),
                    });
                    keyed.extend(found.results.into_iter().filter(|x| x.matched.contains(&"id") || x.matched.contains(&"ref")));
                }
                RefKind::Url => entities.push(Entity { kind: "url".into(), value: r.value.clone(), label: String::new(), item_id: None, url: Some(r.value) }),
                RefKind::Person | RefKind::Channel => {}
            }
        }
        // People named in the text (by their full display name).
        let lower = text.to_lowercase();
        let mut people = HashSet::new();
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 3 && w.chars().next().is_some_and(char::is_uppercase)) {
            for p in self.store().find_people(word)? {
                if lower.contains(&p.display_name.to_lowercase()) && people.insert(p.id) {
                    entities.push(Entity { kind: "person".into(), value: p.display_name.clone(), label: p.title.clone(), item_id: None, url: None });
                }
            }
        }

        // Text that is little more than identifiers (a ticket key, a PR ref) is looked up
        // by those alone: its word pieces ("pay", "142") would only add noise.
        let words = text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().any(char::is_alphabetic) && w.len() > 2).count();
        let id_words: usize = entities.iter().filter(|e| e.kind == "ticket" || e.kind == "pr").map(|e| e.value.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().any(char::is_alphabetic) && w.len() > 2).count()).sum();
        let related = if !keyed.is_empty() && words.saturating_sub(id_words) < 2 {
            crate::search::SearchResponse { query: text.clone(), mode: SearchMode::Bm25, results: Vec::new(), notes: Vec::new() }
        } else {
            self.search(&SearchQuery { text: text.clone(), limit: Some(40), recency: true, now, ..SearchQuery::default() })?
        };
        let mut ids = HashSet::new();
        let mut threads = HashSet::new();
        let mut groups: Vec<ContextGroup> = Vec::new();
        for r in keyed.into_iter().chain(related.results) {
            if !ids.insert(r.id.clone()) {
                continue;
            }
            // One entry per Slack thread.
            if r.source == "slack" && !threads.insert(r.parent.clone().unwrap_or_else(|| r.id.clone())) {
                continue;
            }
            let (kind, label) = group_of(&r);
            match groups.iter_mut().find(|g| g.kind == kind) {
                Some(g) if g.items.len() >= PER_GROUP => {}
                Some(g) => g.items.push(r),
                None => groups.push(ContextGroup { kind, label, items: vec![r] }),
            }
        }
        let order = ["threads", "tickets", "code", "events", "other"];
        groups.sort_by_key(|g| order.iter().position(|k| *k == g.kind));
        Ok(ContextResponse { text, entities, groups, mode: serde_json::to_value(related.mode).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(), took_ms: t.elapsed().as_secs_f64() * 1000.0 })
    }
}
