//! Loading and running the ONNX model.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::session::Session;
use ort::value::Tensor;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams, TruncationStrategy};

use crate::{CHUNK_TOKENS, Chunk, Embed, EmbedError, chunk_counted};

/// Where the model, tokenizer and ONNX Runtime library are, and the manifest that
/// pins their hashes.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub model: PathBuf,
    pub tokenizer: PathBuf,
    pub onnxruntime: PathBuf,
    /// `MANIFEST.toml`; when present, every file's sha256 is checked against it.
    pub manifest: Option<PathBuf>,
}

#[derive(serde::Deserialize)]
struct Manifest {
    dims: usize,
    max_tokens: usize,
    files: std::collections::BTreeMap<String, ManifestFile>,
}

#[derive(serde::Deserialize)]
struct ManifestFile {
    path: String,
    sha256: String,
}

impl ModelFiles {
    /// The standard layout of a models directory. `ORT_DYLIB_PATH` overrides the library.
    pub fn in_dir(dir: &Path) -> ModelFiles {
        let onnxruntime = std::env::var_os("ORT_DYLIB_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join("libonnxruntime.so.1.31.1"));
        ModelFiles {
            model: dir.join("model.onnx"),
            tokenizer: dir.join("tokenizer.json"),
            onnxruntime,
            manifest: Some(dir.join("MANIFEST.toml")),
        }
    }

    /// The vectors' width the manifest gives (384 without one).
    pub(crate) fn dims(&self) -> Result<usize, EmbedError> {
        Ok(self.manifest()?.map_or(384, |m| m.dims))
    }

    fn manifest(&self) -> Result<Option<Manifest>, EmbedError> {
        let Some(path) = &self.manifest else { return Ok(None) };
        let text = std::fs::read_to_string(path)
            .map_err(|e| EmbedError::Manifest { path: path.clone(), message: e.to_string() })?;
        toml::from_str(&text).map(Some).map_err(|e| EmbedError::Manifest { path: path.clone(), message: e.to_string() })
    }

    /// Checks that every file exists and, with a manifest, has the pinned sha256.
    pub fn check(&self) -> Result<(), EmbedError> {
        for (what, path) in [
            ("the embedding model", &self.model),
            ("the tokenizer", &self.tokenizer),
            ("the ONNX Runtime library", &self.onnxruntime),
        ] {
            if !path.is_file() {
                return Err(EmbedError::Missing { what, path: path.clone() });
            }
        }
        if let Some(m) = self.manifest()? {
            for f in m.files.values() {
                let path = [&self.model, &self.tokenizer, &self.onnxruntime]
                    .into_iter()
                    .find(|p| p.file_name().is_some_and(|n| n == f.path.as_str()));
                let Some(path) = path else { continue };
                let found = sha256_file(path)?;
                if found != f.sha256 {
                    return Err(EmbedError::HashMismatch { path: path.clone(), found, expected: f.sha256.clone() });
                }
            }
        }
        Ok(())
    }
}

/// Size and modification time of the model and tokenizer: unchanged since they were
/// verified means they need not be hashed again.
pub(crate) fn fingerprint(files: &ModelFiles) -> Vec<(u64, Option<std::time::SystemTime>)> {
    [&files.model, &files.tokenizer]
        .into_iter()
        .map(|p| std::fs::metadata(p).map(|m| (m.len(), m.modified().ok())).unwrap_or((0, None)))
        .collect()
}

fn sha256_file(path: &Path) -> Result<String, EmbedError> {
    use sha2::Digest;
    let bytes =
        std::fs::read(path).map_err(|_| EmbedError::Missing { what: "a model file", path: path.to_path_buf() })?;
    Ok(sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// ONNX Runtime is one library per process: it is loaded once, from the first path
/// given, and its environment is shared by every session.
fn environment(lib: &Path) -> Result<&'static ort::environment::Environment, EmbedError> {
    static ENV: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let builder = ort::init_from(lib).map_err(|e| format!("cannot load {}: {e}", lib.display()))?;
        builder.with_name("chief").build().map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| EmbedError::Runtime(e.clone()))
}

/// all-MiniLM-L6-v2 through ONNX Runtime: mean pooling over the attention mask, then
/// L2 normalization. Batches are sorted by length so padding stays small.
///
/// Memory: ONNX Runtime's CPU arena keeps the largest activations it ever served, and
/// batches of different shapes grew it past 1.4 GB after five batches of 32 long
/// chunks. Each run therefore ends with the arena shrunk back to what is in use, which
/// keeps the arena's speed within a run (measured: a run without the arena was 30 %
/// slower) and returns the rest.
pub struct OnnxEmbedder {
    session: Mutex<Session>,
    run_options: ort::session::RunOptions,
    tokenizer: Tokenizer,
    /// The same tokenizer without truncation or padding, to count word pieces.
    counter: Tokenizer,
    /// The most word pieces the model reads, [CLS] and [SEP] included.
    max_tokens: usize,
    input_names: Vec<String>,
    dims: usize,
    batch: usize,
}

impl OnnxEmbedder {
    /// Verifies and loads the model with `threads` intra-op threads.
    pub fn load(files: &ModelFiles, threads: usize) -> Result<OnnxEmbedder, EmbedError> {
        files.check()?;
        Self::load_checked(files, threads)
    }

