//! The interest graph: weights for people, containers, topics and identifiers, from the
//! user's own activity (authored, replied, reacted, reviewed, assigned, mentioned,
//! attended), each decaying exponentially with its age, plus explicit feedback on
//! briefing stories. Every weight keeps its evidence so `chief interests` can say why.

use std::collections::BTreeMap;

use chief_core::{ItemKind, RefKind, Source};
use chief_store::{FeedbackRecord, StoredItem};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Me;
use crate::text::content_words;

/// Evidence kept per interest (the strongest).
const EVIDENCE_KEPT: usize = 5;

/// What an interest is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestKind {
    Person,
    Container,
    Topic,
    Identifier,
}

/// Why an interest has weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// authored | replied | reacted | reviewed | assigned | mentioned | attended | review_requested | feedback
    pub what: String,
    /// The item (or the rated story).
    pub item: String,
    pub at_ms: i64,
    pub weight: f64,
}

/// One weighted interest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interest {
    /// `person:<identity key>`, `container:<id>`, `topic:<word>`, `ref:<term>`.
    pub key: String,
    pub kind: InterestKind,
    pub label: String,
    pub weight: f64,
    pub evidence: Vec<Evidence>,
}

/// The user's interests, strongest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InterestGraph {
    pub half_life_days: f64,
    pub interests: Vec<Interest>,
}

impl InterestGraph {
    /// The weight of a key (0 when unknown).
    pub fn weight(&self, key: &str) -> f64 {
        self.interests.binary_search_by(|i| i.key.as_str().cmp(key)).map(|i| self.interests[i].weight).unwrap_or(0.0)
    }

    /// The strongest interests (positive first), at most `n`.
    pub fn top(&self, n: usize) -> Vec<&Interest> {
        let mut v: Vec<&Interest> = self.interests.iter().collect();
        v.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()).then(a.key.cmp(&b.key)));
        v.truncate(n);
        v
    }
}

/// Maps identity keys to one key per person (a person's Slack and GitHub identities
/// are one interest) and to display names.
pub trait People {
    fn canonical(&self, identity_key: &str) -> String;
    fn name(&self, identity_key: &str) -> Option<String>;
}

/// Identity keys are taken as they are.
pub struct NoPeople;

impl People for NoPeople {
    fn canonical(&self, identity_key: &str) -> String {
        identity_key.to_string()
    }
    fn name(&self, _: &str) -> Option<String> {
        None
    }
}

#[derive(Default)]
struct Acc {
    map: BTreeMap<String, Interest>,
}

impl Acc {
    fn add(&mut self, key: String, kind: InterestKind, label: &str, ev: Evidence) {
        let e = self.map.entry(key.clone()).or_insert_with(|| Interest {
            key,
            kind,
            label: label.to_string(),
            weight: 0.0,
            evidence: Vec::new(),
        });
        e.weight += ev.weight;
        e.evidence.push(ev);
    }
}

/// The person-interest key of an identity.
pub fn person_key(people: &dyn People, identity_key: &str) -> String {
    format!("person:{}", people.canonical(identity_key))
}

/// What the graph is built from as of `now`: the user's activity over five half-lives
/// and the feedback given by then (a home replayed as of an earlier day ignores
/// feedback given after it).
pub fn inputs(
    store: &chief_store::Store,
    me: &crate::Me,
    now: chief_core::Timestamp,
    half_life_days: f64,
) -> Result<(Vec<StoredItem>, Vec<FeedbackRecord>), crate::BrainError> {
    let since = chief_core::Timestamp(now.0 - (half_life_days.max(1.0) * 5.0 * 86_400_000.0) as i64);
    let ids: Vec<String> = me.identities.iter().cloned().collect();
    let activity = store.items_involving(&ids, since, 50_000)?;
    let feedback = store.feedback()?.into_iter().filter(|f| f.at_ms <= now.0).collect();
    Ok((activity, feedback))
}

