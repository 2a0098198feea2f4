//! Domain types shared by every Chief crate: items, people, containers, references,
//! and the plain-text renderers that turn each source's markup into searchable text.
//!
//! This crate does no I/O. Sources produce [`Item`]s and [`PersonRecord`]s; the store
//! persists them; search and the brain read them back. Keeping the types here, with
//! no dependency on storage or network, is what lets a summarizer written for Slack
//! read a GitHub review unchanged.

pub mod home;
pub mod ids;
pub mod item;
pub mod person;
pub mod refs;
pub mod scopes;
pub mod text;
pub mod time;

pub use home::Home;
pub use ids::{ContainerId, ItemId, PersonId, Source};
pub use item::{Container, ContainerKind, Item, ItemKind, RefKind, Reference};
pub use person::{Identity, IdentityKind, PersonRecord};
pub use time::Timestamp;

/// Errors raised while interpreting domain values (ids, timestamps, kinds).
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// An id did not have the `<source>:<native id>` shape.
    #[error("invalid id {id:?}: expected <source>:<native id>, e.g. slack:C024BE91L:1455555555.000100")]
    InvalidId { id: String },
    /// A source name is not one Chief knows.
    #[error("unknown source {name:?}: expected one of slack, github, jira, google")]
    UnknownSource { name: String },
    /// A kind name is not one Chief knows.
    #[error("unknown {what} {name:?}")]
    UnknownKind { what: &'static str, name: String },
    /// A timestamp could not be parsed.
    #[error("invalid timestamp {value:?}: {reason}")]
    InvalidTimestamp { value: String, reason: String },
}
