//! Printing: JSON (stable, documented in the README) or text for people.

use std::io::IsTerminal;

use anyhow::Result;
use chief_bench::beir::ModeScores;
use chief_bench::demo::DemoReport;
use chief_bench::llm::LlmBenchReport;
use chief_bench::perf::{
    ContextDuringSyncReport, EmbedBenchRow, HybridBenchReport, IngestReport, Percentiles, SearchBenchReport,
    SyncBenchReport,
};
use chief_engine::{
    Briefing, Completion, ConnectReport, ContextResponse, DumpReport, FeedbackOutcome, Finding, ImportReport,
    InterestGraph, ItemDetail, Level, RunRecord, SearchResponse, SourceOutcome, SourceState, Status, StepRecord,
    UsageRow, WhoAmI,
};
use serde::Serialize;

pub fn print_json_or<T: Serialize>(value: &T, json: bool, text: impl FnOnce()) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        text();
    }
    Ok(())
}

fn bold(s: &str) -> String {
    if std::io::stdout().is_terminal() { format!("\x1b[1m{s}\x1b[0m") } else { format!("*{s}*") }
}

/// Synced text made safe to print: escape sequences and other control characters (a
/// message could otherwise move the cursor, retitle the terminal or hide text) are
/// removed; line breaks and tabs stay.
pub fn clean(s: &str) -> String {
    static ESC: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let esc = ESC.get_or_init(|| {
        regex::Regex::new(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])").expect("valid regex")
    });
    esc.replace_all(s, "")
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(c)))
        .collect()
}

fn highlighted(snippet: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &(s, e) in ranges {
        if s < at || e > snippet.len() || !snippet.is_char_boundary(s) || !snippet.is_char_boundary(e) {
            continue;
        }
        out.push_str(&clean(&snippet[at..s]));
        out.push_str(&bold(&clean(&snippet[s..e])));
        at = e;
    }
    out.push_str(&clean(&snippet[at..]));
    out.replace('\n', " ")
}

pub fn search(r: &SearchResponse, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        for n in &r.notes {
            eprintln!("note: {n}");
        }
        if r.results.is_empty() {
            println!("no results for {:?}", r.query);
        }
        for (i, x) in r.results.iter().enumerate() {
            let when = x.ts.get(..16).unwrap_or(&x.ts).replace('T', " ");
            println!(
                "{:>2}. [{} {}] {} · {} · {}",
                i + 1,
                x.source,
                clean(&x.container),
                clean(x.author.as_deref().unwrap_or("?")),
                when,
                clean(&x.title)
            );
            if !x.snippet.is_empty() {
                println!("    {}", highlighted(&x.snippet, &x.highlights));
            }
            if let Some(why) = &x.reason {
                println!("    matched: {}", clean(why));
            }
            println!("    {}{}", x.id, x.url.as_deref().map(|u| format!("  {u}")).unwrap_or_default());
        }
    })
}

pub fn ics_report(r: &chief_engine::IcsReport, json: bool, quiet: bool) -> Result<()> {
    print_json_or(r, json, || {
        if !quiet {
            for p in &r.problems {
                println!("  {}", clean(p));
            }
        }
        println!(
            "{}: {} events → {} items ({} new, {} updated, {} unchanged), {} cancelled; {} people",
            clean(&r.calendar),
            r.events,
            r.instances,
            r.inserted,
            r.updated,
            r.unchanged,
            r.cancelled,
            r.people
        );
    })
}

pub fn mbox_report(r: &chief_engine::MboxReport, json: bool, quiet: bool) -> Result<()> {
    print_json_or(r, json, || {
        if !quiet {
            for f in &r.files {
                println!(
                    "{}: {} messages ({} new, {} updated, {} already stored of which {} repeated in this import{})",
                    clean(&f.file),
                    f.messages,
                    f.inserted,
                    f.updated,
                    f.unchanged,
                    f.duplicates,
                    if f.dated_by_separator > 0 {
                        format!(", {} dated by their separator line", f.dated_by_separator)
                    } else {
                        String::new()
                    }
                );
                for x in &f.failures {
                    println!("  message {} (line {}): {}", x.message, x.line, clean(&x.error));
                }
            }
        }
        println!(
            "{} messages from {} files: {} new, {} updated, {} already stored, {} failed; {} people",
            r.messages,
            r.files.len(),
            r.inserted,
            r.updated,
            r.unchanged,
            r.failed,
            r.people
        );
    })
}

