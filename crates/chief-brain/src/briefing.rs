//! The briefing pipeline: window → discussions → summarize → consolidate → interests
//! → rank → generate → guard, every step journaled in the store.
//!
//! Each step records its input hash and full output. A run that stops (killed, a
//! provider's rate limit, `--stop-after`) resumes at its first unfinished step on the
//! next run with the same parameters, and the steps it finished are not run again.
//! Summaries are cached per discussion hash, so a re-run with no new data summarizes
//! nothing and the next day's run summarizes only the discussions that changed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chief_core::{ItemKind, Timestamp};
use chief_store::{RunStatus, StepRecord, Store, StoredItem};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::consolidate::{Story, consolidate};
use crate::discussion::{self, Discussion};
use crate::generate::{Draft, generate};
use crate::guard::{Dropped, Guard, SourceTexts};
use crate::interests::{self, InterestGraph, People};
use crate::llm::{LlmCall, Tally};
use crate::rank::{RankInput, RankedStory, rank, when};
use crate::summarize::{Extractive, Sentence, Summarizer, Summary};
use crate::text::{looks_like_instructions, normalize_for_facts, short_hash};
use crate::{BrainError, Me};

/// The pipeline's name in the journal.
pub const PIPELINE: &str = "briefing";
/// Upcoming meetings this far ahead are part of today's window.
const LOOKAHEAD_MS: i64 = 3 * 86_400_000;
/// The most discussions the LLM summarizes again for one briefing.
const MAX_REFINE: usize = 12;
/// The most items one briefing reads.
const MAX_ITEMS: usize = 200_000;

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Discussions,
    Summarize,
    Consolidate,
    Interests,
    Rank,
    /// LLM mode: the top stories' discussions summarized again by the model.
    Refine,
    Generate,
    Guard,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Discussions,
        Step::Summarize,
        Step::Consolidate,
        Step::Interests,
        Step::Rank,
        Step::Refine,
        Step::Generate,
        Step::Guard,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Discussions => "discussions",
            Step::Summarize => "summarize",
            Step::Consolidate => "consolidate",
            Step::Interests => "interests",
            Step::Rank => "rank",
            Step::Refine => "refine",
            Step::Generate => "generate",
            Step::Guard => "guard",
        }
    }
}

impl std::str::FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Step, String> {
        Step::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown step {s:?}; one of {}", Step::ALL.map(Step::as_str).join(", ")))
    }
}

/// The time span a briefing covers, `[from, to)` in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

/// How to run a briefing.
#[derive(Debug, Clone)]
pub struct BriefOptions {
    pub now: Timestamp,
    /// Look back this far instead of the default window.
    pub since_ms: Option<i64>,
    /// Stop (as if killed) after this step; the next run resumes after it.
    pub stop_after: Option<Step>,
    /// Stories in the briefing.
    pub top: usize,
    pub half_life_days: f64,
}

impl Default for BriefOptions {
    fn default() -> Self {
        BriefOptions { now: Timestamp::now(), since_ms: None, stop_after: None, top: 3, half_life_days: 14.0 }
    }
}

/// A source of a briefing story, for links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRef {
    pub id: String,
    pub source: String,
    pub url: Option<String>,
    pub title: String,
}

/// One story of the briefing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefingStory {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub why: String,
    pub sources: Vec<SourceRef>,
    pub reasons: Vec<String>,
    /// The summary and why sentences with their citations.
    pub sentences: Vec<Sentence>,
    pub score: f64,
}

/// A briefing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Briefing {
    pub date: String,
    pub user: String,
    pub run_id: i64,
    pub window: Window,
    pub prepared_at: String,
    /// Items and discussions the briefing was made from.
    pub items: usize,
    pub discussions: usize,
    pub stories: Vec<BriefingStory>,
    /// Sentences the guard removed, and why.
    pub dropped: Vec<Dropped>,
}