    /// Loads files [`ModelFiles::check`] already verified.
    pub(crate) fn load_checked(files: &ModelFiles, threads: usize) -> Result<OnnxEmbedder, EmbedError> {
        let manifest = files.manifest()?;
        let max_tokens = manifest.as_ref().map_or(256, |m| m.max_tokens);
        let dims = manifest.as_ref().map_or(384, |m| m.dims);
        let env = environment(&files.onnxruntime)?;
        let rt = |e: ort::Error| EmbedError::Runtime(e.to_string());
        let session = Session::builder(env)
            .map_err(rt)?
            .with_execution_providers([ort::ep::CPU::default().with_arena_allocator(true).build()])
            .map_err(|e| EmbedError::Runtime(e.to_string()))?
            .with_intra_threads(threads.max(1))
            .map_err(|e| EmbedError::Runtime(e.to_string()))?
            .commit_from_file(&files.model)
            .map_err(rt)?;
        let input_names = session.inputs().iter().map(|i| i.name().to_string()).collect();
        let mut tokenizer = Tokenizer::from_file(&files.tokenizer).map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let mut counter = tokenizer.clone();
        counter.with_padding(None);
        counter.with_truncation(None).map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..Default::default() }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                strategy: TruncationStrategy::LongestFirst,
                ..Default::default()
            }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let mut run_options = ort::session::RunOptions::new().map_err(rt)?;
        run_options.set("memory.enable_memory_arena_shrinkage", "cpu:0").map_err(rt)?;
        Ok(OnnxEmbedder {
            session: Mutex::new(session),
            run_options,
            tokenizer,
            counter,
            max_tokens,
            input_names,
            dims,
            batch: 32,
        })
    }

    /// Word pieces the model reads for each text (after truncation), for benchmarks.
    pub fn token_counts(&self, texts: &[&str]) -> Result<Vec<usize>, EmbedError> {
        let enc =
            self.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(enc.iter().map(|e| e.get_attention_mask().iter().filter(|m| **m == 1).count()).collect())
    }

    fn run_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let enc =
            self.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let b = enc.len();
        let s = enc.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0i64; b * s];
        let mut mask = vec![0i64; b * s];
        let mut types = vec![0i64; b * s];
        for (r, e) in enc.iter().enumerate() {
            for (c, ((&i, &m), &t)) in
                e.get_ids().iter().zip(e.get_attention_mask()).zip(e.get_type_ids()).enumerate().take(s)
            {
                ids[r * s + c] = i as i64;
                mask[r * s + c] = m as i64;
                types[r * s + c] = t as i64;
            }
        }
        let rt = |e: ort::Error| EmbedError::Runtime(e.to_string());
        let mut inputs: Vec<(std::borrow::Cow<'_, str>, ort::session::SessionInputValue<'_>)> = Vec::new();
        for name in &self.input_names {
            let data = match name.as_str() {
                "input_ids" => ids.clone(),
                "attention_mask" => mask.clone(),
                "token_type_ids" => types.clone(),
                other => {
                    return Err(EmbedError::Runtime(format!(
                        "the model wants an input named {other:?} that Chief does not provide"
                    )));
                }
            };
            inputs.push((name.clone().into(), Tensor::from_array(([b, s], data)).map_err(rt)?.into()));
        }
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session.run_with_options(inputs, &self.run_options).map_err(rt)?;
        let hidden = outputs.get("last_hidden_state").unwrap_or(&outputs[0]);
        let (shape, data) = hidden.try_extract_tensor::<f32>().map_err(rt)?;
        let dims = *shape.last().unwrap_or(&0) as usize;
        if dims != self.dims || shape.len() != 3 {
            return Err(EmbedError::Runtime(format!(
                "unexpected output shape {shape:?}, expected [batch, seq, {}]",
                self.dims
            )));
        }
        let mut out = Vec::with_capacity(b);
        for r in 0..b {
            let mut v = vec![0f32; dims];
            let mut count = 0f32;
            for c in 0..s {
                if mask[r * s + c] == 0 {
                    continue;
                }
                count += 1.0;
                let row = &data[(r * s + c) * dims..(r * s + c + 1) * dims];
                for (acc, x) in v.iter_mut().zip(row) {
                    *acc += x;
                }
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt() * if count > 0.0 { 1.0 } else { 0.0 };
            if norm > 0.0 {
                v.iter_mut().for_each(|x| *x /= norm);
            }
            out.push(v);
        }
        Ok(out)
    }
}

