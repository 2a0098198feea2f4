//! The model for a process that runs for hours: loaded when something needs it and
//! dropped after a while unused.
//!
//! A loaded all-MiniLM-L6-v2 holds about 100 MB (its int8 weights are stored as
//! casts that ONNX Runtime folds into float32 at load), which is most of an idle
//! desktop app's memory. The app embeds when a sync brings new items and when a lookup
//! asks; in between the model can go, and loading it again takes about a quarter of a
//! second.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{Chunk, Embed, EmbedError, ModelFiles, OnnxEmbedder};

/// A model loaded on demand and unloaded after `keep` without use.
pub struct ModelSlot {
    files: ModelFiles,
    threads: usize,
    keep: Option<Duration>,
    dims: usize,
    /// The model files as verified at the first load.
    verified: Vec<(u64, Option<std::time::SystemTime>)>,
    state: Mutex<SlotState>,
}

struct SlotState {
    model: Option<Arc<OnnxEmbedder>>,
    last_used: Instant,
    loads: u64,
}

impl ModelSlot {
    /// Verifies and loads the model now (so a broken install is reported at start);
    /// `keep`: how long it stays loaded without use (None: for good).
    pub fn load(files: ModelFiles, threads: usize, keep: Option<Duration>) -> Result<ModelSlot, EmbedError> {
        let model = OnnxEmbedder::load(&files, threads)?;
        let dims = model.dims();
        Ok(Self::holding(files, threads, keep, dims, Some(model)))
    }

