//! Generate: the top stories → briefing stories written to the user. The local
//! generator composes from the summaries' sentences and the ranking's reasons, so each
//! sentence keeps its citations; it speaks in the second person — a mention of the
//! user becomes "you", the user's own posts read "You: …" — and never describes the
//! user's own actions as someone else's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Me;
use crate::discussion::{Discussion, DiscussionKind};
use crate::rank::{RankedStory, Signal};
use crate::summarize::{Sentence, Summary};
use crate::text::clip;

/// A briefing story before it is checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub id: String,
    pub title: String,
    pub summary: Vec<Sentence>,
    pub why: Vec<Sentence>,
    /// Every item of the story, most telling first.
    pub sources: Vec<String>,
    pub reasons: Vec<String>,
    pub score: f64,
}

/// Rewrites text for the user: `@Their Name` → `you`, a leading vocative
/// ("Ann, can you …") dropped.
pub fn to_second_person(text: &str, me: &Me) -> String {
    const MARK: &str = "\u{1}";
    let mut out = text.to_string();
    let mut handles: Vec<String> = vec![format!("@{}", me.name)];
    for key in &me.identities {
        if let Some(login) = key.strip_prefix("github:") {
            handles.push(format!("@{login}"));
        }
    }
    for h in handles.iter().filter(|h| h.len() > 1) {
        // A whole handle only: "@ann" is the user, "@anna" is someone else.
        if let Ok(re) = regex::Regex::new(&format!(r"{}\b", regex::escape(h))) {
            out = re.replace_all(&out, MARK).into_owned();
        }
    }
    // A mention that opens a clause is a vocative ("@Ann FYI, …", "Done. @ann this
    // is …"): dropped. Elsewhere it is the object: "you".
    let mut result = String::with_capacity(out.len());
    let mut rest = out;
    while let Some(i) = rest.find(MARK) {
        result.push_str(&rest[..i]);
        let after = rest[i + MARK.len()..].to_string();
        let opens = result.trim_end().is_empty() || result.trim_end().ends_with(['.', '!', '?', ':']);
        if opens {
            rest = capitalize(after.trim_start_matches([',', ':', ' ']));
        } else {
            result.push_str("you");
            rest = after;
        }
    }
    result.push_str(&rest);
    let mut out = result;
    let first = me.first_name();
    if !first.is_empty() {
        for sep in [", ", " - ", ": "] {
            for greet in ["", "Hi ", "Hey ", "Hello "] {
                if let Some(rest) = out.strip_prefix(&format!("{greet}{first}{sep}")) {
                    out = capitalize(rest);
                }
            }
        }
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A sentence as the user reads it: second person, its speaker named, ended.
pub(crate) fn render(s: &Sentence, me: &Me) -> Sentence {
    let mut text = to_second_person(&s.text, me);
    if !ended(&text) {
        text.push('.');
    }
    let text = match &s.author {
        Some(a) if me.is(a) => format!("You: {text}"),
        Some(_) if !s.author_name.is_empty() => format!("{}: {text}", s.author_name),
        _ => text,
    };
    Sentence { text, ..s.clone() }
}

/// Whether a sentence already ends: in `.`, `!`, `?` or `…`, also inside a closing
/// bracket or quote ("(as planned.)"); "Fix the pool (PAY-142)" does not.
fn ended(text: &str) -> bool {
    let trimmed = text.trim_end_matches([')', '"', '\'', '”', '’']);
    trimmed.ends_with(['.', '!', '?', '…'])
}

fn lead_rank(d: &Discussion) -> (u8, std::cmp::Reverse<usize>) {
    let k = match d.kind {
        DiscussionKind::Ticket => 0,
        DiscussionKind::PullRequest => 1,
        DiscussionKind::Issue => 2,
        DiscussionKind::Thread => 3,
        DiscussionKind::Document | DiscussionKind::Email => 4,
        DiscussionKind::Conversation => 5,
        DiscussionKind::Meeting => 6,
    };
    (k, std::cmp::Reverse(d.new_posts().count()))
}

/// Writes the top stories.
pub fn generate(
    top: &[RankedStory],
    discussions: &BTreeMap<String, Discussion>,
    summaries: &BTreeMap<String, Summary>,
    me: &Me,
) -> Vec<Draft> {
    top.iter().map(|r| draft(r, discussions, summaries, me)).collect()
}

fn draft(
    r: &RankedStory,
    discussions: &BTreeMap<String, Discussion>,
    summaries: &BTreeMap<String, Summary>,
    me: &Me,
) -> Draft {
    let mut ds: Vec<&Discussion> = r.discussions.iter().filter_map(|id| discussions.get(id)).collect();
    ds.sort_by_key(|d| lead_rank(d));
    let sums: Vec<&Summary> = ds.iter().filter_map(|d| summaries.get(&d.id)).collect();
    let (title, summary) = if r.questions {
        let asks: Vec<Sentence> = r
            .reasons
            .iter()
            .filter(|x| x.signal == Signal::AwaitingMyAnswer)
            .filter_map(|x| ask_sentence(&x.sources[0], &ds))
            .take(3)
            .map(|s| render(&s, me))
            .collect();
        ("Questions waiting for your answer".to_string(), asks)
    } else {
        let title = ds.first().map(|d| clip(&to_second_person(&d.title, me), 110)).unwrap_or_default();
        let mut picked: Vec<Sentence> = Vec::new();
        // What it is: the lead discussion's opening.
        let is_title = |s: &Sentence| clip(&to_second_person(&s.text, me), 110) == title;
        if let Some(first) = sums.first().and_then(|s| s.sentences.iter().find(|x| !is_title(x))) {
            picked.push(first.clone());
        }
        // Where it stands: the newest sentence of any discussion.
        let newest =
            sums.iter().flat_map(|s| s.sentences.iter()).filter(|s| !picked.contains(s)).max_by_key(|s| s.at_ms);
        // What else carries weight: the richest sentence from another tool's discussion.
        let other = sums
            .iter()
            .skip(1)
            .flat_map(|s| s.sentences.iter())
            .filter(|s| !picked.contains(s) && Some(*s) != newest)
            .max_by_key(|s| (crate::text::hard_facts(&s.text).len(), s.at_ms));
        if let Some(o) = other {
            picked.push(o.clone());
        }
        if let Some(n) = newest {
            picked.push(n.clone());
        }
        // The title already says what the opening says.
        let without_title: Vec<Sentence> = picked.iter().filter(|s| !is_title(s)).cloned().collect();
        if !without_title.is_empty() {
            picked = without_title;
        }
        picked.sort_by_key(|s| s.at_ms);
        picked.truncate(3);
        (title, picked.iter().map(|s| render(s, me)).collect())
    };
    let why: Vec<Sentence> = r
        .reasons
        .iter()
        .filter(|x| x.weight > 0.0 && !matches!(x.signal, Signal::Recency | Signal::Busy))
        .take(3)
        .map(|x| Sentence {
            text: format!("{}.", x.text),
            sources: x.sources.clone(),
            author: None,
            author_name: String::new(),
            at_ms: 0,
        })
        .collect();
    let mut sources: Vec<String> = ds.iter().map(|d| d.id.clone()).collect();
    for s in summary.iter().chain(why.iter()) {
        for id in &s.sources {
            if !sources.contains(id) {
                sources.push(id.clone());
            }
        }
    }
    for id in &r.items {
        if !sources.contains(id) {
            sources.push(id.clone());
        }
    }
    Draft {
        id: r.id.clone(),
        title,
        summary,
        why,
        sources,
        reasons: r.reasons.iter().filter(|x| x.weight > 0.0).map(|x| format!("{:?}", x.signal)).collect(),
        score: r.score,
    }
}

fn ask_sentence(post_id: &str, ds: &[&Discussion]) -> Option<Sentence> {
    let p = ds.iter().flat_map(|d| d.posts.iter()).find(|p| p.id == post_id)?;
    let text = crate::text::sentences(&p.text)
        .into_iter()
        .find(|s| crate::text::is_request(s))
        .or_else(|| crate::text::sentences(&p.text).into_iter().next())?;
    Some(Sentence {
        text: clip(&text, 220),
        sources: vec![p.id.clone()],
        author: p.author.clone(),
        author_name: p.author_name.clone(),
        at_ms: p.at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaks_to_the_user() {
        let me = Me { name: "Ann Lee".into(), identities: ["slack:U1".to_string(), "github:annl".to_string()].into() };
        assert_eq!(to_second_person("@Ann Lee FYI, the site is degraded", &me), "FYI, the site is degraded");
        assert_eq!(to_second_person("Ann, can you send the plan?", &me), "Can you send the plan?");
        assert_eq!(to_second_person("looping in @annl for sign-off", &me), "looping in you for sign-off");
        assert_eq!(to_second_person("Looks fine. @annl this is the one", &me), "Looks fine. This is the one");
        assert_eq!(to_second_person("thanks @annlee, over to @annl", &me), "thanks @annlee, over to you");
        let mine = Sentence {
            text: "Approved".into(),
            sources: vec!["x".into()],
            author: Some("slack:U1".into()),
            author_name: "Ann Lee".into(),
            at_ms: 0,
        };
        assert_eq!(render(&mine, &me).text, "You: Approved.");
        let title = |text: &str| Sentence { text: text.into(), author: None, ..mine.clone() };
        assert_eq!(render(&title("Fix the pool leak (PAY-142)"), &me).text, "Fix the pool leak (PAY-142).");
        assert_eq!(render(&title("Rolled back (as planned.)"), &me).text, "Rolled back (as planned.)");
        assert_eq!(render(&title("He said \"ship it.\""), &me).text, "He said \"ship it.\"");
        assert_eq!(render(&title("Is it \"done\"?"), &me).text, "Is it \"done\"?");
    }
}
