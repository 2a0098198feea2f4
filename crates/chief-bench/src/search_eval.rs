//! The workplace retrieval eval: each seeded demo org's ground-truth queries (an
//! incident described in other words, a ticket key, a review asked for, …) against
//! its own home, per search mode: recall@5 and MRR@10, averaged over every query of
//! every seed. Seeds other than 0 have other names, channels and phrasing, so a
//! ranking tuned on the demo shows here whether it generalizes.

use std::path::Path;

use chief_engine::{Engine, EngineError, SearchMode, SearchQuery};
use serde::Serialize;

/// One mode's scores.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ModeScore {
    pub recall_at_5: f64,
    pub mrr_at_10: f64,
}

/// What `chief eval search` measured.
#[derive(Debug, Clone, Serialize)]
pub struct SearchEvalReport {
    pub seeds: Vec<u64>,
    pub queries: usize,
    pub bm25: ModeScore,
    pub dense: Option<ModeScore>,
    pub hybrid: Option<ModeScore>,
}

/// Sums of recall@5 and reciprocal rank over queries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sums {
    pub recall: f64,
    pub rr: f64,
    pub n: usize,
}

impl Sums {
    pub fn score(&self) -> ModeScore {
        let n = self.n.max(1) as f64;
        ModeScore { recall_at_5: self.recall / n, mrr_at_10: self.rr / n }
    }
}

/// Scores one home's ground-truth queries in `mode`, adding to `sums`; `each` sees
/// every query's (text, recall@5, reciprocal rank).
pub fn score_home(
    engine: &Engine,
    truth: &chief_demo::GroundTruth,
    mode: SearchMode,
    sums: &mut Sums,
    each: &mut dyn FnMut(&str, f64, f64),
) -> Result<(), EngineError> {
    let now = chief_core::Timestamp::parse_rfc3339(&truth.now).ok();
    for q in &truth.queries {
        let got =
            engine.search(&SearchQuery { text: q.query.clone(), limit: Some(10), mode, now, ..Default::default() })?;
        let ids: Vec<&str> = got.results.iter().map(|r| r.id.as_str()).collect();
        let hits5 = ids.iter().take(5).filter(|id| q.expected.iter().any(|e| e == *id)).count();
        let recall = hits5 as f64 / q.expected.len().clamp(1, 5) as f64;
        let rank = ids.iter().position(|id| q.expected.iter().any(|e| e == id));
        let rr = rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
        each(&q.query, recall, rr);
        sums.recall += recall;
        sums.rr += rr;
        sums.n += 1;
    }
    Ok(())
}

/// Loads each seed's demo into `dir/seed-N` (with embeddings when semantic search is
/// on) and scores every mode it can.
pub fn run(
    dir: &Path,
    seeds: &[u64],
    env: Vec<(String, String)>,
    progress: &mut dyn FnMut(&str),
) -> Result<SearchEvalReport, EngineError> {
    let mut sums = [Sums::default(); 3];
    let mut semantic = true;
    for &seed in seeds {
        progress(&format!("seed {seed}: loading and embedding"));
        let home = dir.join(format!("seed-{seed}"));
        let (engine, report) = crate::demo::load_seeded(&home, seed, true, env.clone(), chief_engine::no_progress())?;
        semantic &= engine.has_semantic();
        progress(&format!("seed {seed}: scoring"));
        for (k, mode) in [SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid].into_iter().enumerate() {
            if mode == SearchMode::Bm25 || semantic {
                score_home(&engine, &report.truth, mode, &mut sums[k], &mut |_, _, _| {})?;
            }
        }
        engine.close()?;
        let _ = std::fs::remove_dir_all(&home);
    }
    Ok(SearchEvalReport {
        seeds: seeds.to_vec(),
        queries: sums[0].n,
        bm25: sums[0].score(),
        dense: semantic.then(|| sums[1].score()),
        hybrid: semantic.then(|| sums[2].score()),
    })
}
