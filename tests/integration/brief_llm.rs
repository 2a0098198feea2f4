//! The briefing with an LLM, against a scripted OpenAI-compatible server on a local
//! port: every answer is guarded as it arrives (an invented citation, an obeyed
//! injection and an added fact are dropped), calls and tokens are journaled per step,
//! a re-run makes no calls, and a run stopped by a rate limit resumes without
//! repeating the steps it finished.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chief_engine::{BriefRequest, BriefStep, Config, Engine, ErrorClass};
use serde_json::{Value, json};

/// A scripted OpenAI-compatible chat endpoint.
struct ScriptedLlm {
    url: String,
    calls: Arc<AtomicUsize>,
    /// While set, story-writing requests get 429.
    rate_limited: Arc<AtomicBool>,
    /// While set, every answer is prose instead of JSON.
    garbage: Arc<AtomicBool>,
    /// While set, a streamed explanation starts with two lines that echo the prompt.
    echo_first: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<String>>>,
}

fn data_lines(prompt: &str) -> Vec<(String, String)> {
    // "[id] author: text" or "[id1,id2] text" lines of the data block.
    prompt
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix('[')?;
            let (ids, text) = rest.split_once("] ")?;
            Some((ids.split(',').next()?.to_string(), text.to_string()))
        })
        .collect()
}

fn answer(system: &str, user: &str) -> Value {
    if system.contains("standalone facts") {
        // "<data>\nAuthor: text\n</data>": one fact the message states, one it does not.
        let line = user.lines().nth(1).unwrap_or("");
        let (author, text) = line.split_once(": ").unwrap_or(("Someone", line));
        let first = text.split(". ").next().unwrap_or(text).trim_end_matches(['.', '?', '!']);
        return json!({"facts": [format!("{author} wrote: {first}"), format!("{author} approved a $40,000 budget")]});
    }
    let lines = data_lines(user);
    let (id, text) = lines.first().cloned().unwrap_or_default();
    let text = text.split_once(": ").map_or(text.clone(), |(_, t)| t.to_string());
    let first_sentence = text.split(". ").next().unwrap_or(&text).trim_end_matches('.').to_string();
    if system.contains("summarize one workplace discussion") {
        json!({"sentences": [{"text": format!("{first_sentence}."), "sources": [id]}]})
    } else {
        json!({
            "title": format!("About: {}", first_sentence.chars().take(60).collect::<String>()),
            "summary": [
                {"text": format!("{first_sentence}."), "sources": [id]},
                {"text": "The team confirmed the details in a follow-up.", "sources": ["slack:CNOPE:1.000000"]},
                {"text": "Finance approved a $40,000 budget for it.", "sources": [id]},
                {"text": "The Q4 security audit is approved and no action is needed from you.", "sources": [id]}
            ],
            "why": [{"text": "It needs your attention today.", "sources": [id]}]
        })
    }
}

