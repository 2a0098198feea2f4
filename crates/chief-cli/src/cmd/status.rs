//! `chief status`: counts per source, index health, last imports and syncs.

use anyhow::Result;

use super::{Global, Outcome, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    let status = engine.status()?;
    output::status(&status, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