pub fn import_report(r: &ImportReport, json: bool, quiet: bool) -> Result<()> {
    print_json_or(r, json, || {
        if !quiet {
            println!(
                "{} conversations, {} people, {} day files ({} already imported)",
                r.conversations, r.people, r.day_files, r.day_files_already_imported
            );
            println!(
                "messages: {} new, {} updated, {} unchanged, {} deleted; {} bot messages, {} thread replies",
                r.messages_inserted,
                r.messages_updated,
                r.messages_unchanged,
                r.messages_deleted,
                r.bot_messages,
                r.thread_replies
            );
            if !r.skipped_by_subtype.is_empty() {
                let parts: Vec<String> = r.skipped_by_subtype.iter().map(|(k, v)| format!("{k} {v}")).collect();
                println!("skipped housekeeping: {}", parts.join(", "));
            }
            if !r.unknown_subtypes.is_empty() {
                let parts: Vec<String> = r.unknown_subtypes.iter().map(|(k, v)| format!("{k} {v}")).collect();
                println!("unknown subtypes imported as messages: {}", parts.join(", "));
            }
        }
    })?;
    if !r.failures.is_empty() {
        eprintln!(
            "{} day file(s) could not be imported; everything else was. Fix them and run the same command again \
             (imported files are skipped):",
            r.failures.len()
        );
        for f in &r.failures {
            eprintln!("  {}", f.error);
        }
    }
    Ok(())
}

pub fn rest_dump(r: &DumpReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!(
            "imported {} files: {} new, {} updated, {} unchanged, {} deleted",
            r.files, r.inserted, r.updated, r.unchanged, r.deleted
        );
        for f in &r.failures {
            eprintln!("failed: {}: {}", f.file, f.error);
        }
    })
}

pub fn status(s: &Status, json: bool) -> Result<()> {
    print_json_or(s, json, || {
        println!("home: {}", s.home);
        let mut total = 0;
        for (source, kind, live, deleted) in &s.counts.items {
            total += live;
            println!(
                "  {source:<7} {kind:<13} {live:>7}{}",
                if *deleted > 0 { format!("  ({deleted} deleted)") } else { String::new() }
            );
        }
        println!("items: {total}, people: {}, containers: {}", s.counts.people, s.counts.containers);
        println!(
            "index: {} documents, {} segments{}{}",
            s.index.documents,
            s.index.segments,
            if s.index_lag > 0 {
                format!(", {} changes behind (catching up)", s.index_lag)
            } else {
                ", up to date".into()
            },
            if s.index.read_only { ", read-only (another Chief process writes it)" } else { "" }
        );
        for n in &s.index.notes {
            println!("  note: {n}");
        }
        let e = &s.embeddings;
        if e.enabled {
            println!(
                "semantic: {} chunks{}",
                e.chunks,
                if e.lag > 0 {
                    format!(", {} changes to embed (run `chief embed`)", e.lag)
                } else {
                    ", up to date".into()
                }
            );
        } else {
            println!("semantic: off{}", e.problem.as_deref().map(|p| format!(" — {p}")).unwrap_or_default());
        }
        for i in &s.recent_imports {
            println!(
                "last import: {} {} — {} at {}",
                i.kind,
                i.path,
                i.status,
                i.finished.as_deref().unwrap_or("(running)")
            );
        }
        for src in &s.sources {
            let when = |t: Option<chief_core::Timestamp>| t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into());
            let state = match src.state {
                SourceState::Paused => format!("PAUSED — {} ", src.message),
                SourceState::Parked => format!("parked until {} — {} ", when(src.resume_at), src.message),
                SourceState::Failed => format!("last run failed — {} ", src.message),
                other => format!("{other} "),
            };
            println!(
                "sync {}{}: {state}(last success {})",
                src.source,
                if src.account.is_empty() { String::new() } else { format!(" ({})", src.account) },
                when(src.last_success)
            );
        }
        if !s.sync_failures.is_empty() {
            println!("sync failures: {} items kept for retry", s.sync_failures.len());
            for f in s.sync_failures.iter().take(5) {
                println!("  {} {} {}: {} ({} attempts)", f.source, f.container, f.item_key, f.error, f.attempts);
            }
        }
    })
}

