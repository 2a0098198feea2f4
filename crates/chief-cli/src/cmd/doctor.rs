//! `chief doctor`: check the setup and say what to fix.

use anyhow::Result;
use chief_engine::Level;

use super::{Global, Outcome, home};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let findings = chief_engine::doctor(&home(cli), std::env::vars());
    output::doctor(&findings, args.json)?;
    Ok(Outcome::ok_if(!findings.iter().any(|f| f.level == Level::Error)))
}
