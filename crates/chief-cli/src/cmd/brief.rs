//! `chief brief`: today's briefing (run or resumed, then stored), or earlier ones.

use anyhow::Result;
use chief_engine::{BriefRequest, BriefStep};

use super::{Global, Outcome, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
    /// Look back this far (e.g. 24h, 3d) instead of since the last briefing (at most
    /// 24 h, never less than the last working day).
    #[arg(long, value_name = "SPAN")]
    since: Option<String>,
    /// No LLM: the extractive, rule-based briefing (also what `[brain] mode = "local"`,
    /// the default, gives; `mode = "llm"` lets the configured model write the prose).
    #[arg(long)]
    offline: bool,
    /// Show stored briefings instead of making one.
    #[arg(long)]
    history: bool,
    /// How many stored briefings --history shows.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Stop after this step as if killed (discussions, summarize, consolidate, interests,
    /// rank, generate, guard); the next `chief brief` resumes from the step after it.
    #[arg(long, value_name = "STEP")]
    stop_after: Option<BriefStep>,
}

/// A span such as `24h`, `3d` or `90m`, in ms (at most a year).
pub fn span_ms(text: &str) -> Result<i64> {
    let t = text.trim();
    let (n, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| bad_span(text))?;
    let unit_ms = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad_span(text)),
    };
    n.checked_mul(unit_ms).filter(|ms| *ms <= 366 * 86_400_000).ok_or_else(|| bad_span(text))
}

fn bad_span(text: &str) -> anyhow::Error {
    chief_engine::EngineError::InvalidInput(format!(
        "--since {text:?} is not a span: use a number and m, h or d, up to a year (e.g. 24h, 3d)"
    ))
    .into()
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let since_ms = args.since.as_deref().map(span_ms).transpose()?;
    let engine = open(cli)?;
    if args.history {
        output::briefings(&engine.briefings(args.limit)?, args.json)?;
        engine.close()?;
        return Ok(Outcome::Ok);
    }
    let b = engine.brief(&BriefRequest {
        since_ms,
        offline: args.offline,
        stop_after: args.stop_after,
        env: super::env(),
    })?;
    output::briefing(&b, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(span_ms("24h").unwrap(), 86_400_000);
        assert_eq!(span_ms("3d").unwrap(), 3 * 86_400_000);
        for bad in ["", "h", "0h", "-1d", "3w", "9999999999999999d", "x+a€"] {
            assert!(span_ms(bad).is_err(), "{bad}");
        }
    }
}
