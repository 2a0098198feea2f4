//! `chief notifications`: what the notifier sent (or would have sent) in the window,
//! with the reason, the sources, and what quiet hours or the cap held back.

use anyhow::Result;

use super::{Global, Outcome, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// Look back this far (e.g. 24h, 3d) instead of the briefing's default window.
    #[arg(long, value_name = "SPAN")]
    since: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let since_ms = args.since.as_deref().map(super::brief::span_ms).transpose()?;
    let engine = open(cli)?;
    output::notifications(&engine.notifications(since_ms)?, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
