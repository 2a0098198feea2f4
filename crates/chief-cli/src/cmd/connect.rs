//! `chief connect`: check a source's token and store it in the OS keychain (Jira: with
//! the site and the account's email, saved to `chief.toml`).

use anyhow::Result;
use chief_engine::{ConnectTarget, EngineError, LiveSource};

use super::{Global, Outcome, open, read_stdin};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// slack | github | jira
    source: String,
    /// Jira: your site, like https://acme.atlassian.net (saved to chief.toml).
    #[arg(long)]
    site: Option<String>,
    /// Jira: the email of the account the API token belongs to (saved to chief.toml).
    #[arg(long)]
    email: Option<String>,
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
    if source != LiveSource::Jira && (args.site.is_some() || args.email.is_some()) {
        let why = format!("--site and --email are for Jira; {source} takes its token alone");
        return Err(EngineError::InvalidInput(why).into());
    }
    let target = ConnectTarget { api_base: args.site.clone(), email: args.email.clone() };
    let report = engine.connect_with(source, &token, &target, !args.check_only)?;
    engine.close()?;
    output::connect(&report, args.json)?;
    Ok(Outcome::ok_if(report.missing.is_empty()))
}

fn manifest(source: &str) -> Result<Outcome> {
    if source != LiveSource::Slack.as_str() {
        let scopes = LiveSource::Github.scopes().join(", ");
        let why = format!(
            "only Slack needs an app manifest; GitHub takes a personal access token (scopes: {scopes}), Jira an API token with --site and --email"
        );
        return Err(EngineError::InvalidInput(why).into());
    }
    print!("{}", chief_engine::SLACK_MANIFEST);
    Ok(Outcome::Ok)
}
