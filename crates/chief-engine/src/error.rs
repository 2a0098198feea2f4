//! The engine's one error type and its classes. Surfaces decide what to do from the
//! class — the CLI's exit code, the UI's `{code, message, retryable}` — never from the
//! message text.

use std::path::PathBuf;

use serde::Serialize;

use crate::ConfigError;

/// What kind of failure an [`EngineError`] is, on the pattern of `LlmError::class()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The request or the configuration is wrong; the message says what to change.
    UserInput,
    /// The thing asked for does not exist.
    NotFound,
    /// A service (API, keychain, rate limit) is unavailable now; retrying later may work.
    Unavailable,
    /// Credentials are missing, expired or lack a permission.
    Auth,
    /// Chief itself failed (disk, database, a thread); the message is for a bug report.
    Internal,
}

/// What went wrong, with a kind the surfaces can match on.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
    #[error(transparent)]
    Search(#[from] chief_search::SearchError),
    #[error(transparent)]
    Source(#[from] chief_sources::SourceError),
    #[error(transparent)]
    Llm(#[from] chief_llm::LlmError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Sync(#[from] chief_sources::connector::ConnectorError),
    #[error(transparent)]
    Brain(#[from] chief_brain::BrainError),
    #[error("cannot use the Chief home {path}: {source}")]
    Home {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no item with id {id:?}; ids look like slack:C024BE91L:1455555555.000100 (see `chief search --json`)")]
    NotFound { id: String },
    #[error("no {name} token: set {var} or run `chief connect {name}` to store one in the keychain")]
    NotConnected { name: String, var: String },
    #[error("{0}")]
    InvalidInput(String),
    #[error("{path} holds your own data (not a demo workspace); use --home to load the demo elsewhere")]
    NotADemoHome { path: PathBuf },
    /// A failure inside Chief (a thread, a runtime) rather than in its input.
    #[error("{what}: {source}")]
    Internal {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl EngineError {
    /// An internal failure with what was being done.
    pub fn internal(what: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> EngineError {
        EngineError::Internal { what, source: source.into() }
    }

    /// The class, from which exit codes and retry decisions follow.
    pub fn class(&self) -> ErrorClass {
        use chief_sources::connector::ConnectorError as C;
        match self {
            EngineError::Config(_)
            | EngineError::InvalidInput(_)
            | EngineError::NotADemoHome { .. }
            | EngineError::Source(_) => ErrorClass::UserInput,
            EngineError::Search(e) if e.is_user_input() => ErrorClass::UserInput,
            EngineError::Search(chief_search::SearchError::SemanticOff { .. }) => ErrorClass::UserInput,
            EngineError::NotFound { .. } => ErrorClass::NotFound,
            EngineError::NotConnected { .. } => ErrorClass::Auth,
            EngineError::Llm(e) => match e.class() {
                chief_llm::ErrorClass::Auth => ErrorClass::Auth,
                chief_llm::ErrorClass::Transient => ErrorClass::Unavailable,
                _ if matches!(e, chief_llm::LlmError::Offline | chief_llm::LlmError::NotConfigured) => {
                    ErrorClass::UserInput
                }
                _ => ErrorClass::Internal,
            },
            EngineError::Secret(crate::secrets::SecretError::Unavailable(_)) => ErrorClass::Unavailable,
            EngineError::Sync(C::Auth(_)) => ErrorClass::Auth,
            EngineError::Sync(C::Parked { .. } | C::Transient(_)) => ErrorClass::Unavailable,
            EngineError::Sync(C::Invalid(_)) => ErrorClass::UserInput,
            EngineError::Brain(chief_brain::BrainError::NoSuchRun(_) | chief_brain::BrainError::NoSuchStory(_)) => {
                ErrorClass::NotFound
            }
            EngineError::Brain(chief_brain::BrainError::Stopped { .. }) => ErrorClass::UserInput,
            EngineError::Brain(chief_brain::BrainError::Store(e)) if e.is_retryable() => ErrorClass::Unavailable,
            _ => ErrorClass::Internal,
        }
    }

    /// True when the same call may succeed later without any change.
    pub fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Unavailable
    }

    /// A stable code for the UI and scripts (`{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Config(_) => "config",
            EngineError::Store(_) => "store",
            EngineError::Search(_) => "index",
            EngineError::Source(_) => "import",
            EngineError::Llm(_) => "llm",
            EngineError::Secret(_) => "keychain",
            EngineError::Sync(_) => "sync",
            EngineError::Brain(_) => "brain",
            EngineError::Home { .. } => "home",
            EngineError::NotFound { .. } => "not_found",
            EngineError::NotConnected { .. } => "not_connected",
            EngineError::InvalidInput(_) => "invalid_input",
            EngineError::NotADemoHome { .. } => "not_a_demo_home",
            EngineError::Internal { .. } => "internal",
        }
    }

    /// The CLI's exit code for this error: 2 for what the user can fix in the
    /// command, 1 for the rest.
    pub fn exit_code(&self) -> u8 {
        if self.class() == ErrorClass::UserInput { 2 } else { 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_decide_exit_codes_and_retries() {
        assert_eq!(EngineError::InvalidInput("x".into()).exit_code(), 2);
        let io = std::io::Error::other("disk");
        let internal = EngineError::internal("starting a runtime", io);
        assert_eq!((internal.class(), internal.exit_code(), internal.is_retryable()), (ErrorClass::Internal, 1, false));
        let auth = EngineError::Sync(chief_sources::connector::ConnectorError::Auth("revoked".into()));
        assert_eq!(auth.class(), ErrorClass::Auth);
        let busy = EngineError::Sync(chief_sources::connector::ConnectorError::Transient("502".into()));
        assert!(busy.is_retryable());
        assert_eq!(EngineError::NotFound { id: "x".into() }.class(), ErrorClass::NotFound);
    }
}
