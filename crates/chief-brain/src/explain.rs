//! Explain: the popup's short card — what this is, what happened around it, why it
//! matters to you — from the same tasks as the briefing (discussions, summaries,
//! consolidation, the ranking's reasons, the guard), every sentence cited. It reads
//! only the items the popup already found. Offline it is extractive; with an LLM it is
//! written by the model and streamed sentence by sentence through the guard
//! ([`crate::llm::explain`]).

use std::collections::{BTreeMap, BTreeSet};

use chief_store::StoredItem;
use serde::{Deserialize, Serialize};

use crate::Me;
use crate::consolidate::consolidate;
use crate::discussion::{self, Discussion, DiscussionKind};
use crate::generate::render;
use crate::guard::Guard;
use crate::interests::{InterestGraph, NoPeople};
use crate::rank::{RankInput, Signal, rank};
use crate::summarize::{Extractive, Sentence, Summarizer, Summary};

/// The explanation: at most five cited sentences.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub sentences: Vec<Sentence>,
    /// `extractive` (local) or `llm`.
    #[serde(default)]
    pub by: String,
    /// With an LLM: why it fell back to the extractive explanation, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// The `provider/model` that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// When the first sentence was ready, in ms after the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sentence_ms: Option<f64>,
}

/// The most sentences an explanation has.
pub const MAX_SENTENCES: usize = 5;

/// What an explanation is written from: the story the text is about, its discussions
/// in order (the focus item's first), their summaries, and what the guard checks.
pub struct Prepared<'a> {
    pub me: &'a Me,
    pub discussions: Vec<Discussion>,
    pub summaries: BTreeMap<String, Summary>,
    /// Why the story matters to the user, from the ranking (cited).
    pub why: Option<Sentence>,
    texts: crate::guard::SourceTexts,
    untrusted: BTreeSet<String>,
    allowed: BTreeSet<String>,
}

impl Prepared<'_> {
    /// Keeps the sentences the guard passes (their citations among the inputs).
    pub fn guard(&self, sentences: &mut Vec<Sentence>) -> Vec<crate::guard::Dropped> {
        Guard { sources: &self.texts, untrusted: &self.untrusted, me: self.me }.check(sentences, &self.allowed)
    }

    /// The local explanation: what this is, what happened around it, why it matters.
    pub fn extractive(&self) -> Explanation {
        let mut out: Vec<Sentence> = Vec::new();
        // What this is: the lead discussion's subject and opening.
        if let Some(s) = self.discussions.first().and_then(|d| self.summaries.get(&d.id)) {
            out.extend(s.sentences.iter().take(2).cloned());
        }
        // What happened around it: the work on it (the story's newest pull request or
        // issue, by its title, which says what was done), then the newest sentence from
        // the rest of the story.
        let others: Vec<(&Discussion, &Summary)> =
            self.discussions.iter().skip(1).filter_map(|d| Some((d, self.summaries.get(&d.id)?))).collect();
        let work = others
            .iter()
            .filter(|(d, _)| matches!(d.kind, DiscussionKind::PullRequest | DiscussionKind::Issue))
            .filter_map(|(d, s)| Some((d, s.sentences.first()?)))
            .max_by_key(|(d, _)| d.posts[0].at_ms);
        let newest = others
            .iter()
            .filter(|(d, _)| work.is_none_or(|(w, _)| w.id != d.id))
            .filter_map(|(_, s)| s.sentences.last())
            .max_by_key(|s| s.at_ms);
        out.extend(work.map(|(_, s)| s.clone()));
        out.extend(newest.cloned());
        let mut out: Vec<Sentence> = out.iter().map(|s| render(s, self.me)).collect();
        out.extend(self.why.clone());
        let mut seen = BTreeSet::new();
        out.retain(|s| seen.insert(s.text.clone()));
        self.guard(&mut out);
        out.truncate(MAX_SENTENCES);
        Explanation { sentences: out, by: "extractive".into(), ..Explanation::default() }
    }
}

/// Explains `items` (the related items and their threads) around `focus` (the items the
/// text names, most important first), as of `now_ms`: the local, extractive card.
pub fn explain(items: &[StoredItem], focus: &[String], me: &Me, now_ms: i64) -> Explanation {
    prepare(items, focus, me, now_ms)
        .map(|p| p.extractive())
        .unwrap_or_else(|| Explanation { by: "extractive".into(), ..Explanation::default() })
}

/// Builds what an explanation is written from; `None` when nothing relates.
pub fn prepare<'a>(items: &[StoredItem], focus: &[String], me: &'a Me, now_ms: i64) -> Option<Prepared<'a>> {
    if items.is_empty() {
        return None;
    }
    let from = items.iter().map(|s| s.item.created.0).min().unwrap_or(0);
    let discussions = discussion::build(items, (from, now_ms.max(from) + 1));
    if discussions.is_empty() {
        return None;
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
    let story = ranked.iter().find(holds).or_else(|| ranked.first())?;
    let mut ds: Vec<Discussion> = story.discussions.iter().filter_map(|id| by_id.get(id)).cloned().collect();
    // The focus item's discussion leads.
    ds.sort_by_key(|d| (!focus.iter().any(|f| d.item_ids().any(|i| i == f)), d.posts[0].at_ms));
    let why = story
        .reasons
        .iter()
        .find(|r| {
            r.weight > 0.0
                && !matches!(r.signal, Signal::Recency | Signal::Busy | Signal::Interest | Signal::MyParticipation)
        })
        .map(|r| Sentence {
            text: format!("{}.", r.text),
            sources: r.sources.clone(),
            author: None,
            author_name: String::new(),
            at_ms: 0,
        });
    let (texts, untrusted) = crate::briefing::source_texts(&discussions);
    let allowed: BTreeSet<String> = items.iter().map(|s| s.item.id.as_str().to_string()).collect();
    Some(Prepared { me, discussions: ds, summaries, why, texts, untrusted, allowed })
}
