//! The shared engine. It opens once, on a blocking thread, at start; every command
//! then runs its engine call on tokio's blocking pool with the same `Arc<Engine>`, so
//! a popup lookup never waits for a sync that runs at the same time (the engine is
//! `Send + Sync`), and the UI thread never waits on SQLite or search. The runtime is
//! the shell's own (Tauri's in the app, a small one at rest).

use std::path::PathBuf;
use std::sync::Arc;

use chief_engine::{Config, Engine, EngineError, ErrorClass};
use serde::Serialize;
use tokio::sync::OnceCell;

/// An error as the UI sees it: a stable code, a message that says what to do, and
/// whether trying again later may work.
#[derive(Debug, Clone, Serialize)]
pub struct UiError {
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

impl UiError {
    /// An error of the shell itself (a window, the hotkey, the OS).
    pub fn shell(code: &str, message: impl Into<String>) -> UiError {
        UiError { code: code.into(), message: message.into(), retryable: false }
    }
}

impl From<EngineError> for UiError {
    fn from(e: EngineError) -> Self {
        UiError { code: e.code().to_string(), message: e.to_string(), retryable: e.class() == ErrorClass::Unavailable }
    }
}

/// A handle on the engine, cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    cell: Arc<OnceCell<Result<Arc<Engine>, UiError>>>,
    rt: tokio::runtime::Handle,
    resting: bool,
    home: PathBuf,
    env: Vec<(String, String)>,
}

impl EngineHandle {
    /// Starts opening the engine for `home` in the background. An engine that cannot
    /// open answers every call with the reason.
    pub fn start(rt: tokio::runtime::Handle, home: PathBuf, env: Vec<(String, String)>) -> EngineHandle {
        Self::open(rt, home, env, false)
    }

    /// The same for the resting process: the embedding model is loaded only if
    /// something needs it (a sync's new items).
    pub fn start_resting(rt: tokio::runtime::Handle, home: PathBuf, env: Vec<(String, String)>) -> EngineHandle {
        Self::open(rt, home, env, true)
    }

    fn open(rt: tokio::runtime::Handle, home: PathBuf, env: Vec<(String, String)>, resting: bool) -> EngineHandle {
        let handle = EngineHandle { cell: Arc::new(OnceCell::new()), rt: rt.clone(), resting, home, env };
        let opening = handle.clone();
        rt.spawn(async move {
            let _ = opening.engine().await;
        });
        handle
    }

    async fn engine(&self) -> Result<Arc<Engine>, UiError> {
        let (home, env, rt, resting) = (self.home.clone(), self.env.clone(), self.rt.clone(), self.resting);
        self.cell
            .get_or_init(|| async move {
                let opened = rt
                    .spawn_blocking(move || {
                        Config::load(&home, env)
                            .map_err(EngineError::from)
                            .and_then(|mut c| {
                                c.embed.load_when_needed = resting;
                                Engine::open(&home, c)
                            })
                            .map(Arc::new)
                    })
                    .await;
                let engine = match opened {
                    Ok(r) => r.map_err(UiError::from),
                    Err(e) => Err(UiError::shell("engine", format!("opening the engine failed: {e}; restart Chief"))),
                };
                if let Err(e) = &engine {
                    tracing::error!(code = %e.code, "{}", e.message);
                }
                engine
            })
            .await
            .clone()
    }

    /// Runs `f` with the engine on the blocking pool; calls run concurrently.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, UiError> {
        let engine = self.engine().await?;
        match self.rt.spawn_blocking(move || f(&engine)).await {
            Ok(r) => r.map_err(UiError::from),
            Err(e) => Err(UiError::shell("engine", format!("an engine call failed: {e}"))),
        }
    }
}
