//! `chief search`: words, names and identifiers over everything Chief knows.

use anyhow::Result;
use chief_core::{CoreError, ItemKind, Source, Timestamp};
use chief_engine::{EngineError, SearchMode, SearchQuery};

use super::{Global, Outcome, open};
use crate::output;

/// How to retrieve (`--mode`).
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    /// Words and identifiers only.
    Bm25,
    /// Meaning only (local embeddings).
    Dense,
    /// Both, fused; BM25 alone when semantic search is off.
    Hybrid,
}

impl From<ModeArg> for SearchMode {
    fn from(m: ModeArg) -> SearchMode {
        match m {
            ModeArg::Bm25 => SearchMode::Bm25,
            ModeArg::Dense => SearchMode::Dense,
            ModeArg::Hybrid => SearchMode::Hybrid,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Words, names, ticket keys (PAY-142) or PR refs (org/repo#12).
    query: Vec<String>,
    /// How to retrieve.
    #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
    mode: ModeArg,
    /// slack | github | jira | google (repeatable)
    #[arg(long)]
    source: Vec<String>,
    /// message | issue | pull_request | review | comment | event | doc | email (repeatable)
    #[arg(long)]
    kind: Vec<String>,
    /// Channel, repo, project or calendar name or id (repeatable)
    #[arg(long)]
    container: Vec<String>,
    /// Someone's name, email or handle
    #[arg(long)]
    person: Option<String>,
    /// From: YYYY-MM-DD, RFC 3339, or a span back from now (7d, 12h)
    #[arg(long)]
    since: Option<String>,
    /// Until (exclusive), same formats as --since
    #[arg(long)]
    until: Option<String>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let mut query = query(args, cli.clock()?.unwrap_or_else(Timestamp::now))?;
    let engine = open(cli)?;
    // Recency is relative to the engine's clock (--now, a demo home's fixed now).
    query.now = engine.clock();
    engine.sync_index()?;
    let response = engine.search(&query)?;
    output::search(&response, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}

/// The query; spans such as `--since 7d` count back from `now`.
fn query(args: &Args, now: Timestamp) -> Result<SearchQuery, EngineError> {
    let bad = |e: CoreError| EngineError::InvalidInput(e.to_string());
    let when = |s: &Option<String>| s.as_deref().map(|s| Timestamp::parse_user(s, now).map_err(bad)).transpose();
    Ok(SearchQuery {
        text: args.query.join(" "),
        mode: args.mode.into(),
        sources: args.source.iter().map(|s| s.parse::<Source>().map_err(bad)).collect::<Result<_, _>>()?,
        kinds: args.kind.iter().map(|k| k.parse::<ItemKind>().map_err(bad)).collect::<Result<_, _>>()?,
        containers: args.container.clone(),
        person: args.person.clone(),
        since: when(&args.since)?,
        until: when(&args.until)?,
        limit: Some(args.limit),
        ..Default::default()
    })
}
