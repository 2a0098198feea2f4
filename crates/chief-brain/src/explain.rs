//! Explain: the popup's short card — what this is, what happened around it, why it
//! matters to you — from the same tasks as the briefing (discussions, summaries,
//! consolidation, the ranking's reasons, the guard), every sentence cited. Local and
//! extractive; it reads only the items the popup already found.

use std::collections::{BTreeMap, BTreeSet};

use chief_store::StoredItem;
use serde::{Deserialize, Serialize};

use crate::Me;
use crate::consolidate::consolidate;
use crate::discussion::{self, Discussion};
use crate::generate::render;
use crate::guard::Guard;
use crate::interests::{InterestGraph, NoPeople};
use crate::rank::{RankInput, Signal, rank};
use crate::summarize::{Extractive, Sentence, Summarizer, Summary};

/// The explanation: at most five cited sentences.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub sentences: Vec<Sentence>,
}

/// Explains `items` (the related items and their threads) around `focus` (the items the
/// text names, most important first), as of `now_ms`.
pub fn explain(items: &[StoredItem], focus: &[String], me: &Me, now_ms: i64) -> Explanation {
    if items.is_empty() {
        return Explanation::default();
    }
    let from = items.iter().map(|s| s.item.created.0).min().unwrap_or(0);
    let discussions = discussion::build(items, (from, now_ms.max(from) + 1));
    if discussions.is_empty() {
        return Explanation::default();
    }
    let summaries: BTreeMap<String, Summary> =
        discussions.iter().map(|d| (d.id.clone(), Extractive.summarize(d))).collect();
    let stories = consolidate(&discussions);
    let by_id: BTreeMap<String, Discussion> = discussions.iter().map(|d| (d.id.clone(), d.clone())).collect();
    // The story the text is about: the one holding the focus item, else the best ranked.
    let graph = InterestGraph::default();
    let votes = BTreeMap::new();
    let input = RankInput {
        me,
        discussions: &by_id,
        summaries: &summaries,
        interests: &graph,
        people: &NoPeople,
        votes: &votes,
        now_ms,
    };
    let ranked = rank(&stories, &input);
    let holds = |r: &&crate::rank::RankedStory| focus.iter().any(|f| r.items.contains(f));
    let Some(story) = ranked.iter().find(holds).or_else(|| ranked.first()) else { return Explanation::default() };
    let mut ds: Vec<&Discussion> = story.discussions.iter().filter_map(|id| by_id.get(id)).collect();
    // The focus item's discussion leads.
    ds.sort_by_key(|d| (!focus.iter().any(|f| d.item_ids().any(|i| i == f)), d.posts[0].at_ms));
    let mut out: Vec<Sentence> = Vec::new();
    // What this is: the lead discussion's subject and opening.
    if let Some(s) = ds.first().and_then(|d| summaries.get(&d.id)) {
        out.extend(s.sentences.iter().take(2).cloned());
    }
    // What happened around it: the newest sentences elsewhere in the story.
    let mut around: Vec<&Sentence> =
        ds.iter().skip(1).filter_map(|d| summaries.get(&d.id)).filter_map(|s| s.sentences.last()).collect();
    around.sort_by_key(|s| std::cmp::Reverse(s.at_ms));
    out.extend(around.into_iter().take(2).cloned());
    let mut out: Vec<Sentence> = out.iter().map(|s| render(s, me)).collect();
    // Why it matters to you.
    if let Some(r) = story.reasons.iter().find(|r| {
        r.weight > 0.0
            && !matches!(r.signal, Signal::Recency | Signal::Busy | Signal::Interest | Signal::MyParticipation)
    }) {
        out.push(Sentence {
            text: format!("{}.", r.text),
            sources: r.sources.clone(),
            author: None,
            author_name: String::new(),
            at_ms: 0,
        });
    }
    let mut seen = BTreeSet::new();
    out.retain(|s| seen.insert(s.text.clone()));
    let (texts, untrusted) = crate::briefing::source_texts(&discussions);
    let allowed: BTreeSet<String> = items.iter().map(|s| s.item.id.as_str().to_string()).collect();
    Guard { sources: &texts, untrusted: &untrusted, me }.check(&mut out, &allowed);
    out.truncate(5);
    Explanation { sentences: out }
}
