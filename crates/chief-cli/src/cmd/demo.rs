//! `chief demo`: load the bundled demo workspace into the home.

use anyhow::Result;

use super::{Global, Outcome, home, sync_printer};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// Replace the home's data even if it is not a demo home.
    #[arg(long)]
    force: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let progress = sync_printer(cli, args.json);
    let (engine, report) = chief_bench::demo::load(&home(cli), args.force, std::env::vars(), progress)?;
    let status = engine.status()?;
    output::demo(&report, &status, &engine, args.json, cli.quiet)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
