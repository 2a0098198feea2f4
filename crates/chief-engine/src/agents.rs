//! The brain's agents on the store's change log. Each agent keeps its own durable
//! position in the log (`agent_state`), reads what changed after it, decides what it
//! cares about, and records its new state and position in one write; there is no
//! central router. Queries read what they materialize. The search index and the
//! embedding queue follow the same log on their own threads (`chief_store::Follower`).
//!
//! - **notifier**: on new items (and when a held notification falls due) it replays
//!   the notifier's rules over the window, delivers what is due once per story, and
//!   keeps what is held (quiet hours, the hourly cap, a meeting later today). What
//!   comes due while nobody ran it and is stale by now (a meeting already started, a
//!   question from yesterday) is recorded and never shown: the briefing covers it.
//! - **interests**: when the user's own activity changes, it rebuilds the interest
//!   graph and keeps it; `chief interests` reads it while it is current.

use std::collections::BTreeSet;

use chief_brain::notify::Notification;
use chief_store::Store;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Engine, EngineError};

/// What an agent decided about one change (or about time passing).
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub agent: &'static str,
    /// The changed item it is about, if any.
    pub item: Option<String>,
    pub what: String,
}

/// One round of every agent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AgentRound {
    /// Notifications delivered this round (each story once, ever).
    pub delivered: Vec<Notification>,
    pub decisions: Vec<Decision>,
    /// Each agent's position in the change log after the round.
    pub positions: Vec<(String, i64)>,
}

/// The interests agent's name in `agent_state`.
pub(crate) const INTERESTS: &str = "interests";

/// A notifier recheck happens at least this often with no new changes (a held
/// notification or a meeting's 15-minute mark may fall due; a meeting's mark is not
/// known ahead, so this bounds how late its alert can be).
const RECHECK_MS: i64 = 60_000;

/// Whether a due notification is still worth showing `now`: a meeting's until the
/// meeting starts, anything else for six hours after it was due.
fn fresh(n: &Notification, now: i64) -> bool {
    match n.kind {
        // `at_ms` is the 15-minute mark: after the meeting starts the alert is pointless,
        // however it was held (quiet hours, the hourly cap).
        chief_brain::notify::NotificationKind::MeetingSoon => now < n.at_ms + MEETING_LEAD_MS,
        _ => now - n.send_ms <= 6 * 3_600_000,
    }
}

/// How long before a meeting its alert is due.
const MEETING_LEAD_MS: i64 = 15 * 60_000;

/// Changed item ids after `from`, up to `head`.
fn changed(store: &Store, from: i64, head: i64) -> Result<BTreeSet<String>, EngineError> {
    let mut ids = BTreeSet::new();
    let mut pos = from;
    while pos < head {
        let batch = store.events_since(pos, 10_000)?;
        let Some(last) = batch.last() else { break };
        pos = last.seq;
        ids.extend(batch.into_iter().map(|e| e.item_id));
    }
    Ok(ids)
}

impl Engine {
    /// Runs every agent from its own position in the change log to the head.
    pub fn run_agents(&self) -> Result<AgentRound, EngineError> {
        let store = self.brain_store()?;
        let head = store.max_seq()?;
        let mut round = AgentRound::default();
        self.notifier_agent(&store, head, &mut round)?;
        self.interests_agent(&store, head, &mut round)?;
        Ok(round)
    }

