//! `chief bench llm`: the client's overhead against raw reqwest on a local mock
//! server (per call and time to first streamed token), and throughput under a
//! requests-per-minute budget with many concurrent callers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use chief_llm::{ChatRequest, LlmClient, Message, ProviderConfig, ProviderKind, RetryPolicy};

const ANSWER: &str = r#"{"id":"b","object":"chat.completion","model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":1}}"#;

/// A minimal HTTP/1.1 server on 127.0.0.1 answering every POST with a chat completion
/// (or, when the body asks to stream, 20 SSE deltas 1 ms apart). Counts requests.
pub async fn mock_server() -> std::io::Result<(SocketAddr, Arc<AtomicUsize>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            // Small SSE frames must not wait for delayed ACKs (Nagle).
            let _ = sock.set_nodelay(true);
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(8192);
                loop {
                    // Read one request: headers, then Content-Length bytes of body.
                    let mut chunk = [0u8; 8192];
                    let header_end = loop {
                        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..header_end]).to_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                        .unwrap_or(0);
                    while buf.len() < header_end + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = String::from_utf8_lossy(&buf[header_end..header_end + len]).to_string();
                    buf.drain(..header_end + len);
                    counter.fetch_add(1, Ordering::SeqCst);
                    if body.contains("\"stream\":true") {
                        let head =
                            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                        if sock.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        for i in 0..21 {
                            let ev = if i < 20 {
                                format!(
                                    "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"t{i} \"}}}}]}}\n\n"
                                )
                            } else {
                                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n".to_string()
                            };
                            let frame = format!("{:x}\r\n{ev}\r\n", ev.len());
                            if sock.write_all(frame.as_bytes()).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        if sock.write_all(b"0\r\n\r\n").await.is_err() {
                            return;
                        }
                    } else {
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{ANSWER}",
                            ANSWER.len()
                        );
                        if sock.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    Ok((addr, hits))
}

/// Percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Millis {
    pub p50: f64,
    pub p95: f64,
}

fn pct(mut d: Vec<Duration>) -> Millis {
    d.sort();
    let at =
        |q: f64| d.get(((d.len().max(1) - 1) as f64 * q).round() as usize).map_or(0.0, |x| x.as_secs_f64() * 1000.0);
    Millis { p50: at(0.5), p95: at(0.95) }
}

/// Results of `chief bench llm`.
#[derive(Debug, Clone, Serialize)]
pub struct LlmBenchReport {
    pub calls: usize,
    pub raw_reqwest: Millis,
    pub chief_client: Millis,
    pub overhead_p50_ms: f64,
    pub raw_first_token: Millis,
    pub chief_first_token: Millis,
    pub budget_rpm: u32,
    pub budget_callers: usize,
    pub budget_seconds: u64,
    pub budget_completed: usize,
    /// The most requests the server saw in any 60-second window.
    pub budget_max_per_minute: usize,
    /// Fewest and most requests completed by one caller (starvation check).
    pub budget_min_per_caller: usize,
    pub budget_max_per_caller: usize,
}

fn request() -> ChatRequest {
    ChatRequest::new(vec![Message::user("ping")])
}

/// Runs the benchmark; `budget_seconds` bounds the budget part (60 RPM, 20 callers).
pub async fn run(calls: usize, budget_seconds: u64) -> Result<LlmBenchReport, String> {
    let (addr, _hits) = mock_server().await.map_err(|e| e.to_string())?;
    let base = format!("http://{addr}/v1");
    let cfg = ProviderConfig {
        name: "mock".into(),
        kind: ProviderKind::OpenaiCompatible,
        model: "bench".into(),
        base_url: base.clone(),
        concurrency: 64,
        ..Default::default()
    };
    let client = LlmClient::new(vec![(cfg.clone(), Some("k".into()))], false)
        .with_retry(RetryPolicy { attempts: 1, ..Default::default() });
    let raw = reqwest::Client::new();
    let body = serde_json::json!({"model": "bench", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 512, "temperature": 0.0, "stream": false});
    let sbody = serde_json::json!({"model": "bench", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 512, "temperature": 0.0, "stream": true});
    let url = format!("{base}/chat/completions");
    let (mut r, mut c, mut rf, mut cf) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..calls + 20 {
        let t = Instant::now();
        let v: serde_json::Value = raw
            .post(&url)
            .bearer_auth("k")
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        std::hint::black_box(v);
        let raw_t = t.elapsed();
        let t = Instant::now();
        client.complete(&request()).await.map_err(|e| e.to_string())?;
        let ours = t.elapsed();
        // Time to first streamed token.
        let t = Instant::now();
        let mut s =
            raw.post(&url).bearer_auth("k").json(&sbody).send().await.map_err(|e| e.to_string())?.bytes_stream();
        let _ = s.next().await;
        let raw_first = t.elapsed();
        while s.next().await.is_some() {}
        let t = Instant::now();
        let mut first = None;
        client
            .stream(&request(), &mut |_: &str| {
                first.get_or_insert(t.elapsed());
            })
            .await
            .map_err(|e| e.to_string())?;
        if i >= 20 {
            r.push(raw_t);
            c.push(ours);
            rf.push(raw_first);
            cf.push(first.unwrap_or_default());
        }
    }
    let (raw_m, chief_m) = (pct(r), pct(c));

    // Budget: 20 callers loop for `budget_seconds` against a 60 RPM budget.
    let mut bcfg = cfg;
    bcfg.rpm = 60;
    let budgeted =
        Arc::new(LlmClient::new(vec![(bcfg, None)], false).with_budget_wait(Duration::from_secs(budget_seconds + 60)));
    let started = Instant::now();
    let stamps = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let deadline = Duration::from_secs(budget_seconds);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let llm = budgeted.clone();
        let stamps = stamps.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while started.elapsed() < deadline {
                let r =
                    tokio::time::timeout(deadline.saturating_sub(started.elapsed()), llm.complete(&request())).await;
                if let Ok(Ok(_)) = r {
                    done += 1;
                    stamps.lock().unwrap_or_else(|p| p.into_inner()).push(started.elapsed());
                }
            }
            done
        }));
    }
    let mut per_caller = Vec::new();
    for t in tasks {
        per_caller.push(t.await.unwrap_or(0));
    }
    let stamps = stamps.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let max_per_minute = stamps
        .iter()
        .map(|s| stamps.iter().filter(|t| **t >= *s && **t < *s + Duration::from_secs(60)).count())
        .max()
        .unwrap_or(0);
    Ok(LlmBenchReport {
        calls,
        overhead_p50_ms: chief_m.p50 - raw_m.p50,
        raw_reqwest: raw_m,
        chief_client: chief_m,
        raw_first_token: pct(rf),
        chief_first_token: pct(cf),
        budget_rpm: 60,
        budget_callers: 20,
        budget_seconds,
        budget_completed: stamps.len(),
        budget_max_per_minute: max_per_minute,
        budget_min_per_caller: per_caller.iter().copied().min().unwrap_or(0),
        budget_max_per_caller: per_caller.iter().copied().max().unwrap_or(0),
    })
}
