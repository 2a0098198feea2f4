//! `chief context`: what a piece of text names and the items around it (the popup).

use anyhow::Result;

use super::{Global, Outcome, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// The text (what you would select on screen).
    text: Vec<String>,
    #[arg(long)]
    json: bool,
    /// Add a short cited explanation: what this is, what happened around it, why it
    /// matters to you (offline, extractive).
    #[arg(long)]
    explain: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    engine.sync_index()?;
    let resp = engine.context(&args.text.join(" "), engine.clock())?;
    if args.explain {
        let explanation = engine.explain(&resp)?;
        output::context_explained(&resp, &explanation, args.json)?;
    } else {
        output::context(&resp, args.json)?;
    }
    engine.close()?;
    Ok(Outcome::Ok)
}
