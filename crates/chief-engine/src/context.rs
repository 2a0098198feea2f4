//! The context API behind the hotkey popup (and `chief context`): what a piece of
//! captured text names — tickets, pull requests, people, links — and the items around
//! it, grouped by kind (threads, tickets, code, events), all from the local index.

use std::collections::{HashMap, HashSet};
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
    /// The conversation the captured text is from (click-to-context).
    Conversation,
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
            GroupKind::Conversation => "This conversation",
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
    /// Item id → how many near-identical items it stands for ("and 5 like it"): the
    /// other instances of a recurring meeting, messages that say the same thing.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub like_it: std::collections::BTreeMap<String, usize>,
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
        let text = self.as_written(text)?;
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
                    // The item itself, then what closes it ("Fixes OPS-7"), then mentions.
                    let mut hits: Vec<SearchResult> = found
                        .results
                        .into_iter()
                        .filter(|x| x.matched.contains(&"id") || x.matched.contains(&"ref"))
                        .collect();
                    let closes = closing_re(&r.value);
                    hits.sort_by_key(|x| {
                        let closing =
                            closes.as_ref().is_some_and(|re| re.is_match(&x.snippet) || re.is_match(&x.title));
                        (!x.matched.contains(&"id"), !closing)
                    });
                    keyed.extend(hits);
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
        let now_ms = now.unwrap_or_else(Timestamp::now).0;
        // Click-to-context: text that is (or is inside) a stored message brings its
        // conversation — the thread, or the channel's messages within an hour of it.
        let conversation = self.conversation_of(&text, &related.results)?;
        if let Some(items) = &conversation {
            ids.extend(items.iter().map(|r| r.id.clone()));
            groups.push(ContextGroup {
                kind: GroupKind::Conversation,
                label: GroupKind::Conversation.label(),
                items: items.clone(),
                like_it: Default::default(),
            });
        }
        let (candidates, instances) = collapse_meetings(keyed.into_iter().chain(related.results).collect(), now_ms);
        for r in candidates {
            if !ids.insert(r.id.clone()) {
                continue;
            }
            // One entry per Slack thread.
            if r.source == "slack" && !threads.insert(r.parent.clone().unwrap_or_else(|| r.id.clone())) {
                continue;
            }
            let kind = GroupKind::of(&r);
            let label = kind.label();
            let group = match groups.iter_mut().position(|g| g.kind == kind) {
                Some(i) => &mut groups[i],
                None => {
                    groups.push(ContextGroup { kind, label, items: Vec::new(), like_it: Default::default() });
                    groups.last_mut().expect("just pushed")
                }
            };
            // A message that says what a shown one says (a template posted every week)
            // is counted under it instead of taking a row.
            if let Some(twin) = group.items.iter().find(|x| near_duplicate(x, &r)).map(|x| x.id.clone()) {
                *group.like_it.entry(twin).or_default() += 1;
                continue;
            }
            if group.items.len() < PER_GROUP {
                group.items.push(r);
            }
        }
        for g in &mut groups {
            for r in &g.items {
                if let Some(n) = instances.get(&r.id) {
                    *g.like_it.entry(r.id.clone()).or_default() += n;
                }
            }
        }
        groups.sort_by_key(|g| g.kind);
        Ok(ContextResponse { text, entities, groups, mode: related.mode, took_ms: t.elapsed().as_secs_f64() * 1000.0 })
    }
}

impl Engine {
    /// A stored item's id (what a notification's or a briefing source's click looks
    /// up) becomes what the item is as a person would select it: its ticket key or
    /// PR ref, else its own words (a message then brings its conversation). Any
    /// other text is looked up as it is.
    fn as_written(&self, text: String) -> Result<String, EngineError> {
        if text.contains(char::is_whitespace) || !text.contains(':') {
            return Ok(text);
        }
        let Some(stored) = self.store().item(&text)?.filter(|s| !s.deleted) else { return Ok(text) };
        if let Some(own) = stored.own_references().into_iter().next() {
            return Ok(own.value);
        }
        let it = &stored.item;
        let words = if it.title.is_empty() || it.body.starts_with(&it.title) {
            it.body.clone()
        } else {
            format!("{}\n{}", it.title, it.body)
        };
        let words: String = words.trim().chars().take(MAX_CHARS).collect();
        Ok(if words.is_empty() { text } else { words })
    }
}

/// "Fixes KEY", "Closes KEY", "Resolves KEY" (any case and tense) for an identifier.
fn closing_re(value: &str) -> Option<regex::Regex> {
    regex::Regex::new(&format!(r"(?i)\b(fix(es|ed)?|close[sd]?|resolve[sd]?)\s+{}\b", regex::escape(value))).ok()
}

/// Lower case, single spaces: how captured text and a stored message are compared.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Engine {
    /// The conversation a captured text comes from, when it is (or is inside) a stored
    /// Slack message: its thread, or the channel's messages within an hour, in order.
    /// `related` is what the lookup's search found: the message, if stored, is among its
    /// best Slack hits (no second search on the hotkey path).
    fn conversation_of(&self, text: &str, related: &[SearchResult]) -> Result<Option<Vec<SearchResult>>, EngineError> {
        let needle = squash(text);
        if needle.chars().filter(|c| c.is_alphanumeric()).count() < 16 {
            return Ok(None);
        }
        let store = self.store();
        for hit in related.iter().filter(|r| r.source == "slack").take(8) {
            let Some(msg) = store.item(&hit.id)? else { continue };
            let body = squash(&msg.item.body);
            if body.len() < 16 || !(body.contains(&needle) || needle.contains(&body)) {
                continue;
            }
            let root = msg.item.parent.as_ref().map(|p| p.as_str().to_string()).unwrap_or_else(|| hit.id.clone());
            let thread = store.thread(&root)?;
            let items = if thread.len() > 1 {
                thread
            } else {
                let t = msg.item.created.0;
                store.items_in_window(
                    msg.item.container.as_str(),
                    Timestamp(t - 3_600_000),
                    Timestamp(t + 3_600_000),
                    60,
                )?
            };
            let rows = items.into_iter().filter(|s| !s.deleted).map(|s| row(&s)).collect();
            return Ok(Some(rows));
        }
        Ok(None)
    }
}