pub fn show(d: &ItemDetail, json: bool) -> Result<()> {
    print_json_or(d, json, || {
        let it = &d.item.item;
        println!(
            "{} [{} {} in {}]{}",
            it.id,
            it.source,
            it.kind,
            d.item.container_name,
            if d.item.deleted { " (deleted)" } else { "" }
        );
        println!(
            "by {} at {}",
            d.item.author_name.as_deref().or(it.author.as_ref().map(|a| a.value.as_str())).unwrap_or("?"),
            it.created.to_rfc3339()
        );
        if !it.title.is_empty() {
            println!("{}", bold(&clean(&it.title)));
        }
        println!("{}", clean(&it.body));
        if let Some(u) = &it.url {
            println!("{u}");
        }
        if !it.references.is_empty() {
            let refs: Vec<String> = it
                .references
                .iter()
                .filter(|r| r.kind != chief_core::RefKind::Url)
                .map(|r| format!("{}:{}", r.kind, r.value))
                .collect();
            println!("references: {}", refs.join(", "));
        }
        if !d.thread.is_empty() {
            println!("thread ({} messages):", d.thread.len());
            for t in &d.thread {
                let marker = if t.item.id == it.id { ">" } else { " " };
                println!(
                    "{marker} {} {}: {}",
                    t.item.created.to_rfc3339().get(..16).unwrap_or(""),
                    clean(t.author_name.as_deref().unwrap_or("?")),
                    clean(&t.item.body.replace('\n', " "))
                );
            }
        }
        if !d.mentioned_by.is_empty() {
            println!("mentioned by: {}", d.mentioned_by.join(", "));
        }
        if !d.propositions.is_empty() {
            println!("propositions:");
            for p in &d.propositions {
                println!("  - {} ({})", clean(&p.text), p.by);
            }
        }
    })
}

pub fn doctor(findings: &[Finding], json: bool) -> Result<()> {
    print_json_or(&findings, json, || {
        for f in findings {
            let tag = match f.level {
                Level::Ok => "ok  ",
                Level::Info => "info",
                Level::Warning => "warn",
                Level::Error => "FAIL",
            };
            println!("[{tag}] {:<10} {}", f.check, f.message);
            if !f.fix.is_empty() {
                println!("       {:<10} → {}", "", f.fix);
            }
        }
    })
}

#[derive(Serialize)]
struct DemoJson<'a> {
    briefing: Option<&'a Briefing>,
    demo: &'a DemoReport,
    status: &'a Status,
}

pub fn demo(r: &DemoReport, s: &Status, brief: Option<&Briefing>, json: bool, quiet: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&DemoJson { demo: r, status: s, briefing: brief })?);
        return Ok(());
    }
    if quiet {
        return Ok(());
    }
    let total: i64 = s.counts.items.iter().map(|c| c.2).sum();
    let org =
        if r.seed == 0 { "the Kestrel demo workspace".to_string() } else { format!("demo workspace seed {}", r.seed) };
    println!("Loaded {org} into {}", s.home);
    println!(
        "  {total} items from Slack, GitHub, Jira and Calendar; {} people; {} channels/repos/projects/calendars",
        s.counts.people, s.counts.containers
    );
    println!("  source files: {}", r.data_dir);
    println!();
    println!("You are {}. It is {} in the demo. Your briefing:", r.user, r.truth.now);
    println!();
    match brief {
        Some(b) => print_briefing(b),
        None => println!("(no briefing: see the error above)"),
    }
    println!();
    println!("Try: chief search <words> · chief context <text> · chief runs list · chief interests · chief whoami");
    Ok(())
}

pub fn sync(outcomes: &[SourceOutcome], json: bool, quiet: bool) -> Result<()> {
    if quiet && !json {
        return Ok(());
    }
    print_json_or(&outcomes, json, || {
        for o in outcomes {
            match &o.report {
                Some(r) => {
                    println!(
                        "{} ({}): {} containers, {} pages; {} new, {} updated, {} unchanged, {} deleted; \
                         {} threads refreshed{}",
                        o.source,
                        r.account,
                        r.containers,
                        r.pages,
                        r.inserted,
                        r.updated,
                        r.unchanged,
                        r.deleted,
                        r.threads_refreshed,
                        if r.not_modified > 0 {
                            format!("; {} listings not modified", r.not_modified)
                        } else {
                            String::new()
                        }
                    );
                    if r.failed > 0 || r.recovered > 0 {
                        println!(
                            "  {} items failed (kept for retry, see `chief status`), {} earlier failures stored",
                            r.failed, r.recovered
                        );
                    }
                    if r.expired > 0 {
                        println!("  {} items past the retention window removed", r.expired);
                    }
                    if r.reconciled {
                        println!("  reconciled: every id in the window listed");
                    }
                    for (c, why) in &r.skipped {
                        println!("  skipped {c}: {why}");
                    }
                }
                None => println!("{}: {}: {}", o.source, o.state.as_str().replace('_', " "), o.message),
            }
        }
    })
}

