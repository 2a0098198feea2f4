//! `chief prep`: a meeting's prep card — who is coming, what is open between you, and
//! the threads, tickets and PRs it is about.

use anyhow::Result;

use super::{Global, Outcome, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// The event's id (`chief search --kind event` shows ids); default: your next meeting.
    event: Option<String>,
    /// Your next meeting (the default when no EVENT_ID is given).
    #[arg(long, conflicts_with = "event")]
    next: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    engine.sync_index()?;
    let p = engine.prep(if args.next { None } else { args.event.as_deref() })?;
    output::prep(&p, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