impl Embed for OnnxEmbedder {
    fn dims(&self) -> usize {
        self.dims
    }

    /// Passages of at most [`CHUNK_TOKENS`] of the model's word pieces, fewer when the
    /// title leaves less room: title, passage, [CLS] and [SEP] always fit the model.
    fn chunk(&self, title: &str, body: &str) -> Result<Vec<Chunk>, EmbedError> {
        let tok = |e: tokenizers::Error| EmbedError::Tokenizer(e.to_string());
        let title_pieces =
            if title.trim().is_empty() { 0 } else { self.counter.encode(title.trim(), false).map_err(tok)?.len() };
        let budget = CHUNK_TOKENS.min(self.max_tokens.saturating_sub(2 + title_pieces)).max(32);
        // Where each of the body's pieces starts (bytes, sorted): a word's pieces are the
        // starts inside it.
        let mut starts: Vec<usize> =
            self.counter.encode(body, false).map_err(tok)?.get_offsets().iter().map(|o| o.0).collect();
        starts.sort_unstable();
        let pieces = |start: usize, end: usize| {
            (starts.partition_point(|&s| s < end) - starts.partition_point(|&s| s < start)).max(1)
        };
        Ok(chunk_counted(title, body, budget, &pieces))
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = vec![Vec::new(); texts.len()];
        let mut order: Vec<usize> = (0..texts.len()).filter(|&i| !texts[i].trim().is_empty()).collect();
        for i in 0..texts.len() {
            if texts[i].trim().is_empty() {
                out[i] = vec![0.0; self.dims];
            }
        }
        order.sort_by_key(|&i| texts[i].len());
        for group in order.chunks(self.batch) {
            let batch: Vec<&str> = group.iter().map(|&i| texts[i]).collect();
            let vectors = self.run_batch(&batch)?;
            for (&i, v) in group.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosine;

    fn models_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models")
    }

    fn embedder() -> OnnxEmbedder {
        let files = ModelFiles::in_dir(&models_dir());
        OnnxEmbedder::load(&files, 1)
            .unwrap_or_else(|e| panic!("the model must be fetched for these tests (scripts/fetch-model.py): {e}"))
    }

    #[test]
    fn similar_sentences_are_close_and_unrelated_ones_are_not() {
        let e = embedder();
        let v =
            e.embed(&["The cat sits on the mat", "A cat is sitting on a mat", "Quarterly revenue grew 5%"]).unwrap();
        assert_eq!(v[0].len(), 384);
        let same = cosine(&v[0], &v[1]);
        let other = cosine(&v[0], &v[2]);
        assert!((same - 0.972).abs() < 0.01, "{same}");
        assert!(other.abs() < 0.1, "{other}");
        // Batching and order do not change results.
        let alone = e.embed(&["Quarterly revenue grew 5%"]).unwrap();
        assert!(cosine(&alone[0], &v[2]) > 0.999);
    }

    #[test]
    fn odd_inputs_embed_without_panic() {
        let e = embedder();
        let long = "word ".repeat(100_000);
        let v = e.embed(&["", "🚀🔥", &long, "東京で会議があります", "مرحبا بالفريق", "   "]).unwrap();
        assert!(v[0].iter().all(|x| *x == 0.0));
        assert!(v[5].iter().all(|x| *x == 0.0));
        for x in &v[1..5] {
            let n: f32 = x.iter().map(|a| a * a).sum();
            assert!((n - 1.0).abs() < 1e-3, "{n}");
        }
    }

    /// Passages cut on the model's own word pieces always fit what it reads, title
    /// included, and together cover the whole body; the word-length estimate alone made
    /// passages of dense scientific text longer than that (their tails were never read).
    #[test]
    fn passages_fit_the_model_and_cover_the_body() {
        let e = embedder();
        let title = "Interleukin-6-dependent STAT3 phosphorylation in hepatocytes";
        let body = (0..40)
            .map(|i| {
                format!("Phosphorylation of STAT3 (Tyr705) rose {i}.7-fold (p<0.001; n=14) in IL-6-stimulated cells.")
            })
            .collect::<Vec<_>>()
            .join(" ");
        let read = |text: &str| e.counter.encode(text, true).unwrap().len();
        let chunks = e.chunk(title, &body).unwrap();
        assert!(chunks.len() > 1);
        for c in &chunks {
            assert!(read(&c.text) <= e.max_tokens, "{} pieces: {:?}", read(&c.text), c.text);
            assert!(c.text.starts_with(title));
            assert!(body[c.start..c.end].trim().ends_with('.'), "cut after a sentence: {:?}", &body[c.start..c.end]);
        }
        assert_eq!(chunks[0].start, 0);
        assert_eq!(chunks.last().unwrap().end, body.len());
        assert!(chunks.windows(2).all(|w| w[0].end == w[1].start), "no gaps");
        let estimated = crate::chunk_text(title, &body, CHUNK_TOKENS);
        assert!(estimated.iter().any(|c| read(&c.text) > e.max_tokens), "the estimate was already right");
        // Short texts stay one passage, as before.
        assert_eq!(e.chunk("", "Deploy rolled back.").unwrap().len(), 1);
        assert_eq!(e.chunk("", "").unwrap().len(), 1);
    }

    #[test]
    fn missing_and_tampered_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = OnnxEmbedder::load(&ModelFiles::in_dir(dir.path()), 1).err().unwrap().to_string();
        assert!(err.contains("not found") && err.contains("fetch-model"), "{err}");
        for f in ["model.onnx", "tokenizer.json", "libonnxruntime.so.1.31.1", "MANIFEST.toml"] {
            std::fs::copy(models_dir().join(f), dir.path().join(f)).unwrap();
        }
        std::fs::write(dir.path().join("tokenizer.json"), b"{}").unwrap();
        let files =
            ModelFiles { onnxruntime: dir.path().join("libonnxruntime.so.1.31.1"), ..ModelFiles::in_dir(dir.path()) };
        let err = files.check().err().unwrap().to_string();
        assert!(err.contains("sha256"), "{err}");
    }
}