/// Builds the graph from the user's activity items and feedback, as of `now_ms`.
pub fn build(
    me: &Me,
    activity: &[StoredItem],
    feedback: &[FeedbackRecord],
    people: &dyn People,
    now_ms: i64,
    half_life_days: f64,
) -> InterestGraph {
    let half_life_days = if half_life_days > 0.0 { half_life_days } else { 14.0 };
    let decay = |at_ms: i64| -> f64 {
        let age_days = ((now_ms - at_ms) as f64 / 86_400_000.0).max(0.0);
        0.5f64.powf(age_days / half_life_days)
    };
    let mine: Vec<String> = me.identities.iter().map(|k| people.canonical(k)).collect();
    let is_me = |key: &str| me.is(key) || mine.contains(&people.canonical(key));
    let mut acc = Acc::default();
    for s in activity {
        let it = &s.item;
        if it.created.0 > now_ms {
            continue;
        }
        let d = decay(it.created.0);
        let id = it.id.as_str();
        let add = |acc: &mut Acc, key: String, kind: InterestKind, label: &str, what: &str, w: f64| {
            acc.add(
                key,
                kind,
                label,
                Evidence { what: what.into(), item: id.into(), at_ms: it.created.0, weight: w * d },
            );
        };
        let author = it.author.as_ref().map(|a| a.key());
        let label_of = |k: &str| people.name(k).unwrap_or_else(|| k.to_string());
        if it.kind == ItemKind::Event {
            // A meeting: its people and what it is about. Not its container: every
            // meeting sits in the user's own calendar, which says nothing.
            let refs = it.references.iter().filter(|r| matches!(r.kind, RefKind::Ticket | RefKind::PullRequest));
            for r in refs {
                add(&mut acc, format!("ref:{}", r.term()), InterestKind::Identifier, &r.value, "attended", 0.5);
            }
            for p in it.participants.iter().map(|p| p.key()).chain(author.clone()) {
                if !is_me(&p) {
                    add(&mut acc, person_key(people, &p), InterestKind::Person, &label_of(&p), "attended", 0.2);
                }
            }
            for w in content_words(&it.title).into_iter().take(3) {
                add(&mut acc, format!("topic:{w}"), InterestKind::Topic, &w, "attended", 0.2);
            }
            continue;
        }
        let by_me = author.as_deref().is_some_and(is_me);
        let container = format!("container:{}", it.container.as_str());
        let refs: Vec<String> = it
            .references
            .iter()
            .filter(|r| matches!(r.kind, RefKind::Ticket | RefKind::PullRequest))
            .map(|r| format!("ref:{}", r.term()))
            .collect();
        let mentioned: Vec<String> =
            it.references.iter().filter(|r| r.kind == RefKind::Person).map(|r| r.value.clone()).collect();
        if by_me {
            let what = match (it.kind, it.parent.is_some()) {
                (ItemKind::Review, _) => "reviewed",
                (_, true) => "replied",
                _ => "authored",
            };
            add(&mut acc, container.clone(), InterestKind::Container, &s.container_name, what, 1.0);
            for r in &refs {
                add(&mut acc, r.clone(), InterestKind::Identifier, &r[4..], what, 1.0);
            }
            for p in mentioned.iter().chain(it.participants.iter().map(|p| p.key()).collect::<Vec<_>>().iter()) {
                if !is_me(p) {
                    add(&mut acc, person_key(people, p), InterestKind::Person, &label_of(p), what, 0.7);
                }
            }
            for w in content_words(&format!("{} {}", it.title, it.body)).into_iter().take(4) {
                add(&mut acc, format!("topic:{w}"), InterestKind::Topic, &w, what, 0.3);
            }
            continue;
        }
        let reacted = it
            .extra
            .get("reactions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|r| r.get("users").and_then(Value::as_array).into_iter().flatten())
            .filter_map(Value::as_str)
            .any(|u| is_me(&format!("slack:{u}")));
        if reacted {
            if let Some(a) = &author {
                add(&mut acc, person_key(people, a), InterestKind::Person, &label_of(a), "reacted", 0.5);
            }
            add(&mut acc, container.clone(), InterestKind::Container, &s.container_name, "reacted", 0.3);
        }
        if mentioned.iter().any(|m| is_me(m)) {
            if let Some(a) = &author {
                add(&mut acc, person_key(people, a), InterestKind::Person, &label_of(a), "mentioned", 0.7);
            }
            add(&mut acc, container.clone(), InterestKind::Container, &s.container_name, "mentioned", 0.3);
            for r in &refs {
                add(&mut acc, r.clone(), InterestKind::Identifier, &r[4..], "mentioned", 0.5);
            }
        }
        let involved = it.participants.iter().any(|p| is_me(&p.key()));
        if involved {
            let what = match (it.source, it.kind) {
                (Source::Github, ItemKind::PullRequest) => "review_requested",
                _ => "assigned",
            };
            let w_people = 0.5;
            add(&mut acc, container.clone(), InterestKind::Container, &s.container_name, what, 1.0);
            for r in refs.iter().chain(own_ref(s).iter()) {
                add(&mut acc, r.clone(), InterestKind::Identifier, &r[4..], what, 1.0);
            }
            for p in it.participants.iter().map(|p| p.key()).chain(author.clone()) {
                if !is_me(&p) {
                    add(&mut acc, person_key(people, &p), InterestKind::Person, &label_of(&p), what, w_people);
                }
            }
        }
    }
    for f in feedback {
        let d = decay(f.at_ms);
        let w = f64::from(f.vote) * 1.5;
        for key in f.evidence.get("interests").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
        {
            let kind = match key.split(':').next() {
                Some("person") => InterestKind::Person,
                Some("container") => InterestKind::Container,
                Some("topic") => InterestKind::Topic,
                _ => InterestKind::Identifier,
            };
            let label = key.split_once(':').map_or(key, |(_, v)| v);
            acc.add(
                key.to_string(),
                kind,
                label,
                Evidence { what: "feedback".into(), item: f.story_id.clone(), at_ms: f.at_ms, weight: w * d },
            );
        }
    }
    let mut interests: Vec<Interest> = acc
        .map
        .into_values()
        .map(|mut i| {
            i.evidence.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
            i.evidence.truncate(EVIDENCE_KEPT);
            i.weight = (i.weight * 1000.0).round() / 1000.0;
            i
        })
        .filter(|i| i.weight.abs() >= 0.001)
        .collect();
    interests.sort_by(|a, b| a.key.cmp(&b.key));
    InterestGraph { half_life_days, interests }
}

/// The identifiers an item is (its ticket key, its PR ref), as interest keys.
fn own_ref(s: &StoredItem) -> Vec<String> {
    crate::discussion::own_terms(s).into_iter().filter(|t| !t.starts_with("url:")).map(|t| format!("ref:{t}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discussion::tests_support::msg;

    #[test]
    fn activity_builds_decaying_weights() {
        let me = Me { name: "Ann Lee".into(), identities: ["slack:U1".to_string()].into() };
        let mut mine = msg("slack:C1:1", "slack:C1", 0, None, "working on OPS-7 with <@U2>");
        mine.item.references.push(chief_core::Reference::new(RefKind::Person, "slack:U2"));
        let mut old = msg("slack:C9:1", "slack:C9", 0, None, "old note");
        old.item.created = chief_core::Timestamp(-60 * 86_400_000);
        let g = build(&me, &[mine, old], &[], &NoPeople, 0, 14.0);
        assert!(g.weight("container:slack:C1") > 0.99);
        assert!(g.weight("ref:ticket:ops-7") > 0.99);
        assert!(g.weight("person:slack:U2") > 0.6);
        let stale = g.weight("container:slack:C9");
        assert!(stale > 0.0 && stale < 0.1, "60 days at a 14-day half-life: {stale}");
        assert_eq!(g.top(1)[0].evidence[0].what, "authored");
    }

    #[test]
    fn feedback_moves_weights_both_ways() {
        let me = Me { name: "Ann".into(), identities: ["slack:U1".to_string()].into() };
        let fb = |vote: i8| FeedbackRecord {
            id: 1,
            story_id: "s-1".into(),
            vote,
            reason: String::new(),
            at_ms: 0,
            evidence: serde_json::json!({"interests": ["container:slack:C5", "topic:palette"]}),
        };
        let up = build(&me, &[], &[fb(1)], &NoPeople, 0, 14.0);
        let down = build(&me, &[], &[fb(-1)], &NoPeople, 0, 14.0);
        assert!(up.weight("container:slack:C5") > 1.0);
        assert!(down.weight("topic:palette") < -1.0);
    }
}