    fn holding(
        files: ModelFiles,
        threads: usize,
        keep: Option<Duration>,
        dims: usize,
        model: Option<OnnxEmbedder>,
    ) -> ModelSlot {
        let loads = u64::from(model.is_some());
        ModelSlot {
            verified: crate::model::fingerprint(&files),
            files,
            threads,
            keep,
            dims,
            state: Mutex::new(SlotState { model: model.map(Arc::new), last_used: Instant::now(), loads }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Verifies the model files now (a missing or altered file is reported at start)
    /// and loads the model at its first use: for a process that may never need it
    /// (the desktop's resting process).
    pub fn deferred(files: ModelFiles, threads: usize, keep: Option<Duration>) -> Result<ModelSlot, EmbedError> {
        files.check()?;
        let dims = files.dims()?;
        Ok(Self::holding(files, threads, keep, dims, None))
    }

    /// The model, loaded first if it was unloaded. Callers waiting for a load wait for
    /// that one load.
    pub fn get(&self) -> Result<Arc<OnnxEmbedder>, EmbedError> {
        let mut st = self.state();
        st.last_used = Instant::now();
        if let Some(m) = &st.model {
            return Ok(m.clone());
        }
        let t = Instant::now();
        // Files unchanged since they were verified are not hashed again (a third of the
        // load); changed ones are checked like at the first load.
        let model = if crate::model::fingerprint(&self.files) == self.verified {
            OnnxEmbedder::load_checked(&self.files, self.threads)?
        } else {
            OnnxEmbedder::load(&self.files, self.threads)?
        };
        let model = Arc::new(model);
        st.loads += 1;
        tracing::info!(ms = t.elapsed().as_millis() as u64, "embedding model loaded again");
        st.model = Some(model.clone());
        st.last_used = Instant::now();
        Ok(model)
    }

    /// Whether the model is in memory now.
    pub fn is_loaded(&self) -> bool {
        self.state().model.is_some()
    }

    /// How many times the model was loaded.
    pub fn loads(&self) -> u64 {
        self.state().loads
    }

    /// Drops the model if nobody used it for `keep` and nobody holds it now (a batch
    /// in flight keeps it). Returns whether it was dropped.
    pub fn unload_if_idle(&self) -> bool {
        let Some(keep) = self.keep else { return false };
        let mut st = self.state();
        let idle = st.last_used.elapsed() >= keep;
        if idle && st.model.as_ref().is_some_and(|m| Arc::strong_count(m) == 1) {
            st.model = None;
            tracing::info!(idle_secs = keep.as_secs(), "embedding model unloaded until it is needed");
            return true;
        }
        false
    }
}

impl Embed for ModelSlot {
    fn dims(&self) -> usize {
        self.dims
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let model = self.get()?;
        let out = model.embed(texts);
        // A long batch counts as use until it ends.
        self.state().last_used = Instant::now();
        out
    }

    fn chunk(&self, title: &str, body: &str) -> Result<Vec<Chunk>, EmbedError> {
        self.get()?.chunk(title, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosine;

    fn files() -> ModelFiles {
        ModelFiles::in_dir(&std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"))
    }

    #[test]
    fn an_idle_model_is_dropped_and_comes_back_on_use_with_the_same_vectors() {
        let slot = ModelSlot::load(files(), 1, Some(Duration::from_millis(150)))
            .unwrap_or_else(|e| panic!("the model must be fetched for these tests (scripts/fetch-model.py): {e}"));
        let before = slot.embed(&["the deploy was rolled back"]).unwrap();
        assert!(!slot.unload_if_idle(), "used just now");
        // Held by a batch in flight: not dropped even when idle.
        let held = slot.get().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(!slot.unload_if_idle());
        drop(held);
        assert!(slot.unload_if_idle());
        assert!(!slot.is_loaded());
        assert_eq!(slot.loads(), 1);
        let after = slot.embed(&["the deploy was rolled back"]).unwrap();
        assert!(slot.is_loaded());
        assert_eq!(slot.loads(), 2);
        assert!(cosine(&before[0], &after[0]) > 0.9999);
    }

    #[test]
    fn a_file_changed_while_unloaded_is_verified_again() {
        let dir = tempfile::tempdir().unwrap();
        let src = files();
        for f in [&src.model, &src.tokenizer, src.manifest.as_ref().unwrap()] {
            std::fs::copy(f, dir.path().join(f.file_name().unwrap())).unwrap();
        }
        let files = ModelFiles { onnxruntime: src.onnxruntime.clone(), ..ModelFiles::in_dir(dir.path()) };
        let slot = ModelSlot::load(files, 1, Some(Duration::from_millis(1))).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert!(slot.unload_if_idle());
        let mut tok = std::fs::read(dir.path().join("tokenizer.json")).unwrap();
        tok.push(b' ');
        std::fs::write(dir.path().join("tokenizer.json"), tok).unwrap();
        let err = slot.embed(&["hello"]).expect_err("a changed tokenizer is refused").to_string();
        assert!(err.contains("sha256"), "{err}");
        assert!(!slot.is_loaded());
    }

    #[test]
    fn a_deferred_model_is_checked_at_once_and_loaded_at_its_first_use() {
        let slot = ModelSlot::deferred(files(), 1, Some(Duration::from_secs(60))).unwrap();
        assert!(!slot.is_loaded());
        assert_eq!((slot.loads(), slot.dims()), (0, 384));
        let v = slot.embed(&["the deploy was rolled back"]).unwrap();
        assert!(slot.is_loaded());
        assert_eq!(slot.loads(), 1);
        let eager = ModelSlot::load(files(), 1, None).unwrap().embed(&["the deploy was rolled back"]).unwrap();
        assert!(cosine(&v[0], &eager[0]) > 0.9999);
        // A broken install is reported at start, not at the first use.
        let dir = tempfile::tempdir().unwrap();
        let err = ModelSlot::deferred(ModelFiles::in_dir(dir.path()), 1, None).err().expect("no model files here");
        assert!(err.to_string().contains("model"), "{err}");
    }

    #[test]
    fn without_a_keep_time_the_model_stays() {
        let slot = ModelSlot::load(files(), 1, None).unwrap();
        assert!(!slot.unload_if_idle());
        assert!(slot.is_loaded());
    }
}
