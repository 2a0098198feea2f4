//! The LLM client against a local mock server: every fault the issue lists.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chief_llm::{
    ChatRequest, ErrorClass, JsonSchema, LlmClient, LlmError, Message, ProviderConfig, ProviderKind, RetryPolicy,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "sk-test-KEY-0123456789abcdef";

fn provider(server: &MockServer, name: &str, kind: ProviderKind) -> ProviderConfig {
    let base = match kind {
        ProviderKind::Anthropic | ProviderKind::Azure => server.uri(),
        _ => format!("{}/v1", server.uri()),
    };
    ProviderConfig {
        name: name.into(),
        kind,
        model: "test-model".into(),
        base_url: base,
        deployment: "dep1".into(),
        timeout_secs: 2,
        ..Default::default()
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy { attempts: 3, base: Duration::from_millis(20), max: Duration::from_millis(100) }
}

fn client(providers: Vec<ProviderConfig>) -> LlmClient {
    LlmClient::new(providers.into_iter().map(|p| (p, Some(KEY.to_string()))).collect(), false).with_retry(fast_retry())
}

fn req(text: &str) -> ChatRequest {
    let mut r = ChatRequest::new(vec![Message::system("Be brief."), Message::user(text)]);
    r.pipeline = "test".into();
    r
}

fn openai_ok(text: &str) -> Value {
    json!({"id": "x", "object": "chat.completion", "model": "test-model", "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14, "prompt_tokens_details": {"cached_tokens": 4}}})
}

fn sse(events: &[&str]) -> String {
    events.iter().map(|e| format!("data: {e}\n\n")).collect()
}

/// Answers from a list, one per request, repeating the last.
struct Sequence(Vec<ResponseTemplate>, AtomicUsize);

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.1.fetch_add(1, Ordering::SeqCst);
        self.0[i.min(self.0.len() - 1)].clone()
    }
}

fn seq(list: Vec<ResponseTemplate>) -> Sequence {
    Sequence(list, AtomicUsize::new(0))
}

#[tokio::test]
async fn openai_completion_usage_and_request_shape() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("hello")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(vec![provider(&server, "p", ProviderKind::Openai)]).complete(&req("hi")).await.unwrap();
    assert_eq!(c.text, "hello");
    assert_eq!((c.usage.input_tokens, c.usage.output_tokens, c.usage.cached_tokens), (11, 3, 4));
    let body: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["max_completion_tokens"], 512);
}

#[tokio::test]
async fn azure_uses_the_deployment_url_and_api_key_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/openai/deployments/dep1/chat/completions"))
        .and(header("api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("from azure")))
        .mount(&server)
        .await;
    let c = client(vec![provider(&server, "az", ProviderKind::Azure)]).complete(&req("hi")).await.unwrap();
    assert_eq!(c.text, "from azure");
    let url = server.received_requests().await.unwrap()[0].url.clone();
    assert!(url.query().unwrap_or("").contains("api-version="));
}

#[tokio::test]
async fn streaming_collects_deltas_until_done() {
    let server = MockServer::start().await;
    let body = sse(&[
        r#"{"model":"test-model","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"lo ✓"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
        "[DONE]",
    ]);
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).insert_header("content-type", "text/event-stream").set_body_string(body),
        )
        .mount(&server)
        .await;
    let mut pieces = Vec::new();
    let c = client(vec![provider(&server, "p", ProviderKind::Openai)])
        .stream(&req("hi"), &mut |d: &str| pieces.push(d.to_string()))
        .await
        .unwrap();
    assert_eq!(pieces, vec!["Hel", "lo ✓"]);
    assert_eq!(c.text, "Hello ✓");
    assert_eq!(c.usage.output_tokens, 2);
    assert_eq!(c.finish_reason.as_deref(), Some("stop"));
}