/// The default window: from the start of the last working day before today (on Monday
/// morning, Friday) to now. For a reader who opens the briefing every day this covers
/// everything since the last briefing; it is never shorter than 24 hours, and never
/// less than the whole last working day, so "yesterday's" incident is always in it.
pub fn default_window(now: Timestamp) -> Window {
    let day = 86_400_000;
    let mut d = now.0.div_euclid(day) * day - day;
    // 1970-01-01 was a Thursday: day number + 3 mod 7 gives Monday = 0.
    while matches!((d.div_euclid(day) + 3).rem_euclid(7), 5 | 6) {
        d -= day;
    }
    Window { from_ms: d.min(now.0 - day), to_ms: now.0 }
}

/// The cache key of a discussion's summary by `summarizer`.
fn summary_key(summarizer: &dyn Summarizer, d: &Discussion) -> String {
    format!("{}@{}:{}", summarizer.name(), env!("CARGO_PKG_VERSION"), d.hash)
}

/// What [`warm_summaries`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Warmed {
    /// Discussions holding a changed item.
    pub touched: usize,
    /// Summaries written now.
    pub computed: usize,
}

/// Summarizes ahead, into the briefing's cache, every discussion of the window ending
/// `now` that holds one of `changed`: what the summarizer-cache agent runs as items
/// arrive, so the morning's briefing finds its summaries made.
pub fn warm_summaries(store: &Store, now: Timestamp, changed: &BTreeSet<String>) -> Result<Warmed, BrainError> {
    let window = default_window(now);
    let items = load_items(store, window)?;
    let discussions = discussion::build(&items, (window.from_ms, window.to_ms));
    let summarizer = Extractive;
    let mut out = Warmed::default();
    for d in discussions.iter().filter(|d| d.item_ids().any(|id| changed.contains(id))) {
        out.touched += 1;
        let key = summary_key(&summarizer, d);
        if store.brain_cache_get("summarize", &key)?.is_none() {
            store.brain_cache_put("summarize", &key, &serde_json::to_value(summarizer.summarize(d))?)?;
            out.computed += 1;
        }
    }
    Ok(out)
}

struct Journal<'s> {
    store: &'s Store,
    run_id: i64,
    previous: Vec<StepRecord>,
    stop_after: Option<Step>,
}

impl Journal<'_> {
    fn step<T: Serialize + DeserializeOwned>(
        &mut self,
        step: Step,
        input_hash: &str,
        compute: impl FnOnce() -> Result<T, BrainError>,
    ) -> Result<T, BrainError> {
        self.step_llm(step, input_hash, |_| compute())
    }

    /// A step that may call the LLM: its calls and tokens are journaled with it, and a
    /// failure is journaled too (the next run resumes here).
    fn step_llm<T: Serialize + DeserializeOwned>(
        &mut self,
        step: Step,
        input_hash: &str,
        compute: impl FnOnce(&mut Tally) -> Result<T, BrainError>,
    ) -> Result<T, BrainError> {
        let idx = step as i64;
        if let Some(prev) = self.previous.iter().find(|s| s.idx == idx && s.input_hash == input_hash)
            && let Some(out) = &prev.output
            && prev.error.is_none()
        {
            tracing::info!(run = self.run_id, step = step.as_str(), "resumed: step already done in this run");
            if self.stop_after == Some(step) {
                return Err(BrainError::Stopped { step: step.as_str() });
            }
            return Ok(serde_json::from_value(out.clone())?);
        }
        let started = Timestamp::now().0;
        let t = Instant::now();
        let mut tally = Tally::default();
        let result = compute(&mut tally).and_then(|v| Ok(serde_json::to_value(v)?));
        let mut record = StepRecord {
            run_id: self.run_id,
            idx,
            name: step.as_str().into(),
            input_hash: input_hash.into(),
            output: None,
            started_ms: started,
            elapsed_ms: t.elapsed().as_millis() as i64,
            llm_calls: tally.calls,
            tokens_in: tally.tokens_in,
            tokens_out: tally.tokens_out,
            error: None,
        };
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                record.error = Some(e.to_string());
                self.store.put_step(&record)?;
                return Err(e);
            }
        };
        record.output = Some(value.clone());
        self.store.put_step(&record)?;
        tracing::info!(run = self.run_id, step = step.as_str(), ms = t.elapsed().as_millis() as u64, "step done");
        if self.stop_after == Some(step) {
            return Err(BrainError::Stopped { step: step.as_str() });
        }
        Ok(serde_json::from_value(value)?)
    }
}

