//! The LLM layer: one normalized chat request, providers as sibling modules of the
//! same shape (OpenAI, Azure OpenAI, OpenAI-compatible servers, Anthropic), and the
//! policies every call goes through — budgets with backpressure, retries with
//! backoff that honour `Retry-After`, a circuit breaker per endpoint, a fallback
//! chain, a SQLite response cache and a usage log.
//!
//! Switching provider is configuration ([`ProviderConfig`]), never code: pipelines
//! call [`LlmClient`] and get a [`Completion`] with token usage and latency, or a
//! typed [`LlmError`] whose [`ErrorClass`] decides what to do next.

mod anthropic;
mod client;
mod openai;
mod policy;
mod sse;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use client::{LlmClient, UsageRow};
pub use policy::{Budget, CircuitBreaker, RetryPolicy};
pub use sse::SseParser;

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(s: impl Into<String>) -> Self {
        Message { role: Role::System, content: s.into() }
    }
    pub fn user(s: impl Into<String>) -> Self {
        Message { role: Role::User, content: s.into() }
    }
    pub fn assistant(s: impl Into<String>) -> Self {
        Message { role: Role::Assistant, content: s.into() }
    }
}

/// A JSON schema the answer must satisfy (structured output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonSchema {
    pub name: String,
    pub schema: serde_json::Value,
}

/// The normalized request every provider translates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: f32,
    /// Ask for JSON matching this schema.
    pub json_schema: Option<JsonSchema>,
    /// Which pipeline asks (for usage accounting), e.g. `briefing.summarize`.
    pub pipeline: String,
}

impl ChatRequest {
    /// A request with defaults: 512 tokens, temperature 0.
    pub fn new(messages: Vec<Message>) -> Self {
        ChatRequest { messages, max_tokens: 512, temperature: 0.0, json_schema: None, pipeline: String::new() }
    }

    /// A rough token estimate (4 characters a token) used for budgets before the
    /// provider reports real usage.
    pub fn estimated_tokens(&self) -> u64 {
        let chars: usize = self.messages.iter().map(|m| m.content.len()).sum();
        (chars / 4) as u64 + self.max_tokens as u64
    }
}

/// Token usage, as the provider reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens served from the provider's prompt cache.
    pub cached_tokens: u64,
}

/// A finished answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub text: String,
    pub usage: Usage,
    /// The provider entry (by name) that answered.
    pub provider: String,
    pub model: String,
    pub latency_ms: u64,
    /// Served from Chief's response cache: no network call was made.
    pub cached: bool,
    pub finish_reason: Option<String>,
}

/// What kind of failure, so retry policy is a `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Try again later or elsewhere: rate limits, 5xx, timeouts, dropped connections.
    Transient,
    /// The request itself is wrong; retrying won't help.
    Permanent,
    /// The prompt does not fit the model's context window.
    ContextTooLong,
    /// The key is missing, wrong or revoked.
    Auth,
}

/// What an HTTP error says, with the status when the body says nothing; a redirect
/// says why it was not followed.
pub(crate) fn http_message(status: u16, body: String) -> String {
    match status {
        300..=399 => format!(
            "HTTP {status}: the server redirects elsewhere, and Chief does not follow redirects (your key would go along); check base_url"
        ),
        _ if body.trim().is_empty() => format!("HTTP {status}"),
        _ => body,
    }
}

/// Errors from the LLM layer. Messages never contain API keys.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("{provider}: temporary failure ({message}){}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    Transient { provider: String, message: String, retry_after: Option<Duration> },
    #[error("{provider}: the request was rejected: {message}")]
    Permanent { provider: String, message: String },
    #[error("{provider}: the prompt is longer than the model's context window: {message}")]
    ContextTooLong { provider: String, message: String },
    #[error(
        "{provider}: authentication failed ({message}); store a valid key with `chief llm set-key` or set CHIEF_LLM_API_KEY"
    )]
    Auth { provider: String, message: String },
    #[error("the model's answer is not valid JSON for {schema} after one repair attempt: {message}")]
    InvalidOutput { schema: String, message: String },
    #[error("remote LLM calls are off (offline mode); turn off [llm] offline to use a provider")]
    Offline,
    #[error("no LLM provider is configured; add [[llm.providers]] to chief.toml")]
    NotConfigured,
    #[error("every provider failed; last error: {0}")]
    AllFailed(Box<LlmError>),
    #[error("LLM cache or usage log: {0}")]
    Store(#[from] chief_store::StoreError),
}

impl LlmError {
    /// The same error with every secret in its messages replaced (a server can echo a
    /// key back in an error, mid-stream or not).
    pub(crate) fn redacted(self, secrets: &[&str]) -> Self {
        let r = |m: String| redact(&m, secrets);
        match self {
            LlmError::Transient { provider, message, retry_after } => {
                LlmError::Transient { provider, message: r(message), retry_after }
            }
            LlmError::Permanent { provider, message } => LlmError::Permanent { provider, message: r(message) },
            LlmError::ContextTooLong { provider, message } => {
                LlmError::ContextTooLong { provider, message: r(message) }
            }
            LlmError::Auth { provider, message } => LlmError::Auth { provider, message: r(message) },
            LlmError::InvalidOutput { schema, message } => LlmError::InvalidOutput { schema, message: r(message) },
            LlmError::AllFailed(e) => LlmError::AllFailed(Box::new(e.redacted(secrets))),
            other => other,
        }
    }

