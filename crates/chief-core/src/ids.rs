//! Newtype ids. An item id is `<source>:<native id>` and stays stable across re-imports
//! and re-syncs, so upserts are idempotent and references survive edits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// Where an item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Slack,
    Github,
    Jira,
    Google,
    /// Files the user imported from disk (documents, evaluation corpora).
    Local,
}

impl Source {
    /// All sources, in display order.
    pub const ALL: [Source; 5] = [Source::Slack, Source::Github, Source::Jira, Source::Google, Source::Local];

    /// The lowercase name used in ids, config and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Slack => "slack",
            Source::Github => "github",
            Source::Jira => "jira",
            Source::Google => "google",
            Source::Local => "local",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "slack" => Ok(Source::Slack),
            "github" => Ok(Source::Github),
            "jira" => Ok(Source::Jira),
            "google" => Ok(Source::Google),
            "local" => Ok(Source::Local),
            _ => Err(CoreError::UnknownSource { name: s.to_string() }),
        }
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Builds the id `<source>:<native>`.
            pub fn new(source: Source, native: &str) -> Self {
                Self(format!("{}:{}", source.as_str(), native))
            }

            /// Parses an id, checking its `<source>:` prefix.
            pub fn parse(s: &str) -> Result<Self, CoreError> {
                let (src, rest) = s.split_once(':').ok_or_else(|| CoreError::InvalidId { id: s.to_string() })?;
                if rest.is_empty() || src.parse::<Source>().is_err() {
                    return Err(CoreError::InvalidId { id: s.to_string() });
                }
                Ok(Self(s.to_string()))
            }

            /// The source named by the id's prefix.
            pub fn source(&self) -> Source {
                self.0.split(':').next().and_then(|s| s.parse().ok()).unwrap_or(Source::Slack)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// Stable id of an item, e.g. `slack:C024BE91L:1455555555.000100` or `jira:10042`.
    ItemId
);
string_id!(
    /// Stable id of a container, e.g. `slack:C024BE91L` or `github:kestrel/payments-api`.
    ContainerId
);

/// Id of a person in the local store (people are merged across sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub i64);

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "person:{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_id_roundtrip_and_source() {
        let id = ItemId::new(Source::Slack, "C1:1.2");
        assert_eq!(id.as_str(), "slack:C1:1.2");
        assert_eq!(id.source(), Source::Slack);
        assert_eq!(ItemId::parse("jira:10042").map(|i| i.source()).ok(), Some(Source::Jira));
    }

    #[test]
    fn bad_ids_are_rejected() {
        assert!(ItemId::parse("nocolon").is_err());
        assert!(ItemId::parse("myspace:1").is_err());
        assert!(ItemId::parse("slack:").is_err());
    }
}