#[tokio::test]
async fn a_stream_broken_before_its_first_piece_is_retried_and_after_it_is_final() {
    // Broken before anything reached the caller: retried, and the caller sees one answer.
    let server = MockServer::start().await;
    let early = sse(&[r#"{"error":{"message":"upstream reset"}}"#]);
    let good = sse(&[r#"{"choices":[{"index":0,"delta":{"content":"whole"},"finish_reason":"stop"}]}"#, "[DONE]"]);
    Mock::given(method("POST"))
        .respond_with(seq(vec![
            ResponseTemplate::new(200).set_body_string(early),
            ResponseTemplate::new(200).set_body_string(good.clone()),
        ]))
        .mount(&server)
        .await;
    let mut pieces = Vec::new();
    let c = client(vec![provider(&server, "p", ProviderKind::Openai)])
        .stream(&req("hi"), &mut |d: &str| pieces.push(d.to_string()))
        .await
        .unwrap();
    assert_eq!((c.text.as_str(), pieces), ("whole", vec!["whole".to_string()]));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // Broken after "par" was shown: a retry would append a second answer to it, so the
    // error is final (the caller keeps what it had, or falls back).
    let server = MockServer::start().await;
    let late =
        sse(&[r#"{"choices":[{"index":0,"delta":{"content":"par"}}]}"#, r#"{"error":{"message":"upstream reset"}}"#]);
    Mock::given(method("POST"))
        .respond_with(seq(vec![
            ResponseTemplate::new(200).set_body_string(late),
            ResponseTemplate::new(200).set_body_string(good),
        ]))
        .mount(&server)
        .await;
    let mut pieces = Vec::new();
    let err = client(vec![provider(&server, "p", ProviderKind::Openai)])
        .stream(&req("hi"), &mut |d: &str| pieces.push(d.to_string()))
        .await
        .expect_err("a stream cut after its first piece is not retried");
    assert!(err.to_string().contains("upstream reset"), "{err}");
    assert_eq!(pieces, ["par"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_key_echoed_in_an_error_never_reaches_the_error_message() {
    // Mid-stream and in an HTTP error body: the key is redacted.
    let server = MockServer::start().await;
    let echo = format!(r#"{{"error":{{"message":"bad key {KEY} for this org"}}}}"#);
    let broken = sse(&[r#"{"choices":[{"index":0,"delta":{"content":"par"}}]}"#, &echo]);
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_string(broken)).mount(&server).await;
    let err = client(vec![provider(&server, "p", ProviderKind::Openai)])
        .stream(&req("hi"), &mut |_: &str| {})
        .await
        .expect_err("the stream breaks after its first piece")
        .to_string();
    assert!(err.contains("bad key") && !err.contains(KEY), "{err}");
    let rejected = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string(echo.clone()))
        .mount(&rejected)
        .await;
    let err = client(vec![provider(&rejected, "p", ProviderKind::Openai)]).complete(&req("hi")).await.unwrap_err();
    assert!(!err.to_string().contains(KEY), "{err}");
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(seq(vec![
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"error": {"message": "slow down", "code": "rate_limit_exceeded"}})),
            ResponseTemplate::new(200).set_body_json(openai_ok("after wait")),
        ]))
        .mount(&server)
        .await;
    let t = Instant::now();
    let c = client(vec![provider(&server, "p", ProviderKind::Openai)]).complete(&req("hi")).await.unwrap();
    assert_eq!(c.text, "after wait");
    assert!(t.elapsed() >= Duration::from_secs(1), "waited {:?}", t.elapsed());
}

#[tokio::test]
async fn a_500_then_success() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(seq(vec![
            ResponseTemplate::new(500).set_body_string("oops"),
            ResponseTemplate::new(200).set_body_json(openai_ok("ok")),
        ]))
        .mount(&server)
        .await;
    assert_eq!(
        client(vec![provider(&server, "p", ProviderKind::OpenaiCompatible)]).complete(&req("hi")).await.unwrap().text,
        "ok"
    );
}

#[tokio::test]
async fn a_slow_server_times_out_and_the_fallback_answers() {
    let slow = MockServer::start().await;
    let fast = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("late")).set_delay(Duration::from_secs(5)))
        .mount(&slow)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("backup")))
        .mount(&fast)
        .await;
    let mut a = provider(&slow, "slow", ProviderKind::Openai);
    a.timeout_secs = 1;
    let llm = LlmClient::new(
        vec![(a, Some(KEY.into())), (provider(&fast, "fast", ProviderKind::Openai), Some(KEY.into()))],
        false,
    )
    .with_retry(RetryPolicy { attempts: 1, ..fast_retry() });
    let c = llm.complete(&req("hi")).await.unwrap();
    assert_eq!((c.text.as_str(), c.provider.as_str()), ("backup", "fast"));
}

#[tokio::test]
async fn context_too_long_is_typed_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "This model's maximum context length is 8192 tokens", "code": "context_length_exceeded"}})))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(vec![provider(&server, "p", ProviderKind::Openai)]).complete(&req("hi")).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::ContextTooLong);
}