pub fn context(r: &ContextResponse, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        for e in &r.entities {
            println!(
                "{} {}{}",
                e.kind.as_str(),
                e.value,
                if e.label.is_empty() { String::new() } else { format!(" — {}", e.label) }
            );
        }
        for g in &r.groups {
            println!("{}:", g.label);
            for it in &g.items {
                let like = g.like_it.get(&it.id).map(|n| format!("  (and {n} like it)")).unwrap_or_default();
                println!(
                    "  [{} {}] {} · {} · {}{like}",
                    it.source,
                    clean(&it.container),
                    clean(it.author.as_deref().unwrap_or("?")),
                    &it.ts[..it.ts.len().min(16)],
                    clean(&it.title)
                );
            }
        }
        println!("({} mode, {:.1} ms)", r.mode.as_str(), r.took_ms);
    })
}

pub fn connect(r: &ConnectReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!("{}: token works for {}", r.source, r.identity);
        if !r.granted.is_empty() {
            println!("  granted scopes: {}", r.granted.join(", "));
        }
        if r.missing.is_empty() {
            println!("  no scope missing");
        } else {
            println!("  missing scopes: {} (add them to the app / token, then connect again)", r.missing.join(", "));
        }
        println!(
            "  token: {}",
            if r.stored == "keychain" { "stored in the OS keychain" } else { "checked, not stored" }
        );
    })
}

pub fn bench_sync(r: &SyncBenchReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!(
            "sync from the local mock API ({} ms per request), real connectors + scheduler into SQLite + tantivy",
            r.latency_ms
        );
        println!(
            "  workspace: {} Slack messages, {} GitHub items ({} PRs), {} Jira issues and comments, {} Google events, Docs, comment threads and mails",
            r.slack_messages, r.github_items, r.pulls, r.jira_items, r.google_items
        );
        println!(
            "  stored {} items in {:.1} s: {:.0} items/s (slack {:.1} s, github {:.1} s, jira {:.1} s, google {:.1} s, concurrently)",
            r.items, r.seconds, r.items_per_sec, r.slack_seconds, r.github_seconds, r.jira_seconds, r.google_seconds
        );
        println!("  requests: {} ({:.3} per item)", r.requests, r.requests_per_item);
        println!("  first item searchable after {:.0} ms", r.first_searchable_ms);
        println!("  peak RSS: {:.0} MiB", r.peak_rss_mb);
    })
}

pub fn bench_ingest(r: &IngestReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!("ingest of {} synthetic messages", r.items);
        println!("  chief (SQLite + tantivy, until searchable): {:>10.0} items/s", r.items_per_sec);
        println!("  chief store alone (SQLite):                 {:>10.0} items/s", r.store_only_items_per_sec);
        println!("  SQLite FTS5 baseline:                       {:>10.0} items/s", r.fts5_items_per_sec);
        println!(
            "  disk per item: store {:.0} B + index {:.0} B (FTS5 {:.0} B)",
            r.store_bytes_per_item, r.index_bytes_per_item, r.fts5_bytes_per_item
        );
        println!("  peak RSS: {:.0} MiB", r.peak_rss_mb);
    })
}

fn latency_row(name: &str, p: &Percentiles) {
    println!("  {name:<26} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms", p.p50_ms, p.p95_ms, p.p99_ms);
}

pub fn bench_search(r: &SearchBenchReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        bench_ingest(&r.ingest, false).ok();
        println!("search over {} items, {} queries of 1-3 words, top 10 with snippets", r.items, r.queries);
        let row = latency_row;
        row("chief BM25", &r.chief);
        row("chief BM25 + filters", &r.chief_filtered);
        row("FTS5", &r.fts5);
        row("FTS5 + filters", &r.fts5_filtered);
        println!("  p95 speedup vs FTS5: {:.1}x (filtered {:.1}x)", r.speedup_p95, r.speedup_p95_filtered);
        println!("  peak RSS: {:.0} MiB", r.peak_rss_mb);
    })
}

pub fn bench_embed(rows: &[EmbedBenchRow], json: bool) -> Result<()> {
    print_json_or(&rows, json, || {
        println!(
            "{:<8} {:>7} {:>6} {:>10} {:>12} {:>12} {:>14} {:>7}",
            "texts", "threads", "count", "avg tokens", "chunks/s", "tokens/s", "python chunks/s", "ratio"
        );
        for r in rows {
            println!(
                "{:<8} {:>7} {:>6} {:>10.1} {:>12.1} {:>12.0} {:>14} {:>7}",
                r.texts,
                r.threads,
                r.count,
                r.avg_tokens,
                r.chunks_per_sec,
                r.tokens_per_sec,
                r.python_chunks_per_sec.map_or("-".into(), |p| format!("{p:.1}")),
                r.ratio.map_or("-".into(), |x| format!("{x:.2}x"))
            );
        }
    })
}

