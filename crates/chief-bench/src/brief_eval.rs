//! `chief eval brief`: the offline briefing scored against each seeded demo's ground
//! truth, as ../shared/EVAL.md defines it — gold in the top 3 per story kind,
//! duplicates, distractors, consolidation (BCubed), citation precision, the hard-fact
//! check, second person and forbidden phrases.
//!
//! Each seed is a different org, loaded into its own temporary home through the real
//! connectors; nothing here knows a name, channel or phrase of any org. The source
//! text a fact is checked against is read back from the store (title, body, author,
//! channel, an event's time), not from the pipeline's own notes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chief_brain::consolidate::Story;
use chief_brain::text::{fact_in, hard_facts, normalize_for_facts};
use chief_demo::GroundTruth;
use chief_engine::{BriefRequest, BriefStep, Briefing, EngineError};
use serde::Serialize;

/// One seed's scores.
#[derive(Debug, Clone, Serialize)]
pub struct SeedScore {
    pub seed: u64,
    pub user: String,
    /// Gold story kind → cited by a top-3 story.
    pub gold: BTreeMap<String, bool>,
    /// Gold stories cited by two or more of the top 3.
    pub duplicates: usize,
    /// Distractor kinds cited by the top 3.
    pub distractors: Vec<String>,
    pub bcubed_precision: f64,
    pub bcubed_recall: f64,
    /// Cited ids, and those that belong to the story they are cited for.
    pub cited: usize,
    pub cited_precise: usize,
    /// Sentences, and those whose hard facts are all in their cited sources.
    pub sentences: usize,
    pub sentences_grounded: usize,
    /// Sentences that failed the fact check, with the missing facts.
    pub ungrounded: Vec<String>,
    pub stories: usize,
    pub second_person: usize,
    pub forbidden_hits: Vec<String>,
    pub briefing_ms: u128,
    pub titles: Vec<String>,
    /// Notifications: sent, correct (kind and story match a gold event), gold events,
    /// gold events notified, sent from a distractor, sent in quiet hours, most in an hour.
    pub notified: usize,
    pub notified_correct: usize,
    pub notify_gold: usize,
    pub notify_gold_hit: usize,
    pub notify_distractors: usize,
    pub notify_quiet: usize,
    pub notify_max_per_hour: usize,
}

/// Scores over all seeds.
#[derive(Debug, Clone, Serialize)]
pub struct BriefEvalReport {
    pub seeds: Vec<SeedScore>,
    /// Gold kind → (seeds where it was in the top 3, seeds).
    pub gold_at_3: BTreeMap<String, (usize, usize)>,
    /// Distractor kind → times it reached the top 3.
    pub distractors: BTreeMap<String, usize>,
    pub duplicates: usize,
    pub bcubed_precision: f64,
    pub bcubed_recall: f64,
    pub bcubed_f1: f64,
    pub citation_precision: f64,
    pub hard_fact_rate: f64,
    pub second_person_rate: f64,
    pub forbidden_hits: usize,
    pub briefing_ms_p50: u128,
    /// Notifications: precision and recall of (kind, story) against gold events, sent
    /// from distractors, sent in quiet hours, most in any hour.
    pub notify_precision: f64,
    pub notify_recall: f64,
    pub notify_distractors: usize,
    pub notify_quiet: usize,
    pub notify_max_per_hour: usize,
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
}

/// BCubed precision and recall of predicted clusters against gold ones, over the items
/// the pipeline put in a story. Items in no gold story are their own gold singleton;
/// gold clusters are restricted to items the pipeline saw.
pub fn bcubed(predicted: &[Vec<String>], gold: &BTreeMap<String, String>) -> (f64, f64) {
    let seen: BTreeSet<&str> = predicted.iter().flatten().map(String::as_str).collect();
    let gold_of = |i: &str| gold.get(i).cloned().unwrap_or_else(|| format!("solo:{i}"));
    let mut gold_members: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for i in &seen {
        gold_members.entry(gold_of(i)).or_default().insert(i);
    }
    let (mut p, mut r, mut n) = (0.0, 0.0, 0usize);
    for cluster in predicted {
        let set: BTreeSet<&str> = cluster.iter().map(String::as_str).collect();
        for i in &set {
            let g = gold_of(i);
            let same_gold_in_pred = set.iter().filter(|j| gold_of(j) == g).count() as f64;
            p += same_gold_in_pred / set.len() as f64;
            r += same_gold_in_pred / gold_members[&g].len() as f64;
            n += 1;
        }
    }
    if n == 0 { (1.0, 1.0) } else { (p / n as f64, r / n as f64) }
}

