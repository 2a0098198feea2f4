//! The client pipelines call: a fallback chain of providers, each behind its budget,
//! retry policy and circuit breaker, with a response cache and a usage log.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chief_store::Store;
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Digest;

use crate::openai::{Call, StreamState};
use crate::policy::{Budget, CircuitBreaker, RetryPolicy};
use crate::sse::SseParser;
use crate::{ChatRequest, Completion, ErrorClass, LlmError, Message, ProviderConfig, ProviderKind, redact};

struct Slot {
    cfg: ProviderConfig,
    key: Option<String>,
    budget: Budget,
    breaker: CircuitBreaker,
}

/// Usage per provider, model and pipeline, for `chief usage`.
#[derive(Debug, Clone, Serialize)]
pub struct UsageRow {
    pub provider: String,
    pub model: String,
    pub pipeline: String,
    pub calls: i64,
    pub cache_hits: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_tokens: i64,
    pub avg_latency_ms: f64,
    pub estimated_cost_usd: f64,
}

/// The LLM client.
pub struct LlmClient {
    http: reqwest::Client,
    slots: Vec<Slot>,
    retry: RetryPolicy,
    offline: bool,
    store: Option<Arc<Mutex<Store>>>,
    cache_ttl: Duration,
    use_cache: bool,
    budget_wait: Duration,
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    get("retry-after-ms")
        .and_then(chief_core::time::parse_retry_after_ms)
        .or_else(|| get("retry-after").and_then(chief_core::time::parse_retry_after))
}

/// The longest a call waits before retrying. A provider that asks for longer gets the
/// error back at once: the caller (a journaled run) stops and resumes later.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

impl LlmClient {
    /// A client over `providers` (in fallback order) with their keys.
    pub fn new(providers: Vec<(ProviderConfig, Option<String>)>, offline: bool) -> Self {
        let slots = providers
            .into_iter()
            .map(|(cfg, key)| Slot {
                budget: Budget::new(cfg.rpm, cfg.tpm, cfg.concurrency),
                breaker: CircuitBreaker::new(5, Duration::from_secs(30)),
                key: key.filter(|k| !k.is_empty()),
                cfg,
            })
            .collect();
        LlmClient {
            // No redirects: an API key header must never follow a redirect to another host.
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default(),
            slots,
            retry: RetryPolicy::default(),
            offline,
            store: None,
            cache_ttl: Duration::from_secs(7 * 86_400),
            use_cache: true,
            budget_wait: Duration::from_secs(120),
        }
    }

    /// Caches responses and logs usage in this store.
    pub fn with_store(mut self, store: Store) -> Self {
        self.store = Some(Arc::new(Mutex::new(store)));
        self
    }