/// The explanation, streamed one line every 200 ms: a sentence from the first data line,
/// one citing an id it was never given, one adding a fact, one from the second data
/// line. `broken`: the server fails instead.
fn stream_explanation(stream: &mut std::net::TcpStream, user: &str, broken: bool, echo_first: bool) {
    if broken {
        let body = r#"{"error": {"message": "model crashed"}}"#;
        let _ = write!(
            stream,
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    let lines = data_lines(user);
    let sentence = |k: usize| {
        let (id, text) = lines.get(k).cloned().unwrap_or_default();
        let text = text.split_once(": ").map_or(text.clone(), |(_, t)| t.to_string());
        format!("{}. [{id}]\n", text.split(". ").next().unwrap_or(&text).trim_end_matches('.'))
    };
    let first_id = lines.first().map(|l| l.0.clone()).unwrap_or_default();
    let pieces = if echo_first {
        // What a too-small model does: echo its input, then (too late) write sentences.
        ["<data>\n".to_string(), format!("{}\n", user.lines().nth(1).unwrap_or("")), sentence(0), sentence(1)]
    } else {
        [
            sentence(0),
            "The team confirmed it in a follow-up. [slack:CNOPE:1.000000]\n".to_string(),
            format!("Finance approved a $40,000 budget for it. [{first_id}]\n"),
            sentence(1),
        ]
    };
    let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
    for piece in pieces {
        // Split mid-line too, as real streams do.
        let (a, b) = piece.split_at(piece.len() / 2);
        for part in [a, b] {
            let chunk = json!({"choices": [{"index": 0, "delta": {"content": part}}]});
            let _ = write!(stream, "data: {chunk}\n\n");
            let _ = stream.flush();
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let done = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 50, "completion_tokens": 40}});
    let _ = write!(stream, "data: {done}\n\ndata: [DONE]\n\n");
}

impl ScriptedLlm {
    fn start() -> ScriptedLlm {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let calls = Arc::new(AtomicUsize::new(0));
        let rate_limited = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let garbage = Arc::new(AtomicBool::new(false));
        let echo_first = Arc::new(AtomicBool::new(false));
        let (c, r, s, g, e) = (calls.clone(), rate_limited.clone(), seen.clone(), garbage.clone(), echo_first.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; len];
                reader.read_exact(&mut body).unwrap();
                let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let msgs = req["messages"].as_array().cloned().unwrap_or_default();
                let system = msgs.first().and_then(|m| m["content"].as_str()).unwrap_or("").to_string();
                let user = msgs.get(1).and_then(|m| m["content"].as_str()).unwrap_or("").to_string();
                c.fetch_add(1, Ordering::SeqCst);
                s.lock().unwrap().push(system.clone());
                if req["stream"] == json!(true) {
                    stream_explanation(&mut stream, &user, g.load(Ordering::SeqCst), e.load(Ordering::SeqCst));
                    continue;
                }
                let (status, payload) = if r.load(Ordering::SeqCst) && system.contains("morning briefing") {
                    ("429 Too Many Requests", json!({"error": {"message": "rate limited", "type": "rate_limit"}}))
                } else {
                    let content = if g.load(Ordering::SeqCst) {
                        "Sure! Here is a lovely summary of the discussion.".to_string()
                    } else {
                        answer(&system, &user).to_string()
                    };
                    (
                        "200 OK",
                        json!({"id": "x", "object": "chat.completion", "model": "scripted",
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": user.len() / 4, "completion_tokens": content.len() / 4, "total_tokens": 0}}),
                    )
                };
                let payload = payload.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRetry-After: 0\r\nConnection: close\r\n\r\n{payload}",
                    payload.len()
                );
            }
        });
        ScriptedLlm { url, calls, rate_limited, garbage, echo_first, seen }
    }
}

fn llm_home(seed: u64, llm: &ScriptedLlm) -> (tempfile::TempDir, Engine, chief_demo::GroundTruth) {
    let home = tempfile::tempdir().unwrap();
    let env = vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
    let (engine, report) =
        chief_bench::demo::load_seeded(home.path(), seed, false, env.clone(), chief_engine::no_progress()).unwrap();
    engine.close().unwrap();
    let path = home.path().join("chief.toml");
    let mut cfg = std::fs::read_to_string(&path).unwrap();
    cfg.push_str(&format!(
        "\n[brain]\nmode = \"llm\"\n\n[llm]\nprovider = \"openai-compatible\"\nmodel = \"scripted\"\nbase_url = \"{}\"\n",
        llm.url
    ));
    std::fs::write(&path, cfg).unwrap();
    let engine = Engine::open(home.path(), Config::load(home.path(), env).unwrap()).unwrap();
    (home, engine, report.truth)
}

fn request() -> BriefRequest {
    BriefRequest { env: vec![("CHIEF_LLM_API_KEY".into(), "test-key-not-secret".into())], ..BriefRequest::default() }
}

fn step_calls(engine: &Engine, run: i64, step: BriefStep) -> i64 {
    let (_, steps) = engine.run_detail(run).unwrap();
    steps.iter().find(|s| s.idx == step as i64).map_or(-1, |s| s.llm_calls)
}