/// A stored item as a popup row.
fn row(s: &chief_store::StoredItem) -> SearchResult {
    let it = &s.item;
    SearchResult {
        id: it.id.as_str().to_string(),
        source: it.source.as_str().to_string(),
        kind: it.kind.as_str().to_string(),
        container: s.container_name.clone(),
        title: if it.title.is_empty() { it.body.chars().take(90).collect() } else { it.title.clone() },
        snippet: it.body.chars().take(180).collect(),
        url: it.url.clone(),
        author: s.author_name.clone().or_else(|| it.extra.get("username").and_then(|u| u.as_str()).map(str::to_string)),
        ts: it.created.to_rfc3339(),
        score: 0.0,
        highlights: Vec::new(),
        matched: vec!["conversation"],
        parent: it.parent.as_ref().map(|p| p.as_str().to_string()),
        reason: None,
    }
}

/// Lower-case words of a result, numbers dropped (so weekly templates compare equal).
fn shape(r: &SearchResult) -> HashSet<String> {
    format!("{} {}", r.title, r.snippet)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2 && !w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .collect()
}

/// Two results of the same kind that say nearly the same thing: at least 60 % of their
/// words in common (Jaccard), ignoring numbers, or, when short, the same words in the
/// same order ("Do we have a ticket for it?" from five people).
fn near_duplicate(a: &SearchResult, b: &SearchResult) -> bool {
    if a.kind != b.kind || a.source != b.source {
        return false;
    }
    let said = |r: &SearchResult| -> Vec<String> {
        r.snippet.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
    };
    let (p, q) = (said(a), said(b));
    if p.len() >= 2 && p == q {
        return true;
    }
    let (x, y) = (shape(a), shape(b));
    if x.len() < 4 || y.len() < 4 {
        return false;
    }
    x.intersection(&y).count() as f64 / x.union(&y).count() as f64 >= 0.6
}

/// Recurring meetings (same title) collapse to one entry, in the place of the best
/// ranked instance: the next instance, else the latest. Returns the results and, per
/// kept meeting id, how many other instances it stands for.
fn collapse_meetings(results: Vec<SearchResult>, now_ms: i64) -> (Vec<SearchResult>, HashMap<String, usize>) {
    let ts = |r: &SearchResult| Timestamp::parse_rfc3339(&r.ts).map(|t| t.0).unwrap_or(0);
    let mut by_title: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in results.iter().enumerate().filter(|(_, r)| r.kind == "event") {
        by_title.entry(r.title.trim().to_lowercase()).or_default().push(i);
    }
    let mut counts = HashMap::new();
    let mut placed = HashSet::new();
    let mut out = Vec::with_capacity(results.len());
    for r in &results {
        if r.kind != "event" {
            out.push(r.clone());
            continue;
        }
        let title = r.title.trim().to_lowercase();
        if !placed.insert(title.clone()) {
            continue;
        }
        let idx = &by_title[&title];
        let next = idx.iter().copied().filter(|&i| ts(&results[i]) >= now_ms).min_by_key(|&i| ts(&results[i]));
        let chosen = next.or_else(|| idx.iter().copied().max_by_key(|&i| ts(&results[i]))).unwrap_or(idx[0]);
        if idx.len() > 1 {
            counts.insert(results[chosen].id.clone(), idx.len() - 1);
        }
        out.push(results[chosen].clone());
    }
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_links_are_recognised() {
        let re = closing_re("OPS-7").unwrap();
        for yes in ["Fixes OPS-7.", "closes ops-7", "Resolved OPS-7 in prod", "fixed OPS-7"] {
            assert!(re.is_match(yes), "{yes}");
        }
        for no in ["see OPS-7", "Fixes OPS-70", "prefixes OPS-7"] {
            assert!(!re.is_match(no), "{no}");
        }
    }

    #[test]
    fn short_messages_that_say_the_same_are_near_duplicates() {
        let msg = |id: &str, text: &str| SearchResult {
            id: id.into(),
            source: "slack".into(),
            kind: "message".into(),
            container: "slack:C1".into(),
            title: text.into(),
            snippet: text.into(),
            url: None,
            author: None,
            ts: String::new(),
            score: 0.0,
            highlights: Vec::new(),
            matched: Vec::new(),
            parent: None,
            reason: None,
        };
        let a = msg("a", "Do we have a ticket for it?");
        assert!(near_duplicate(&a, &msg("b", "do we have a ticket for it")));
        assert!(!near_duplicate(&a, &msg("c", "Do we have a ticket for the outage?")));
        assert!(!near_duplicate(&a, &msg("d", "We have a ticket for it")));
        assert!(!near_duplicate(&msg("e", "ok"), &msg("f", "ok")), "one word says too little to merge");
        let pr =
            SearchResult { source: "github".into(), kind: "comment".into(), ..msg("g", "Do we have a ticket for it?") };
        assert!(!near_duplicate(&a, &pr), "other kinds stay apart");
    }
}