/// Scores one briefing against its ground truth.
pub fn score(
    seed: u64,
    truth: &GroundTruth,
    brief: &Briefing,
    stories: &[Story],
    source_text: &dyn Fn(&str) -> Option<String>,
) -> SeedScore {
    let story_of: BTreeMap<String, String> =
        truth.stories.iter().flat_map(|s| s.items.iter().map(move |i| (i.clone(), s.key.clone()))).collect();
    let kind_of: BTreeMap<&str, &str> = truth.stories.iter().map(|s| (s.key.as_str(), s.kind.as_str())).collect();
    let gold_keys: BTreeSet<&str> = truth.stories.iter().filter(|s| s.is_gold()).map(|s| s.key.as_str()).collect();
    let mut gold: BTreeMap<String, bool> =
        truth.stories.iter().filter(|s| s.is_gold()).map(|s| (s.kind.clone(), false)).collect();
    let mut cited_by: BTreeMap<&str, usize> = BTreeMap::new();
    let mut distractors = BTreeSet::new();
    for s in &brief.stories {
        let keys: BTreeSet<&str> =
            s.sources.iter().filter_map(|src| story_of.get(&src.id)).map(String::as_str).collect();
        for k in &keys {
            if gold_keys.contains(k) {
                *cited_by.entry(k).or_default() += 1;
                gold.insert(kind_of[k].to_string(), true);
            } else {
                distractors.insert(kind_of[k].to_string());
            }
        }
    }
    let duplicates = cited_by.values().filter(|n| **n > 1).count();
    let predicted: Vec<Vec<String>> = stories.iter().map(|s| s.items.clone()).collect();
    let mut clusters = story_of.clone();
    for (n, b) in truth.background.iter().enumerate() {
        for i in b {
            clusters.entry(i.clone()).or_insert_with(|| format!("background:{n}"));
        }
    }
    let (bp, br) = bcubed(&predicted, &clusters);
    // Citations: each cited id should belong to the gold (or distractor) story the
    // briefing story is mostly about.
    let (mut cited, mut precise) = (0, 0);
    let (mut sentences, mut grounded) = (0, 0);
    let mut ungrounded = Vec::new();
    let me_text =
        normalize_for_facts(&format!("{} {} {} {}", truth.me.name, truth.me.email, truth.me.slack, truth.me.github));
    let first = truth.me.name.split_whitespace().next().unwrap_or("").to_lowercase();
    let mut second_person = 0;
    let mut forbidden_hits = Vec::new();
    for s in &brief.stories {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for src in &s.sources {
            if let Some(k) = story_of.get(&src.id) {
                *votes.entry(k).or_default() += 1;
            }
        }
        let main = votes.iter().max_by_key(|(_, n)| **n).map(|(k, _)| *k);
        for sentence in &s.sentences {
            for id in &sentence.sources {
                if let Some(m) = main {
                    cited += 1;
                    if story_of.get(id).map(String::as_str) == Some(m) {
                        precise += 1;
                    }
                }
            }
            sentences += 1;
            let text: String = sentence
                .sources
                .iter()
                .filter_map(|id| source_text(id))
                .map(|t| normalize_for_facts(&t))
                .collect::<Vec<_>>()
                .join("\n");
            let missing: Vec<String> = hard_facts(&sentence.text)
                .into_iter()
                .filter(|f| !fact_in(f, &text) && !fact_in(f, &me_text))
                .collect();
            if missing.is_empty() {
                grounded += 1;
            } else {
                ungrounded.push(format!("{:?} missing {missing:?}", sentence.text));
            }
        }
        let all = format!("{} {} {}", s.title, s.summary, s.why);
        let lower = all.to_lowercase();
        let addressed = lower.contains("you");
        let names_user = lower.contains(&truth.me.name.to_lowercase())
            || (!first.is_empty() && lower.split(|c: char| !c.is_alphanumeric()).any(|w| w == first));
        if addressed && !names_user {
            second_person += 1;
        }
        for f in &truth.forbidden {
            if lower.contains(&f.to_lowercase()) {
                forbidden_hits.push(f.clone());
            }
        }
    }
    SeedScore {
        seed,
        user: truth.me.name.clone(),
        gold,
        duplicates,
        distractors: distractors.into_iter().collect(),
        bcubed_precision: bp,
        bcubed_recall: br,
        cited,
        cited_precise: precise,
        sentences,
        sentences_grounded: grounded,
        ungrounded,
        stories: brief.stories.len(),
        second_person,
        forbidden_hits,
        briefing_ms: 0,
        titles: brief.stories.iter().map(|s| s.title.clone()).collect(),
        notified: 0,
        notified_correct: 0,
        notify_gold: 0,
        notify_gold_hit: 0,
        notify_distractors: 0,
        notify_quiet: 0,
        notify_max_per_hour: 0,
    }
}

