//! `chief embed`: embed every item not embedded yet (semantic search).

use anyhow::Result;

use super::{Global, Outcome, embed_with_progress, open};

#[derive(clap::Args)]
pub struct Args {}

pub fn run(cli: &Global, _args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    let seq = embed_with_progress(cli, &engine)?;
    let status = engine.status()?;
    if !cli.quiet {
        println!("embedded up to change {seq}: {} chunks in the vector index", status.embeddings.chunks);
    }
    engine.close()?;
    Ok(Outcome::Ok)
}
