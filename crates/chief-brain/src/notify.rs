//! The notifier's decisions: which new items deserve the user's attention *now*. A
//! question addressed to you that you have not answered; a review requested from you; a
//! high-priority ticket assigned to you; an incident in a place you care about (or that
//! names you); a meeting of yours in 15 minutes. One notification per story;
//! nothing from bot chatter alone; what you already handled is not sent; quiet hours
//! hold notifications until they end; at most `per_hour` go out in any hour (the rest
//! wait for the next free slot).
//!
//! The decisions are replayed over a window of discussions in time order, so the same
//! code answers "what would have been sent yesterday" (`chief notifications`) and, fed
//! each new item as it syncs, "what to send now".

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::Me;
use crate::consolidate::Story;
use crate::discussion::{Discussion, DiscussionKind, Post, is_direct};
use crate::interests::InterestGraph;
use crate::rank::when;
use crate::text::{clip, incident_strength, is_request, looks_like_instructions};

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    QuestionToMe,
    ReviewRequested,
    AssignedToMe,
    Incident,
    MeetingSoon,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 5] = [
        NotificationKind::QuestionToMe,
        NotificationKind::ReviewRequested,
        NotificationKind::AssignedToMe,
        NotificationKind::Incident,
        NotificationKind::MeetingSoon,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::QuestionToMe => "question_to_me",
            NotificationKind::ReviewRequested => "review_requested",
            NotificationKind::AssignedToMe => "assigned_to_me",
            NotificationKind::Incident => "incident",
            NotificationKind::MeetingSoon => "meeting_soon",
        }
    }
}

/// One notification, sent or held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: NotificationKind,
    /// The story it belongs to (one notification per story).
    pub story: String,
    /// The item that triggered it (a click opens the popup on it).
    pub item: String,
    /// When the item arrived, and when the notification goes out (later in quiet hours
    /// or past the hourly cap).
    pub at_ms: i64,
    pub send_ms: i64,
    pub title: String,
    /// One line, in the second person.
    pub line: String,
    pub sources: Vec<String>,
    /// Why it was held, if it was.
    pub held: Option<String>,
}

/// Quiet hours and the cap.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyRules {
    /// Minutes after midnight UTC; quiet when `start > end` spans midnight.
    pub quiet_start_min: u32,
    pub quiet_end_min: u32,
    pub per_hour: usize,
    /// Meetings are announced this many minutes before they start.
    pub meeting_lead_min: i64,
    /// How much interest a container needs for its incidents to be yours.
    pub incident_interest: f64,
    /// The kinds that notify (empty: every kind).
    #[serde(default)]
    pub kinds: Vec<NotificationKind>,
}

impl Default for NotifyRules {
    fn default() -> Self {
        NotifyRules {
            quiet_start_min: 22 * 60,
            quiet_end_min: 8 * 60,
            per_hour: 4,
            meeting_lead_min: 15,
            incident_interest: 0.5,
            kinds: Vec::new(),
        }
    }
}

impl NotifyRules {
    /// The first instant at or after `t` outside quiet hours.
    fn after_quiet(&self, t: i64) -> i64 {
        let day = 86_400_000;
        let minute = (t.rem_euclid(day) / 60_000) as u32;
        let (s, e) = (self.quiet_start_min, self.quiet_end_min);
        let quiet = if s > e { minute >= s || minute < e } else { minute >= s && minute < e };
        if !quiet {
            return t;
        }
        let start_of_day = t - t.rem_euclid(day);
        let end_today = start_of_day + i64::from(e) * 60_000;
        if end_today > t { end_today } else { end_today + day }
    }
}

struct Candidate {
    kind: NotificationKind,
    story: String,
    post: String,
    at_ms: i64,
    title: String,
    line: String,
    sources: Vec<String>,
}

fn answered_later(d: &Discussion, i: usize, me: &Me, by: i64) -> bool {
    d.posts[i + 1..].iter().any(|q| me.is_opt(q.author.as_deref()) && q.at_ms <= by)
}

fn label(d: &Discussion) -> String {
    clip(&crate::rank::own_label(d), 60)
}