    fn notifier_agent(&self, store: &Store, head: i64, round: &mut AgentRound) -> Result<(), EngineError> {
        const NAME: &str = "notifier";
        let now = self.now().0;
        let (pos, state) = store.agent_state(NAME)?.unwrap_or((0, json!({})));
        let ids = changed(store, pos, head)?;
        let recheck_at = state["recheck_ms"].as_i64().unwrap_or(0);
        if ids.is_empty() && now < recheck_at {
            round.positions.push((NAME.into(), pos));
            return Ok(());
        }
        let all = self.notifications(None)?;
        // What the new items came to.
        for id in ids.iter().take(200) {
            let what = match all.iter().find(|n| &n.item == id || n.sources.contains(id)) {
                Some(n) if n.send_ms > now => {
                    format!(
                        "{} (held until {}): {}",
                        n.kind.as_str(),
                        chief_core::Timestamp(n.send_ms).to_rfc3339(),
                        n.title
                    )
                }
                Some(n) if store.was_notified(&n.story)? => {
                    format!("{} already notified for its story", n.kind.as_str())
                }
                Some(n) => format!("{}: {}", n.kind.as_str(), n.title),
                None => "nothing for you now".into(),
            };
            round.decisions.push(Decision { agent: NAME, item: Some(id.clone()), what });
        }
        let mut next = now + RECHECK_MS;
        for n in &all {
            if n.send_ms > now {
                next = next.min(n.send_ms);
                continue;
            }
            let json = serde_json::to_value(n).map_err(|e| EngineError::internal("encoding a notification", e))?;
            // Its item went out before under another story id (a story's id changes when
            // it grows, say when the PR a chat message asked about syncs): recorded, not
            // shown again.
            let seen_item = store.was_item_notified(&n.item)?;
            if !store.record_notified(&n.story, n.kind.as_str(), &n.item, n.send_ms, &json)? || seen_item {
                continue;
            }
            if !fresh(n, now) {
                // Too late to interrupt for (the app was not running, the laptop slept):
                // recorded, never shown; the briefing covers it.
                round.decisions.push(Decision {
                    agent: NAME,
                    item: Some(n.item.clone()),
                    what: format!(
                        "{} expired unsent (due {})",
                        n.kind.as_str(),
                        chief_core::Timestamp(n.send_ms).to_rfc3339()
                    ),
                });
                continue;
            }
            tracing::info!(kind = n.kind.as_str(), story = %n.story, item = %n.item, "notify");
            round.decisions.push(Decision {
                agent: NAME,
                item: Some(n.item.clone()),
                what: format!("delivered {}: {}", n.kind.as_str(), n.title),
            });
            round.delivered.push(n.clone());
        }
        let held = all.iter().filter(|n| n.send_ms > now).count();
        store.set_agent_state(NAME, head, &json!({"recheck_ms": next, "held": held}))?;
        round.positions.push((NAME.into(), head));
        Ok(())
    }

    fn interests_agent(&self, store: &Store, head: i64, round: &mut AgentRound) -> Result<(), EngineError> {
        const NAME: &str = INTERESTS;
        let (pos, state) = store.agent_state(NAME)?.unwrap_or((0, json!({})));
        let ids = changed(store, pos, head)?;
        let today = self.now().0 / 86_400_000;
        let feedback = store.feedback_count()?;
        if ids.is_empty() && state["day"].as_i64() == Some(today) && state["feedback"].as_u64() == Some(feedback) {
            round.positions.push((NAME.into(), pos));
            return Ok(());
        }
        let graph = self.compute_interests()?;
        // The three strongest, by label.
        let top = |g: &Value| -> Vec<String> {
            let mut all: Vec<(f64, String)> = g["interests"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| Some((i["weight"].as_f64()?, i["label"].as_str()?.to_string())))
                .collect();
            all.sort_by(|a, b| b.0.total_cmp(&a.0));
            all.into_iter().take(3).map(|(_, l)| l).collect()
        };
        let view = serde_json::to_value(&graph).map_err(|e| EngineError::internal("encoding interests", e))?;
        let (before, after) = (top(&state["graph"]), top(&view));
        let what = if before == after {
            format!("{} changes; the top interests stay {}", ids.len(), after.join(", "))
        } else {
            format!("{} changes; top interests now {}", ids.len(), after.join(", "))
        };
        round.decisions.push(Decision { agent: NAME, item: None, what });
        store.set_agent_state(NAME, head, &json!({"day": today, "feedback": feedback, "graph": view}))?;
        round.positions.push((NAME.into(), head));
        Ok(())
    }
}
