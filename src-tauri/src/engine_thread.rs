//! The engine lives on a thread of its own (every engine call blocks); commands send
//! it closures and await the answer, so the UI thread never waits on SQLite or search.

use std::path::PathBuf;
use std::sync::mpsc;

use chief_engine::{Config, Engine, EngineError};
use serde::Serialize;

/// An error as the UI sees it.
#[derive(Debug, Clone, Serialize)]
pub struct UiError {
    pub code: String,
    pub message: String,
}

impl From<EngineError> for UiError {
    fn from(e: EngineError) -> Self {
        UiError { code: e.code().to_string(), message: e.to_string() }
    }
}

type Job = Box<dyn FnOnce(Result<&mut Engine, &UiError>) + Send>;

/// A handle to the engine thread.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Job>,
}

impl EngineHandle {
    /// Opens the engine for `home` on its own thread. An engine that cannot open
    /// answers every call with the reason.
    pub fn start(home: PathBuf, env: Vec<(String, String)>) -> EngineHandle {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("chief-engine".into())
            .spawn(move || {
                let mut engine = Config::load(&home, env).map_err(EngineError::from).and_then(|c| Engine::open(&home, c)).map_err(UiError::from);
                if let Err(e) = &engine {
                    tracing::error!(code = %e.code, "{}", e.message);
                }
                while let Ok(job) = rx.recv() {
                    job(engine.as_mut().map_err(|e| &*e));
                }
                if let Ok(engine) = engine {
                    if let Err(e) = engine.close() {
                        tracing::warn!("closing the engine: {e}");
                    }
                }
            })
            .expect("spawning the engine thread");
        EngineHandle { tx }
    }

    /// Runs `f` on the engine thread.
    pub async fn call<T: Send + 'static>(&self, f: impl FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static) -> Result<T, UiError> {
        self.call_mut(move |e| f(e)).await
    }

    /// Runs `f` on the engine thread with the engine mutable (settings changes).
    pub async fn call_mut<T: Send + 'static>(&self, f: impl FnOnce(&mut Engine) -> Result<T, EngineError> + Send + 'static) -> Result<T, UiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |engine| {
            let out = match engine {
                Ok(e) => f(e).map_err(UiError::from),
                Err(e) => Err(e.clone()),
            };
            let _ = tx.send(out);
        });
        self.tx.send(job).map_err(|_| UiError { code: "engine".into(), message: "the engine stopped; restart Chief".into() })?;
        rx.await.map_err(|_| UiError { code: "engine".into(), message: "the engine stopped; restart Chief".into() })?
    }
}