    /// How long cached answers stay valid.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Bypasses the response cache (`--no-cache`); usage is still logged.
    pub fn without_cache(mut self) -> Self {
        self.use_cache = false;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long a caller may wait for budget before the next provider is tried.
    pub fn with_budget_wait(mut self, wait: Duration) -> Self {
        self.budget_wait = wait;
        self
    }

    /// Circuit breakers: `threshold` consecutive failures open one for `cooldown`.
    pub fn with_breakers(mut self, threshold: u32, cooldown: Duration) -> Self {
        for s in &mut self.slots {
            s.breaker = CircuitBreaker::new(threshold, cooldown);
        }
        self
    }

    fn secrets(&self) -> Vec<&str> {
        self.slots.iter().filter_map(|s| s.key.as_deref()).collect()
    }

    fn cache_key(slot: &Slot, req: &ChatRequest) -> String {
        let body =
            serde_json::to_string(&(slot.cfg.kind, &slot.cfg.base_url, &slot.cfg.deployment, &slot.cfg.model, req))
                .unwrap_or_default();
        let digest = sha2::Sha256::digest(body.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn on_store<T>(&self, f: impl FnOnce(&Store) -> Result<T, chief_store::StoreError>) -> Option<T> {
        let store = self.store.as_ref()?;
        let guard = store.lock().unwrap_or_else(|p| p.into_inner());
        match f(&guard) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(error = %e, "LLM cache/usage store");
                None
            }
        }
    }

    fn log_call(&self, slot: &Slot, req: &ChatRequest, c: Option<&Completion>, err: Option<&LlmError>, latency: u64) {
        let class = err.map(|e| match e.class() {
            ErrorClass::Transient => "transient",
            ErrorClass::Permanent => "permanent",
            ErrorClass::ContextTooLong => "context_too_long",
            ErrorClass::Auth => "auth",
        });
        let u = c.map(|c| c.usage).unwrap_or_default();
        self.on_store(|s| {
            s.llm_record_call(
                &slot.cfg.name,
                &slot.cfg.model,
                &req.pipeline,
                (u.input_tokens, u.output_tokens, u.cached_tokens),
                latency,
                c.is_some_and(|c| c.cached),
                class,
            )
        });
    }

    /// Sends a request; the answer comes whole.
    pub async fn complete(&self, req: &ChatRequest) -> Result<Completion, LlmError> {
        self.run::<fn(&str)>(req, None).await
    }

    /// Sends a request and calls `on_delta` with each piece of text as it arrives.
    /// Dropping the future cancels the request.
    pub async fn stream<D: FnMut(&str) + Send>(
        &self,
        req: &ChatRequest,
        on_delta: &mut D,
    ) -> Result<Completion, LlmError> {
        self.run(req, Some(on_delta)).await
    }

    /// Asks for JSON matching `schema` and parses it into `T`. An answer that does
    /// not parse gets one repair round-trip (the model sees its answer and the error),
    /// then a typed [`LlmError::InvalidOutput`].
    pub async fn complete_json<T: DeserializeOwned>(&self, req: &ChatRequest) -> Result<(T, Completion), LlmError> {
        let schema_name = req.json_schema.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "json".into());
        let first = self.complete(req).await?;
        let err = match serde_json::from_str::<T>(strip_fences(&first.text)) {
            Ok(v) => return Ok((v, first)),
            Err(e) => e,
        };
        tracing::info!(schema = %schema_name, error = %err, "LLM answer is not valid JSON; asking for a repair");
        let mut repair = req.clone();
        repair.messages.push(Message::assistant(first.text.clone()));
        repair.messages.push(Message::user(format!(
            "That answer is not valid JSON for the required schema ({err}). Reply with only the corrected JSON, nothing else."
        )));
        let second = self.complete(&repair).await?;
        serde_json::from_str::<T>(strip_fences(&second.text))
            .map(|v| (v, second))
            .map_err(|e| LlmError::InvalidOutput { schema: schema_name, message: e.to_string() })
    }

    async fn run<D: FnMut(&str) + Send>(
        &self,
        req: &ChatRequest,
        mut on_delta: Option<&mut D>,
    ) -> Result<Completion, LlmError> {
        if self.offline {
            return Err(LlmError::Offline);
        }
        if self.slots.is_empty() {
            return Err(LlmError::NotConfigured);
        }
        if self.use_cache {
            for slot in &self.slots {
                let key = Self::cache_key(slot, req);
                let now = chief_core::Timestamp::now().0;
                if let Some(hit) = self.on_store(|s| s.llm_cache_get(&key, now)).flatten()
                    && let Ok(mut c) = serde_json::from_str::<Completion>(&hit)
                {
                    c.cached = true;
                    c.latency_ms = 0;
                    tracing::info!(provider = %slot.cfg.name, model = %slot.cfg.model, cache_hit = true, "llm call");
                    if let Some(f) = on_delta.as_mut() {
                        f(&c.text);
                    }
                    self.log_call(slot, req, Some(&c), None, 0);
                    return Ok(c);
                }
            }
        }
        // Once a piece of a streamed answer reached the caller, a failure is final: a
        // retry (or the next provider) would append a second answer to the shown part.
        let streamed = std::sync::atomic::AtomicBool::new(false);
        let mut on_delta = on_delta.map(|f| {
            let streamed = &streamed;
            move |d: &str| {
                streamed.store(true, std::sync::atomic::Ordering::Relaxed);
                f(d)
            }
        });
        let mut last: Option<LlmError> = None;
        for slot in &self.slots {
            if !slot.breaker.allow() {
                tracing::info!(provider = %slot.cfg.name, "circuit open; trying the next provider");
                last = Some(LlmError::Transient {
                    provider: slot.cfg.name.clone(),
                    message: "circuit breaker open".into(),
                    retry_after: None,
                });
                continue;
            }
            let estimate = req.estimated_tokens();
            let Some(_permit) = slot.budget.acquire(estimate, self.budget_wait).await else {
                last = Some(LlmError::Transient {
                    provider: slot.cfg.name.clone(),
                    message: "request budget exhausted".into(),
                    retry_after: None,
                });
                continue;
            };
            for attempt in 1..=self.retry.attempts.max(1) {
                let t = Instant::now();
                let result = self.send(slot, req, on_delta.as_mut()).await;
                let latency = t.elapsed().as_millis() as u64;
                match result {
                    Ok(mut c) => {
                        c.latency_ms = latency;
                        slot.breaker.success();
                        slot.budget.record_actual(estimate, c.usage.input_tokens + c.usage.output_tokens);
                        tracing::info!(provider = %slot.cfg.name, model = %c.model, input_tokens = c.usage.input_tokens, output_tokens = c.usage.output_tokens, latency_ms = latency, cache_hit = false, "llm call");
                        tracing::debug!(completion = %preview(&redact(&c.text, &self.secrets())), "llm completion");
                        if self.store.is_some() {
                            let key = Self::cache_key(slot, req);
                            let body = serde_json::to_string(&c).unwrap_or_default();
                            let ttl = self.cache_ttl.as_millis() as i64;
                            self.on_store(|s| {
                                s.llm_cache_put(
                                    &key,
                                    &slot.cfg.name,
                                    &slot.cfg.model,
                                    &body,
                                    chief_core::Timestamp::now().0,
                                    ttl,
                                )
                            });
                        }
                        self.log_call(slot, req, Some(&c), None, latency);
                        return Ok(c);
                    }
                    Err(e) => {
                        tracing::info!(provider = %slot.cfg.name, attempt, error = %e, latency_ms = latency, "llm call failed");
                        self.log_call(slot, req, None, Some(&e), latency);
                        if streamed.load(std::sync::atomic::Ordering::Relaxed) {
                            if e.class() == ErrorClass::Transient {
                                slot.breaker.failure();
                            }
                            return Err(e);
                        }
                        match e.class() {
                            ErrorClass::Transient => {
                                slot.breaker.failure();
                                let wait = match &e {
                                    LlmError::Transient { retry_after, .. } => *retry_after,
                                    _ => None,
                                };
                                last = Some(e);
                                let delay = self.retry.delay(attempt, wait);
                                if attempt < self.retry.attempts && slot.breaker.allow() && delay <= MAX_RETRY_WAIT {
                                    tokio::time::sleep(delay).await;
                                    continue;
                                }
                                break;
                            }
                            ErrorClass::Auth => {
                                // Another provider has its own key.
                                last = Some(e);
                                break;
                            }
                            ErrorClass::Permanent | ErrorClass::ContextTooLong => return Err(e),
                        }
                    }
                }
            }
        }
        Err(LlmError::AllFailed(Box::new(last.unwrap_or(LlmError::NotConfigured))))
    }