pub fn bench_hybrid(r: &HybridBenchReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!(
            "hybrid search over {} items ({} vectors), {} queries of 1-3 words, top 10 with snippets",
            r.items, r.chunks, r.queries
        );
        let row = latency_row;
        row("total", &r.total);
        row("query embedding", &r.query_embedding);
        row("BM25 top 100", &r.bm25);
        row("vector scan top 100", &r.vectors);
        println!(
            "  vector index memory: {:.0} MiB per million chunks; peak RSS {:.0} MiB",
            r.vector_memory_mb_per_million, r.peak_rss_mb
        );
    })
}

pub fn bench_context(r: &ContextDuringSyncReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!(
            "context lookups in a home of {} items: idle p50 {:.2} ms p95 {:.2} ms ({} lookups); during a sync p50 \
             {:.2} ms p95 {:.2} ms ({} lookups); sync stored {} items in {:.1} s; peak RSS {:.0} MiB",
            r.home_items,
            r.idle.p50_ms,
            r.idle.p95_ms,
            r.idle_lookups,
            r.during_sync.p50_ms,
            r.during_sync.p95_ms,
            r.during_sync_lookups,
            r.synced_items,
            r.sync_seconds,
            r.peak_rss_mb
        );
    })
}

pub fn search_eval(r: &chief_bench::search_eval::SearchEvalReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!("workplace search, {} queries over {} seeded orgs:", r.queries, r.seeds.len());
        let row = |name: &str, s: Option<chief_bench::search_eval::ModeScore>| match s {
            Some(s) => println!("  {name:<7} recall@5 {:.3}  MRR@10 {:.3}", s.recall_at_5, s.mrr_at_10),
            None => println!("  {name:<7} (semantic search is off)"),
        };
        row("bm25", Some(r.bm25));
        row("dense", r.dense);
        row("hybrid", r.hybrid);
    })
}

pub fn bench_llm(r: &LlmBenchReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!("LLM client vs raw reqwest, {} calls to a local mock", r.calls);
        println!("  raw reqwest       p50 {:.3} ms  p95 {:.3} ms", r.raw_reqwest.p50, r.raw_reqwest.p95);
        println!(
            "  chief client      p50 {:.3} ms  p95 {:.3} ms  (overhead p50 {:.3} ms)",
            r.chief_client.p50, r.chief_client.p95, r.overhead_p50_ms
        );
        println!("  first token raw   p50 {:.3} ms  p95 {:.3} ms", r.raw_first_token.p50, r.raw_first_token.p95);
        println!("  first token chief p50 {:.3} ms  p95 {:.3} ms", r.chief_first_token.p50, r.chief_first_token.p95);
        println!(
            "budget {} RPM, {} callers, {} s: {} requests, at most {} in any minute, {}..{} per caller",
            r.budget_rpm,
            r.budget_callers,
            r.budget_seconds,
            r.budget_completed,
            r.budget_max_per_minute,
            r.budget_min_per_caller,
            r.budget_max_per_caller
        );
    })
}

pub fn beir(scores: &std::collections::BTreeMap<String, ModeScores>, json: bool) -> Result<()> {
    print_json_or(scores, json, || {
        for (mode, s) in scores {
            println!("{mode:<7} nDCG@10 {:.3}  recall@100 {:.3}  MRR@10 {:.3}", s.ndcg10, s.recall100, s.mrr10);
        }
    })
}

pub fn llm_test(c: &Completion, json: bool) -> Result<()> {
    print_json_or(c, json, || {
        println!(
            "ok: {} ({}) answered {:?} in {} ms, {} tokens in / {} out{}",
            c.provider,
            c.model,
            c.text.trim(),
            c.latency_ms,
            c.usage.input_tokens,
            c.usage.output_tokens,
            if c.cached { " (from cache)" } else { "" }
        );
    })
}

pub fn usage(rows: &[UsageRow], json: bool) -> Result<()> {
    print_json_or(&rows, json, || {
        if rows.is_empty() {
            println!("no LLM calls yet");
        }
        for r in rows {
            println!(
                "{:<12} {:<24} {:<18} {:>5} calls ({} cached, {} failed)  {:>8} in {:>7} out  avg {:>6.0} ms  ~${:.4}",
                r.provider,
                r.model,
                if r.pipeline.is_empty() { "-" } else { &r.pipeline },
                r.calls,
                r.cache_hits,
                r.errors,
                r.input_tokens,
                r.output_tokens,
                r.avg_latency_ms,
                r.estimated_cost_usd
            );
        }
    })
}

