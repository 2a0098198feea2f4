//! `chief eval beir DIR`: retrieval quality on a BEIR-format folder (`corpus.jsonl`,
//! `queries.jsonl`, `qrels/test.tsv`), per mode: nDCG@10, recall@100, MRR@10.
//! The corpus is loaded into a fresh home (or a kept one, to skip re-embedding).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;

use chief_core::{Container, ContainerId, ContainerKind, Item, ItemId, ItemKind, Source, Timestamp};
use serde::Serialize;

use chief_engine::{Config, Engine, EngineError, SearchMode, SearchQuery};

/// Scores of one mode.
#[derive(Debug, Clone, Serialize)]
pub struct ModeScores {
    #[serde(rename = "ndcg@10")]
    pub ndcg10: f64,
    #[serde(rename = "recall@100")]
    pub recall100: f64,
    #[serde(rename = "mrr@10")]
    pub mrr10: f64,
}

fn read_jsonl(path: &Path) -> Result<Vec<serde_json::Value>, EngineError> {
    let file = std::fs::File::open(path).map_err(|source| EngineError::Home { path: path.to_path_buf(), source })?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| EngineError::Home { path: path.to_path_buf(), source })?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .map_err(|e| EngineError::InvalidInput(format!("{}: line {}: {e}", path.display(), n + 1)))?,
        );
    }
    Ok(out)
}

fn doc_id(native: &str) -> String {
    format!("local:beir/{native}")
}

fn corpus_id(doc: &serde_json::Value) -> Option<String> {
    doc["_id"].as_str().map(str::to_string).or_else(|| doc["_id"].as_i64().map(|n| n.to_string()))
}

/// Loads the corpus (once per home) and waits until it is indexed and embedded.
pub fn load(engine: &Engine, dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<usize, EngineError> {
    let corpus = read_jsonl(&dir.join("corpus.jsonl"))?;
    if corpus.iter().any(|d| corpus_id(d).is_none()) {
        return Err(EngineError::InvalidInput("corpus.jsonl: a document has no _id".into()));
    }
    engine.write(|w| {
        w.upsert_container(&Container {
            id: ContainerId::new(Source::Local, "beir"),
            source: Source::Local,
            kind: ContainerKind::Folder,
            name: "BEIR corpus".into(),
            description: dir.display().to_string(),
        })?;
        for doc in &corpus {
            // Documents without an id were rejected before the transaction began.
            let Some(id) = corpus_id(doc) else { continue };
            w.upsert_item(&Item {
                id: ItemId::new(Source::Local, &format!("beir/{id}")),
                source: Source::Local,
                kind: ItemKind::Doc,
                container: ContainerId::new(Source::Local, "beir"),
                author: None,
                participants: vec![],
                created: Timestamp(0),
                updated: Timestamp(0),
                title: doc["title"].as_str().unwrap_or("").to_string(),
                body: doc["text"].as_str().unwrap_or("").to_string(),
                url: None,
                parent: None,
                references: vec![],
                is_bot: false,
                extra: serde_json::Value::Null,
            })?;
        }
        Ok(())
    })?;
    progress("indexing");
    engine.sync_index()?;
    if engine.has_semantic() {
        let total = engine.status()?.counts.max_seq;
        engine.embed_wait(&mut |p| progress(&format!("embedding {}/{total}", p.done_seq)))?;
    }
    Ok(corpus.len())
}

/// Runs every query of `qrels/test.tsv` in each mode. With `runs`, each mode's ranking
/// is also written there as a TREC run file (`<mode>.run`: `qid Q0 doc rank score tag`),
/// the input of `trec_eval` and of fusion experiments.
pub fn run(
    engine: &Engine,
    dir: &Path,
    modes: &[SearchMode],
    runs: Option<&Path>,
) -> Result<BTreeMap<String, ModeScores>, EngineError> {
    let queries: HashMap<String, String> = read_jsonl(&dir.join("queries.jsonl"))?
        .into_iter()
        .filter_map(|q| {
            Some((
                q["_id"].as_str().map(str::to_string).or_else(|| q["_id"].as_i64().map(|n| n.to_string()))?,
                q["text"].as_str()?.to_string(),
            ))
        })
        .collect();
    let qrels_path = dir.join("qrels/test.tsv");
    let text = std::fs::read_to_string(&qrels_path)
        .map_err(|source| EngineError::Home { path: qrels_path.clone(), source })?;
    let mut qrels: BTreeMap<String, HashMap<String, f64>> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if n == 0 && cols.first().is_some_and(|c| c.contains("query")) {
            continue;
        }
        if cols.len() < 3 {
            continue;
        }
        let rel: f64 = cols[2].trim().parse().unwrap_or(0.0);
        if rel > 0.0 {
            qrels.entry(cols[0].to_string()).or_default().insert(doc_id(cols[1]), rel);
        }
    }
    let mut out = BTreeMap::new();
    for &mode in modes {
        let (mut ndcg, mut recall, mut mrr, mut n) = (0.0, 0.0, 0.0, 0usize);
        let mut run_file = String::new();
        for (qid, rels) in &qrels {
            let Some(text) = queries.get(qid) else { continue };
            let resp = engine.search(&SearchQuery {
                text: text.clone(),
                mode,
                limit: Some(100),
                recency: false,
                ..Default::default()
            })?;
            let ranked: Vec<&str> = resp.results.iter().map(|r| r.id.as_str()).collect();
            for (rank, r) in resp.results.iter().enumerate() {
                let native = r.id.strip_prefix("local:beir/").unwrap_or(&r.id);
                run_file.push_str(&format!("{qid} Q0 {native} {} {} chief-{}\n", rank + 1, r.score, mode.as_str()));
            }
            ndcg += ndcg_at(&ranked, rels, 10);
            recall += ranked.iter().take(100).filter(|id| rels.contains_key(**id)).count() as f64 / rels.len() as f64;
            mrr += ranked.iter().take(10).position(|id| rels.contains_key(*id)).map_or(0.0, |p| 1.0 / (p as f64 + 1.0));
            n += 1;
        }
        if let Some(runs) = runs {
            let path = runs.join(format!("{}.run", mode.as_str()));
            std::fs::create_dir_all(runs)
                .and_then(|()| std::fs::write(&path, run_file))
                .map_err(|source| EngineError::Home { path, source })?;
        }
        let n = n.max(1) as f64;
        let name = serde_json::to_value(mode).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        out.insert(name, ModeScores { ndcg10: ndcg / n, recall100: recall / n, mrr10: mrr / n });
    }
    Ok(out)
}

fn ndcg_at(ranked: &[&str], rels: &HashMap<String, f64>, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, id)| rels.get(*id).copied().unwrap_or(0.0) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<f64> = rels.values().copied().collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal.iter().take(k).enumerate().map(|(i, r)| r / ((i + 2) as f64).log2()).sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Opens (or reuses) an evaluation home and loads the corpus into it.
pub fn open_home(home: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Engine, EngineError> {
    let config = Config::load(home, env)?;
    Engine::open(home, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_is_one_for_a_perfect_ranking_and_less_otherwise() {
        let rels: HashMap<String, f64> = [("a".to_string(), 1.0), ("b".to_string(), 1.0)].into_iter().collect();
        assert!((ndcg_at(&["a", "b", "c"], &rels, 10) - 1.0).abs() < 1e-9);
        let worse = ndcg_at(&["c", "a", "b"], &rels, 10);
        assert!(worse < 1.0 && worse > 0.5);
        assert_eq!(ndcg_at(&["x", "y"], &rels, 10), 0.0);
    }
}
