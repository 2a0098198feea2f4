//! Sources: turning what Slack, GitHub, Jira and Google hand out (API payloads and
//! exports) into Chief's [`chief_core::Item`]s, and importing them into the store.
//!
//! Each source module has the same shape: serde types for the source's JSON, lenient
//! where real payloads vary, and pure conversion functions to items and people. The
//! importers ([`slack_export`], [`rest_dump`]) and, later, the live connectors share
//! these conversions, so an item looks the same however it arrived.

pub mod connector;
pub mod github;
pub mod github_sync;
pub mod google;
pub mod google_auth;
pub mod google_sync;
pub mod governor;
pub mod ics;
pub mod jira;
pub mod jira_sync;
mod json;
pub mod mbox;
pub mod rest_dump;
pub mod scheduler;
pub mod slack;
pub mod slack_export;
pub mod slack_sync;

/// The Slack app manifest the user installs as an internal app of their workspace.
pub const SLACK_MANIFEST: &str = include_str!("../slack-app-manifest.yaml");

pub use chief_core::scopes::{GITHUB as GITHUB_SCOPES, SLACK as SLACK_SCOPES};

use std::path::PathBuf;

/// Errors from reading or importing source data.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is not the JSON we expected; `line`/`column` point at the problem.
    #[error("{file}: invalid JSON at line {line}, column {column}: {source}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
    /// A zip archive is damaged or truncated.
    #[error(
        "{path} is not a readable zip archive ({source}); re-download the export or unzip it and import the folder"
    )]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    /// A file given to `chief import ics` is not an iCalendar file.
    #[error("{path} is not an iCalendar file: {reason}; export the calendar as .ics and import that")]
    NotCalendar { path: PathBuf, reason: String },
    /// A folder given to `chief import mbox` holds no mail.
    #[error(
        "{path} holds no mbox files (files ending in .mbox, or starting with a \"From \" line); give an mbox file or a folder of them"
    )]
    NoMail { path: PathBuf },
    /// The path does not look like the expected export.
    #[error("{path} is not a Slack export: {reason}")]
    NotAnExport { path: PathBuf, reason: String },
    /// A record lacks something every record of its kind must have.
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
}

impl SourceError {
    pub(crate) fn json(file: impl Into<String>, source: serde_json::Error) -> Self {
        SourceError::Json { file: file.into(), line: source.line(), column: source.column(), source }
    }
}

/// Parses JSON bytes, naming the file (and line) in the error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<T, SourceError> {
    serde_json::from_slice(bytes).map_err(|e| SourceError::json(file, e))
}

/// Content hash of a file, used to skip files already imported unchanged.
pub(crate) fn file_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// A file under the shared test data folder (`../shared/data` beside the repository,
/// or `$CHIEF_SHARED_DIR/data`).
#[cfg(test)]
pub(crate) fn test_data(rel: &str) -> std::path::PathBuf {
    let root = std::env::var_os("CHIEF_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    root.join("data").join(rel)
}