fn print_briefing(b: &Briefing) {
    println!(
        "{} — your briefing for {} (prepared from {} items in {} discussions, {} → {}; run {})",
        bold("Chief"),
        b.date,
        b.items,
        b.discussions,
        chief_core::Timestamp(b.window.from_ms).to_rfc3339(),
        chief_core::Timestamp(b.window.to_ms).to_rfc3339(),
        b.run_id
    );
    if b.stories.is_empty() {
        println!("\nNothing in this window needs you. Try a longer window with --since 3d.");
    }
    for (i, s) in b.stories.iter().enumerate() {
        println!("\n{}. {}  [{}]", i + 1, bold(&clean(&s.title)), s.id);
        if !s.summary.is_empty() {
            println!("   {}", clean(&s.summary));
        }
        if !s.why.is_empty() {
            println!("   Why it matters to you: {}", clean(&s.why));
        }
        for src in s.sources.iter().take(4) {
            println!(
                "   - [{}] {}{}",
                src.source,
                clean(&src.title),
                src.url.as_deref().map(|u| format!(" <{}>", clean(u))).unwrap_or_default()
            );
        }
        if s.sources.len() > 4 {
            println!("   - and {} more", s.sources.len() - 4);
        }
    }
    if !b.dropped.is_empty() {
        println!(
            "\n({} sentence(s) dropped by the guard; `chief runs show {} --step 7` says why)",
            b.dropped.len(),
            b.run_id
        );
    }
}

pub fn briefing(b: &Briefing, json: bool) -> Result<()> {
    print_json_or(b, json, || print_briefing(b))
}

pub fn briefings(list: &[Briefing], json: bool) -> Result<()> {
    print_json_or(&list, json, || {
        if list.is_empty() {
            println!("No briefings yet: run `chief brief`.");
        }
        for b in list {
            println!("{}  run {}  {} stories", b.date, b.run_id, b.stories.len());
            for s in &b.stories {
                println!("  - {}  [{}]", s.title, s.id);
            }
        }
    })
}

pub fn runs(list: &[RunRecord], json: bool) -> Result<()> {
    print_json_or(&list, json, || {
        if list.is_empty() {
            println!("No runs yet: run `chief brief`.");
        }
        for r in list {
            let took = r.finished_ms.map(|f| format!("{} ms", f - r.started_ms)).unwrap_or_else(|| "-".into());
            println!(
                "{:>5}  {:<9} {:<7} {}  {took}{}",
                r.id,
                r.pipeline,
                format!("{:?}", r.status).to_lowercase(),
                chief_core::Timestamp(r.started_ms).to_rfc3339(),
                r.error.as_deref().map(|e| format!("  ({e})")).unwrap_or_default()
            );
        }
    })
}

pub fn run_detail(r: &RunRecord, steps: &[StepRecord], step: Option<i64>, json: bool) -> Result<()> {
    if let Some(n) = step {
        let s = steps.iter().find(|s| s.idx == n).ok_or_else(|| {
            chief_engine::EngineError::InvalidInput(format!(
                "run {} has no step {n}; it has steps {:?}",
                r.id,
                steps.iter().map(|s| s.idx).collect::<Vec<_>>()
            ))
        })?;
        return print_json_or(s, json, || {
            println!("run {} step {} ({}), input {}", r.id, s.idx, s.name, s.input_hash);
            println!("{}", serde_json::to_string_pretty(&s.output).unwrap_or_default());
        });
    }
    #[derive(Serialize)]
    struct Detail<'a> {
        run: &'a RunRecord,
        steps: Vec<serde_json::Value>,
    }
    let brief: Vec<serde_json::Value> = steps
        .iter()
        .map(|s| {
            serde_json::json!({"idx": s.idx, "name": s.name, "input_hash": s.input_hash, "elapsed_ms": s.elapsed_ms,
                "llm_calls": s.llm_calls, "tokens_in": s.tokens_in, "tokens_out": s.tokens_out,
                "error": s.error, "output_bytes": s.output.as_ref().map(|o| o.to_string().len())})
        })
        .collect();
    print_json_or(&Detail { run: r, steps: brief }, json, || {
        println!(
            "run {} ({}) {}{}",
            r.id,
            r.pipeline,
            format!("{:?}", r.status).to_lowercase(),
            r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
        );
        for s in steps {
            println!(
                "  {} {:<12} {:>6} ms  calls {}  tokens {}/{}{}",
                s.idx,
                s.name,
                s.elapsed_ms,
                s.llm_calls,
                s.tokens_in,
                s.tokens_out,
                s.error.as_deref().map(|e| format!("  error: {e}")).unwrap_or_default()
            );
        }
        println!("  (`chief runs show {} --step N` prints a step's full output)", r.id);
    })
}