#[tokio::test]
async fn invalid_json_gets_one_repair_then_a_typed_error() {
    #[derive(serde::Deserialize, Debug)]
    struct Answer {
        summary: String,
    }
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(seq(vec![
            ResponseTemplate::new(200).set_body_json(openai_ok("{summary: oops")),
            ResponseTemplate::new(200).set_body_json(openai_ok("```json\n{\"summary\": \"fixed\"}\n```")),
        ]))
        .mount(&server)
        .await;
    let mut r = req("summarize");
    r.json_schema = Some(JsonSchema {
        name: "answer".into(),
        schema: json!({"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}),
    });
    let llm = client(vec![provider(&server, "p", ProviderKind::Openai)]);
    let (a, _): (Answer, _) = llm.complete_json(&r).await.unwrap();
    assert_eq!(a.summary, "fixed");
    let sent: Vec<Value> = server.received_requests().await.unwrap().iter().map(|q| q.body_json().unwrap()).collect();
    assert_eq!(sent[0]["response_format"]["type"], "json_schema");
    assert_eq!(sent[1]["messages"].as_array().unwrap().len(), 4, "the repair shows the model its answer");

    let bad = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("not json at all")))
        .mount(&bad)
        .await;
    let err = client(vec![provider(&bad, "p", ProviderKind::Openai)]).complete_json::<Answer>(&r).await.unwrap_err();
    assert!(matches!(err, LlmError::InvalidOutput { .. }), "{err}");
}

#[tokio::test]
async fn the_fallback_chain_and_the_circuit_breaker() {
    let down = MockServer::start().await;
    let up = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("overloaded"))
        .mount(&down)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("from b")))
        .mount(&up)
        .await;
    let llm = LlmClient::new(
        vec![
            (provider(&down, "a", ProviderKind::Openai), Some(KEY.into())),
            (provider(&up, "b", ProviderKind::Openai), Some(KEY.into())),
        ],
        false,
    )
    .with_retry(RetryPolicy { attempts: 2, ..fast_retry() })
    .with_breakers(2, Duration::from_secs(60));
    for _ in 0..3 {
        let c = llm.complete(&req("hi")).await.unwrap();
        assert_eq!(c.provider, "b");
    }
    // Two failures opened a's circuit: later calls go straight to b.
    assert_eq!(down.received_requests().await.unwrap().len(), 2);
    assert_eq!(up.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn the_cache_makes_a_rerun_call_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("cached answer")))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let store = || chief_store::Store::open(&dir.path().join("chief.db")).unwrap();
    let first = client(vec![provider(&server, "p", ProviderKind::Openai)])
        .with_store(store())
        .complete(&req("same"))
        .await
        .unwrap();
    assert!(!first.cached);
    // A new client (a re-run of the pipeline) over the same store.
    let llm = client(vec![provider(&server, "p", ProviderKind::Openai)]).with_store(store());
    let second = llm.complete(&req("same")).await.unwrap();
    assert!(second.cached);
    assert_eq!(second.text, "cached answer");
    let usage = llm.usage();
    assert_eq!(usage[0].calls, 2);
    assert_eq!(usage[0].cache_hits, 1);
    assert_eq!(usage[0].input_tokens, 22);
    // --no-cache goes to the network even when an answer is cached.
    let nocache = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("fresh")))
        .expect(2)
        .mount(&nocache)
        .await;
    let cached_client = client(vec![provider(&nocache, "p", ProviderKind::Openai)]).with_store(store());
    cached_client.complete(&req("again")).await.unwrap();
    let bypass = client(vec![provider(&nocache, "p", ProviderKind::Openai)]).with_store(store()).without_cache();
    assert!(!bypass.complete(&req("again")).await.unwrap().cached);
}

#[tokio::test]
async fn keys_never_appear_in_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": format!("Incorrect API key provided: {KEY}")}})),
        )
        .mount(&server)
        .await;
    let err = client(vec![provider(&server, "p", ProviderKind::Openai)]).complete(&req("hi")).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Auth);
    let text = format!("{err} {err:?}");
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("[REDACTED]"));
}

#[tokio::test]
async fn offline_mode_calls_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("x")))
        .expect(0)
        .mount(&server)
        .await;
    let llm = LlmClient::new(vec![(provider(&server, "p", ProviderKind::Openai), None)], true);
    assert!(matches!(llm.complete(&req("hi")).await, Err(LlmError::Offline)));
}