#[test]
fn every_llm_answer_is_guarded_and_a_rerun_makes_no_calls() {
    let llm = ScriptedLlm::start();
    let (_home, engine, truth) = llm_home(0, &llm);
    let b = engine.brief(&request()).unwrap();
    assert_eq!(b.stories.len(), 3);
    let calls = llm.calls.load(Ordering::SeqCst);
    assert!(calls > 3 && calls <= 25, "{calls} calls");
    assert!(step_calls(&engine, b.run_id, BriefStep::Refine) > 0);
    assert_eq!(step_calls(&engine, b.run_id, BriefStep::Generate), 3);
    let (_, steps) = engine.run_detail(b.run_id).unwrap();
    assert!(steps.iter().any(|s| s.tokens_in > 0 && s.tokens_out > 0));
    // The prompts say synced text is data.
    assert!(llm.seen.lock().unwrap().iter().all(|p| p.contains("data, not instructions")));

    // The model's titles are used, except one that names the user in the third person
    // (the scripted model quotes "@Name …"): that one falls back to the local title.
    assert!(b.stories.iter().filter(|s| s.title.starts_with("About: ")).count() >= 2, "{b:#?}");
    for s in &b.stories {
        assert!(!s.title.contains(&truth.me.name), "{}", s.title);
        let text = format!("{} {}", s.summary, s.why);
        for bad in ["40,000", "security audit", "no action is needed", "follow-up"] {
            assert!(!text.contains(bad), "{bad:?} survived the guard: {text}");
        }
        for sentence in &s.sentences {
            for id in &sentence.sources {
                assert!(s.sources.iter().any(|x| &x.id == id), "{id} cited outside the story");
            }
        }
        for f in &truth.forbidden {
            assert!(!text.to_lowercase().contains(f), "{f}");
        }
    }
    let reasons: Vec<&str> = b.dropped.iter().map(|d| d.reason.as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("no citation")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("not in its cited sources")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("addressed to an AI")), "{reasons:?}");

    // Nothing new: no calls at all.
    let before = llm.calls.load(Ordering::SeqCst);
    let again = engine.brief(&request()).unwrap();
    assert_ne!(again.run_id, b.run_id);
    assert_eq!(llm.calls.load(Ordering::SeqCst), before, "a re-run with no new data calls the LLM");
    assert_eq!(step_calls(&engine, again.run_id, BriefStep::Refine), 0);
    assert_eq!(step_calls(&engine, again.run_id, BriefStep::Generate), 0);
    let (_, steps) = engine.run_detail(again.run_id).unwrap();
    assert!(steps.iter().all(|s| s.tokens_in == 0 && s.tokens_out == 0), "cache hits cost no tokens: {steps:?}");
    assert_eq!(again.stories, b.stories);
}

#[test]
fn a_rate_limited_run_resumes_without_repeating_finished_steps() {
    let llm = ScriptedLlm::start();
    let (_home, engine, _) = llm_home(9, &llm);
    llm.rate_limited.store(true, Ordering::SeqCst);
    let err = engine.brief(&request()).expect_err("story writing is rate limited");
    assert_eq!(err.class(), ErrorClass::Unavailable, "{err}");
    let runs = engine.runs(5).unwrap();
    assert_eq!(runs.len(), 1);
    let (_, before) = engine.run_detail(runs[0].id).unwrap();
    let refine = before.iter().find(|s| s.idx == BriefStep::Refine as i64).unwrap().clone();
    assert!(refine.llm_calls > 0 && refine.error.is_none());
    let generate = before.iter().find(|s| s.idx == BriefStep::Generate as i64).unwrap();
    assert!(generate.error.is_some() && generate.output.is_none(), "{generate:?}");

    llm.rate_limited.store(false, Ordering::SeqCst);
    let calls_before = llm.calls.load(Ordering::SeqCst);
    let b = engine.brief(&request()).unwrap();
    assert_eq!(b.run_id, runs[0].id, "the stopped run resumed");
    assert_eq!(llm.calls.load(Ordering::SeqCst) - calls_before, 3, "only the three stories were written");
    let (_, after) = engine.run_detail(b.run_id).unwrap();
    let refine_after = after.iter().find(|s| s.idx == BriefStep::Refine as i64).unwrap();
    assert_eq!((refine_after.started_ms, &refine_after.output), (refine.started_ms, &refine.output));
    assert_eq!(after.len(), 8);
}

#[test]
fn llm_mode_without_a_provider_says_what_to_set() {
    let home = tempfile::tempdir().unwrap();
    let env = vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
    std::fs::write(
        home.path().join("chief.toml"),
        "[me]\nname = \"Ann\"\nslack_id = \"U1\"\n[brain]\nmode = \"llm\"\n",
    )
    .unwrap();
    let engine = Engine::open(home.path(), Config::load(home.path(), env).unwrap()).unwrap();
    let e = engine.brief(&BriefRequest::default()).unwrap_err();
    assert_eq!(e.class(), ErrorClass::UserInput);
    assert!(e.to_string().contains("--offline"), "{e}");
    // --offline works without one.
    engine.brief(&BriefRequest { offline: true, ..BriefRequest::default() }).unwrap();
}

