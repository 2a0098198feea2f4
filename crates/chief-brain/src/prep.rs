//! Meeting prep: who is coming (their role, when you last talked), what is open between
//! you and them (questions unanswered either way, reviews pending, tickets assigned
//! among you), and what the meeting is about — each line cited. Built from stored items
//! the engine gathers; no LLM.

use std::collections::BTreeSet;

use chief_store::StoredItem;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Me;
use crate::discussion::{is_direct, str_list};
use crate::rank::when;
use crate::text::{clip, is_request};

/// Someone coming to the meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attendee {
    pub name: String,
    pub title: String,
    /// Their identity keys.
    pub identities: Vec<String>,
    /// The newest exchange between you (an item one of you wrote to the other).
    pub last_talked: Option<String>,
    pub last_item: Option<String>,
}

/// Something open between you and an attendee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenItem {
    /// question_to_you | question_from_you | review_pending | ticket
    pub kind: String,
    pub with: String,
    pub text: String,
    pub sources: Vec<String>,
}

/// A related thread, ticket or PR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Related {
    pub id: String,
    pub title: String,
    pub source: String,
}

/// The prep card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prep {
    pub event: String,
    pub title: String,
    pub starts: String,
    pub attendees: Vec<Attendee>,
    pub open_items: Vec<OpenItem>,
    pub related: Vec<Related>,
}

/// An attendee as the engine resolved them, with the items that involve them.
pub struct AttendeeInput {
    pub name: String,
    pub title: String,
    pub identities: Vec<String>,
    /// Items involving the attendee (authored, mentioned, participant), newest first.
    pub items: Vec<StoredItem>,
}

fn involves(it: &StoredItem, keys: &dyn Fn(&str) -> bool) -> bool {
    it.item.references.iter().any(|r| keys(&r.value)) || it.item.participants.iter().any(|p| keys(&p.key()))
}

/// Builds the card. `replies` answers "did X answer in this thread after T" (thread root
/// → its items), `related` is what a search for the meeting's title found.
pub fn prep(
    event: &StoredItem,
    me: &Me,
    attendees: &[AttendeeInput],
    thread_of: &dyn Fn(&str) -> Vec<StoredItem>,
    related: Vec<Related>,
    now_ms: i64,
) -> Prep {
    let start = event
        .item
        .extra
        .get("start")
        .and_then(Value::as_str)
        .and_then(|s| chief_core::Timestamp::parse_rfc3339(s).ok());
    let mut out = Prep {
        event: event.item.id.as_str().to_string(),
        title: event.item.title.clone(),
        starts: start.map(|t| when(t.0)).unwrap_or_default(),
        attendees: Vec::new(),
        open_items: Vec::new(),
        related,
    };
    for a in attendees {
        let theirs = |k: &str| a.identities.iter().any(|i| i == k);
        let mut last: Option<&StoredItem> = None;
        for it in a.items.iter().filter(|s| s.item.created.0 <= now_ms && s.item.kind != chief_core::ItemKind::Event) {
            let author = it.item.author.as_ref().map(|x| x.key()).unwrap_or_default();
            let from_them_to_me =
                theirs(&author) && (involves(it, &|k| me.is(k)) || is_direct(it.item.container.as_str()));
            let from_me_to_them = me.is(&author) && involves(it, &theirs);
            if (from_them_to_me || from_me_to_them) && last.is_none_or(|l| it.item.created.0 > l.item.created.0) {
                last = Some(it);
            }
            // Questions either way, not answered in their thread afterwards.
            if (from_them_to_me || from_me_to_them)
                && is_request(&it.item.body)
                && it.item.kind == chief_core::ItemKind::Message
            {
                let root = it
                    .item
                    .parent
                    .as_ref()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| it.item.id.as_str().to_string());
                let answerer: &dyn Fn(&str) -> bool = if from_them_to_me { &|k| me.is(k) } else { &theirs };
                let answered = thread_of(&root).iter().any(|r| {
                    r.item.created.0 > it.item.created.0 && r.item.author.as_ref().is_some_and(|x| answerer(&x.key()))
                });
                if !answered {
                    let (kind, text) = if from_them_to_me {
                        ("question_to_you", format!("{} asked you: \"{}\"", a.name, clip(&it.item.body, 140)))
                    } else {
                        ("question_from_you", format!("You asked {}: \"{}\"", a.name, clip(&it.item.body, 140)))
                    };
                    out.open_items.push(OpenItem {
                        kind: kind.into(),
                        with: a.name.clone(),
                        text: crate::generate::to_second_person(&text, me),
                        sources: vec![it.item.id.as_str().to_string()],
                    });
                }
            }
            // Reviews pending either way, and open tickets between you.
            let open = it.item.extra.get("state").and_then(Value::as_str) != Some("closed");
            if it.item.kind == chief_core::ItemKind::PullRequest && open {
                let reviewers: Vec<String> =
                    str_list(&it.item.extra, "requested_reviewers").iter().map(|l| format!("github:{l}")).collect();
                let (mine, me_asked) = (
                    reviewers.iter().any(|r| me.is(r)) && theirs(&author),
                    me.is(&author) && reviewers.iter().any(|r| theirs(r)),
                );
                if mine || me_asked {
                    let text = if mine {
                        format!("{} is waiting for your review: {}", a.name, clip(&it.item.title, 100))
                    } else {
                        format!("Your PR waits for {}'s review: {}", a.name, clip(&it.item.title, 100))
                    };
                    out.open_items.push(OpenItem {
                        kind: "review_pending".into(),
                        with: a.name.clone(),
                        text,
                        sources: vec![it.item.id.as_str().to_string()],
                    });
                }
            }
            if it.item.kind == chief_core::ItemKind::Issue && it.item.source == chief_core::Source::Jira {
                let status = it.item.extra.get("status").and_then(Value::as_str).unwrap_or("").to_lowercase();
                let done = matches!(status.as_str(), "done" | "closed" | "resolved");
                let assignee = it.item.extra.get("assignee_id").and_then(Value::as_str).unwrap_or("");
                let between = (me.is(assignee) && theirs(&author)) || (theirs(assignee) && me.is(&author));
                if !done && between {
                    out.open_items.push(OpenItem {
                        kind: "ticket".into(),
                        with: a.name.clone(),
                        text: format!(
                            "{} ({})",
                            clip(&it.item.title, 110),
                            it.item.extra.get("status").and_then(Value::as_str).unwrap_or("open")
                        ),
                        sources: vec![it.item.id.as_str().to_string()],
                    });
                }
            }
        }
        out.attendees.push(Attendee {
            name: a.name.clone(),
            title: a.title.clone(),
            identities: a.identities.clone(),
            last_talked: last.map(|l| chief_core::Timestamp(l.item.created.0).to_rfc3339()),
            last_item: last.map(|l| l.item.id.as_str().to_string()),
        });
    }
    let mut seen = BTreeSet::new();
    out.open_items.retain(|o| seen.insert((o.kind.clone(), o.sources.clone())));
    out
}
