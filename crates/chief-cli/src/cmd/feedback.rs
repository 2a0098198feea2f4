//! `chief feedback STORY up|down`: rate a briefing story; the next ranking follows.

use anyhow::Result;

use super::{Global, Outcome, open};
use crate::output;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Vote {
    Up,
    Down,
}

#[derive(clap::Args)]
pub struct Args {
    /// The story id (`chief brief --json` shows it, e.g. s-1a2b3c4d5e).
    story: String,
    vote: Vote,
    /// Why, in your words (kept with the vote).
    #[arg(long)]
    reason: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    let out = engine.feedback(&args.story, matches!(args.vote, Vote::Up), args.reason.as_deref().unwrap_or(""))?;
    output::feedback(&out, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