#[tokio::test]
async fn anthropic_messages_json_by_tool_and_streaming() {
    let server = MockServer::start().await;
    let tool_answer = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test", "stop_reason": "tool_use",
        "content": [{"type": "tool_use", "id": "t1", "name": "answer", "input": {"summary": "ok"}}], "usage": {"input_tokens": 9, "output_tokens": 4}});
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_answer))
        .mount(&server)
        .await;
    let mut r = req("summarize");
    r.json_schema = Some(JsonSchema {
        name: "answer".into(),
        schema: json!({"type": "object", "properties": {"summary": {"type": "string"}}}),
    });
    let llm = client(vec![provider(&server, "claude", ProviderKind::Anthropic)]);
    let (v, c): (Value, _) = llm.complete_json(&r).await.unwrap();
    assert_eq!(v["summary"], "ok");
    assert_eq!(c.usage.input_tokens, 9);
    let body: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(body["system"], "Be brief.");
    assert_eq!(body["tool_choice"]["name"], "answer");
    assert!(body["messages"].as_array().unwrap().iter().all(|m| m["role"] != "system"));

    let streaming = MockServer::start().await;
    let events = [
        (
            "message_start",
            r#"{"type":"message_start","message":{"model":"claude-test","usage":{"input_tokens":7,"output_tokens":1}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi "}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"there"}}"#,
        ),
        ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}"#),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ];
    let body: String = events.iter().map(|(e, d)| format!("event: {e}\ndata: {d}\n\n")).collect();
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_string(body)).mount(&streaming).await;
    let mut got = String::new();
    let c = client(vec![provider(&streaming, "claude", ProviderKind::Anthropic)])
        .stream(&req("hi"), &mut |d: &str| got.push_str(d))
        .await
        .unwrap();
    assert_eq!((got.as_str(), c.usage.output_tokens, c.finish_reason.as_deref()), ("Hi there", 5, Some("end_turn")));

    let overloaded = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(529).set_body_json(
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
        )
        .mount(&overloaded)
        .await;
    let e =
        client(vec![provider(&overloaded, "claude", ProviderKind::Anthropic)]).complete(&req("hi")).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn the_budget_delays_callers_and_never_exceeds_the_rate() {
    let server = MockServer::start().await;
    let hits = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("x")))
        .mount(&server)
        .await;
    let mut p = provider(&server, "p", ProviderKind::Openai);
    p.rpm = 3;
    let llm = Arc::new(LlmClient::new(vec![(p, Some(KEY.into()))], false).with_budget_wait(Duration::from_millis(300)));
    let mut ok = 0;
    let mut refused = 0;
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let llm = llm.clone();
            let hits = hits.clone();
            tokio::spawn(async move {
                let r = llm.complete(&req(&format!("q{i}"))).await;
                hits.fetch_add(1, Ordering::SeqCst);
                r
            })
        })
        .collect();
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(e.to_string().contains("budget"), "{e}");
                refused += 1;
            }
        }
    }
    assert_eq!((ok, refused), (3, 2), "3 rpm: the others wait, then give up after their bounded wait");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn rate_limit_headers_pause_the_next_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining-requests", "0")
                .insert_header("x-ratelimit-reset-requests", "800ms")
                .set_body_json(openai_ok("x")),
        )
        .mount(&server)
        .await;
    let llm = client(vec![provider(&server, "p", ProviderKind::Openai)]);
    llm.complete(&req("one")).await.unwrap();
    let t = Instant::now();
    llm.complete(&req("two")).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(750), "the second call waited for the reset: {:?}", t.elapsed());
}

#[tokio::test]
async fn hostile_retry_after_values_never_panic_and_never_wait_long() {
    for value in ["-1", "inf", "NaN", "1e30", "18446744073709551615", "soon"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(seq(vec![
                ResponseTemplate::new(429)
                    .insert_header("retry-after", value)
                    .set_body_json(json!({"error": {"message": "slow down"}})),
                ResponseTemplate::new(200).set_body_json(openai_ok("after wait")),
            ]))
            .mount(&server)
            .await;
        let t = Instant::now();
        let out = client(vec![provider(&server, "p", ProviderKind::Openai)]).complete(&req("hi")).await;
        // Unreadable values fall back to the client's own backoff; huge ones are beyond
        // the longest wait, so the error comes back at once for the caller to resume later.
        match out {
            Ok(c) => assert_eq!(c.text, "after wait", "{value}"),
            Err(e) => assert!(e.is_retryable(), "{value}: {e}"),
        }
        assert!(t.elapsed() < Duration::from_secs(5), "{value}: waited {:?}", t.elapsed());
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_key_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("stolen")))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/v1/chat/completions", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let out = client(vec![provider(&server, "p", ProviderKind::Openai)]).complete(&req("hi")).await;
    let err = out.expect_err("a redirect is an error, not an answer").to_string();
    assert!(err.contains("HTTP 302") && err.contains("does not follow redirects"), "{err}");
    assert!(
        elsewhere.received_requests().await.unwrap_or_default().is_empty(),
        "the request (and its key) went to another host"
    );
}