    async fn send<D: FnMut(&str) + Send>(
        &self,
        slot: &Slot,
        req: &ChatRequest,
        on_delta: Option<&mut D>,
    ) -> Result<Completion, LlmError> {
        let stream = on_delta.is_some();
        let cfg = &slot.cfg;
        let name = cfg.name.as_str();
        let call: Call = match cfg.kind {
            ProviderKind::Anthropic => crate::anthropic::build(cfg, slot.key.as_deref(), req, stream),
            _ => crate::openai::build(cfg, slot.key.as_deref(), req, stream),
        };
        tracing::debug!(
            provider = name,
            url = %redact(&call.url, &self.secrets()),
            body = %preview(&redact(&call.body.to_string(), &self.secrets())),
            "llm request"
        );
        let mut builder =
            self.http.post(&call.url).timeout(Duration::from_secs(cfg.timeout_secs.max(1))).json(&call.body);
        for (k, v) in &call.headers {
            builder = builder.header(*k, v);
        }
        let transient =
            |message: String| LlmError::Transient { provider: name.to_string(), message, retry_after: None };
        let resp = builder.send().await.map_err(|e| {
            transient(if e.is_timeout() {
                "timed out".into()
            } else {
                format!("connection failed: {}", e.without_url())
            })
        })?;
        let status = resp.status().as_u16();
        // Rate-limit headers: when the provider says no requests are left, hold the
        // next callers back until its reset instead of collecting 429s.
        let h = resp.headers();
        let header = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
        let remaining =
            header("x-ratelimit-remaining-requests").or_else(|| header("anthropic-ratelimit-requests-remaining"));
        if remaining.as_deref().map(str::trim) == Some("0") {
            let reset = header("x-ratelimit-reset-requests")
                .and_then(|r| crate::policy::parse_reset(&r))
                .or_else(|| {
                    header("anthropic-ratelimit-requests-reset")
                        .and_then(|r| chief_core::Timestamp::parse_rfc3339(&r).ok())
                        .map(|t| Duration::from_millis((t.0 - chief_core::Timestamp::now().0).max(0) as u64))
                })
                .unwrap_or(Duration::from_secs(1));
            tracing::info!(
                provider = name,
                pause_ms = reset.as_millis() as u64,
                "provider reports no requests left; pausing"
            );
            slot.budget.pause_for(reset);
        }
        if !(200..300).contains(&status) {
            let ra = retry_after(resp.headers());
            let body = resp.text().await.unwrap_or_default();
            let body = redact(&body, &self.secrets());
            return Err(match cfg.kind {
                ProviderKind::Anthropic => crate::anthropic::classify(name, status, ra, &body),
                _ => crate::openai::classify(name, status, ra, &body),
            });
        }
        if let Some(on_delta) = on_delta {
            let mut parser = SseParser::new();
            let mut st = StreamState::default();
            let secrets = self.secrets();
            let mut bytes = resp.bytes_stream();
            let mut apply = |ev: &crate::sse::SseEvent, st: &mut StreamState| -> Result<(), LlmError> {
                let delta = match cfg.kind {
                    ProviderKind::Anthropic => crate::anthropic::on_event(name, ev, st),
                    _ => crate::openai::on_event(name, ev, st),
                }
                .map_err(|e| e.redacted(&secrets))?;
                if let Some(d) = delta {
                    on_delta(&d);
                }
                Ok(())
            };
            while let Some(chunk) = bytes.next().await {
                let chunk = chunk.map_err(|e| {
                    transient(if e.is_timeout() {
                        "timed out mid-stream".into()
                    } else {
                        format!("stream interrupted: {}", e.without_url())
                    })
                })?;
                for ev in parser.push(&chunk) {
                    apply(&ev, &mut st)?;
                }
            }
            if let Some(ev) = parser.finish() {
                apply(&ev, &mut st)?;
            }
            if !st.done && st.finish.is_none() {
                return Err(transient("the stream ended before the answer was complete".into()));
            }
            let model = if st.model.is_empty() { cfg.model.clone() } else { st.model };
            return Ok(Completion {
                text: st.text,
                usage: st.usage,
                provider: cfg.name.clone(),
                model,
                latency_ms: 0,
                cached: false,
                finish_reason: st.finish,
            });
        }
        let v: serde_json::Value =
            resp.json().await.map_err(|e| transient(format!("unreadable response: {}", e.without_url())))?;
        let (text, usage, finish, model) = match cfg.kind {
            ProviderKind::Anthropic => crate::anthropic::parse(name, &v)?,
            _ => crate::openai::parse(name, &v)?,
        };
        let model = if model.is_empty() { cfg.model.clone() } else { model };
        Ok(Completion {
            text,
            usage,
            provider: cfg.name.clone(),
            model,
            latency_ms: 0,
            cached: false,
            finish_reason: finish,
        })
    }

