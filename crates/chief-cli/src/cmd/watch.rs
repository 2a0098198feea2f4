//! `chief watch`: in the foreground, what the desktop runs in the background — each
//! live source synced on its interval, and after every round the brain's agents
//! reading the change log from their own positions: the notifier delivering what is due
//! (each story once, remembered across restarts), the interest keeper. `-v` shows each
//! sync page and each agent's decision.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use super::{Global, Outcome, env, open, sync_printer};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// One round (sync the enabled sources once, then the notifier) and exit.
    #[arg(long)]
    once: bool,
    /// Seconds between notifier rounds while syncing in the background.
    #[arg(long, default_value_t = 60)]
    every: u64,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = Arc::new(open(cli)?);
    let sources = engine.config().sources;
    let live = sources.slack.enabled || sources.github.enabled;
    if !live && !cli.quiet {
        eprintln!(
            "note: no live source is enabled; watching what is already stored (enable one after `chief connect`)"
        );
    }
    if args.once {
        if live {
            let req = chief_engine::SyncRequest { sources: Vec::new(), reconcile: false, force: false };
            engine.sync(&req, &env(), sync_printer(cli, args.json))?;
            engine.sync_index()?;
        }
        let due = agents(cli, &engine)?;
        if due.is_empty() && !args.json {
            println!("Nothing new to notify since the last round.");
        } else {
            output::notifications(&due, args.json)?;
        }
        return Ok(Outcome::Ok);
    }
    if !live {
        loop {
            let due = agents(cli, &engine)?;
            if !due.is_empty() {
                output::notifications(&due, args.json)?;
            }
            std::thread::sleep(Duration::from_secs(args.every.max(1)));
        }
    }
    let (_keep, rx) = tokio::sync::watch::channel(false);
    let syncing = {
        let engine = engine.clone();
        let progress = sync_printer(cli, args.json);
        std::thread::spawn(move || engine.sync_forever(&env(), progress, rx))
    };
    loop {
        let due = agents(cli, &engine)?;
        if !due.is_empty() {
            output::notifications(&due, args.json)?;
        }
        if syncing.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_secs(args.every.max(1)));
    }
    match syncing.join() {
        Ok(r) => r?,
        Err(_) => anyhow::bail!("the sync thread stopped unexpectedly"),
    }
    Ok(Outcome::Ok)
}

/// One round of the agents; with `-v`, each decision on standard error.
fn agents(cli: &Global, engine: &chief_engine::Engine) -> Result<Vec<chief_engine::Notification>> {
    let round = engine.run_agents(&super::env())?;
    if cli.verbose > 0 {
        for d in &round.decisions {
            let item = d.item.as_deref().map(|i| format!(" {i}")).unwrap_or_default();
            eprintln!("[{}]{item}: {}", d.agent, output::clean(&d.what));
        }
        let positions: Vec<String> = round.positions.iter().map(|(a, p)| format!("{a} at {p}")).collect();
        eprintln!("[agents] {}", positions.join(", "));
    }
    Ok(round.delivered)
}
