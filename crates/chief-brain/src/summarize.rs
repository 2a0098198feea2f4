//! Summarize: a discussion → a few sentences, each with the ids it rests on, plus the
//! topics and entities it is about. The local summarizer is extractive: it quotes the
//! opening (or the subject's title) and the post that says where things stand, so
//! every sentence is grounded by construction. Results are cached by the discussion's
//! content hash, so the next day only changed discussions are summarized again.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::discussion::{Discussion, DiscussionKind, Post};
use crate::text::{clip, content_words, incident_strength, is_request, looks_like_instructions, outcome_strength};

/// Longest sentence kept, in characters.
const MAX_SENTENCE: usize = 220;

/// One sentence and the item ids it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentence {
    pub text: String,
    pub sources: Vec<String>,
    /// Identity key of whoever wrote what the sentence quotes, if it quotes someone.
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub author_name: String,
    #[serde(default)]
    pub at_ms: i64,
}

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Person,
    Ticket,
    PullRequest,
    Repo,
    Link,
    Container,
}

/// Something a discussion is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entity {
    pub kind: EntityKind,
    /// A stable key (`ticket:pay-142`, `slack:U1`, `slack:C1`).
    pub key: String,
    pub label: String,
}

/// A discussion's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub discussion: String,
    pub title: String,
    pub sentences: Vec<Sentence>,
    pub topics: Vec<String>,
    pub entities: Vec<Entity>,
    /// The discussion's hash this summary was made from.
    pub hash: String,
}

/// A summarizer: local (extractive) or an LLM behind the same types.
pub trait Summarizer {
    /// A name for the cache key: outputs of different summarizers never mix.
    fn name(&self) -> &'static str;
    fn summarize(&self, d: &Discussion) -> Summary;
}

/// The local, extractive summarizer.
pub struct Extractive;

fn substantive(p: &Post) -> bool {
    !looks_like_instructions(&p.text) && !looks_like_instructions(&p.title) && content_words(&p.text).len() >= 3
}

fn first_sentence(text: &str) -> String {
    crate::text::sentences(text).into_iter().next().unwrap_or_default()
}

fn quote(p: &Post, text: &str) -> Sentence {
    Sentence {
        text: clip(text, MAX_SENTENCE),
        sources: vec![p.id.clone()],
        author: p.author.clone(),
        author_name: p.author_name.clone(),
        at_ms: p.at_ms,
    }
}

/// The sentence of a post that carries the most: its outcome or request, else its first.
fn best_sentence(p: &Post) -> String {
    let all = crate::text::sentences(&p.text);
    all.iter()
        .max_by_key(|s| (outcome_strength(s) + incident_strength(s) + usize::from(is_request(s)), usize::MAX - s.len()))
        .cloned()
        .unwrap_or_default()
}

impl Summarizer for Extractive {
    fn name(&self) -> &'static str {
        "extractive-v1"
    }

    fn summarize(&self, d: &Discussion) -> Summary {
        let mut picked: Vec<Sentence> = Vec::new();
        let root = &d.posts[0];
        let usable: Vec<&Post> = d.posts.iter().filter(|p| substantive(p)).collect();
        // 1. What it is: the subject's title, or the opening message.
        if !looks_like_instructions(&root.text) && !looks_like_instructions(&root.title) {
            if let (DiscussionKind::Meeting, Some(start)) = (d.kind, d.details.starts_ms) {
                // A meeting is its title and its time.
                let text = format!("{}, {}", root.title, crate::rank::when(start));
                picked.push(Sentence { author: None, author_name: String::new(), ..quote(root, &text) });
            } else if !root.title.is_empty() {
                // A subject's title speaks for the subject, not for whoever filed it.
                picked.push(Sentence { author: None, author_name: String::new(), ..quote(root, &root.title) });
                let opening = first_sentence(&root.text);
                if content_words(&opening).len() >= 3 {
                    picked.push(Sentence { author: None, author_name: String::new(), ..quote(root, &opening) });
                }
            } else if !root.text.trim().is_empty() {
                picked.push(quote(root, &first_sentence(&root.text)));
            }
        }
        // 2. Where it stands: the newest post in the window that reports an outcome,
        //    else the newest substantive one.
        let later: Vec<&&Post> = usable.iter().filter(|p| p.id != root.id && p.in_window).collect();
        let status = later
            .iter()
            .rev()
            .find(|p| outcome_strength(&p.text) > 0)
            .or_else(|| later.last())
            .map(|p| quote(p, &best_sentence(p)));
        // 3. What else carries weight: the post with the most facts and signals.
        let middle = later
            .iter()
            .filter(|p| status.as_ref().is_none_or(|s| s.sources[0] != p.id))
            .max_by_key(|p| {
                let s = best_sentence(p);
                (incident_strength(&s) * 2 + crate::text::hard_facts(&s).len() + usize::from(is_request(&s)), p.at_ms)
            })
            .map(|p| quote(p, &best_sentence(p)));
        if d.posts.len() > 2
            && let Some(m) = middle
        {
            picked.push(m);
        }
        if let Some(s) = status {
            picked.push(s);
        }
        // A sentence that says nothing ("Examples:", a bare link) is not a summary.
        picked.retain(|s| content_words(&s.text).len() >= 2);
        picked.sort_by_key(|s| s.at_ms);
        let mut seen = BTreeSet::new();
        picked.retain(|s| seen.insert(s.text.clone()));
        Summary {
            discussion: d.id.clone(),
            title: clip(&d.title, 120),
            sentences: picked,
            topics: topics(d),
            entities: entities(d),
            hash: d.hash.clone(),
        }
    }
}

/// The discussion's most frequent content words (titles count twice), at most five.
pub fn topics(d: &Discussion) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in d.posts.iter().filter(|p| !looks_like_instructions(&p.text)) {
        for w in content_words(&p.title) {
            *counts.entry(w).or_default() += 2;
        }
        for w in content_words(&p.text) {
            *counts.entry(w).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> =
        counts.into_iter().filter(|(w, _)| !w.chars().all(|c| c.is_ascii_digit())).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().take(5).map(|(w, _)| w).collect()
}

/// People, tickets, PRs, repos, links and the container a discussion involves.
pub fn entities(d: &Discussion) -> Vec<Entity> {
    let mut out = BTreeSet::new();
    let names: BTreeMap<&str, &str> =
        d.posts.iter().filter_map(|p| Some((p.author.as_deref()?, p.author_name.as_str()))).collect();
    let people = d.participants.iter().chain(d.posts.iter().flat_map(|p| p.mentions.iter()));
    for key in people {
        let label = names.get(key.as_str()).copied().unwrap_or(key.as_str()).to_string();
        out.insert(Entity { kind: EntityKind::Person, key: key.clone(), label });
    }
    for term in d.own_refs.iter().chain(d.refs.iter()) {
        let Some((kind, value)) = term.split_once(':') else { continue };
        let kind = match kind {
            "ticket" => EntityKind::Ticket,
            "pr" => {
                if let Some((repo, _)) = value.split_once('#') {
                    out.insert(Entity { kind: EntityKind::Repo, key: format!("repo:{repo}"), label: repo.to_string() });
                }
                EntityKind::PullRequest
            }
            _ => EntityKind::Link,
        };
        let label = if kind == EntityKind::Ticket { value.to_uppercase() } else { value.to_string() };
        out.insert(Entity { kind, key: term.clone(), label });
    }
    out.insert(Entity { kind: EntityKind::Container, key: d.container.clone(), label: d.container_name.clone() });
    out.into_iter().collect()
}
