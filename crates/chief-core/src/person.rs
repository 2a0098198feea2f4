//! People and their per-source identities. The store merges identities into one
//! person when they match, email first.

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// The kind of handle an identity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    Email,
    Slack,
    Github,
    Jira,
}

impl IdentityKind {
    /// The lowercase name used in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Email => "email",
            IdentityKind::Slack => "slack",
            IdentityKind::Github => "github",
            IdentityKind::Jira => "jira",
        }
    }
}

impl std::str::FromStr for IdentityKind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "email" => Ok(IdentityKind::Email),
            "slack" => Ok(IdentityKind::Slack),
            "github" => Ok(IdentityKind::Github),
            "jira" => Ok(IdentityKind::Jira),
            _ => Err(CoreError::UnknownKind { what: "identity kind", name: s.to_string() }),
        }
    }
}

/// A handle of a person in one system: an email, a Slack user id, a GitHub login,
/// a Jira account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
}

impl Identity {
    /// Builds an identity; emails and GitHub logins are case-insensitive and lower-cased.
    pub fn new(kind: IdentityKind, value: &str) -> Self {
        let value = match kind {
            IdentityKind::Email | IdentityKind::Github => value.trim().to_lowercase(),
            _ => value.trim().to_string(),
        };
        Identity { kind, value }
    }

    /// `kind:value`, the key used in the index and in references.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.value)
    }

    /// Parses `kind:value`.
    pub fn parse_key(key: &str) -> Option<Identity> {
        let (k, v) = key.split_once(':')?;
        Some(Identity::new(k.parse().ok()?, v))
    }
}

/// What a source knows about a person: a display name and the identities it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRecord {
    pub display_name: String,
    pub identities: Vec<Identity>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub is_bot: bool,
}