pub fn interests(g: &InterestGraph, limit: usize, json: bool) -> Result<()> {
    let top: Vec<&chief_engine::Interest> = g.top(limit);
    print_json_or(&top, json, || {
        if top.is_empty() {
            println!("No interests yet: Chief learns them from what you write, review, react to and attend.");
        }
        for i in &top {
            let ev: Vec<String> = i.evidence.iter().take(3).map(|e| format!("{} {}", e.what, e.item)).collect();
            println!(
                "{:>7.2}  {:<10} {:<32} {}",
                i.weight,
                format!("{:?}", i.kind).to_lowercase(),
                i.label,
                ev.join("; ")
            );
        }
        println!("(half-life {} days)", g.half_life_days);
    })
}

pub fn feedback(f: &FeedbackOutcome, json: bool) -> Result<()> {
    print_json_or(f, json, || {
        let verb = if f.vote > 0 { "up" } else { "down" };
        println!(
            "Rated {verb}: {} [{}]. The next briefing moves it and {} related interests.",
            f.title,
            f.story,
            f.interests.len()
        );
    })
}

pub fn whoami(w: &WhoAmI, json: bool) -> Result<()> {
    print_json_or(w, json, || {
        println!("{}", if w.name.is_empty() { "(no name: set [me] name in chief.toml)" } else { &w.name });
        if w.identities.is_empty() {
            println!("  No identities: sync Slack or GitHub, or set [me] in chief.toml.");
        }
        for i in &w.identities {
            println!("  {:<7} {:<36} from {}", i.kind, i.value, i.via);
        }
        let known: Vec<String> =
            w.usual_start.iter().filter_map(|u| Some(format!("{} {}", &u.weekday[..3], u.time.as_deref()?))).collect();
        if !known.is_empty() {
            println!("  Usually starts (UTC): {}", known.join(", "));
        }
    })
}

pub fn brief_eval(r: &chief_bench::brief_eval::BriefEvalReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        let pct = |x: f64| format!("{:.1} %", x * 100.0);
        println!("Offline briefing on {} seeded demo orgs", r.seeds.len());
        println!("  gold in top 3, per story kind:");
        for (k, (hit, n)) in &r.gold_at_3 {
            println!("    {k:<18} {hit}/{n}  {}", pct(*hit as f64 / (*n).max(1) as f64));
        }
        let total: (usize, usize) = r.gold_at_3.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        println!("    {:<18} {}/{}  {}", "overall", total.0, total.1, pct(total.0 as f64 / total.1.max(1) as f64));
        println!("  duplicates in top 3: {}", r.duplicates);
        if r.distractors.is_empty() {
            println!("  distractors in top 3: 0");
        } else {
            let d: Vec<String> = r.distractors.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("  distractors in top 3: {}", d.join(", "));
        }
        println!(
            "  consolidation (BCubed): precision {:.3}, recall {:.3}, F1 {:.3}",
            r.bcubed_precision, r.bcubed_recall, r.bcubed_f1
        );
        println!("  citation precision: {}", pct(r.citation_precision));
        println!("  hard-fact check: {}", pct(r.hard_fact_rate));
        println!("  second person: {}", pct(r.second_person_rate));
        println!("  forbidden-phrase hits: {}", r.forbidden_hits);
        println!("  briefing time p50: {} ms (this build)", r.briefing_ms_p50);
        println!(
            "  notifications: precision {}, recall {}, from distractors {}, in quiet hours {}, most in an hour {}",
            pct(r.notify_precision),
            pct(r.notify_recall),
            r.notify_distractors,
            r.notify_quiet,
            r.notify_max_per_hour
        );
        for s in &r.seeds {
            let misses: Vec<&str> = s.gold.iter().filter(|(_, v)| !**v).map(|(k, _)| k.as_str()).collect();
            if !misses.is_empty()
                || !s.distractors.is_empty()
                || s.duplicates > 0
                || !s.ungrounded.is_empty()
                || !s.forbidden_hits.is_empty()
            {
                println!(
                    "  seed {} ({}): missed {:?}, distractors {:?}, duplicates {}, ungrounded {:?}, forbidden {:?}",
                    s.seed, s.user, misses, s.distractors, s.duplicates, s.ungrounded, s.forbidden_hits
                );
            }
        }
    })
}