fn hash_of<T: Serialize>(v: &T) -> String {
    short_hash(&serde_json::to_string(v).unwrap_or_default())
}

/// An LLM failure that the local output covers: the model's answer was unusable for
/// this input (not JSON, rejected, too long). Rate limits, outages and a bad key stop
/// the run instead, so it resumes once the provider answers.
fn keeps_local(e: &chief_llm::LlmError) -> bool {
    use chief_llm::LlmError as E;
    match e {
        E::InvalidOutput { .. } | E::ContextTooLong { .. } | E::Permanent { .. } => true,
        E::AllFailed(inner) => keeps_local(inner),
        _ => false,
    }
}

/// Loads the window's items and the context they need: the threads, tickets and PRs
/// they belong to, and meetings coming up.
pub fn load_items(store: &Store, w: Window) -> Result<Vec<StoredItem>, BrainError> {
    let mut items = store.items_created_between(Timestamp(w.from_ms), Timestamp(w.to_ms), MAX_ITEMS)?;
    let upcoming = store.items_created_between(Timestamp(w.to_ms), Timestamp(w.to_ms + LOOKAHEAD_MS), MAX_ITEMS)?;
    items.extend(upcoming.into_iter().filter(|s| s.item.kind == ItemKind::Event));
    let mut have: BTreeSet<String> = items.iter().map(|s| s.item.id.as_str().to_string()).collect();
    // Replies to a root inside the window are inside it too; only threads that began
    // before the window need their root and earlier replies.
    let roots: BTreeSet<String> = items
        .iter()
        .filter_map(|s| s.item.parent.as_ref().map(|p| p.as_str().to_string()))
        .filter(|p| !have.contains(p))
        .collect();
    for root in roots {
        for s in store.thread(&root)? {
            // Replies after the window's end are the future of a replayed day.
            if !s.deleted && s.item.created.0 < w.to_ms && have.insert(s.item.id.as_str().to_string()) {
                items.push(s);
            }
        }
    }
    items.sort_by(|a, b| a.item.id.as_str().cmp(b.item.id.as_str()));
    Ok(items)
}

/// The text each post may be checked against: what it says, who said it, where, and
/// its subject's details.
pub fn source_texts(discussions: &[Discussion]) -> (SourceTexts, BTreeSet<String>) {
    let mut texts = SourceTexts::new();
    let mut untrusted = BTreeSet::new();
    for d in discussions {
        let mut subject = format!("{} {} {}", d.container_name, d.title, d.own_refs.join(" "));
        for v in [&d.details.status, &d.details.priority].into_iter().flatten() {
            subject.push(' ');
            subject.push_str(v);
        }
        if let Some(s) = d.details.starts_ms {
            subject.push(' ');
            subject.push_str(&when(s));
        }
        for p in &d.posts {
            if looks_like_instructions(&p.text) || looks_like_instructions(&p.title) {
                untrusted.insert(p.id.clone());
            }
            let t = format!("{} {} {} {subject}", p.author_name, p.title, p.text);
            texts.insert(p.id.clone(), normalize_for_facts(&t));
        }
    }
    (texts, untrusted)
}

/// Runs (or resumes) a briefing and stores it.
/// The LLM a run may use, and a label for it (provider and model) that keys its caches.
pub struct WithLlm<'a> {
    pub llm: &'a dyn LlmCall,
    pub label: String,
}

