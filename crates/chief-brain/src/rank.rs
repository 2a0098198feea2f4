//! Rank: stories × the interest graph × signals → an ordered list, each story with the
//! reasons it is there, in the second person and cited. The signals are what an
//! engineering leader's attention follows, in any tool: a question addressed to you
//! that you have not answered, your review requested, a ticket assigned to you, an
//! incident, a deadline, a meeting you are invited to, your own participation — then
//! how much the story's people, places and topics matter to you lately, and recency.
//!
//! Questions waiting for the user's answer that are not part of a bigger story are
//! gathered into one story: the user reads "two people are waiting for you" once,
//! instead of losing two of three places to two one-line asks.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::Me;
use crate::consolidate::{Story, story_id};
use crate::discussion::{Discussion, DiscussionKind, is_direct};
use crate::interests::{InterestGraph, People, person_key};
use crate::summarize::{EntityKind, Summary};
use crate::text::{has_deadline, incident_strength, is_request, looks_like_instructions};

/// Why a story ranks where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    AwaitingMyAnswer,
    ReviewRequested,
    AssignedToMe,
    MentionedMe,
    Incident,
    HighPriority,
    Deadline,
    MyParticipation,
    MeetingSoon,
    CrossTool,
    Interest,
    Feedback,
    Recency,
    Busy,
    BotsOnly,
    /// Everything new in it is the user's own.
    OnlyMine,
    Instructions,
}

/// One reason, with the items it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub signal: Signal,
    /// Second person, e.g. "Liam O'Connor requested your review on acme/web#2".
    pub text: String,
    pub sources: Vec<String>,
    pub weight: f64,
}

/// A story with its score and reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedStory {
    pub id: String,
    pub discussions: Vec<String>,
    pub items: Vec<String>,
    pub score: f64,
    pub reasons: Vec<Reason>,
    /// Several questions to the user gathered into one story.
    pub questions: bool,
}

/// What ranking reads besides the stories.
pub struct RankInput<'a> {
    pub me: &'a Me,
    pub discussions: &'a BTreeMap<String, Discussion>,
    pub summaries: &'a BTreeMap<String, Summary>,
    pub interests: &'a InterestGraph,
    pub people: &'a dyn People,
    /// Net feedback per story id (sum of +1 / -1).
    pub votes: &'a BTreeMap<String, i32>,
    pub now_ms: i64,
}

fn reason(signal: Signal, text: String, sources: Vec<String>, weight: f64) -> Reason {
    Reason { signal, text, sources, weight: (weight * 1000.0).round() / 1000.0 }
}

/// How a date reads in a reason: `Thu 26 Nov 14:00 UTC`.
pub fn when(ms: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) else { return String::new() };
    let wd = &t.weekday().to_string()[..3];
    let month = &t.month().to_string()[..3];
    format!("{wd} {} {month} {:02}:{:02} UTC", t.day(), t.hour(), t.minute())
}

fn source_label(d: &Discussion) -> &'static str {
    match d.source {
        chief_core::Source::Slack => "Slack",
        chief_core::Source::Github => "GitHub",
        chief_core::Source::Jira => "Jira",
        chief_core::Source::Google => "Calendar",
        chief_core::Source::Local => "your files",
    }
}

/// What a discussion is called: its ticket key or PR ref, else its title.
pub(crate) fn own_label(d: &Discussion) -> String {
    d.own_refs
        .iter()
        .find_map(|r| {
            r.strip_prefix("ticket:").map(str::to_uppercase).or_else(|| r.strip_prefix("pr:").map(str::to_string))
        })
        .unwrap_or_else(|| d.title.clone())
}

