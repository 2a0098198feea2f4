//! `chief connect`: check a source's token and store it in the OS keychain (Jira: with
//! the site and the account's email, saved to `chief.toml`).

use anyhow::Result;
use chief_engine::{ConnectTarget, EngineError, LiveSource};

use super::{Global, Outcome, open, read_stdin};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// slack | github | jira | google
    source: String,
    /// Google: the OAuth client id of your "Desktop app" client (saved to chief.toml);
    /// its secret is read on standard input.
    #[arg(long)]
    client_id: Option<String>,
    /// Google: print the consent page's address instead of opening a browser.
    #[arg(long)]
    no_browser: bool,
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
    if source == LiveSource::Google {
        return google(cli, args);
    }
    if args.client_id.is_some() || args.no_browser {
        let why = format!("--client-id and --no-browser are for Google; {source} takes a token on standard input");
        return Err(EngineError::InvalidInput(why).into());
    }
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

/// Google: the consent page in the browser (`$BROWSER`, else `xdg-open`/`open`), the
/// code through a loopback listener.
fn google(cli: &Global, args: &Args) -> Result<Outcome> {
    if args.site.is_some() || args.email.is_some() || args.check_only {
        let why = "Google connects through the browser: --site, --email and --check-only are for token sources";
        return Err(EngineError::InvalidInput(why.into()).into());
    }
    let engine = open(cli)?;
    let secret = read_stdin()?;
    let no_browser = args.no_browser;
    let open_page = move |url: &str| -> Result<(), String> {
        eprintln!("Sign in to Google to connect Chief. If no browser opens, visit:\n  {url}");
        if no_browser {
            return Ok(());
        }
        let browser = std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty());
        let mut cmd = match &browser {
            Some(b) => {
                let mut parts = b.split_whitespace();
                let mut c = std::process::Command::new(parts.next().unwrap_or("xdg-open"));
                c.args(parts);
                c
            }
            None if cfg!(target_os = "macos") => std::process::Command::new("open"),
            None => std::process::Command::new("xdg-open"),
        };
        cmd.arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // The browser runs on its own; a failure to start it leaves the printed address.
        if let Err(e) = cmd.spawn() {
            eprintln!("could not start a browser ({e}); open the address above yourself");
        }
        Ok(())
    };
    let report =
        engine.connect_google(args.client_id.as_deref(), &secret, &open_page, std::time::Duration::from_secs(300))?;
    engine.close()?;
    output::connect(&report, args.json)?;
    Ok(Outcome::Ok)
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
