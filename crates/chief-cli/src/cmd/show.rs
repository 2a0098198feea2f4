//! `chief show`: one item with its references and thread.

use anyhow::Result;

use super::{Global, Outcome, env, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    id: String,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    let mut detail = engine.show(&args.id)?;
    // Slack live mode keeps no text locally: fetch it now (offline: say so).
    if let Err(e) = engine.fill_live_text(&mut detail, &env()) {
        eprintln!("warning: this Slack workspace syncs in live mode and its text could not be fetched now: {e}");
    }
    output::show(&detail, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