/// Runs (or resumes) a briefing and stores it; with `llm`, the model rewrites the top
/// stories' summaries and writes the stories, each answer guarded as it arrives.
pub fn run(
    store: &Store,
    me: &Me,
    people: &dyn People,
    opts: &BriefOptions,
    llm: Option<&WithLlm<'_>>,
) -> Result<Briefing, BrainError> {
    let window = match opts.since_ms {
        Some(span) => Window { from_ms: opts.now.0 - span.max(0), to_ms: opts.now.0 },
        None => default_window(opts.now),
    };
    // Runs resume each other when they ask for the same thing on the same day: the
    // key leaves out the window's end (the clock moves between a stop and a resume),
    // and a resumed run keeps its own window, so its finished steps' inputs still match.
    let key = serde_json::json!({
        "day": date_of(opts.now), "since_ms": opts.since_ms, "top": opts.top, "me": me,
        "half_life_days": opts.half_life_days, "summarizer": Extractive.name(), "llm": llm.map(|l| l.label.clone()),
    });
    let params_key = hash_of(&key);
    let now_ms = Timestamp::now().0;
    let (run_id, previous, window) = match store.unfinished_run(PIPELINE, &params_key)? {
        Some(id) => {
            let stored = store.run(id)?.and_then(|r| serde_json::from_value::<Window>(r.params["window"].clone()).ok());
            (id, store.steps(id)?, stored.unwrap_or(window))
        }
        None => {
            let params = serde_json::json!({"window": window, "key": key});
            (store.start_run(PIPELINE, &params_key, &params, now_ms)?, Vec::new(), window)
        }
    };
    let mut j = Journal { store, run_id, previous, stop_after: opts.stop_after };
    match pipeline(&mut j, me, people, opts, window, llm) {
        Ok(mut b) => {
            b.run_id = run_id;
            store.save_briefing(run_id, &b.date, &serde_json::to_value(&b)?, Timestamp::now().0)?;
            store.finish_run(run_id, RunStatus::Done, None, Timestamp::now().0)?;
            Ok(b)
        }
        Err(e) => {
            store.finish_run(run_id, RunStatus::Failed, Some(&e.to_string()), Timestamp::now().0)?;
            Err(e)
        }
    }
}

/// The guarded stories and what was dropped.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Guarded {
    stories: Vec<Draft>,
    dropped: Vec<Dropped>,
}

/// The summaries and how many were made rather than taken from the cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Summaries {
    summaries: Vec<Summary>,
    computed: usize,
    cached: usize,
}