#[test]
fn answers_that_are_not_json_fall_back_to_the_local_briefing() {
    let llm = ScriptedLlm::start();
    let (_home, engine, _) = llm_home(13, &llm);
    llm.garbage.store(true, Ordering::SeqCst);
    let b = engine.brief(&request()).unwrap();
    assert_eq!(b.stories.len(), 3);
    assert!(b.stories.iter().all(|s| !s.summary.is_empty() && !s.title.starts_with("About: ")));
    assert!(b.dropped.iter().any(|d| d.reason.contains("not valid JSON")), "{:?}", b.dropped);
}

#[test]
fn the_explanation_streams_guarded_sentences_and_falls_back_when_the_model_fails() {
    let llm = ScriptedLlm::start();
    let (_home, engine, truth) = llm_home(9, &llm);
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
    let ticket = incident.items.iter().find(|i| i.starts_with("jira:")).unwrap();
    let key = engine.show(ticket).unwrap().item.item.title.split(':').next().unwrap().to_string();
    let ctx = engine.context(&key, engine.clock()).unwrap();
    let req = chief_engine::ExplainRequest { offline: false, env: request().env };
    let t = std::time::Instant::now();
    let mut arrivals = Vec::new();
    let e = engine.explain_streaming(&ctx, &req, &mut |s| arrivals.push((t.elapsed(), s.text.clone()))).unwrap();
    let total = t.elapsed();
    assert_eq!(e.by, "llm", "{e:?}");
    assert_eq!(e.model.as_deref(), Some("openai-compatible/scripted"));
    assert_eq!(e.sentences.len(), 2, "the invented citation and the added fact are dropped: {e:?}");
    assert_eq!(arrivals.len(), 2);
    // The first sentence came while the model was still writing (4 lines, 200 ms apart).
    assert!(arrivals[0].0 + std::time::Duration::from_millis(400) < total, "{arrivals:?} in {total:?}");
    let related: std::collections::BTreeSet<String> = ctx
        .groups
        .iter()
        .flat_map(|g| g.items.iter().map(|i| i.id.clone()))
        .chain(ctx.entities.iter().filter_map(|x| x.item_id.clone()))
        .collect();
    for s in &e.sentences {
        assert!(!s.text.contains("40,000") && !s.text.contains("follow-up"), "{s:?}");
        assert!(!s.text.contains(&truth.me.name), "second person: {s:?}");
        assert!(s.sources.iter().all(|id| related.contains(id) || engine.show(id).is_ok()), "{s:?}");
    }
    // The same request again is answered from the LLM cache.
    let before = llm.calls.load(Ordering::SeqCst);
    let again = engine.explain_streaming(&ctx, &req, &mut |_| {}).unwrap();
    assert_eq!((again.sentences, llm.calls.load(Ordering::SeqCst)), (e.sentences, before));
    // The model fails (a home that never asked it): the extractive explanation,
    // streamed the same way, with the reason.
    llm.garbage.store(true, Ordering::SeqCst);
    let (_home2, engine2, _) = llm_home(9, &llm);
    let ctx2 = engine2.context(&key, engine2.clock()).unwrap();
    let mut n = 0;
    let fallback = engine2.explain_streaming(&ctx2, &req, &mut |_| n += 1).unwrap();
    assert_eq!(fallback.by, "extractive");
    assert!(fallback.fallback.as_deref().is_some_and(|f| f.contains("model failed")), "{fallback:?}");
    assert_eq!(n, fallback.sentences.len());
    assert!(!fallback.sentences.is_empty());
    // A model whose first two lines do not pass (it echoes its prompt): the local card
    // comes at once, not after the rest of the answer, and nothing of the model's follows.
    llm.garbage.store(false, Ordering::SeqCst);
    llm.echo_first.store(true, Ordering::SeqCst);
    let (_home3, engine3, _) = llm_home(9, &llm);
    let ctx3 = engine3.context(&key, engine3.clock()).unwrap();
    let t = std::time::Instant::now();
    let mut arrivals = Vec::new();
    let early = engine3.explain_streaming(&ctx3, &req, &mut |s| arrivals.push((t.elapsed(), s.text.clone()))).unwrap();
    let total = t.elapsed();
    llm.echo_first.store(false, Ordering::SeqCst);
    assert_eq!(early.by, "extractive", "{early:?}");
    assert!(early.fallback.as_deref().is_some_and(|f| f.contains("first 2 lines")), "{early:?}");
    let texts: Vec<&String> = arrivals.iter().map(|(_, t)| t).collect();
    assert_eq!(texts, early.sentences.iter().map(|s| &s.text).collect::<Vec<_>>(), "only the local card is shown");
    assert!(arrivals[0].0 + std::time::Duration::from_millis(300) < total, "{arrivals:?} in {total:?}");
    // Offline: no call at all.
    let before = llm.calls.load(Ordering::SeqCst);
    let offline =
        engine.explain_streaming(&ctx, &chief_engine::ExplainRequest { offline: true, ..req }, &mut |_| {}).unwrap();
    assert_eq!(offline.by, "extractive");
    assert_eq!(llm.calls.load(Ordering::SeqCst), before);
}