    /// Usage per provider, model and pipeline, with estimated cost from the configured prices.
    pub fn usage(&self) -> Vec<UsageRow> {
        let rows = self.on_store(|s| s.llm_usage()).unwrap_or_default();
        rows.into_iter()
            .map(|(provider, model, pipeline, calls, hits, errors, input, output, cached, latency)| {
                let price = self
                    .slots
                    .iter()
                    .find(|s| s.cfg.name == provider)
                    .map(|s| (s.cfg.price_input_per_mtok, s.cfg.price_output_per_mtok))
                    .unwrap_or((0.0, 0.0));
                let network = (calls - hits).max(1);
                UsageRow {
                    estimated_cost_usd: (input as f64 * price.0 + output as f64 * price.1) / 1e6,
                    avg_latency_ms: latency as f64 / network as f64,
                    provider,
                    model,
                    pipeline,
                    calls,
                    cache_hits: hits,
                    errors,
                    input_tokens: input,
                    output_tokens: output,
                    cached_tokens: cached,
                }
            })
            .collect()
    }
}

/// What a log line may show of a prompt or an answer (they carry synced, private
/// text): its size, a hash to tell calls apart, and the first bytes.
fn preview(text: &str) -> String {
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(text.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect();
    let head: String = text.chars().take(80).collect();
    format!("{} bytes, sha256 {hash}…, starts {head:?}", text.len())
}

/// Models sometimes wrap JSON in a Markdown fence.
fn strip_fences(s: &str) -> &str {
    let t = s.trim();
    let t = t.strip_prefix("```json").or_else(|| t.strip_prefix("```")).unwrap_or(t);
    t.strip_suffix("```").unwrap_or(t).trim()
}

#[cfg(test)]
mod preview_tests {
    #[test]
    fn logs_show_size_hash_and_start_only() {
        let prompt = format!("Summarize: {}", "a private message about the reorg ".repeat(20));
        let p = super::preview(&prompt);
        assert!(p.contains(&format!("{} bytes", prompt.len())) && p.contains("sha256"), "{p}");
        assert!(p.len() < 200 && !p.contains(&prompt[100..160]), "{p}");
    }
}