    /// The class that drives retries and fallback.
    pub fn class(&self) -> ErrorClass {
        match self {
            LlmError::Transient { .. } => ErrorClass::Transient,
            LlmError::ContextTooLong { .. } => ErrorClass::ContextTooLong,
            LlmError::Auth { .. } => ErrorClass::Auth,
            LlmError::AllFailed(e) => e.class(),
            _ => ErrorClass::Permanent,
        }
    }

    /// True if the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Transient
    }
}

/// The wire format and endpoint shape of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Openai,
    Azure,
    Anthropic,
    OpenaiCompatible,
}

/// One provider or deployment in the fallback chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// A name for logs and usage (`primary`, `azure-eu`).
    pub name: String,
    pub kind: ProviderKind,
    pub model: String,
    /// API root: `https://api.openai.com/v1`, `https://RESOURCE.openai.azure.com`,
    /// `https://api.anthropic.com`, `http://127.0.0.1:8089/v1`.
    pub base_url: String,
    /// Azure only: the deployment name and API version.
    pub deployment: String,
    pub api_version: String,
    pub timeout_secs: u64,
    /// Requests and tokens per minute this deployment may use (0 = unlimited).
    pub rpm: u32,
    pub tpm: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Price in USD per million input / output tokens, for `chief usage`.
    pub price_input_per_mtok: f64,
    pub price_output_per_mtok: f64,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            name: "primary".into(),
            kind: ProviderKind::OpenaiCompatible,
            model: String::new(),
            base_url: String::new(),
            deployment: String::new(),
            api_version: "2024-10-21".into(),
            timeout_secs: 60,
            rpm: 0,
            tpm: 0,
            concurrency: 4,
            price_input_per_mtok: 0.0,
            price_output_per_mtok: 0.0,
        }
    }
}

/// Replaces anything that looks like a key in text meant for logs or errors.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(*s, "[REDACTED]");
    }
    out
}

/// Request bodies as the providers build them, for contract tests against the
/// official API descriptions (feature `test-support`).
#[cfg(feature = "test-support")]
pub mod contract {
    use serde_json::{Value, json};

    use crate::{ChatRequest, JsonSchema, Message, ProviderConfig, ProviderKind};

    fn request(json_mode: bool) -> ChatRequest {
        let mut r = ChatRequest::new(vec![
            Message::system("You are Chief."),
            Message::user("Summarize the thread."),
            Message::assistant("Sure."),
            Message::user("Go."),
        ]);
        if json_mode {
            r.json_schema = Some(JsonSchema {
                name: "summary".into(),
                schema: json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
            });
        }
        r
    }

    /// What a parser read from a response.
    #[derive(Debug)]
    pub struct Parsed {
        pub text: String,
        pub usage: crate::Usage,
    }

    /// An OpenAI chat completions body.
    pub fn openai_body(stream: bool, json_mode: bool) -> Value {
        let cfg = ProviderConfig {
            kind: ProviderKind::Openai,
            model: "gpt-4o-mini".into(),
            base_url: "https://api.openai.com/v1".into(),
            ..Default::default()
        };
        crate::openai::build(&cfg, Some("k"), &request(json_mode), stream).body
    }

    /// An Anthropic messages body.
    pub fn anthropic_body(stream: bool, json_mode: bool) -> Value {
        let cfg = ProviderConfig {
            kind: ProviderKind::Anthropic,
            model: "claude-3-5-haiku-latest".into(),
            base_url: "https://api.anthropic.com".into(),
            ..Default::default()
        };
        crate::anthropic::build(&cfg, Some("k"), &request(json_mode), stream).body
    }
}

#[cfg(feature = "test-support")]
impl contract::Parsed {
    fn new(text: String, usage: Usage) -> Self {
        contract::Parsed { text, usage }
    }
}

#[cfg(feature = "test-support")]
pub mod contract_parsers {
    //! Parsers exposed for contract tests against the specs' example responses.
    use serde_json::Value;

    use crate::LlmError;
    use crate::contract::Parsed;
    use crate::openai::StreamState;
    use crate::sse::SseEvent;

    /// Parses a non-streamed OpenAI chat completion.
    pub fn openai_response(v: &Value) -> Result<Parsed, LlmError> {
        let (text, usage, _, _) = crate::openai::parse("spec", v)?;
        Ok(Parsed::new(text, usage))
    }

    /// Parses streamed OpenAI chunks (one JSON object per event).
    pub fn openai_stream(chunks: &[&str]) -> Result<Parsed, LlmError> {
        let mut st = StreamState::default();
        for c in chunks {
            crate::openai::on_event("spec", &SseEvent { event: String::new(), data: c.to_string() }, &mut st)?;
        }
        Ok(Parsed::new(st.text, st.usage))
    }
}