/// Signals of one discussion.
fn signals(d: &Discussion, input: &RankInput<'_>, out: &mut Vec<Reason>) {
    let me = input.me;
    let now = input.now_ms;
    if d.posts.iter().any(|p| looks_like_instructions(&p.text) || looks_like_instructions(&p.title)) {
        out.push(reason(
            Signal::Instructions,
            "It contains text addressed to an AI assistant; Chief treats it as data".into(),
            vec![d.id.clone()],
            -12.0,
        ));
        return;
    }
    // Asked me: a request in a DM to me or mentioning me, with no later post of mine.
    for (i, p) in d.posts.iter().enumerate() {
        if !p.in_window || me.is_opt(p.author.as_deref()) || p.is_bot {
            continue;
        }
        let to_me = p.mentions.iter().any(|m| me.is(m)) || is_direct(&d.container);
        if !to_me {
            continue;
        }
        let answered = d.posts[i + 1..].iter().any(|q| me.is_opt(q.author.as_deref()));
        if is_request(&p.text) && !answered {
            out.push(reason(
                Signal::AwaitingMyAnswer,
                format!("{} asked you something and is waiting for your answer", p.author_name),
                vec![p.id.clone()],
                4.0,
            ));
            if has_deadline(&p.text) {
                out.push(reason(Signal::Deadline, "The request has a deadline".into(), vec![p.id.clone()], 1.0));
            }
        } else {
            out.push(reason(Signal::MentionedMe, format!("{} mentioned you", p.author_name), vec![p.id.clone()], 1.5));
        }
    }
    let open = d.details.open.unwrap_or(true);
    if d.kind == DiscussionKind::PullRequest && open && d.details.requested_reviewers.iter().any(|r| me.is(r)) {
        let author = d.posts[0].author_name.clone();
        out.push(reason(
            Signal::ReviewRequested,
            format!("{author} requested your review on {}", own_label(d)),
            vec![d.id.clone()],
            4.0,
        ));
    }
    if open && d.details.assignees.iter().any(|a| me.is(a)) {
        out.push(reason(Signal::AssignedToMe, format!("{} is assigned to you", own_label(d)), vec![d.id.clone()], 2.5));
    }
    let strength = d
        .new_posts()
        .map(|p| incident_strength(&format!("{} {}", p.title, p.text)))
        .max()
        .unwrap_or(0)
        .max(incident_strength(&d.title));
    let priority = d.details.priority.as_deref().unwrap_or("").to_lowercase();
    let high = matches!(priority.as_str(), "highest" | "critical" | "blocker" | "p0" | "p1" | "urgent");
    if strength >= 2 || (high && strength >= 1) {
        let src = d.new_posts().max_by_key(|p| incident_strength(&p.text)).map_or(d.id.clone(), |p| p.id.clone());
        let what = if d.own_refs.iter().any(|r| !r.starts_with("url:")) {
            own_label(d)
        } else {
            format!("in {}", d.container_name)
        };
        let weight = 1.5 + 0.25 * strength.min(6) as f64;
        // A meeting about an incident is not the incident: it counts, but less.
        let weight = if d.kind == DiscussionKind::Meeting { weight / 2.0 } else { weight };
        out.push(reason(Signal::Incident, format!("It reads as an incident ({what})"), vec![src], weight));
    }
    if high {
        out.push(reason(
            Signal::HighPriority,
            format!("{} has priority {}", own_label(d), d.details.priority.clone().unwrap_or_default()),
            vec![d.id.clone()],
            1.0,
        ));
    }
    if d.kind == DiscussionKind::Meeting
        && let Some(start) = d.details.starts_ms
        && start >= now
        && start - now <= 3 * 86_400_000
        && d.details.attendees.iter().any(|a| me.is(a))
    {
        out.push(reason(
            Signal::MeetingSoon,
            format!("You are invited to \"{}\" on {}", crate::text::clip(&d.title, 80), when(start)),
            vec![d.id.clone()],
            1.0,
        ));
    }
    let mine: Vec<&str> = d
        .posts
        .iter()
        .filter(|p| me.is_opt(p.author.as_deref()) || p.reactors.iter().any(|r| me.is(r)))
        .map(|p| p.id.as_str())
        .collect();
    if !mine.is_empty() {
        out.push(reason(
            Signal::MyParticipation,
            "You took part in it".into(),
            mine.iter().map(|s| s.to_string()).collect(),
            0.8,
        ));
    }
}

/// Ranks stories, best first.
pub fn rank(stories: &[Story], input: &RankInput<'_>) -> Vec<RankedStory> {
    let mut ranked: Vec<RankedStory> = stories.iter().map(|s| score(s, input)).collect();
    gather_questions(&mut ranked, input);
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    ranked
}

