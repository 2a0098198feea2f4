//! The brain: the tasks that turn synced items into what the user reads, and the
//! journaled pipeline that composes them into the daily briefing.
//!
//! Each task is typed input → typed output and never knows which feature calls it
//! (../shared/PRODUCT.md, "Architecture lessons"):
//! - [`discussion`]: items → discussions (a thread, a burst of channel messages, a
//!   ticket with its comments, a PR with its reviews, a meeting);
//! - [`summarize`]: discussion → summary sentences with the ids they rest on, topics
//!   and entities (cached by the discussion's content hash);
//! - [`consolidate`]: summaries → stories across channels and tools, through the
//!   reference graph (keys, PR refs, links);
//! - [`interests`]: the user's activity and feedback → a decaying interest graph;
//! - [`rank`]: stories × interests × signals → an ordered list with reasons;
//! - [`generate`]: the top stories → a briefing in the second person;
//! - [`extract`]: one item → short factoids (propositions) searched next to it;
//! - [`guard`]: drops citations that are not among a step's inputs and sentences whose
//!   hard facts are not in their cited sources; synced text is data, never instructions.
//!
//! [`briefing`] runs them as a pipeline whose every step is journaled in the store, so
//! a killed run resumes at its first unfinished step and `chief runs show` can trace a
//! sentence back to the step that made it. Everything here is deterministic and works
//! with no LLM; an LLM implementation plugs in per task behind the same types.

pub mod briefing;
pub mod consolidate;
pub mod discussion;
pub mod explain;
pub mod extract;
pub mod generate;
pub mod guard;
pub mod interests;
pub mod llm;
pub mod notify;
pub mod prep;
pub mod rank;
pub mod summarize;
pub mod text;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use briefing::{BriefOptions, Briefing, BriefingStory, SourceRef, Step, Window, WithLlm};
pub use summarize::Sentence;

/// Errors from the brain.
#[derive(Debug, thiserror::Error)]
pub enum BrainError {
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
    #[error("a journaled step output does not decode: {0}")]
    Journal(#[from] serde_json::Error),
    /// The run was asked to stop after a step (`--stop-after`); it resumes on the next run.
    #[error("stopped after step {step} as asked; run again to resume from the next step")]
    Stopped { step: &'static str },
    #[error(transparent)]
    Llm(#[from] chief_llm::LlmError),
    #[error("no run {0}; `chief runs list` shows the runs")]
    NoSuchRun(i64),
    #[error("no story {0:?} in the stored briefings; `chief brief --history --json` shows story ids")]
    NoSuchStory(String),
}

/// Who the user is: every identity key (`slack:U1`, `github:login`, `email:a@b`) and
/// the names they go by. Every "to me / by me" decision uses it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub identities: BTreeSet<String>,
}

impl Me {
    /// True when an identity key is the user's.
    pub fn is(&self, key: &str) -> bool {
        self.identities.contains(key)
    }

    /// True when an optional identity key is the user's.
    pub fn is_opt(&self, key: Option<&str>) -> bool {
        key.is_some_and(|k| self.is(k))
    }

    /// The user's first name (vocatives such as "Ann, can you …").
    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or("")
    }

    /// True when nobody is configured (no briefing can be personal).
    pub fn is_unknown(&self) -> bool {
        self.identities.is_empty()
    }
}
