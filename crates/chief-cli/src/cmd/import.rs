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
    /// Mail: an mbox file (Gmail Takeout, a list archive, mboxrd or mboxo) or a folder of them.
    Mbox(MboxArgs),
    /// Calendar events: an iCalendar (.ics) file; recurring events become their instances
    /// from 14 days back to 60 days ahead.
    Ics(IcsArgs),
}

#[derive(clap::Args)]
pub struct IcsArgs {
    path: PathBuf,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct MboxArgs {
    path: PathBuf,
    /// Don't wait for the new items to be embedded (they are on the next start).
    #[arg(long)]
    no_embed: bool,
    #[arg(long)]
    json: bool,
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
        Cmd::Mbox(args) => mbox(cli, args),
        Cmd::Ics(args) => ics(cli, args),
    }
}

fn ics(cli: &Global, args: &IcsArgs) -> Result<Outcome> {
    let engine = open(cli)?;
    let report = engine.import_ics(&args.path)?;
    finish(cli, engine, None, false)?;
    output::ics_report(&report, args.json, cli.quiet)?;
    Ok(Outcome::ok_if(report.problems.is_empty()))
}

/// After an import: the progress bar goes, propositions and the index catch up, and
/// (unless `no_embed`) the new items are embedded before the engine closes.
fn finish(
    cli: &Global,
    engine: chief_engine::Engine,
    bar: Option<indicatif::ProgressBar>,
    no_embed: bool,
) -> Result<()> {
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    engine.extract_propositions(&super::env())?;
    engine.sync_index()?;
    if !no_embed {
        embed_with_progress(cli, &engine)?;
    }
    engine.close()?;
    Ok(())
}

fn mbox(cli: &Global, args: &MboxArgs) -> Result<Outcome> {
    let engine = open(cli)?;
    let bar = progress_bar(cli, "importing");
    let report = engine.import_mbox(&args.path, &mut |file, n| {
        if let Some(b) = &bar {
            b.set_position(n as u64);
            b.set_message(file.to_string());
        }
    })?;
    finish(cli, engine, bar, args.no_embed)?;
    output::mbox_report(&report, args.json, cli.quiet)?;
    Ok(Outcome::ok_if(report.failed == 0))
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
    finish(cli, engine, bar, args.no_embed)?;
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
