//! Consolidate: discussions → stories. One story spans channels and tools: a chat
//! thread, the ticket it names, the PR that fixes it, the follow-up meeting. The
//! reference graph decides: a discussion that *is* a ticket or PR joins every
//! discussion that names it, and two discussions that name the same ticket or PR join
//! — unless that identifier is a hub named everywhere (a tracking epic), which would
//! glue unrelated work together. Shared words alone never merge: an older incident on
//! the same system stays its own story.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::discussion::{Discussion, DiscussionKind};
use crate::text::short_hash;

/// A reference named by more discussions than this links none of them.
const HUB: usize = 8;

/// A story: discussions that are about the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    /// Stable across runs while the story's first discussion stays in it.
    pub id: String,
    pub discussions: Vec<String>,
    pub items: Vec<String>,
    /// Why discussions were merged (`ticket:pay-142`, …).
    pub links: Vec<String>,
}

/// The story id for a set of discussion ids.
pub fn story_id(discussions: &[String]) -> String {
    let first = discussions.iter().min().map(String::as_str).unwrap_or("");
    format!("s-{}", &short_hash(first)[..10])
}

struct Dsu(Vec<usize>);

impl Dsu {
    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut i = i;
        while self.0[i] != r {
            let next = self.0[i];
            self.0[i] = r;
            i = next;
        }
        r
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// Groups discussions into stories through the reference graph.
pub fn consolidate(discussions: &[Discussion]) -> Vec<Story> {
    let mut dsu = Dsu((0..discussions.len()).collect());
    // Reference term → discussions that are it / that name it.
    let mut is: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut names: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, d) in discussions.iter().enumerate() {
        for r in &d.own_refs {
            is.entry(r).or_default().push(i);
        }
        for r in &d.refs {
            names.entry(r).or_default().push(i);
        }
    }
    let mut links: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (term, naming) in &names {
        let owners = is.get(term).cloned().unwrap_or_default();
        let strong = term.starts_with("ticket:") || term.starts_with("pr:") || !owners.is_empty();
        if !strong || naming.len() > HUB {
            continue;
        }
        let group: Vec<usize> = owners.iter().chain(naming.iter()).copied().collect();
        for w in group.windows(2) {
            dsu.union(w[0], w[1]);
        }
        for &g in &group {
            links.entry(g).or_default().insert(term.to_string());
        }
    }
    shared_entities(discussions, &mut dsu, &mut links);
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..discussions.len() {
        let r = dsu.find(i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Story> = groups
        .into_values()
        .map(|members| {
            let mut ids: Vec<String> = members.iter().map(|&i| discussions[i].id.clone()).collect();
            ids.sort();
            let mut items: Vec<String> =
                members.iter().flat_map(|&i| discussions[i].item_ids().map(str::to_string)).collect();
            items.sort();
            items.dedup();
            let mut l: BTreeSet<String> = BTreeSet::new();
            if members.len() > 1 {
                for i in &members {
                    l.extend(links.get(i).into_iter().flatten().cloned());
                }
            }
            Story { id: story_id(&ids), discussions: ids, items, links: l.into_iter().collect() }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Chat discussions that name no common identifier still join when they are the same
/// conversation held in two places: different channels, the same people (at least two),
/// the same rare words (at least three that no other discussion in the window uses), at
/// the same time (their new posts within two hours of each other). Tickets and PRs join
/// only through references; an older discussion that only shares words is not the same
/// conversation.
fn shared_entities(discussions: &[Discussion], dsu: &mut Dsu, links: &mut BTreeMap<usize, BTreeSet<String>>) {
    const GAP_MS: i64 = 2 * 3_600_000;
    struct Sketch {
        people: BTreeSet<String>,
        words: BTreeSet<String>,
        from: i64,
        to: i64,
    }
    let sketches: Vec<Option<Sketch>> = discussions
        .iter()
        .map(|d| {
            let new: Vec<_> = d.new_posts().filter(|p| !p.is_bot).collect();
            let chat = d.own_refs.iter().all(|r| r.starts_with("url:"))
                && matches!(d.kind, DiscussionKind::Thread | DiscussionKind::Conversation);
            if new.len() < 2 || !chat {
                return None;
            }
            let words = new
                .iter()
                .flat_map(|p| crate::text::content_words(&format!("{} {}", p.title, p.text)))
                .filter(|w| w.len() > 3)
                .collect();
            Some(Sketch {
                people: new.iter().filter_map(|p| p.author.clone()).collect(),
                words,
                from: new.iter().map(|p| p.at_ms).min().unwrap_or(0),
                to: new.iter().map(|p| p.at_ms).max().unwrap_or(0),
            })
        })
        .collect();
    let mut df: BTreeMap<&str, usize> = BTreeMap::new();
    for s in sketches.iter().flatten() {
        for w in &s.words {
            *df.entry(w.as_str()).or_default() += 1;
        }
    }
    let idx: Vec<usize> = (0..discussions.len()).filter(|&i| sketches[i].is_some()).collect();
    for (n, &i) in idx.iter().enumerate() {
        for &j in &idx[n + 1..] {
            let (Some(a), Some(b)) = (&sketches[i], &sketches[j]) else { continue };
            let same_place = discussions[i].container == discussions[j].container;
            if same_place || a.from > b.to + GAP_MS || b.from > a.to + GAP_MS || dsu.find(i) == dsu.find(j) {
                continue;
            }
            if a.people.intersection(&b.people).count() < 2 {
                continue;
            }
            let rare: Vec<&String> =
                a.words.intersection(&b.words).filter(|w| df.get(w.as_str()).copied().unwrap_or(0) <= 2).collect();
            if rare.len() >= 3 {
                dsu.union(i, j);
                let why = format!("shared:{}", rare.iter().take(3).map(|w| w.as_str()).collect::<Vec<_>>().join(","));
                links.entry(i).or_default().insert(why.clone());
                links.entry(j).or_default().insert(why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discussion::{Details, DiscussionKind};
    use chief_core::Source;

    fn d(id: &str, own: &[&str], refs: &[&str]) -> Discussion {
        Discussion {
            id: id.into(),
            kind: DiscussionKind::Thread,
            source: Source::Slack,
            container: "slack:C1".into(),
            container_name: "#x".into(),
            title: id.into(),
            url: None,
            posts: vec![],
            own_refs: own.iter().map(|s| s.to_string()).collect(),
            refs: refs.iter().map(|s| s.to_string()).collect(),
            participants: vec![],
            details: Details::default(),
            hash: id.into(),
        }
    }

    #[test]
    fn merges_across_tools_by_reference_and_not_by_words() {
        let ds = vec![
            d("slack:a", &[], &["ticket:ops-1"]),
            d("jira:1", &["ticket:ops-1"], &[]),
            d("github:o/r#2", &["pr:o/r#2"], &["ticket:ops-1"]),
            d("slack:b", &[], &["pr:o/r#2"]),
            d("slack:c", &[], &[]),
            d("google:m", &[], &["ticket:ops-1"]),
        ];
        let stories = consolidate(&ds);
        assert_eq!(stories.len(), 2, "{stories:#?}");
        let big = stories.iter().find(|s| s.discussions.len() == 5).unwrap();
        assert!(big.links.contains(&"ticket:ops-1".to_string()));
        assert_eq!(story_id(&big.discussions), big.id);
    }

    #[test]
    fn a_hub_reference_links_nothing() {
        let ds: Vec<Discussion> = (0..12).map(|i| d(&format!("slack:{i}"), &[], &["ticket:epic-1"])).collect();
        assert_eq!(consolidate(&ds).len(), 12);
    }
}
