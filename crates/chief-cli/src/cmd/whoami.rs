//! `chief whoami`: the user's identities across sources and where each came from.

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
    output::whoami(&engine.whoami()?, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
