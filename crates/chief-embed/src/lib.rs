//! Local sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) run by ONNX Runtime,
//! behind Chief's own [`Embed`] trait so the rest of the code never sees `ort`.
//!
//! Everything here is blocking and CPU-bound: callers run it on a dedicated thread,
//! never on an async worker. ONNX Runtime is loaded dynamically from the
//! `libonnxruntime.so` that `scripts/fetch-model.py` put beside the model (or from
//! `ORT_DYLIB_PATH`); a missing library or model, or a file whose sha256 does not
//! match `models/MANIFEST.toml`, is an [`EmbedError`], never a panic.

mod chunk;
mod model;
mod slot;

pub(crate) use chunk::chunk_counted;
pub use chunk::{CHUNK_TOKENS, Chunk, chunk_text, sentence_chunks};
pub use model::{ModelFiles, OnnxEmbedder};
pub use slot::ModelSlot;

/// Errors from loading or running the embedding model.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is missing.
    #[error(
        "{what} not found at {path}; run `python3 scripts/fetch-model.py` (the README's commands do) or set its path in chief.toml [embed]"
    )]
    Missing { what: &'static str, path: std::path::PathBuf },
    /// A model file does not match the manifest.
    #[error(
        "{path} has sha256 {found}, but the manifest pins {expected}; delete it and run `python3 scripts/fetch-model.py`"
    )]
    HashMismatch { path: std::path::PathBuf, found: String, expected: String },
    /// The manifest is unreadable.
    #[error("model manifest {path}: {message}")]
    Manifest { path: std::path::PathBuf, message: String },
    /// ONNX Runtime could not be loaded or failed.
    #[error("ONNX Runtime: {0}")]
    Runtime(String),
    /// The tokenizer failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
}

/// Turns texts into unit-length vectors.
pub trait Embed: Send + Sync {
    /// Vector length.
    fn dims(&self) -> usize;
    /// Embeds a batch of texts (blocking). Empty texts get a zero vector.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
    /// Splits an item into the passages that are embedded: by default on an estimate of
    /// word pieces ([`chunk_text`] with [`CHUNK_TOKENS`]); a model with a tokenizer
    /// counts its own, so no passage is cut short by the model's input limit.
    fn chunk(&self, title: &str, body: &str) -> Result<Vec<Chunk>, EmbedError> {
        Ok(chunk_text(title, body, CHUNK_TOKENS))
    }
}

/// Cosine similarity of two unit vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
