//! Items (messages, issues, pull requests, reviews, comments, events, docs, emails),
//! the containers they live in, and the references extracted from them at ingest.

use serde::{Deserialize, Serialize};

use crate::CoreError;
use crate::ids::{ContainerId, ItemId, Source};
use crate::person::Identity;
use crate::time::Timestamp;

macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The snake_case name used in storage, the index and the CLI.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self, CoreError> {
                match s { $($s => Ok($name::$variant),)+ _ => Err(CoreError::UnknownKind { what: $what, name: s.to_string() }) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

str_enum!(
    /// What an item is.
    ItemKind, "item kind" {
        Message => "message",
        Issue => "issue",
        PullRequest => "pull_request",
        Review => "review",
        Comment => "comment",
        Event => "event",
        Doc => "doc",
        Email => "email",
    }
);

str_enum!(
    /// What a container is.
    ContainerKind, "container kind" {
        Channel => "channel",
        PrivateChannel => "private_channel",
        DirectMessage => "dm",
        GroupMessage => "group_dm",
        Repo => "repo",
        Project => "project",
        Calendar => "calendar",
        Mailbox => "mailbox",
        Folder => "folder",
    }
);

str_enum!(
    /// What a reference points at.
    RefKind, "reference kind" {
        Person => "person",
        Ticket => "ticket",
        PullRequest => "pr",
        Url => "url",
        Channel => "channel",
    }
);

/// A place items live in: a channel, repo, Jira project, calendar or mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub id: ContainerId,
    pub source: Source,
    pub kind: ContainerKind,
    /// Human name (`#incidents`, `kestrel/payments-api`, `PAY`).
    pub name: String,
    /// Topic, purpose or description, if any.
    #[serde(default)]
    pub description: String,
}

/// Something an item mentions: a person, a ticket key, a PR, a link, a channel.
///
/// `value` is normalized so equal things compare equal: ticket keys upper-case,
/// `org/repo#12` lower-case repo, person refs as identity keys (`slack:U123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reference {
    pub kind: RefKind,
    pub value: String,
}

impl Reference {
    /// Builds a reference.
    pub fn new(kind: RefKind, value: impl Into<String>) -> Self {
        Reference { kind, value: value.into() }
    }

    /// The exact-match term used in the search index, e.g. `ticket:PAY-142`.
    pub fn term(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.value.to_lowercase())
    }
}

/// One unit of workplace content, normalized across sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub source: Source,
    pub kind: ItemKind,
    pub container: ContainerId,
    /// Who wrote it, as a source identity (resolved to a person by the store).
    pub author: Option<Identity>,
    /// Others involved: assignees, reviewers, attendees, thread repliers.
    #[serde(default)]
    pub participants: Vec<Identity>,
    pub created: Timestamp,
    pub updated: Timestamp,
    /// Title where the source has one (issue summary, PR title, event name); may be empty.
    #[serde(default)]
    pub title: String,
    /// Plain text, rendered from the source's markup.
    pub body: String,
    #[serde(default)]
    pub url: Option<String>,
    /// The thread root, issue or PR this item belongs to.
    #[serde(default)]
    pub parent: Option<ItemId>,
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Written by a bot or integration.
    #[serde(default)]
    pub is_bot: bool,
    /// Source-specific details kept for display and later pipelines
    /// (reactions, labels, status, subtype, edit time, ...).
    #[serde(default)]
    pub extra: serde_json::Value,
}

impl Item {
    /// Sorts and de-duplicates references so the content hash is stable.
    pub fn normalize(&mut self) {
        self.references.sort();
        self.references.dedup();
        self.participants.sort();
        self.participants.dedup();
    }
}