/// Decides the notifications for the discussions' new posts up to `now_ms`.
pub fn decide(
    discussions: &[Discussion],
    stories: &[Story],
    me: &Me,
    interests: &InterestGraph,
    rules: &NotifyRules,
    now_ms: i64,
) -> Vec<Notification> {
    let story_of: BTreeMap<&str, &str> =
        stories.iter().flat_map(|s| s.discussions.iter().map(move |d| (d.as_str(), s.id.as_str()))).collect();
    let mut cands: Vec<Candidate> = Vec::new();
    for d in discussions {
        let story = story_of.get(d.id.as_str()).copied().unwrap_or(d.id.as_str()).to_string();
        if d.posts.iter().any(|p| looks_like_instructions(&p.text)) {
            continue;
        }
        let humans: Vec<(usize, &Post)> =
            d.posts.iter().enumerate().filter(|(_, p)| p.in_window && !p.is_bot && p.at_ms <= now_ms).collect();
        // A question to me: a request mentioning me or in a DM, not answered within a minute.
        for (i, p) in &humans {
            if me.is_opt(p.author.as_deref()) {
                continue;
            }
            let to_me = p.mentions.iter().any(|m| me.is(m)) || is_direct(&d.container);
            if to_me && is_request(&p.text) && !answered_later(d, *i, me, p.at_ms + 60_000) {
                cands.push(Candidate {
                    kind: NotificationKind::QuestionToMe,
                    story: story.clone(),
                    post: p.id.clone(),
                    at_ms: p.at_ms + 60_000,
                    title: format!("{} asked you", p.author_name),
                    line: clip(&crate::generate::to_second_person(&p.text, me), 120),
                    sources: vec![p.id.clone()],
                });
            }
        }
        let open = d.details.open.unwrap_or(true);
        if d.kind == DiscussionKind::PullRequest && open && d.details.requested_reviewers.iter().any(|r| me.is(r)) {
            let root = &d.posts[0];
            // Handled: I already reviewed or commented by then.
            let handled = d.posts.iter().any(|q| me.is_opt(q.author.as_deref()) && q.at_ms <= root.at_ms);
            if root.in_window && root.at_ms <= now_ms && !handled {
                cands.push(Candidate {
                    kind: NotificationKind::ReviewRequested,
                    story: story.clone(),
                    post: root.id.clone(),
                    at_ms: root.at_ms,
                    title: format!("Review requested: {}", label(d)),
                    line: format!("{} asks for your review: {}", root.author_name, clip(&root.title, 90)),
                    sources: vec![root.id.clone()],
                });
            }
        }
        let priority = d.details.priority.as_deref().unwrap_or("").to_lowercase();
        let high = matches!(priority.as_str(), "highest" | "critical" | "blocker" | "p0" | "p1" | "urgent" | "high");
        if d.kind == DiscussionKind::Ticket && open && high && d.details.assignees.iter().any(|a| me.is(a)) {
            let root = &d.posts[0];
            if root.in_window && root.at_ms <= now_ms {
                cands.push(Candidate {
                    kind: NotificationKind::AssignedToMe,
                    story: story.clone(),
                    post: root.id.clone(),
                    at_ms: root.at_ms,
                    title: format!("{} is assigned to you", label(d)),
                    line: format!(
                        "Priority {}: {}",
                        d.details.priority.clone().unwrap_or_default(),
                        clip(&root.title, 90)
                    ),
                    sources: vec![root.id.clone()],
                });
            }
        }
        // An incident where I am (interest) or that names me, once a human speaks.
        let mine = interests.weight(&format!("container:{}", d.container)) >= rules.incident_interest
            || d.posts.iter().any(|p| p.mentions.iter().any(|m| me.is(m)));
        if d.kind != DiscussionKind::Meeting && mine {
            let alarm = d
                .posts
                .iter()
                .filter(|p| p.in_window)
                .map(|p| incident_strength(&format!("{} {}", p.title, p.text)))
                .max();
            // Three distinct incident words: "latency is down 8%" is not an outage.
            if alarm.unwrap_or(0) >= 3
                && let Some((_, first)) = humans.iter().find(|(_, p)| !me.is_opt(p.author.as_deref()))
            {
                let trigger =
                    d.posts.iter().filter(|p| p.in_window).max_by_key(|p| incident_strength(&p.text)).unwrap_or(first);
                cands.push(Candidate {
                    kind: NotificationKind::Incident,
                    story: story.clone(),
                    post: first.id.clone(),
                    at_ms: first.at_ms,
                    title: format!("Incident in {}", d.container_name),
                    line: clip(&crate::generate::to_second_person(&trigger.text, me), 120),
                    sources: vec![trigger.id.clone(), first.id.clone()],
                });
            }
        }
        if d.kind == DiscussionKind::Meeting
            && let Some(start) = d.details.starts_ms
            && d.details.attendees.iter().any(|a| me.is(a))
        {
            let at = start - rules.meeting_lead_min * 60_000;
            if at <= now_ms && d.posts[0].in_window {
                cands.push(Candidate {
                    kind: NotificationKind::MeetingSoon,
                    story: story.clone(),
                    post: d.id.clone(),
                    at_ms: at,
                    title: format!("In {} minutes: {}", rules.meeting_lead_min, clip(&d.title, 60)),
                    line: format!("{} — prep: `chief prep {}`", when(start), d.id),
                    sources: vec![d.id.clone()],
                });
            }
        }
    }
    // Kinds the user turned off never notify (nor count against the cap).
    cands.retain(|c| rules.kinds.is_empty() || rules.kinds.contains(&c.kind));
    cands.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then(a.post.cmp(&b.post)));
    // One per story: the first reason it reached you (a review request, then the chat
    // message asking for the same review, is one notification).
    let mut seen = BTreeSet::new();
    cands.retain(|c| seen.insert(c.story.clone()));
    // Quiet hours, then the hourly cap.
    let mut sent: Vec<i64> = Vec::new();
    let mut out = Vec::new();
    for c in cands {
        let mut send = rules.after_quiet(c.at_ms);
        let mut held = (send != c.at_ms).then(|| "held through quiet hours".to_string());
        loop {
            let in_hour = sent.iter().filter(|t| **t > send - 3_600_000 && **t <= send).count();
            if in_hour < rules.per_hour.max(1) {
                break;
            }
            // The next slot: an hour after the oldest notification in this hour.
            let oldest = sent.iter().filter(|t| **t > send - 3_600_000 && **t <= send).min().copied().unwrap_or(send);
            send = rules.after_quiet(oldest + 3_600_000);
            held = Some(format!("held by the cap of {} an hour", rules.per_hour));
        }
        sent.push(send);
        out.push(Notification {
            kind: c.kind,
            story: c.story,
            item: c.post,
            at_ms: c.at_ms,
            send_ms: send,
            title: c.title,
            line: c.line,
            sources: c.sources,
            held,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_end_at_their_end() {
        let r = NotifyRules::default();
        let day = 86_400_000;
        assert_eq!(r.after_quiet(10 * 3_600_000), 10 * 3_600_000, "10:00 is not quiet");
        assert_eq!(r.after_quiet(23 * 3_600_000), day + 8 * 3_600_000, "23:00 waits for 08:00 next day");
        assert_eq!(r.after_quiet(3 * 3_600_000), 8 * 3_600_000, "03:00 waits for 08:00 the same day");
    }
}
