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
//! - **extract**: on each changed item it derives the item's propositions (rules for
//!   structured items; the model for messages when `[brain] mode = "llm"`) and stores
//!   them with a change-log entry, so the index and the embedding queue take them in.
//!   It runs after the notifier, whose alerts must not wait for a model.
//! - **summaries**: on changed items it summarizes the discussions they belong to into
//!   the briefing's cache, so the morning's briefing finds them made.

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

/// Changed item ids after `from`, up to `head`: new content only, not the
/// propositions the extract agent derived (its own `derived` entries).
fn changed(store: &Store, from: i64, head: i64) -> Result<BTreeSet<String>, EngineError> {
    let mut ids = BTreeSet::new();
    let mut pos = from;
    while pos < head {
        let batch = store.events_since(pos, 10_000)?;
        let Some(last) = batch.last() else { break };
        pos = last.seq;
        ids.extend(batch.into_iter().filter(|e| e.change != chief_store::Change::Derived).map(|e| e.item_id));
    }
    Ok(ids)
}

/// Whether nothing but derived data changed after `pos`.
pub(crate) fn no_new_content(store: &Store, pos: i64) -> Result<bool, EngineError> {
    Ok(changed(store, pos, store.max_seq()?)?.is_empty())
}

impl Engine {
    /// Runs every agent from its own position in the change log to the head.
    /// `env` is where LLM keys are looked up first (`CHIEF_LLM_API_KEY`).
    pub fn run_agents(&self, env: &[(String, String)]) -> Result<AgentRound, EngineError> {
        let mut round = AgentRound::default();
        let store = self.brain_store()?;
        // The interests first (the notifier ranks with them, and they need no model), then
        // the notifier: a meeting's alert must not wait for the model's propositions.
        let head = store.max_seq()?;
        self.interests_agent(&store, head, &mut round)?;
        self.notifier_agent(&store, head, &mut round)?;
        self.extract_agent(env, &mut round)?;
        self.summaries_agent(&store, store.max_seq()?, &mut round)?;
        Ok(round)
    }

    fn summaries_agent(&self, store: &Store, head: i64, round: &mut AgentRound) -> Result<(), EngineError> {
        const NAME: &str = "summaries";
        let (pos, _) = store.agent_state(NAME)?.unwrap_or((0, json!({})));
        let ids = changed(store, pos, head)?;
        if !ids.is_empty() {
            let w = chief_brain::briefing::warm_summaries(store, self.now(), &ids)?;
            if w.computed > 0 {
                round.decisions.push(Decision {
                    agent: NAME,
                    item: None,
                    what: format!("{} discussions changed; {} summaries made ahead", w.touched, w.computed),
                });
            }
            store.set_agent_state(NAME, head, &json!({"touched": w.touched, "computed": w.computed}))?;
        }
        round.positions.push((NAME.into(), if ids.is_empty() { pos } else { head }));
        Ok(())
    }

    /// Brings every changed item's propositions up to date (the extract agent alone):
    /// what `chief demo`, `sync` and `import` run before they report, so search has them.
    pub fn extract_propositions(&self, env: &[(String, String)]) -> Result<AgentRound, EngineError> {
        let mut round = AgentRound::default();
        self.extract_agent(env, &mut round)?;
        Ok(round)
    }

