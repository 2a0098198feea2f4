//! OpenAI chat completions, and the two variants of the same wire format: Azure
//! OpenAI (deployment URL, `api-key` header, `api-version`) and OpenAI-compatible
//! servers (Ollama, llama.cpp, vLLM, LM Studio) at a `base_url`.

use serde_json::{Value, json};

use crate::sse::SseEvent;
use crate::{ChatRequest, LlmError, ProviderConfig, ProviderKind, Usage};

/// An HTTP call to make.
pub(crate) struct Call {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

pub(crate) fn build(cfg: &ProviderConfig, key: Option<&str>, req: &ChatRequest, stream: bool) -> Call {
    let base = cfg.base_url.trim_end_matches('/');
    let (url, mut headers) = match cfg.kind {
        ProviderKind::Azure => (
            format!("{base}/openai/deployments/{}/chat/completions?api-version={}", cfg.deployment, cfg.api_version),
            key.map(|k| vec![("api-key", k.to_string())]).unwrap_or_default(),
        ),
        _ => (
            format!("{base}/chat/completions"),
            key.map(|k| vec![("authorization", format!("Bearer {k}"))]).unwrap_or_default(),
        ),
    };
    headers.push(("content-type", "application/json".into()));
    let messages: Vec<Value> = req.messages.iter().map(|m| json!({"role": m.role, "content": m.content})).collect();
    let mut body = json!({"model": cfg.model, "messages": messages, "temperature": req.temperature, "stream": stream});
    if cfg.kind == ProviderKind::Openai {
        body["max_completion_tokens"] = json!(req.max_tokens);
    } else {
        body["max_tokens"] = json!(req.max_tokens);
    }
    if stream && cfg.kind != ProviderKind::OpenaiCompatible {
        body["stream_options"] = json!({"include_usage": true});
    }
    if let Some(s) = &req.json_schema {
        body["response_format"] = match cfg.kind {
            // llama.cpp and Ollama take a schema on json_object.
            ProviderKind::OpenaiCompatible => json!({"type": "json_object", "schema": s.schema}),
            _ => json!({"type": "json_schema", "json_schema": {"name": s.name, "schema": s.schema, "strict": true}}),
        };
    }
    Call { url, headers, body }
}

fn usage(v: &Value) -> Usage {
    Usage {
        input_tokens: v["prompt_tokens"].as_u64().unwrap_or(0),
        output_tokens: v["completion_tokens"].as_u64().unwrap_or(0),
        cached_tokens: v["prompt_tokens_details"]["cached_tokens"].as_u64().unwrap_or(0),
    }
}

/// Parses a non-streamed response: text, usage, finish reason, model.
pub(crate) fn parse(provider: &str, v: &Value) -> Result<(String, Usage, Option<String>, String), LlmError> {
    if let Some(err) = v.get("error") {
        return Err(LlmError::Transient {
            provider: provider.into(),
            message: err["message"].as_str().unwrap_or("error in response").into(),
            retry_after: None,
        });
    }
    let choice = v["choices"]
        .get(0)
        .ok_or_else(|| LlmError::Permanent { provider: provider.into(), message: "response has no choices".into() })?;
    let text = choice["message"]["content"].as_str().unwrap_or("").to_string();
    Ok((
        text,
        usage(&v["usage"]),
        choice["finish_reason"].as_str().map(str::to_string),
        v["model"].as_str().unwrap_or("").to_string(),
    ))
}

/// Accumulates a stream.
#[derive(Default)]
pub(crate) struct StreamState {
    pub text: String,
    pub usage: Usage,
    pub finish: Option<String>,
    pub model: String,
    pub done: bool,
}

/// Applies one SSE event; returns the text delta, if any.
pub(crate) fn on_event(provider: &str, ev: &SseEvent, st: &mut StreamState) -> Result<Option<String>, LlmError> {
    if ev.data.trim() == "[DONE]" {
        st.done = true;
        return Ok(None);
    }
    let v: Value = serde_json::from_str(&ev.data).map_err(|e| LlmError::Transient {
        provider: provider.into(),
        message: format!("malformed stream event: {e}"),
        retry_after: None,
    })?;
    if let Some(err) = v.get("error") {
        return Err(LlmError::Transient {
            provider: provider.into(),
            message: format!("error mid-stream: {}", err["message"].as_str().unwrap_or("unknown")),
            retry_after: None,
        });
    }
    if let Some(m) = v["model"].as_str() {
        st.model = m.to_string();
    }
    if v["usage"].is_object() {
        st.usage = usage(&v["usage"]);
    }
    let Some(choice) = v["choices"].get(0) else { return Ok(None) };
    if let Some(f) = choice["finish_reason"].as_str() {
        st.finish = Some(f.to_string());
    }
    let delta = choice["delta"]["content"].as_str().unwrap_or("");
    if delta.is_empty() {
        return Ok(None);
    }
    st.text.push_str(delta);
    Ok(Some(delta.to_string()))
}

/// Maps an HTTP error to a class.
pub(crate) fn classify(provider: &str, status: u16, retry_after: Option<std::time::Duration>, body: &str) -> LlmError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = crate::http_message(
        status,
        v["error"]["message"].as_str().map(str::to_string).unwrap_or_else(|| body.chars().take(300).collect()),
    );
    let code = v["error"]["code"].as_str().unwrap_or("");
    let p = provider.to_string();
    match status {
        401 | 403 => LlmError::Auth { provider: p, message },
        400 | 413
            if code == "context_length_exceeded"
                || message.contains("maximum context length")
                || message.contains("context window")
                || message.contains("exceeds the context") =>
        {
            LlmError::ContextTooLong { provider: p, message }
        }
        408 | 409 | 429 | 500..=599 => LlmError::Transient { provider: p, message, retry_after },
        _ => LlmError::Permanent { provider: p, message },
    }
}