fn score(s: &Story, input: &RankInput<'_>) -> RankedStory {
    let ds: Vec<&Discussion> = s.discussions.iter().filter_map(|id| input.discussions.get(id)).collect();
    let mut reasons = Vec::new();
    for d in &ds {
        signals(d, input, &mut reasons);
    }
    // One reason per signal and wording; the strongest incident counts once.
    let mut seen = BTreeSet::new();
    reasons.retain(|r| seen.insert((r.signal, r.text.clone())));
    reasons.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let mut best_incident = 0.0f64;
    reasons.retain(|r| {
        if r.signal == Signal::Incident {
            if best_incident > 0.0 {
                return false;
            }
            best_incident = r.weight;
        }
        true
    });
    let mut participation_seen = false;
    reasons.retain(|r| {
        if r.signal == Signal::MyParticipation {
            let keep = !participation_seen;
            participation_seen = true;
            return keep;
        }
        true
    });
    let sources: BTreeSet<&'static str> = ds.iter().map(|d| source_label(d)).collect();
    if sources.len() > 1 {
        let names: Vec<&str> = sources.iter().copied().collect();
        reasons.push(reason(
            Signal::CrossTool,
            format!("It spans {}", join_and(&names)),
            ds.iter().map(|d| d.id.clone()).collect(),
            0.5 * (sources.len() - 1).min(3) as f64,
        ));
    }
    let humans = ds.iter().flat_map(|d| d.new_posts()).filter(|p| !p.is_bot).count();
    if humans == 0 {
        reasons.push(reason(Signal::BotsOnly, "Only bots posted".into(), vec![s.discussions[0].clone()], -1.0));
    }
    // What only the user did is not news to them: nobody else posted, reacted or asked.
    let others = ds
        .iter()
        .flat_map(|d| d.new_posts())
        .any(|p| !input.me.is_opt(p.author.as_deref()) || p.reactors.iter().any(|r| !input.me.is(r)));
    let upcoming = ds.iter().any(|d| d.kind == DiscussionKind::Meeting);
    if humans > 0 && !others && !upcoming {
        reasons.push(reason(Signal::OnlyMine, "Only your own posts".into(), vec![s.discussions[0].clone()], -4.0));
    }
    let new_posts = ds.iter().flat_map(|d| d.new_posts()).count();
    if new_posts > 0 {
        let busy = 0.25 * (1.0 + new_posts as f64).ln();
        reasons.push(reason(Signal::Busy, format!("{new_posts} new posts"), vec![s.discussions[0].clone()], busy));
    }
    let last = ds
        .iter()
        .flat_map(|d| d.new_posts())
        .map(|p| p.at_ms.min(input.now_ms))
        .max()
        .unwrap_or(input.now_ms - 7 * 86_400_000);
    let age_h = ((input.now_ms - last) as f64 / 3_600_000.0).max(0.0);
    reasons.push(reason(
        Signal::Recency,
        "Recent activity".into(),
        vec![s.discussions[0].clone()],
        0.5f64.powf(age_h / 24.0),
    ));
    let (weight, best) = interest_of(&ds, input);
    if weight.abs() >= 0.05 {
        let (text, cite) = match &best {
            Some((key, label)) if weight > 0.0 => {
                let text = match key.split(':').next() {
                    Some("person") => format!("It involves {label}, whom you work with often"),
                    Some("container") => format!("It is in {label}, where you are active"),
                    Some("topic") => format!("It is about {label}, which you engage with"),
                    _ => format!("It involves {label}, which you follow"),
                };
                (text, evidence_post(&ds, key, input.people).unwrap_or_else(|| s.discussions[0].clone()))
            }
            _ => ("It is close to what you engage with".into(), s.discussions[0].clone()),
        };
        reasons.push(reason(Signal::Interest, text, vec![cite], weight));
    }
    if let Some(v) = input.votes.get(&s.id).copied().filter(|v| *v != 0) {
        let (text, w) = if v > 0 {
            ("You rated this story up before".to_string(), 3.0)
        } else {
            ("You rated this story down before".to_string(), -8.0)
        };
        reasons.push(reason(Signal::Feedback, text, vec![s.discussions[0].clone()], w));
    }
    let score = reasons.iter().map(|r| r.weight).sum::<f64>();
    reasons.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    RankedStory {
        id: s.id.clone(),
        discussions: s.discussions.clone(),
        items: s.items.clone(),
        score: (score * 1000.0).round() / 1000.0,
        reasons,
        questions: false,
    }
}