    fn extract_agent(&self, env: &[(String, String)], round: &mut AgentRound) -> Result<(), EngineError> {
        const NAME: &str = "extract";
        const BATCH: usize = 2_000;
        let cfg = self.config();
        let mut store = self.brain_store()?;
        let (mut pos, state) = store.agent_state(NAME)?.unwrap_or((0, json!({})));
        if !cfg.brain.propositions {
            // Turned off: what was derived leaves search once (and everything is derived
            // again from the start if they are turned back on).
            if state["cleared"] != json!(true) {
                let ids = store.items_with_propositions()?;
                let w = store.writer()?;
                for id in &ids {
                    if let Ok(id) = chief_core::ItemId::parse(id) {
                        w.set_propositions(&id, &[])?;
                    }
                }
                w.set_agent_state(NAME, 0, &json!({"cleared": true}))?;
                w.commit()?;
                round.decisions.push(Decision {
                    agent: NAME,
                    item: None,
                    what: format!("propositions are off: removed those of {} items", ids.len()),
                });
                pos = 0;
            }
            round.positions.push((NAME.into(), pos));
            return Ok(());
        }
        // Only with `mode = "llm"` and a budget; a model that cannot be reached leaves the rules.
        let (mut llm, label) = match self.brain_llm(false, env) {
            Ok(Some(_)) if cfg.brain.propositions_llm_per_round == 0 => (None, None),
            Ok(Some((l, label))) => (Some(l), Some(label)),
            Ok(None) => (None, None),
            Err(e) => {
                round.decisions.push(Decision { agent: NAME, item: None, what: format!("rules only: {e}") });
                (None, None)
            }
        };
        // After a failed call this round, messages keep the model's facts they have.
        let mut llm_failed = false;
        // A model configured since the last rounds (or another one) reads what is already
        // stored too, a budget's worth per round; the rules re-run unchanged.
        if label.is_some() && state["llm"].as_str() != label.as_deref() {
            pos = 0;
        }
        let mut llm_budget = if llm.is_some() { cfg.brain.propositions_llm_per_round } else { 0 };
        let mut totals = [0usize; 3]; // items seen, items changed, propositions written
        loop {
            let events = store.events_since(pos, BATCH)?;
            let Some(last) = events.last().map(|e| e.seq) else { break };
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let mut plan: Vec<(chief_core::ItemId, Vec<(String, String)>)> = Vec::with_capacity(events.len());
            // Where this batch stops early: the model's budget for the round is spent and
            // the next item wants it, so that item and the rest wait for the next round.
            let mut stop_at: Option<i64> = None;
            'events: for e in &events {
                // Its own entries: the propositions it wrote.
                if e.change == chief_store::Change::Derived || !seen.insert(e.item_id.clone()) {
                    continue;
                }
                let Some(it) = store.item(&e.item_id)? else { continue };
                // An issue or PR and its reviews: their verdicts name its title.
                let mut todo = vec![it];
                let root = &todo[0].item;
                if root.source == chief_core::Source::Github && root.parent.is_none() {
                    let reviews: Vec<_> = store
                        .thread(root.id.as_str())?
                        .into_iter()
                        .filter(|c| c.item.kind == chief_core::ItemKind::Review)
                        .collect();
                    todo.extend(reviews.into_iter().filter(|c| seen.insert(c.item.id.as_str().to_string())));
                }
                for it in todo {
                    let parent = match &it.item.parent {
                        Some(p) if it.item.kind == chief_core::ItemKind::Review => store.item(p.as_str())?,
                        _ => None,
                    };
                    let name = |key: &str| store.display_name(key).ok().flatten();
                    let mut props = chief_brain::extract::by_rules(&it, parent.as_ref(), &name);
                    let wants = chief_brain::extract::wants_llm(&it);
                    if let Some(l) = llm.as_ref().filter(|_| wants) {
                        if llm_budget == 0 {
                            stop_at = Some(e.seq - 1);
                            break 'events;
                        }
                        let mut tally = chief_brain::llm::Tally::default();
                        let answer = chief_brain::extract::by_llm(l, &it, &mut tally);
                        // Only network calls spend the budget: an answer from the cache (an
                        // item read again after this agent's own write) is free.
                        llm_budget = llm_budget.saturating_sub(usize::try_from(tally.calls).unwrap_or(0));
                        match answer {
                            Ok(more) => props.extend(more),
                            Err(err) => {
                                round.decisions.push(Decision {
                                    agent: NAME,
                                    item: Some(it.item.id.as_str().to_string()),
                                    what: format!(
                                        "the model's propositions failed ({err}); rules only this round, earlier model facts kept"
                                    ),
                                });
                                llm = None;
                                llm_failed = true;
                            }
                        }
                    }
                    if llm_failed && wants {
                        props.extend(
                            store
                                .propositions(it.item.id.as_str())?
                                .into_iter()
                                .filter(|(_, by)| by == "llm")
                                .map(|(text, by)| chief_brain::extract::Proposition { text, by }),
                        );
                    }
                    props.truncate(chief_brain::extract::MAX_PER_ITEM);
                    totals[0] += 1;
                    plan.push((it.item.id.clone(), props.into_iter().map(|p| (p.text, p.by)).collect()));
                }
            }
            let w = store.writer()?;
            // Nothing else wrote since this batch was read: the entries this write adds
            // are the agent's own, and it moves past them instead of reading them again.
            let alone = stop_at.is_none() && w.max_seq()? == last;
            for (id, props) in &plan {
                if w.set_propositions(id, props)? {
                    totals[1] += 1;
                    totals[2] += props.len();
                    if let Some(p) = props.first() {
                        round.decisions.push(Decision {
                            agent: NAME,
                            item: Some(id.as_str().to_string()),
                            what: format!("{} propositions, e.g. {:?}", props.len(), p.0),
                        });
                    }
                }
            }
            pos = match stop_at {
                Some(p) => p,
                None if alone => w.max_seq()?,
                None => last,
            };
            let llm_label = label.as_deref().or(state["llm"].as_str());
            w.set_agent_state(
                NAME,
                pos,
                &json!({"items": totals[0], "changed": totals[1], "written": totals[2], "llm": llm_label}),
            )?;
            w.commit()?;
            if stop_at.is_some() {
                round.decisions.push(Decision {
                    agent: NAME,
                    item: None,
                    what: "the model's budget for this round is spent; the rest waits for the next round".into(),
                });
                break;
            }
        }
        round.positions.push((NAME.into(), pos));
        Ok(())
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
