//! `chief sync`: live sources from their cursors, once or in the background.

use anyhow::Result;
use chief_engine::{LiveSource, SourceState, SyncRequest};

use super::{Global, Outcome, env, open, sync_printer};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// slack | github | jira | google (default: the enabled sources)
    sources: Vec<String>,
    /// List every id in the retention window to find deletions (otherwise weekly).
    #[arg(long)]
    reconcile: bool,
    /// Keep running: each source every `interval_minutes`, until Ctrl+C.
    #[arg(long)]
    pub watch: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let sources = args.sources.iter().map(|s| s.parse::<LiveSource>()).collect::<Result<Vec<_>, _>>()?;
    let engine = open(cli)?;
    if args.watch {
        // Runs until interrupted: cursors commit with their pages, so stopping at any
        // point loses nothing.
        let (_keep, rx) = tokio::sync::watch::channel(false);
        engine.sync_forever(&env(), sync_printer(cli, args.json), rx)?;
        engine.close()?;
        return Ok(Outcome::Ok);
    }
    let req = SyncRequest { sources, reconcile: args.reconcile, force: true };
    let outcomes = engine.sync(&req, &env(), sync_printer(cli, args.json))?;
    engine.extract_propositions(&env())?;
    engine.sync_index()?;
    engine.close()?;
    output::sync(&outcomes, args.json, cli.quiet)?;
    Ok(Outcome::ok_if(outcomes.iter().all(|o| o.state == SourceState::Ok)))
}