/// Scores notifications against the gold events that deserve one: each gold question,
/// review request and incident (by story), and each of the user's meetings whose
/// 15-minute mark falls in the window (by event id).
pub fn score_notifications(
    row: &mut SeedScore,
    truth: &GroundTruth,
    sent: &[chief_engine::Notification],
    meetings: &BTreeSet<String>,
) {
    use chief_engine::NotificationKind as K;
    let story_of: BTreeMap<&str, &chief_demo::Story> =
        truth.stories.iter().flat_map(|s| s.items.iter().map(move |i| (i.as_str(), s))).collect();
    let gold_kind = |k: K| match k {
        K::QuestionToMe => Some("question_to_me"),
        K::ReviewRequested => Some("review_requested"),
        K::Incident => Some("incident"),
        _ => None,
    };
    let mut gold: BTreeSet<String> = truth.stories.iter().filter(|s| s.is_gold()).map(|s| s.key.clone()).collect();
    gold.extend(meetings.iter().cloned());
    let mut hit = BTreeSet::new();
    for n in sent {
        let mut stories: Vec<&chief_demo::Story> =
            n.sources.iter().filter_map(|id| story_of.get(id.as_str()).copied()).collect();
        stories.dedup_by_key(|s| s.key.clone());
        if stories.iter().any(|s| !s.is_gold()) {
            row.notify_distractors += 1;
        }
        let correct = match n.kind {
            K::MeetingSoon => meetings.contains(&n.item).then(|| n.item.clone()),
            k => stories.iter().find(|s| Some(s.kind.as_str()) == gold_kind(k)).map(|s| s.key.clone()),
        };
        if let Some(key) = correct {
            row.notified_correct += 1;
            hit.insert(key);
        }
        let minute = (n.send_ms.rem_euclid(86_400_000) / 60_000) as u32;
        if !(8 * 60..22 * 60).contains(&minute) {
            row.notify_quiet += 1;
        }
        let in_hour = sent.iter().filter(|m| m.send_ms > n.send_ms - 3_600_000 && m.send_ms <= n.send_ms).count();
        row.notify_max_per_hour = row.notify_max_per_hour.max(in_hour);
    }
    row.notified = sent.len();
    row.notify_gold = gold.len();
    row.notify_gold_hit = hit.len();
}

fn item_text(engine: &chief_engine::Engine, id: &str) -> Option<String> {
    let d = engine.show(id).ok()?;
    let s = &d.item;
    let mut t =
        format!("{} {} {} {}", s.author_name.clone().unwrap_or_default(), s.container_name, s.item.title, s.item.body);
    if let Some(start) = s.item.extra.get("start").and_then(|v| v.as_str()) {
        // An event's time, as digits: the date's day and the clock time.
        t.push(' ');
        t.push_str(&start.replace(['-', 'T', ':', 'Z'], " "));
    }
    if let Some(k) = s.item.extra.get("key").and_then(|v| v.as_str()) {
        t.push(' ');
        t.push_str(k);
    }
    for k in ["status", "priority"] {
        if let Some(v) = s.item.extra.get(k).and_then(|v| v.as_str()) {
            t.push(' ');
            t.push_str(v);
        }
    }
    if let Some(own) = id.strip_prefix("github:") {
        t.push(' ');
        t.push_str(own);
    }
    Some(t)
}

/// The user's meetings whose 15-minute mark falls in the window: each deserves a
/// notification. Read from the store's calendar items, not from the notifier.
fn meetings_due(
    engine: &chief_engine::Engine,
    truth: &GroundTruth,
    w: chief_engine::Window,
) -> Result<BTreeSet<String>, EngineError> {
    let q = chief_engine::SearchQuery {
        text: String::new(),
        kinds: vec![chief_core::ItemKind::Event],
        limit: Some(10_000),
        mode: chief_engine::SearchMode::Bm25,
        ..Default::default()
    };
    let mut out = BTreeSet::new();
    for r in engine.search(&q)?.results {
        let item = engine.show(&r.id)?.item.item;
        let mine = item.participants.iter().any(|p| p.value == truth.me.email.to_lowercase());
        let at = item.created.0 - 15 * 60_000;
        if mine && item.created.0 >= w.from_ms && at <= w.to_ms {
            out.insert(r.id);
        }
    }
    Ok(out)
}