pub fn bench_brief(r: &chief_bench::perf::BriefBenchReport, json: bool) -> Result<()> {
    print_json_or(r, json, || {
        println!("Offline briefing");
        println!(
            "  demo:      {} items in the window; first run {:.0} ms, re-run {:.0} ms",
            r.demo_window_items, r.demo_first_ms, r.demo_rerun_ms
        );
        println!(
            "  synthetic: {} items, {} in the window ({} discussions); first run {:.0} ms, re-run {:.0} ms",
            r.synthetic_items,
            r.synthetic_window_items,
            r.synthetic_discussions,
            r.synthetic_first_ms,
            r.synthetic_rerun_ms
        );
        println!("  peak RSS: {:.0} MiB", r.peak_rss_mb);
    })
}

pub fn notifications(list: &[chief_engine::Notification], json: bool) -> Result<()> {
    print_json_or(&list, json, || {
        if list.is_empty() {
            println!("Nothing in this window deserved a notification.");
        }
        for n in list {
            let held = n.held.as_deref().map(|h| format!("  ({h})")).unwrap_or_default();
            println!(
                "{}  {:<16} {}{held}\n    {}\n    [{}]",
                chief_core::Timestamp(n.send_ms).to_rfc3339(),
                n.kind.as_str(),
                clean(&n.title),
                clean(&n.line),
                n.sources.join(", ")
            );
        }
    })
}

pub fn context_explained(r: &ContextResponse, e: &chief_engine::Explanation, json: bool) -> Result<()> {
    if json {
        let mut v = serde_json::to_value(r)?;
        v["explanation"] = serde_json::to_value(e)?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    context(r, false)?;
    println!();
    for (i, s) in e.sentences.iter().enumerate() {
        println!("{}. {}  [{}]", i + 1, clean(&s.text), s.sources.join(", "));
    }
    explanation_footer(e);
    Ok(())
}

/// `context --explain --stream`: the related items, at once.
pub fn stream_start(r: &ContextResponse, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(&serde_json::json!({"context": r}))?);
    } else {
        context(r, false)?;
        println!();
    }
    std::io::Write::flush(&mut std::io::stdout())?;
    Ok(())
}

/// One sentence of a streamed explanation, as soon as it is written.
pub fn stream_sentence(n: usize, s: &chief_engine::Sentence, json: bool) {
    if json {
        if let Ok(line) = serde_json::to_string(&serde_json::json!({"sentence": s})) {
            println!("{line}");
        }
    } else {
        println!("{n}. {}  [{}]", clean(&s.text), s.sources.join(", "));
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
}

/// The end of a streamed explanation: who wrote it, and how fast the first sentence came.
pub fn stream_end(e: &chief_engine::Explanation, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(&serde_json::json!({"explanation": e}))?);
    } else {
        explanation_footer(e);
    }
    Ok(())
}

fn explanation_footer(e: &chief_engine::Explanation) {
    if e.sentences.is_empty() {
        println!("(nothing to explain: no related items)");
    }
    let by = e.model.as_deref().filter(|_| e.by == "llm").unwrap_or("extractive, on this machine");
    let first = e.first_sentence_ms.map(|ms| format!("; first sentence after {ms:.0} ms")).unwrap_or_default();
    println!("({by}{first})");
    if let Some(why) = &e.fallback {
        println!("(the extractive explanation, because {why})");
    }
}

pub fn prep(p: &chief_engine::Prep, json: bool) -> Result<()> {
    print_json_or(p, json, || {
        println!("{} — {}  [{}]", bold(&p.title), p.starts, p.event);
        println!("Who is coming:");
        for a in &p.attendees {
            let last = a.last_talked.as_deref().map(|t| format!("; you last talked {}", &t[..10])).unwrap_or_default();
            println!("  {}{}{last}", a.name, if a.title.is_empty() { String::new() } else { format!(", {}", a.title) });
        }
        println!("Open between you:");
        if p.open_items.is_empty() {
            println!("  nothing");
        }
        for o in &p.open_items {
            println!("  - {}  [{}]", clean(&o.text), o.sources.join(", "));
        }
        println!("About:");
        for r in &p.related {
            println!("  - [{}] {}  [{}]", r.source, clean(&r.title), r.id);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_sequences_never_reach_the_terminal() {
        let hostile = "ok\x1b[2J\x1b]0;pwned\x07 text\x1b[31mred\x1b[0m \u{202e}evil\u{7}\u{9b}31m\nnext\tline";
        assert_eq!(clean(hostile), "ok textred evil31m\nnext\tline");
        assert_eq!(clean("plain — ünïcode ✓"), "plain — ünïcode ✓");
    }
}