fn pipeline(
    j: &mut Journal<'_>,
    me: &Me,
    people: &dyn People,
    opts: &BriefOptions,
    window: Window,
    llm: Option<&WithLlm<'_>>,
) -> Result<Briefing, BrainError> {
    let store = j.store;
    let items = load_items(store, window)?;
    let item_count = items.len();
    let load_hash = hash_of(&(window, items.iter().map(|s| (s.item.id.as_str(), s.seq)).collect::<Vec<_>>()));
    let discussions: Vec<Discussion> =
        j.step(Step::Discussions, &load_hash, || Ok(discussion::build(&items, (window.from_ms, window.to_ms))))?;
    drop(items);
    let summarizer = Extractive;
    let d_hash = hash_of(&(summarizer.name(), discussions.iter().map(|d| &d.hash).collect::<Vec<_>>()));
    let summaries: Summaries = j.step(Step::Summarize, &d_hash, || {
        let mut out = Summaries { summaries: Vec::new(), computed: 0, cached: 0 };
        for d in &discussions {
            let key = summary_key(&summarizer, d);
            if let Some(v) = store.brain_cache_get("summarize", &key)?
                && let Ok(s) = serde_json::from_value::<Summary>(v)
            {
                out.summaries.push(s);
                out.cached += 1;
                continue;
            }
            let s = summarizer.summarize(d);
            store.brain_cache_put("summarize", &key, &serde_json::to_value(&s)?)?;
            out.summaries.push(s);
            out.computed += 1;
        }
        Ok(out)
    })?;
    let refs_hash = hash_of(&discussions.iter().map(|d| (&d.id, &d.own_refs, &d.refs)).collect::<Vec<_>>());
    let stories: Vec<Story> = j.step(Step::Consolidate, &refs_hash, || Ok(consolidate(&discussions)))?;
    let (activity, feedback) = interests::inputs(store, me, opts.now, opts.half_life_days)?;
    let i_hash = hash_of(&(
        opts.now.0 / 3_600_000,
        opts.half_life_days.to_bits(),
        me,
        activity.iter().map(|s| (s.item.id.as_str(), s.seq)).collect::<Vec<_>>(),
        feedback.iter().map(|f| f.id).collect::<Vec<_>>(),
    ));
    let graph: InterestGraph = j.step(Step::Interests, &i_hash, || {
        Ok(interests::build(me, &activity, &feedback, people, opts.now.0, opts.half_life_days))
    })?;
    let mut votes: BTreeMap<String, i32> = BTreeMap::new();
    for f in &feedback {
        *votes.entry(f.story_id.clone()).or_default() += i32::from(f.vote);
    }
    let by_id: BTreeMap<String, Discussion> = discussions.iter().map(|d| (d.id.clone(), d.clone())).collect();
    let mut sums: BTreeMap<String, Summary> =
        summaries.summaries.iter().map(|s| (s.discussion.clone(), s.clone())).collect();
    let r_hash = hash_of(&(&stories, &d_hash, hash_of(&graph), &votes, opts.now.0, me));
    let ranked: Vec<RankedStory> = j.step(Step::Rank, &r_hash, || {
        let input = RankInput {
            me,
            discussions: &by_id,
            summaries: &sums,
            interests: &graph,
            people,
            votes: &votes,
            now_ms: opts.now.0,
        };
        Ok(rank(&stories, &input))
    })?;
    let top: Vec<RankedStory> = ranked.iter().filter(|r| r.score > 0.0).take(opts.top).cloned().collect();
    let (texts, untrusted) = source_texts(&discussions);
    let guard = Guard { sources: &texts, untrusted: &untrusted, me };
    let mut dropped_early = Vec::new();
    if let Some(with) = llm {
        let wanted: Vec<&Discussion> =
            top.iter().flat_map(|r| r.discussions.iter()).filter_map(|id| by_id.get(id)).take(MAX_REFINE).collect();
        let refine_hash = hash_of(&(wanted.iter().map(|d| &d.hash).collect::<Vec<_>>(), &with.label, me));
        let refined: Guarded = j.step_llm(Step::Refine, &refine_hash, |tally| {
            let mut out = Guarded { stories: Vec::new(), dropped: Vec::new() };
            for d in wanted {
                let key = format!("llm:{}:{}", with.label, d.hash);
                let mut sentences: Vec<Sentence> = match store.brain_cache_get("summarize", &key)? {
                    Some(v) => serde_json::from_value(v)?,
                    None => match crate::llm::summarize(with.llm, d, me, tally) {
                        Ok(s) => {
                            store.brain_cache_put("summarize", &key, &serde_json::to_value(&s)?)?;
                            s
                        }
                        Err(e) if keeps_local(&e) => {
                            out.dropped.push(Dropped { text: format!("(summary of {})", d.id), reason: e.to_string() });
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    },
                };
                let allowed: BTreeSet<String> = d.item_ids().map(str::to_string).collect();
                out.dropped.extend(guard.check(&mut sentences, &allowed));
                for s in &mut sentences {
                    s.at_ms = d.posts.iter().filter(|p| s.sources.contains(&p.id)).map(|p| p.at_ms).max().unwrap_or(0);
                }
                if let Some(local) = sums.get(&d.id).filter(|_| !sentences.is_empty()) {
                    out.stories.push(Draft {
                        id: d.id.clone(),
                        title: local.title.clone(),
                        summary: sentences,
                        why: Vec::new(),
                        sources: Vec::new(),
                        reasons: Vec::new(),
                        score: 0.0,
                    });
                }
            }
            Ok(out)
        })?;
        for r in refined.stories {
            if let Some(s) = sums.get_mut(&r.id) {
                s.sentences = r.summary;
            }
        }
        dropped_early.extend(refined.dropped);
    }
    let g_hash = hash_of(&(&top, &d_hash, me, llm.map(|l| &l.label), hash_of(&sums)));
    let generated: Guarded = j.step_llm(Step::Generate, &g_hash, |tally| {
        let local = generate(&top, &by_id, &sums, me);
        let Some(with) = llm else { return Ok(Guarded { stories: local, dropped: Vec::new() }) };
        let mut out = Guarded { stories: Vec::new(), dropped: Vec::new() };
        for (r, fallback) in top.iter().zip(local) {
            let mut d = match crate::llm::generate(with.llm, r, &by_id, &sums, me, tally) {
                Ok(d) => d,
                Err(e) if keeps_local(&e) => {
                    out.dropped.push(Dropped { text: format!("(story {})", r.id), reason: e.to_string() });
                    out.stories.push(fallback);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let allowed: BTreeSet<String> = r.items.iter().cloned().collect();
            out.dropped.extend(guard.check(&mut d.summary, &allowed));
            out.dropped.extend(guard.check(&mut d.why, &allowed));
            if d.summary.is_empty() {
                d.summary = fallback.summary.clone();
            }
            if d.why.is_empty() {
                d.why = fallback.why.clone();
            }
            d.title = guard.title(&d.title, "");
            if d.title.is_empty() || (!me.name.is_empty() && d.title.contains(&me.name)) {
                d.title = fallback.title.clone();
            }
            d.sources = fallback.sources;
            out.stories.push(d);
        }
        Ok(out)
    })?;
    let drafts = generated.stories;
    dropped_early.extend(generated.dropped);
    let guard_hash = hash_of(&(&drafts, &d_hash));
    let guarded: Guarded = j.step(Step::Guard, &guard_hash, || {
        let mut dropped = dropped_early.clone();
        let mut stories = Vec::new();
        for mut d in drafts.clone() {
            let allowed: BTreeSet<String> =
                top.iter().find(|r| r.id == d.id).map(|r| r.items.iter().cloned().collect()).unwrap_or_default();
            dropped.extend(guard.check(&mut d.summary, &allowed));
            dropped.extend(guard.check(&mut d.why, &allowed));
            d.title = guard.title(&d.title, "A message Chief treats as data (not shown)");
            d.sources.retain(|id| allowed.contains(id));
            stories.push(d);
        }
        Ok(Guarded { stories, dropped })
    })?;
    let posts: BTreeMap<&str, (&Discussion, &discussion::Post)> =
        discussions.iter().flat_map(|d| d.posts.iter().map(move |p| (p.id.as_str(), (d, p)))).collect();
    let stories = guarded
        .stories
        .iter()
        .map(|d| BriefingStory {
            id: d.id.clone(),
            title: d.title.clone(),
            summary: d.summary.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(" "),
            why: d.why.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(" "),
            sources: d
                .sources
                .iter()
                .filter_map(|id| posts.get(id.as_str()))
                .map(|(disc, p)| SourceRef {
                    id: p.id.clone(),
                    source: disc.source.as_str().to_string(),
                    url: p.url.clone(),
                    title: source_title(disc, p),
                })
                .collect(),
            reasons: d.reasons.clone(),
            sentences: d.summary.iter().chain(d.why.iter()).cloned().collect(),
            score: d.score,
        })
        .collect();
    Ok(Briefing {
        date: date_of(opts.now),
        user: me.name.clone(),
        run_id: j.run_id,
        window,
        prepared_at: Timestamp::now().to_rfc3339(),
        items: item_count,
        discussions: discussions.len(),
        stories,
        dropped: guarded.dropped,
    })
}

fn source_title(d: &Discussion, p: &discussion::Post) -> String {
    if !p.title.is_empty() {
        return crate::text::clip(&p.title, 90);
    }
    let first = crate::text::sentences(&p.text).into_iter().next().unwrap_or_default();
    let who = if p.author_name.is_empty() { String::new() } else { format!("{}: ", p.author_name) };
    let text =
        if looks_like_instructions(&p.text) { "(text addressed to an AI, not shown)".to_string() } else { first };
    format!("{} — {who}{}", d.container_name, crate::text::clip(&text, 80))
}

/// `YYYY-MM-DD` of an instant (UTC).
pub fn date_of(t: Timestamp) -> String {
    t.to_rfc3339().get(..10).unwrap_or("").to_string()
}

/// When the user usually starts work on each weekday (Monday first), as minutes after
/// midnight UTC: the median of the first activity of each day, from their own items.
pub fn usual_start(activity_ms: &[i64]) -> [Option<u32>; 7] {
    let day = 86_400_000i64;
    let mut first: BTreeMap<i64, i64> = BTreeMap::new();
    for &t in activity_ms {
        let d = t.div_euclid(day);
        let m = t.rem_euclid(day);
        first.entry(d).and_modify(|x| *x = (*x).min(m)).or_insert(m);
    }
    let mut per: [Vec<i64>; 7] = Default::default();
    for (d, m) in first {
        per[((d + 3).rem_euclid(7)) as usize].push(m);
    }
    per.map(|mut v| {
        if v.is_empty() {
            return None;
        }
        v.sort();
        Some((v[v.len() / 2] / 60_000) as u32)
    })
}

/// The interests a story touches, as stored with feedback so a vote moves them.
pub fn story_interest_keys(
    store: &Store,
    run_id: i64,
    story_id: &str,
    me: &Me,
    people: &dyn People,
) -> Result<Option<Vec<String>>, BrainError> {
    let steps = store.steps(run_id)?;
    let get = |step: Step| steps.iter().find(|s| s.idx == step as i64).and_then(|s| s.output.clone());
    let (Some(d), Some(s), Some(r)) = (get(Step::Discussions), get(Step::Summarize), get(Step::Rank)) else {
        return Ok(None);
    };
    let discussions: Vec<Discussion> = serde_json::from_value(d)?;
    let summaries: Summaries = serde_json::from_value(s)?;
    let ranked: Vec<RankedStory> = serde_json::from_value(r)?;
    let Some(story) = ranked.iter().find(|r| r.id == story_id) else { return Ok(None) };
    let ds: Vec<&Discussion> = discussions.iter().filter(|d| story.discussions.contains(&d.id)).collect();
    let sums: BTreeMap<String, Summary> = summaries.summaries.into_iter().map(|s| (s.discussion.clone(), s)).collect();
    Ok(Some(crate::rank::interest_keys(&ds, &sums, me, people).into_keys().collect()))
}

/// The stories of a finished run, as consolidated (every story, not only the top).
pub fn run_stories(store: &Store, run_id: i64) -> Result<Vec<Story>, BrainError> {
    let steps = store.steps(run_id)?;
    let out = steps.iter().find(|s| s.idx == Step::Consolidate as i64).and_then(|s| s.output.clone());
    match out {
        Some(v) => Ok(serde_json::from_value(v)?),
        None => Err(BrainError::NoSuchRun(run_id)),
    }
}

/// The notifications the window's items deserve, as of `now` (what the notifier sent or
/// would have sent): the same discussions, stories and interests as the briefing.
pub fn notifications(
    store: &Store,
    me: &Me,
    now: Timestamp,
    since_ms: Option<i64>,
    graph: &InterestGraph,
    rules: &crate::notify::NotifyRules,
) -> Result<Vec<crate::notify::Notification>, BrainError> {
    let window = match since_ms {
        Some(span) => Window { from_ms: now.0 - span.max(0), to_ms: now.0 },
        None => default_window(now),
    };
    let items = load_items(store, window)?;
    let discussions = discussion::build(&items, (window.from_ms, window.to_ms));
    let stories = consolidate(&discussions);
    Ok(crate::notify::decide(&discussions, &stories, me, graph, rules, now.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_last_working_day() {
        // Wednesday 2026-11-25 18:00 UTC: from Tuesday 00:00.
        let wed = Timestamp::parse_rfc3339("2026-11-25T18:00:00Z").unwrap();
        assert_eq!(Timestamp(default_window(wed).from_ms).to_rfc3339(), "2026-11-24T00:00:00Z");
        // Monday 08:00: from Friday 00:00.
        let mon = Timestamp::parse_rfc3339("2026-11-30T08:00:00Z").unwrap();
        assert_eq!(Timestamp(default_window(mon).from_ms).to_rfc3339(), "2026-11-27T00:00:00Z");
    }

    #[test]
    fn usual_start_is_the_median_first_activity() {
        let day = 86_400_000;
        // Three Mondays (2026-11-02, -09, -16) starting 08:00, 08:30, 09:00; later posts too.
        let mon = Timestamp::parse_rfc3339("2026-11-02T00:00:00Z").unwrap().0;
        let acts = vec![
            mon + 8 * 3_600_000,
            mon + 15 * 3_600_000,
            mon + 7 * day + 8 * 3_600_000 + 1_800_000,
            mon + 14 * day + 9 * 3_600_000,
        ];
        let s = usual_start(&acts);
        assert_eq!(s[0], Some(8 * 60 + 30));
        assert_eq!(s[1], None);
    }
}
