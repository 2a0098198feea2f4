//! Retrieval settings: how hybrid search fuses its two rankings ([`SearchConfig`]) and
//! how the embedding queue runs ([`EmbedConfig`]). They are `[search]` and `[embed]` in
//! `chief.toml`; the engine's configuration embeds them as they are.

use serde::{Deserialize, Serialize};

/// How hybrid search combines word and meaning matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fusion {
    /// Reciprocal-rank fusion.
    Rrf,
    /// Weighted sum of normalized scores, with exact cosines for every candidate.
    #[default]
    Linear,
}

/// `[search]`: how hybrid search combines word and meaning matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// `rrf` (reciprocal-rank fusion) or `linear` (weighted sum of normalized scores).
    pub fusion: Fusion,
    /// The k of reciprocal-rank fusion.
    pub rrf_k: f32,
    /// Weight of word (BM25) matches.
    pub bm25_weight: f32,
    /// Weight of meaning (dense) matches.
    pub dense_weight: f32,
    /// Candidates taken from each retriever before fusion.
    pub candidates: usize,
    /// Queries of at least this many content words get the full dense weight; shorter
    /// ones (a key, a name, two words: lexical) proportionally less, at least 15%.
    /// 0: every query gets the full weight.
    pub dense_full_words: usize,
    /// Weight of a word matching a title, relative to the body.
    pub title_boost: f32,
    /// Weight of a word matching one of the item's propositions (the factoids the
    /// extract agent derived from it), relative to the body; 0 leaves them out.
    pub facts_boost: f32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            fusion: Fusion::Linear,
            rrf_k: 60.0,
            bm25_weight: 1.0,
            dense_weight: 1.5,
            candidates: 100,
            dense_full_words: 8,
            title_boost: 0.5,
            facts_boost: 2.0,
        }
    }
}

/// `[embed]`: local embeddings (semantic search).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbedConfig {
    /// Embed new items and search by meaning. Off: BM25 only.
    pub enabled: bool,
    /// Folder with model.onnx, tokenizer.json, MANIFEST.toml and libonnxruntime.so.
    /// Empty: `models/` beside the executable, then the repository's `models/`.
    pub model_dir: String,
    /// The ONNX Runtime library; empty: ORT_DYLIB_PATH, then the model folder.
    pub onnxruntime: String,
    /// Threads for embedding and for vector search.
    pub threads: usize,
    /// Embed in the background as items arrive.
    pub background: bool,
    /// Meaning-only matches below this cosine similarity are dropped (0 keeps all).
    pub min_similarity: f32,
    /// At most this many chunks of one item are embedded (bounds the cost of huge items).
    pub max_chunks_per_item: usize,
    /// Items of three sentences or more also get a vector per sentence (up to
    /// `max_chunks_per_item`), and score as the average of their best passage and best
    /// sentence. Off: passages only (fewer vectors for a home of long documents).
    /// Changing it embeds every item again.
    pub sentences: bool,
    /// A long-running process (the desktop app, `chief watch`) unloads the model after
    /// this many seconds unused (about 100 MB) and loads it again when a sync or a
    /// lookup needs it (about a quarter of a second). 0 keeps it loaded.
    pub unload_after_secs: u64,
    /// Load the model at its first use rather than at start (set by the desktop's
    /// resting process, which may never need it; not a file setting).
    #[serde(skip)]
    pub load_when_needed: bool,
}

impl Default for EmbedConfig {
    fn default() -> Self {
        EmbedConfig {
            enabled: true,
            model_dir: String::new(),
            onnxruntime: String::new(),
            threads: 2,
            background: true,
            min_similarity: 0.25,
            max_chunks_per_item: 32,
            sentences: true,
            unload_after_secs: 600,
            load_when_needed: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_fusion_is_an_error_not_a_silent_default() {
        let ok: SearchConfig = toml::from_str("fusion = \"linear\"").unwrap();
        assert_eq!(ok.fusion, Fusion::Linear);
        let err = toml::from_str::<SearchConfig>("fusion = \"linaer\"").unwrap_err().to_string();
        assert!(err.contains("linaer") && err.contains("rrf"), "{err}");
    }
}
