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
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    engine.sync_index()?;
    let resp = engine.context(&args.text.join(" "), engine.clock())?;
    output::context(&resp, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