/// The interest keys a story touches: its people (not the user), containers, topics
/// and identifiers.
pub fn interest_keys(
    ds: &[&Discussion],
    summaries: &BTreeMap<String, Summary>,
    me: &Me,
    people: &dyn People,
) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    for d in ds {
        keys.insert(format!("container:{}", d.container), d.container_name.clone());
        if let Some(s) = summaries.get(&d.id) {
            for t in &s.topics {
                keys.insert(format!("topic:{t}"), t.clone());
            }
            for e in &s.entities {
                match e.kind {
                    EntityKind::Person if !me.is(&e.key) => {
                        keys.insert(person_key(people, &e.key), e.label.clone());
                    }
                    EntityKind::Ticket | EntityKind::PullRequest => {
                        keys.insert(format!("ref:{}", e.key), e.label.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    keys
}

/// The post of a story that carries an interest key (so the reason can cite it).
fn evidence_post(ds: &[&Discussion], key: &str, people: &dyn People) -> Option<String> {
    let (kind, value) = key.split_once(':')?;
    let posts = || ds.iter().flat_map(|d| d.posts.iter());
    match kind {
        "container" => ds.iter().find(|d| d.container == value).map(|d| d.id.clone()),
        "person" => posts()
            .find(|p| {
                p.author.iter().chain(p.mentions.iter()).any(|k| people.canonical(k) == value)
                    && !p.author_name.is_empty()
            })
            .map(|p| p.id.clone()),
        "topic" => {
            posts().find(|p| format!("{} {}", p.title, p.text).to_lowercase().contains(value)).map(|p| p.id.clone())
        }
        "ref" => ds.iter().find(|d| d.own_refs.iter().chain(d.refs.iter()).any(|r| r == value)).map(|d| d.id.clone()),
        _ => None,
    }
}

/// The story's interest score (squashed) and its strongest positive key and label.
fn interest_of(ds: &[&Discussion], input: &RankInput<'_>) -> (f64, Option<(String, String)>) {
    let keys = interest_keys(ds, input.summaries, input.me, input.people);
    let mut total = 0.0;
    let mut best: Option<(f64, String, String)> = None;
    for (k, label) in &keys {
        let w = input.interests.weight(k);
        total += w;
        if w > 0.0 && best.as_ref().is_none_or(|(b, _, _)| w > *b) {
            let label = if k.starts_with("container:") && !label.starts_with('#') && k.starts_with("container:slack:") {
                format!("#{label}")
            } else {
                label.clone()
            };
            best = Some((w, k.clone(), label));
        }
    }
    let squashed = if total >= 0.0 { 2.0 * (1.0 - (-total / 6.0).exp()) } else { (total / 2.0).max(-6.0) };
    (squashed, best.map(|b| (b.1, b.2)))
}

fn join_and(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [a] => a.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Gathers stories whose only strong signal is a question waiting for the user (one
/// discussion, no review, assignment or incident) into one story.
fn gather_questions(ranked: &mut Vec<RankedStory>, input: &RankInput<'_>) {
    let strong = |r: &RankedStory, s: Signal| r.reasons.iter().any(|x| x.signal == s);
    let is_question = |r: &RankedStory| {
        r.discussions.len() == 1
            && strong(r, Signal::AwaitingMyAnswer)
            && !strong(r, Signal::ReviewRequested)
            && !strong(r, Signal::AssignedToMe)
            && !strong(r, Signal::Incident)
            && !strong(r, Signal::Instructions)
            && !strong(r, Signal::Feedback)
    };
    let (qs, mut rest): (Vec<RankedStory>, Vec<RankedStory>) = ranked.drain(..).partition(is_question);
    if qs.len() < 2 {
        rest.extend(qs);
        *ranked = rest;
        return;
    }
    let mut discussions: Vec<String> = qs.iter().flat_map(|q| q.discussions.clone()).collect();
    discussions.sort();
    let mut items: Vec<String> = qs.iter().flat_map(|q| q.items.clone()).collect();
    items.sort();
    items.dedup();
    let mut reasons: Vec<Reason> = Vec::new();
    for q in &qs {
        for r in &q.reasons {
            if matches!(r.signal, Signal::AwaitingMyAnswer | Signal::Deadline) && !reasons.contains(r) {
                reasons.push(r.clone());
            }
        }
    }
    let best = qs.iter().map(|q| q.score).fold(f64::MIN, f64::max);
    let id = story_id(&discussions);
    let vote = input.votes.get(&id).copied().unwrap_or(0);
    let feedback = if vote < 0 {
        -8.0
    } else if vote > 0 {
        3.0
    } else {
        0.0
    };
    rest.push(RankedStory {
        id,
        discussions,
        items,
        score: ((best + 0.5 * (qs.len() - 1) as f64 + feedback) * 1000.0).round() / 1000.0,
        reasons,
        questions: true,
    });
    *ranked = rest;
}
