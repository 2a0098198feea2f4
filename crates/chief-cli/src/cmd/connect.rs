//! `chief connect`: check a source's token and store it in the OS keychain.

use anyhow::Result;
use chief_engine::{EngineError, LiveSource};

use super::{Global, Outcome, open, read_stdin};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// slack | github
    source: String,
    /// Print the Slack app manifest to install as an internal app, and exit.
    #[arg(long)]
    manifest: bool,
    /// Check the token without storing it.
    #[arg(long)]
    check_only: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    if args.manifest {
        return manifest(&args.source);
    }
    let source: LiveSource = args.source.parse()?;
    let engine = open(cli)?;
    let token = read_stdin()?;
    let report = engine.connect(source, &token, !args.check_only)?;
    engine.close()?;
    output::connect(&report, args.json)?;
    Ok(Outcome::ok_if(report.missing.is_empty()))
}

fn manifest(source: &str) -> Result<Outcome> {
    if source != LiveSource::Slack.as_str() {
        let scopes = LiveSource::Github.scopes().join(", ");
        let why = format!("only Slack needs an app manifest; GitHub takes a personal access token (scopes: {scopes})");
        return Err(EngineError::InvalidInput(why).into());
    }
    print!("{}", chief_engine::SLACK_MANIFEST);
    Ok(Outcome::Ok)
}
