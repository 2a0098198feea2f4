//! `chief usage`: LLM calls, tokens and estimated cost.

use anyhow::Result;

use super::{Global, Outcome, env, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    let rows = engine.llm(false, &env())?.usage();
    engine.close()?;
    output::usage(&rows, args.json)?;
    Ok(Outcome::Ok)
}
