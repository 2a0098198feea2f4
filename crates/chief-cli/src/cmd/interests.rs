//! `chief interests`: the interest graph's strongest entries with their evidence.

use anyhow::Result;

use super::{Global, Outcome, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
    #[arg(long, default_value_t = 20)]
    limit: usize,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    output::interests(&engine.interests()?, args.limit, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