/// Loads each seed's demo into a temporary home, makes the offline briefing and scores
/// it. `progress` gets one line per seed.
pub fn run(seeds: &[u64], progress: &mut dyn FnMut(&str)) -> Result<BriefEvalReport, EngineError> {
    let mut rows = Vec::new();
    for &seed in seeds {
        let home = tempfile::tempdir().map_err(|e| EngineError::internal("creating a temporary home", e))?;
        let env = vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
        let (engine, report) = crate::demo::load_seeded(home.path(), seed, false, env, chief_engine::no_progress())?;
        let t = Instant::now();
        let brief = engine.brief(&BriefRequest { offline: true, ..BriefRequest::default() })?;
        let ms = t.elapsed().as_millis();
        let (_, steps) = engine.run_detail(brief.run_id)?;
        let stories: Vec<Story> = steps
            .iter()
            .find(|s| s.idx == BriefStep::Consolidate as i64)
            .and_then(|s| s.output.clone())
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| EngineError::internal("reading the consolidate step", e))?
            .unwrap_or_default();
        let mut row = score(seed, &report.truth, &brief, &stories, &|id| item_text(&engine, id));
        row.briefing_ms = ms;
        let sent = engine.notifications(None)?;
        let meetings = meetings_due(&engine, &report.truth, brief.window)?;
        score_notifications(&mut row, &report.truth, &sent, &meetings);
        progress(&format!(
            "seed {seed}: gold {}/{} distractors {} duplicates {} BCubed F1 {:.3} facts {}/{}",
            row.gold.values().filter(|v| **v).count(),
            row.gold.len(),
            row.distractors.len(),
            row.duplicates,
            f1(row.bcubed_precision, row.bcubed_recall),
            row.sentences_grounded,
            row.sentences
        ));
        engine.close()?;
        rows.push(row);
    }
    Ok(summarize(rows))
}

fn summarize(rows: Vec<SeedScore>) -> BriefEvalReport {
    let mut gold_at_3: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut distractors: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        for (k, hit) in &r.gold {
            let e = gold_at_3.entry(k.clone()).or_default();
            e.0 += usize::from(*hit);
            e.1 += 1;
        }
        for d in &r.distractors {
            *distractors.entry(d.clone()).or_default() += 1;
        }
    }
    let n = rows.len().max(1) as f64;
    let bp = rows.iter().map(|r| r.bcubed_precision).sum::<f64>() / n;
    let br = rows.iter().map(|r| r.bcubed_recall).sum::<f64>() / n;
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let mut ms: Vec<u128> = rows.iter().map(|r| r.briefing_ms).collect();
    ms.sort();
    BriefEvalReport {
        gold_at_3,
        distractors,
        duplicates: rows.iter().map(|r| r.duplicates).sum(),
        bcubed_precision: bp,
        bcubed_recall: br,
        bcubed_f1: f1(bp, br),
        citation_precision: ratio(rows.iter().map(|r| r.cited_precise).sum(), rows.iter().map(|r| r.cited).sum()),
        hard_fact_rate: ratio(rows.iter().map(|r| r.sentences_grounded).sum(), rows.iter().map(|r| r.sentences).sum()),
        second_person_rate: ratio(rows.iter().map(|r| r.second_person).sum(), rows.iter().map(|r| r.stories).sum()),
        forbidden_hits: rows.iter().map(|r| r.forbidden_hits.len()).sum(),
        briefing_ms_p50: ms.get(ms.len() / 2).copied().unwrap_or(0),
        notify_precision: ratio(rows.iter().map(|r| r.notified_correct).sum(), rows.iter().map(|r| r.notified).sum()),
        notify_recall: ratio(rows.iter().map(|r| r.notify_gold_hit).sum(), rows.iter().map(|r| r.notify_gold).sum()),
        notify_distractors: rows.iter().map(|r| r.notify_distractors).sum(),
        notify_quiet: rows.iter().map(|r| r.notify_quiet).sum(),
        notify_max_per_hour: rows.iter().map(|r| r.notify_max_per_hour).max().unwrap_or(0),
        seeds: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcubed_matches_the_definition() {
        let gold: BTreeMap<String, String> =
            [("a", "X"), ("b", "X"), ("c", "Y")].iter().map(|(i, g)| (i.to_string(), g.to_string())).collect();
        let perfect = vec![vec!["a".to_string(), "b".to_string()], vec!["c".to_string()]];
        assert_eq!(bcubed(&perfect, &gold), (1.0, 1.0));
        let merged = vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]];
        let (p, r) = bcubed(&merged, &gold);
        assert!((p - (2.0 / 3.0 * 2.0 + 1.0 / 3.0) / 3.0).abs() < 1e-9);
        assert_eq!(r, 1.0);
        let split = vec![vec!["a".to_string()], vec!["b".to_string()], vec!["c".to_string()]];
        let (p, r) = bcubed(&split, &gold);
        assert_eq!(p, 1.0);
        assert!((r - (0.5 + 0.5 + 1.0) / 3.0).abs() < 1e-9);
    }
}