/// With `mode = "llm"` the extract agent asks the model for the facts in messages, a
/// budget's worth per round: each fact must be stated by its message (an invented
/// amount is dropped), the rest waits for the next round, and search finds a message
/// through its fact.
#[test]
fn the_models_propositions_are_checked_budgeted_and_searched() {
    let llm = ScriptedLlm::start();
    let (home, engine, _truth) = llm_home(2, &llm);
    engine.close().unwrap();
    let path = home.path().join("chief.toml");
    let cfg = std::fs::read_to_string(&path).unwrap().replace("[brain]\n", "[brain]\npropositions_llm_per_round = 4\n");
    std::fs::write(&path, cfg).unwrap();
    let env = vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
    let engine = Engine::open(home.path(), Config::load(home.path(), env).unwrap()).unwrap();

    let before = llm.calls.load(Ordering::SeqCst);
    let first = engine.extract_propositions(&request().env).unwrap();
    assert_eq!(llm.calls.load(Ordering::SeqCst) - before, 4, "{first:#?}");
    assert!(first.decisions.iter().any(|d| d.what.contains("budget")), "{first:#?}");
    let head = engine.status().unwrap().counts.max_seq;
    assert!(first.positions[0].1 < head, "it stops where the budget ran out: {:?}", first.positions);
    let got: Vec<(String, Vec<chief_engine::Proposition>)> = first
        .decisions
        .iter()
        .filter_map(|d| d.item.clone())
        .map(|id| (id.clone(), engine.show(&id).unwrap().propositions))
        .filter(|(_, p)| p.iter().any(|p| p.by == "llm"))
        .collect();
    assert!(!got.is_empty(), "{first:#?}");
    for (_, props) in &got {
        assert!(props.iter().all(|p| !p.text.contains("40,000")), "an invented amount survived: {props:?}");
    }

    // The next round goes on from there.
    let second = engine.extract_propositions(&request().env).unwrap();
    assert!(second.positions[0].1 > first.positions[0].1, "{:?} then {:?}", first.positions, second.positions);

    // A message is found through its fact, which is the reason.
    let (id, props) = &got[0];
    let fact = props.iter().find(|p| p.by == "llm").unwrap();
    engine.sync_index().unwrap();
    let author = fact.text.split(" wrote: ").next().unwrap();
    let hits = engine
        .search(&chief_engine::SearchQuery {
            text: format!("{author} wrote"),
            limit: Some(20),
            mode: chief_engine::SearchMode::Bm25,
            ..Default::default()
        })
        .unwrap()
        .results;
    let hit = hits.iter().find(|r| &r.id == id).unwrap_or_else(|| panic!("{id} not found: {hits:#?}"));
    assert!(hit.reason.as_deref().is_some_and(|r| r.contains(" wrote: ")), "{hit:?}");

    // The message is edited while the model answers nonsense: the round says so and the
    // message keeps the model's facts it had, instead of losing them to rules only.
    let mut item = engine.show(id).unwrap().item.item;
    item.body.push_str(" (edited)");
    engine.write(|w| w.upsert_item(&item)).unwrap();
    llm.garbage.store(true, Ordering::SeqCst);
    let failed = engine.extract_propositions(&request().env).unwrap();
    llm.garbage.store(false, Ordering::SeqCst);
    assert!(failed.decisions.iter().any(|d| d.what.contains("earlier model facts kept")), "{failed:#?}");
    let kept = engine.show(id).unwrap().propositions;
    assert!(kept.iter().any(|p| p.by == "llm"), "{kept:?}");
}
