//! `chief reindex`: rebuild the search index from the store.

use anyhow::Result;

use super::{Global, Outcome, open};

#[derive(clap::Args)]
pub struct Args {}

pub fn run(cli: &Global, _args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    let status = engine.reindex()?;
    if !cli.quiet {
        println!("reindexed {} documents from the store", status.documents);
    }
    engine.close()?;
    Ok(Outcome::Ok)
}
