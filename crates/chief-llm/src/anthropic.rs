//! Anthropic Messages: system prompt as a field, JSON output through a forced tool
//! call, streaming as typed events.

use serde_json::{Value, json};

use crate::openai::{Call, StreamState};
use crate::sse::SseEvent;
use crate::{ChatRequest, LlmError, ProviderConfig, Role, Usage};

const VERSION: &str = "2023-06-01";

pub(crate) fn build(cfg: &ProviderConfig, key: Option<&str>, req: &ChatRequest, stream: bool) -> Call {
    let base = cfg.base_url.trim_end_matches('/');
    let mut headers = vec![("anthropic-version", VERSION.to_string()), ("content-type", "application/json".into())];
    if let Some(k) = key {
        headers.push(("x-api-key", k.to_string()));
    }
    let system: Vec<&str> =
        req.messages.iter().filter(|m| m.role == Role::System).map(|m| m.content.as_str()).collect();
    let messages: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| m.role != Role::System)
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    let mut body = json!({"model": cfg.model, "max_tokens": req.max_tokens, "messages": messages, "temperature": req.temperature, "stream": stream});
    if !system.is_empty() {
        body["system"] = json!(system.join("\n\n"));
    }
    if let Some(s) = &req.json_schema {
        body["tools"] =
            json!([{"name": s.name, "description": "Return the answer in this structure.", "input_schema": s.schema}]);
        body["tool_choice"] = json!({"type": "tool", "name": s.name});
    }
    Call { url: format!("{base}/v1/messages"), headers, body }
}

fn usage(v: &Value) -> Usage {
    Usage {
        input_tokens: v["input_tokens"].as_u64().unwrap_or(0),
        output_tokens: v["output_tokens"].as_u64().unwrap_or(0),
        cached_tokens: v["cache_read_input_tokens"].as_u64().unwrap_or(0),
    }
}

/// Text blocks joined; a tool call's input becomes the JSON text.
pub(crate) fn parse(provider: &str, v: &Value) -> Result<(String, Usage, Option<String>, String), LlmError> {
    if v["type"] == "error" {
        return Err(LlmError::Transient {
            provider: provider.into(),
            message: v["error"]["message"].as_str().unwrap_or("error").into(),
            retry_after: None,
        });
    }
    let blocks = v["content"]
        .as_array()
        .ok_or_else(|| LlmError::Permanent { provider: provider.into(), message: "response has no content".into() })?;
    let mut text = String::new();
    for b in blocks {
        match b["type"].as_str() {
            Some("text") => text.push_str(b["text"].as_str().unwrap_or("")),
            Some("tool_use") => text.push_str(&b["input"].to_string()),
            _ => {}
        }
    }
    Ok((
        text,
        usage(&v["usage"]),
        v["stop_reason"].as_str().map(str::to_string),
        v["model"].as_str().unwrap_or("").to_string(),
    ))
}

/// Applies one stream event; returns the text delta, if any.
pub(crate) fn on_event(provider: &str, ev: &SseEvent, st: &mut StreamState) -> Result<Option<String>, LlmError> {
    let v: Value = serde_json::from_str(&ev.data).map_err(|e| LlmError::Transient {
        provider: provider.into(),
        message: format!("malformed stream event: {e}"),
        retry_after: None,
    })?;
    match v["type"].as_str().unwrap_or(ev.event.as_str()) {
        "message_start" => {
            st.model = v["message"]["model"].as_str().unwrap_or("").to_string();
            st.usage = usage(&v["message"]["usage"]);
        }
        "content_block_delta" => {
            let d = &v["delta"];
            let piece = d["text"].as_str().or(d["partial_json"].as_str()).unwrap_or("");
            if !piece.is_empty() {
                st.text.push_str(piece);
                return Ok(Some(piece.to_string()));
            }
        }
        "message_delta" => {
            st.usage.output_tokens = v["usage"]["output_tokens"].as_u64().unwrap_or(st.usage.output_tokens);
            if let Some(r) = v["delta"]["stop_reason"].as_str() {
                st.finish = Some(r.to_string());
            }
        }
        "message_stop" => st.done = true,
        "error" => {
            return Err(LlmError::Transient {
                provider: provider.into(),
                message: format!("error mid-stream: {}", v["error"]["message"].as_str().unwrap_or("unknown")),
                retry_after: None,
            });
        }
        _ => {}
    }
    Ok(None)
}

/// Maps an HTTP error to a class (529 is Anthropic's "overloaded").
pub(crate) fn classify(provider: &str, status: u16, retry_after: Option<std::time::Duration>, body: &str) -> LlmError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = crate::http_message(
        status,
        v["error"]["message"].as_str().map(str::to_string).unwrap_or_else(|| body.chars().take(300).collect()),
    );
    let p = provider.to_string();
    match status {
        401 | 403 => LlmError::Auth { provider: p, message },
        400 | 413 if message.contains("prompt is too long") || message.contains("context window") => {
            LlmError::ContextTooLong { provider: p, message }
        }
        408 | 409 | 429 | 500..=599 => LlmError::Transient { provider: p, message, retry_after },
        _ => LlmError::Permanent { provider: p, message },
    }
}
