//! `chief import`: data exported from a source.

use std::path::PathBuf;

use anyhow::Result;
use chief_engine::ImportOptions;

use super::{Global, Outcome, embed_with_progress, open, progress_bar};
use crate::output;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// A Slack export: the zip Slack gives you, or the folder it unzips to.
    SlackExport(SlackExportArgs),
    /// Saved GitHub / Jira / Calendar REST responses (layout in the README).
    RestDump(RestDumpArgs),
}

#[derive(clap::Args)]
pub struct SlackExportArgs {
    path: PathBuf,
    /// https://<team>.slack.com, to link results back to Slack.
    #[arg(long)]
    workspace_url: Option<String>,
    /// Re-read day files already imported.
    #[arg(long)]
    force: bool,
    /// Don't wait for the new items to be embedded (they are on the next start).
    #[arg(long)]
    no_embed: bool,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct RestDumpArgs {
    dir: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, cmd: &Cmd) -> Result<Outcome> {
    match cmd {
        Cmd::SlackExport(args) => slack_export(cli, args),
        Cmd::RestDump(args) => rest_dump(cli, args),
    }
}

fn slack_export(cli: &Global, args: &SlackExportArgs) -> Result<Outcome> {
    let engine = open(cli)?;
    let bar = progress_bar(cli, "importing");
    let opts = ImportOptions { workspace_url: args.workspace_url.clone(), force: args.force };
    let report = engine.import_slack_export(&args.path, &opts, &mut |p| {
        if let Some(b) = &bar {
            b.set_length(p.total as u64);
            b.set_position(p.done as u64);
            b.set_message(p.file.clone());
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    engine.extract_propositions(&super::env())?;
    engine.sync_index()?;
    if !args.no_embed {
        embed_with_progress(cli, &engine)?;
    }
    engine.close()?;
    output::import_report(&report, args.json, cli.quiet)?;
    Ok(Outcome::ok_if(report.failures.is_empty()))
}

fn rest_dump(cli: &Global, args: &RestDumpArgs) -> Result<Outcome> {
    let engine = open(cli)?;
    let report = engine.import_rest_dump(&args.dir, None)?;
    engine.extract_propositions(&super::env())?;
    engine.sync_index()?;
    engine.close()?;
    output::rest_dump(&report, args.json)?;
    Ok(Outcome::ok_if(report.failures.is_empty()))
}
