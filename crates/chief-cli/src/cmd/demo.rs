//! `chief demo`: load the bundled demo workspace into the home.

use anyhow::Result;
use chief_engine::BriefRequest;

use super::{Global, Outcome, home, sync_printer};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// Replace the home's data even if it is not a demo home.
    #[arg(long)]
    force: bool,
    #[arg(long)]
    json: bool,
    /// Which org: 0 is Kestrel; every other seed is a different org (names, channels,
    /// systems, phrasing, timing) with its own ground truth.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let progress = sync_printer(cli, args.json);
    let (engine, report) =
        chief_bench::demo::load_seeded(&home(cli), args.seed, args.force, std::env::vars(), progress)?;
    let status = engine.status()?;
    let brief = match engine.brief(&BriefRequest { offline: true, ..BriefRequest::default() }) {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("error[{}]: making the demo briefing: {e}", e.code());
            None
        }
    };
    output::demo(&report, &status, brief.as_ref(), args.json, cli.quiet)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
