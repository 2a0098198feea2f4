//! The context API behind the hotkey popup (and `chief context`): what a piece of
//! captured text names — tickets, pull requests, people, links — and the items around
//! it, grouped by kind (threads, tickets, code, events), all from the local index.

use std::collections::HashSet;
use std::time::Instant;

use chief_core::{RefKind, Timestamp};
use serde::Serialize;

use crate::{Engine, EngineError, SearchMode, SearchQuery, SearchResponse, SearchResult};

/// What kind of thing an [`Entity`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Ticket,
    Pr,
    Person,
    Url,
}

impl EntityKind {
    /// The kind's name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Ticket => "ticket",
            EntityKind::Pr => "pr",
            EntityKind::Person => "person",
            EntityKind::Url => "url",
        }
    }
}

/// The groups related items are shown in, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    Threads,
    Tickets,
    Code,
    Events,
    Other,
}

impl GroupKind {
    /// The group a result belongs to.
    fn of(r: &SearchResult) -> GroupKind {
        match (r.source.as_str(), r.kind.as_str()) {
            ("slack", _) => GroupKind::Threads,
            ("jira", _) => GroupKind::Tickets,
            ("github", _) => GroupKind::Code,
            ("google", "event") => GroupKind::Events,
            _ => GroupKind::Other,
        }
    }

    /// The heading the popup shows.
    pub fn label(self) -> &'static str {
        match self {
            GroupKind::Threads => "Slack threads",
            GroupKind::Tickets => "Tickets",
            GroupKind::Code => "Pull requests & issues",
            GroupKind::Events => "Meetings",
            GroupKind::Other => "Other",
        }
    }
}

/// Something the text names.
#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    pub kind: EntityKind,
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
    pub kind: GroupKind,
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
    pub mode: SearchMode,
    pub took_ms: f64,
}

/// The longest text looked up; a whole screen of text says less than its start.
const MAX_CHARS: usize = 1_000;
const PER_GROUP: usize = 6;

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
                    let found = self.search(&SearchQuery {
                        text: r.value.clone(),
                        mode: SearchMode::Bm25,
                        limit: Some(20),
                        now,
                        ..SearchQuery::default()
                    })?;
                    let own = found.results.iter().find(|x| x.matched.contains(&"id"));
                    entities.push(Entity {
                        kind: if r.kind == RefKind::Ticket { EntityKind::Ticket } else { EntityKind::Pr },
                        value: r.value.clone(),
                        label: own.map(|o| o.title.clone()).unwrap_or_default(),
                        item_id: own.map(|o| o.id.clone()),
                        url: own.and_then(|o| o.url.clone()),
                    });
                    keyed.extend(
                        found.results.into_iter().filter(|x| x.matched.contains(&"id") || x.matched.contains(&"ref")),
                    );
                }
                RefKind::Url => entities.push(Entity {
                    kind: EntityKind::Url,
                    value: r.value.clone(),
                    label: String::new(),
                    item_id: None,
                    url: Some(r.value),
                }),
                RefKind::Person | RefKind::Channel => {}
            }
        }
        // People named in the text (by their full display name).
        let lower = text.to_lowercase();
        let mut people = HashSet::new();
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 3 && w.chars().next().is_some_and(char::is_uppercase))
        {
            for p in self.store().find_people(word)? {
                if lower.contains(&p.display_name.to_lowercase()) && people.insert(p.id) {
                    entities.push(Entity {
                        kind: EntityKind::Person,
                        value: p.display_name.clone(),
                        label: p.title.clone(),
                        item_id: None,
                        url: None,
                    });
                }
            }
        }

        // Text that is little more than identifiers (a ticket key, a PR ref) is looked up
        // by those alone: its word pieces ("pay", "142") would only add noise.
        let words = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().any(char::is_alphabetic) && w.len() > 2)
            .count();
        let id_words: usize = entities
            .iter()
            .filter(|e| matches!(e.kind, EntityKind::Ticket | EntityKind::Pr))
            .map(|e| {
                e.value
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| w.chars().any(char::is_alphabetic) && w.len() > 2)
                    .count()
            })
            .sum();
        let related = if !keyed.is_empty() && words.saturating_sub(id_words) < 2 {
            SearchResponse { query: text.clone(), mode: SearchMode::Bm25, results: Vec::new(), notes: Vec::new() }
        } else {
            self.search(&SearchQuery {
                text: text.clone(),
                limit: Some(40),
                recency: true,
                now,
                ..SearchQuery::default()
            })?
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
            let kind = GroupKind::of(&r);
            let label = kind.label();
            match groups.iter_mut().find(|g| g.kind == kind) {
                Some(g) if g.items.len() >= PER_GROUP => {}
                Some(g) => g.items.push(r),
                None => groups.push(ContextGroup { kind, label, items: vec![r] }),
            }
        }
        groups.sort_by_key(|g| g.kind);
        Ok(ContextResponse { text, entities, groups, mode: related.mode, took_ms: t.elapsed().as_secs_f64() * 1000.0 })
    }
}
