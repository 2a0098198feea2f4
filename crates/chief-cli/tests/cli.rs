//! The `chief` binary end to end: real process, real home on disk, JSON output parsed.

#![allow(clippy::unwrap_used)] // a test fails by panicking

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn chief_with(home: &Path, args: &[&str], semantic: bool) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chief"))
        .args(args)
        .env("CHIEF_HOME", home)
        .env("CHIEF_EMBED_ENABLED", if semantic { "true" } else { "false" })
        .env_remove("CHIEF_LOG")
        .output()
        .expect("chief runs")
}

/// Runs `chief` (semantic search off) with extra environment variables on a blocking
/// thread, so a mock server on the test's runtime keeps answering.
async fn chief_in_task(home: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let envs: Vec<(String, String)> = envs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_chief"))
            .args(&args)
            .env("CHIEF_HOME", &home)
            .env("CHIEF_EMBED_ENABLED", "false")
            .env_remove("CHIEF_LOG")
            .envs(envs)
            .output()
            .expect("chief runs")
    })
    .await
    .expect("the task finishes")
}

/// Runs `chief` with semantic search off (the demo test turns it on).
fn chief(home: &Path, args: &[&str]) -> Output {
    chief_with(home, args, false)
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "chief failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn demo_then_search_json_finds_the_incident_across_channels() {
    let home = tempfile::tempdir().unwrap();
    let demo = chief_with(home.path(), &["demo"], true);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    assert!(String::from_utf8_lossy(&demo.stdout).contains("PAY-142"));
    let status = json(&chief_with(home.path(), &["status", "--json"], true));
    assert_eq!(status["embeddings"]["lag"], 0);
    assert!(status["embeddings"]["chunks"].as_i64().unwrap() >= 1631);
    let v = json(&chief_with(home.path(), &["search", "--json", "--mode", "hybrid", "who is out sick tomorrow"], true));
    assert_eq!(v["mode"], "hybrid");
    assert!(v["results"].as_array().unwrap().iter().take(3).any(|r| r["author"] == "Priya Nair"), "{v}");

    let v = json(&chief(home.path(), &["search", "--json", "--limit", "30", "502"]));
    assert_eq!(v["query"], "502");
    let results = v["results"].as_array().unwrap();
    for key in ["id", "source", "kind", "container", "title", "snippet", "url", "author", "ts", "score"] {
        assert!(results[0].get(key).is_some(), "missing {key} in {}", results[0]);
    }
    let containers: std::collections::BTreeSet<&str> = results.iter().filter_map(|r| r["container"].as_str()).collect();
    assert!(containers.contains("#incidents") && containers.contains("#payments-eng"), "{containers:?}");

    // Filters.
    let v = json(&chief(
        home.path(),
        &["search", "--json", "--source", "github", "--kind", "pull_request", "connection pool"],
    ));
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["source"] == "github" && r["kind"] == "pull_request"));
    let v = json(&chief(
        home.path(),
        &[
            "search",
            "--json",
            "--container",
            "#payments-eng",
            "--since",
            "2026-11-24",
            "--until",
            "2026-11-25",
            "checkout",
        ],
    ));
    let rs = v["results"].as_array().unwrap();
    assert!(
        !rs.is_empty()
            && rs
                .iter()
                .all(|r| r["container"] == "#payments-eng" && r["ts"].as_str().unwrap().starts_with("2026-11-24"))
    );

    // show and status.
    let id = results[0]["id"].as_str().unwrap();
    let shown = json(&chief(home.path(), &["show", "--json", id]));
    assert_eq!(shown["item"]["id"], id);
    let status = json(&chief(home.path(), &["status", "--json"]));
    assert_eq!(status["index_lag"], 0);
    assert!(status["counts"]["people"].as_i64().unwrap() >= 12);

    // Running demo again on a demo home replaces it cleanly.
    assert!(chief(home.path(), &["demo", "-q"]).status.success());
    let again = json(&chief(home.path(), &["status", "--json"]));
    assert_eq!(again["counts"]["items"], status["counts"]["items"]);
}

#[test]
fn exit_codes_and_errors_are_clear() {
    let home = tempfile::tempdir().unwrap();
    // Usage errors exit 2.
    assert_eq!(chief(home.path(), &["search", "--kind", "tweet", "x"]).status.code(), Some(2));
    assert_eq!(chief(home.path(), &["frobnicate"]).status.code(), Some(2));
    // Unknown ids exit 1 with a hint.
    let out = chief(home.path(), &["show", "slack:C1:1.0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no item with id"));
    // A partially failed import exits 3 and says which file.
    let export = tempfile::tempdir().unwrap();
    std::fs::write(export.path().join("channels.json"), r#"[{"id":"C1","name":"general"}]"#).unwrap();
    std::fs::create_dir(export.path().join("general")).unwrap();
    std::fs::write(
        export.path().join("general/2026-01-01.json"),
        r#"[{"type":"message","user":"U1","ts":"1.0","text":"fine"}]"#,
    )
    .unwrap();
    std::fs::write(export.path().join("general/2026-01-02.json"), "not json").unwrap();
    let out = chief(home.path(), &["import", "slack-export", export.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("general/2026-01-02.json"));
    // The demo refuses to overwrite a home holding real data: the user must choose
    // another home (or --force), so it is a usage error.
    let out = chief(home.path(), &["demo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--home"));
}

/// `chief search … | head -1`: the reader goes away, and chief ends quietly.
#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let home = tempfile::tempdir().unwrap();
    assert!(chief(home.path(), &["demo", "-q"]).status.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_chief"))
        .args(["search", "--limit", "50", "checkout"])
        .env("CHIEF_HOME", home.path())
        .env("CHIEF_EMBED_ENABLED", "false")
        .env_remove("CHIEF_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes before the first result is printed.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
}

#[test]
fn doctor_reports_findings_and_config_errors() {
    let home = tempfile::tempdir().unwrap();
    let v = json(&chief(home.path(), &["doctor", "--json"]));
    let checks: Vec<&str> = v.as_array().unwrap().iter().filter_map(|f| f["check"].as_str()).collect();
    for c in ["home", "config", "store"] {
        assert!(checks.contains(&c), "{checks:?}");
    }
    std::fs::write(home.path().join("chief.toml"), "[llm]\nofline = true\n").unwrap();
    let out = chief(home.path(), &["doctor"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ofline"));
    let out = chief(home.path(), &["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chief.toml"));
}

#[test]
fn reindex_rebuilds_from_the_store() {
    let home = tempfile::tempdir().unwrap();
    assert!(chief(home.path(), &["demo", "-q"]).status.success());
    std::fs::remove_dir_all(home.path().join("index")).unwrap();
    let out = chief(home.path(), &["reindex"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&chief(home.path(), &["search", "--json", "flu"]));
    assert!(!v["results"].as_array().unwrap().is_empty());
}

/// `kill -9` in the middle of embedding loses nothing: after a restart the store holds
/// exactly the chunks of a run that was never interrupted.
#[test]
fn the_embedding_queue_survives_kill_9() {
    let clean = tempfile::tempdir().unwrap();
    let killed = tempfile::tempdir().unwrap();
    for home in [clean.path(), killed.path()] {
        assert!(chief(home, &["demo", "-q"]).status.success());
    }
    for delay_ms in [400u64, 900, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chief"))
            .args(["embed", "-q"])
            .env("CHIEF_HOME", killed.path())
            .env("CHIEF_EMBED_ENABLED", "true")
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    for home in [clean.path(), killed.path()] {
        let out = chief_with(home, &["embed", "-q"], true);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let a = json(&chief_with(clean.path(), &["status", "--json"], true));
    let b = json(&chief_with(killed.path(), &["status", "--json"], true));
    assert_eq!(b["embeddings"]["lag"], 0);
    assert_eq!(b["embeddings"]["items_without_vectors"], 0);
    assert_eq!(a["embeddings"]["chunks"], b["embeddings"]["chunks"]);
}

/// `chief llm test` against a local OpenAI-compatible mock: it answers, the second run
/// is served from the cache, `chief usage` counts both, offline mode refuses, and the
/// API key never appears in any output, even at -vv.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_test_usage_cache_offline_and_no_key_in_output() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let answer = serde_json::json!({
        "model": "smol",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1}
    });
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(2)
        .mount(&server)
        .await;
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("chief.toml"),
        format!("[llm]\nprovider = \"openai-compatible\"\nmodel = \"smol\"\nbase_url = \"{}/v1\"\n", server.uri()),
    )
    .unwrap();
    const KEY: &str = "sk-live-SECRET-do-not-print-4242";
    let h = home.path();
    let first = chief_in_task(h, &["-vv", "llm", "test"], &[("CHIEF_LLM_API_KEY", KEY)]).await;
    let all = format!("{}{}", String::from_utf8_lossy(&first.stdout), String::from_utf8_lossy(&first.stderr));
    assert!(first.status.success(), "{all}");
    assert!(all.contains("pong"));
    assert!(all.contains("llm call"), "-vv shows the call: {all}");
    assert!(!all.contains(KEY), "the key leaked: {all}");
    // `chief doctor` sends one uncached request when a provider is configured.
    let doctor = chief_in_task(h, &["doctor", "--json"], &[("CHIEF_LLM_API_KEY", KEY)]).await;
    let findings: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let llm = findings.as_array().unwrap().iter().find(|f| f["check"] == "llm").expect("an llm finding");
    assert_eq!(llm["level"], "ok", "{llm}");
    let second = chief_in_task(h, &["llm", "test"], &[]).await;
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("from cache"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let v = json(&chief_in_task(h, &["usage", "--json"], &[]).await);
    let total = |k: &str| v.as_array().unwrap().iter().map(|r| r[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(total("calls"), 3, "{v}");
    assert_eq!(total("cache_hits"), 1);
    assert_eq!(total("input_tokens"), 36);
    let offline = chief_in_task(h, &["llm", "test", "--no-cache"], &[("CHIEF_LLM_OFFLINE", "true")]).await;
    assert_eq!(offline.status.code(), Some(2), "offline mode is the user's setting, not a failure");
    assert!(String::from_utf8_lossy(&offline.stderr).contains("offline"));
}

/// `chief sync` through the real binary against the mock Slack and GitHub APIs: the
/// synced items become searchable, a rejected token pauses only its source (and
/// `chief status` says so), and no token ever shows, even with -vv.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_from_the_mock_apis_pauses_a_bad_source_and_never_prints_tokens() {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut world = chief_mockapi::World::synthetic(&chief_mockapi::Synthetic {
        messages: 300,
        pulls: 12,
        issues: 4,
        repos: 1,
        end_secs: now - 60,
        ..Default::default()
    });
    let token = "xoxp-very-secret-token-777";
    world.token = token.into();
    let ts = format!("{}.000042", now - 120);
    let message =
        serde_json::json!({"type": "message", "user": "U000002", "text": "the flamingo cluster is degraded", "ts": ts});
    world.slack.post("C0000001", message);
    let mock = chief_mockapi::MockApi::start(world).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let config = format!(
        "[sources.slack]\nenabled = true\napi_base = {:?}\n\
         [sources.github]\nenabled = true\napi_base = {:?}\ncontainers = [\"synth/repo-0\"]\n",
        mock.slack_base(),
        mock.github_base()
    );
    std::fs::write(h.join("chief.toml"), config).unwrap();

    let out = chief_in_task(h, &["-vv", "sync"], &[("CHIEF_SLACK_TOKEN", token), ("CHIEF_GITHUB_TOKEN", token)]).await;
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{all}");
    assert!(all.contains("slack (TSYNTH)") && all.contains("github (user0)"), "{all}");
    assert!(all.contains("slack page stored") && all.contains("github page stored"), "pages show under -v: {all}");
    assert!(!all.contains(token), "{all}");
    let v = json(&chief(h, &["search", "--json", "flamingo"]));
    assert_eq!(v["results"][0]["author"], "User 2");
    let status = json(&chief(h, &["status", "--json"]));
    let states: Vec<(&str, &str)> = status["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["source"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("github", "ok"), ("slack", "ok")]);

    // A revoked Slack token: Slack pauses, GitHub goes on; exit code 3 (partial).
    let out = chief_in_task(
        h,
        &["-vv", "sync"],
        &[("CHIEF_SLACK_TOKEN", "xoxp-revoked-secret-999"), ("CHIEF_GITHUB_TOKEN", token)],
    )
    .await;
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(all.contains("slack: paused") && all.contains("chief connect slack"), "{all}");
    assert!(!all.contains("xoxp-revoked-secret-999") && !all.contains(token), "{all}");
    let status = chief(h, &["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("sync slack (TSYNTH): PAUSED") && text.contains("sync github (user0): ok"), "{text}");

    // `chief connect` checks a token and names missing scopes; --manifest prints the app.
    let manifest = chief(h, &["connect", "slack", "--manifest"]);
    let manifest = String::from_utf8_lossy(&manifest.stdout);
    for scope in chief_engine::LiveSource::Slack.scopes() {
        assert!(manifest.contains(&format!("- {scope}\n")), "manifest lacks {scope}");
    }
    mock.world(|w| w.slack.scopes.retain(|s| s != "search:read"));
    let out = chief_stdin(h, &["connect", "slack", "--check-only"], &format!("{token}\n"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("token works for Synth/user0") && text.contains("missing scopes: search:read"), "{text}");
    let out = chief_stdin(h, &["connect", "github", "--check-only"], "ghp_wrong_secret_1\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("HTTP 401") && err.contains("chief connect github") && !err.contains("ghp_wrong_secret_1"),
        "{err}"
    );

    // Live mode: no text in the store or the index; `chief show` fetches it from Slack.
    let live = tempfile::tempdir().unwrap();
    std::fs::write(
        live.path().join("chief.toml"),
        format!("[sources.slack]\napi_base = {:?}\nlive = true\n", mock.slack_base()),
    )
    .unwrap();
    let out = chief_in_task(live.path(), &["sync", "slack"], &[("CHIEF_SLACK_TOKEN", token)]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        json(&chief(live.path(), &["search", "--json", "flamingo"]))["results"].as_array().unwrap().is_empty(),
        "live mode indexes no text"
    );
    let id = format!("slack:C0000001:{}.000042", now - 120);
    let offline = json(&chief(live.path(), &["show", "--json", &id]));
    assert_eq!(offline["item"]["body"], "", "no text stored");
    let shown = chief_in_task(live.path(), &["show", "--json", &id], &[("CHIEF_SLACK_TOKEN", token)]).await;
    assert_eq!(json(&shown)["item"]["body"], "the flamingo cluster is degraded");
}

/// Background sync (the desktop's, `chief watch`'s) takes sources as they come,
/// without a restart: none at first (it waits), then Slack enabled through the engine
/// (Settings), then GitHub enabled in `chief.toml` by another process, and Slack is
/// not synced again for it before its interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_sync_takes_sources_connected_while_it_runs() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut world = chief_mockapi::World::synthetic(&chief_mockapi::Synthetic {
        messages: 40,
        pulls: 3,
        issues: 1,
        repos: 1,
        end_secs: now - 60,
        ..Default::default()
    });
    let token = "xoxp-background-secret-31";
    world.token = token.into();
    let mock = chief_mockapi::MockApi::start(world).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    let toml = format!(
        "[sources.slack]\nenabled = false\napi_base = {:?}\n\
         [sources.github]\nenabled = false\napi_base = {:?}\ncontainers = [\"synth/repo-0\"]\n",
        mock.slack_base(),
        mock.github_base()
    );
    std::fs::write(h.join("chief.toml"), &toml).unwrap();
    let env: Vec<(String, String)> = [
        ("CHIEF_EMBED_ENABLED", "false"),
        ("CHIEF_SLACK_TOKEN", token),
        ("CHIEF_GITHUB_TOKEN", token),
        // Slack runs once, when enabled, and not again on its interval during the test.
        ("CHIEF_SOURCES_SLACK_INTERVAL_MINUTES", "600"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let engine =
        Arc::new(chief_engine::Engine::open(&h, chief_engine::Config::load(&h, env.clone()).unwrap()).unwrap());
    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = events.clone();
    let progress: chief_engine::SyncProgress = Arc::new(move |e: &chief_engine::SyncEvent| {
        if let chief_engine::SyncEvent::Finished { source, .. } | chief_engine::SyncEvent::Paused { source, .. } = e {
            seen.lock().unwrap().push(format!(
                "{source} {}",
                if matches!(e, chief_engine::SyncEvent::Paused { .. }) { "paused" } else { "ok" }
            ));
        }
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = {
        let (engine, env) = (engine.clone(), env.clone());
        tokio::task::spawn_blocking(move || engine.sync_in_background(&env, progress, stopped))
    };
    let wait_for = |what: &'static str, within: Duration| {
        let events = events.clone();
        async move {
            let t = Instant::now();
            while !events.lock().unwrap().iter().any(|e| e == what) {
                assert!(t.elapsed() < within, "no {what:?} within {within:?}: {:?}", events.lock().unwrap());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };

    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!running.is_finished(), "with no source enabled it waits for one");
    assert!(events.lock().unwrap().is_empty());

    let enable = |name: &str| chief_engine::SettingsPatch {
        source: Some(chief_engine::SourcePatch { name: name.into(), enabled: Some(true), ..Default::default() }),
        ..Default::default()
    };
    engine.update_settings(&enable("slack"), &env).unwrap();
    wait_for("slack ok", Duration::from_secs(20)).await;

    // Another process enables GitHub (as `chief connect github` does on a new source).
    std::fs::write(h.join("chief.toml"), toml.replace("enabled = false\napi_base = ", "enabled = true\napi_base = "))
        .unwrap();
    wait_for("github ok", Duration::from_secs(40)).await;
    assert_eq!(
        events.lock().unwrap().iter().filter(|e| *e == "slack ok").count(),
        1,
        "Slack is not synced again before its interval"
    );
    assert!(!running.is_finished());

    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    let states: Vec<(String, chief_engine::SourceState)> =
        engine.source_statuses().unwrap().into_iter().map(|s| (s.source, s.state)).collect();
    assert_eq!(
        states,
        [("github".to_string(), chief_engine::SourceState::Ok), ("slack".to_string(), chief_engine::SourceState::Ok)]
    );
}

/// `chief sync --watch` with no source enabled says what to do and exits 2; with one
/// enabled but not connected yet it keeps running, waiting for its token.
#[test]
fn sync_watch_fails_at_once_only_when_no_source_is_enabled() {
    let home = tempfile::tempdir().unwrap();
    let out = chief(home.path(), &["sync", "--watch"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no source to sync") && err.contains("chief connect slack"), "{err}");

    let mut watch = Command::new(env!("CARGO_BIN_EXE_chief"))
        .args(["sync", "--watch"])
        .env("CHIEF_HOME", home.path())
        .env("CHIEF_EMBED_ENABLED", "false")
        .env("CHIEF_SOURCES_SLACK_ENABLED", "true")
        .env("CHIEF_SOURCES_SLACK_API_BASE", "http://127.0.0.1:9")
        .env_remove("CHIEF_SLACK_TOKEN")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let still = watch.try_wait().unwrap();
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(still.is_none(), "it waits for the token instead of exiting: {still:?}");
}

/// Runs `chief` with `input` on standard input (semantic search off).
fn chief_stdin(home: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_chief"))
        .args(args)
        .env("CHIEF_HOME", home)
        .env("CHIEF_EMBED_ENABLED", "false")
        .env_remove("CHIEF_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("chief runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn brief_runs_interests_feedback_whoami_and_eval_brief() {
    let home = tempfile::tempdir().unwrap();
    let demo = chief(home.path(), &["demo", "--seed", "4"]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let text = String::from_utf8_lossy(&demo.stdout);
    assert!(text.contains("Your briefing") && text.contains("1. "), "the demo ends with the briefing: {text}");

    let b = json(&chief(home.path(), &["brief", "--json", "--offline"]));
    let stories = b["stories"].as_array().unwrap();
    assert_eq!(stories.len(), 3, "{b}");
    let run = b["run_id"].as_i64().unwrap();
    let runs = json(&chief(home.path(), &["runs", "list", "--json"]));
    assert!(runs.as_array().unwrap().iter().any(|r| r["id"] == run && r["status"] == "done"), "{runs}");
    let detail = json(&chief(home.path(), &["runs", "show", &run.to_string(), "--json"]));
    assert_eq!(detail["steps"].as_array().unwrap().len(), 7);
    let guard = json(&chief(home.path(), &["runs", "show", &run.to_string(), "--step", "7", "--json"]));
    assert_eq!(guard["name"], "guard");
    assert!(guard["output"]["stories"].is_array());

    let history = json(&chief(home.path(), &["brief", "--history", "--json"]));
    assert!(history.as_array().unwrap().len() >= 2, "the demo's briefing and this one are stored");
    let interests = json(&chief(home.path(), &["interests", "--json"]));
    assert!(!interests.as_array().unwrap().is_empty());
    let who = json(&chief(home.path(), &["whoami", "--json"]));
    assert!(who["identities"].as_array().unwrap().len() >= 3, "{who}");

    let sent = json(&chief(home.path(), &["notifications", "--json"]));
    let sent = sent.as_array().unwrap();
    assert!(sent.len() >= 3, "{sent:?}");
    for key in ["kind", "story", "item", "send_ms", "title", "line", "sources", "held"] {
        assert!(sent[0].get(key).is_some(), "notification {key} missing");
    }

    // The notifier delivers each story once, across runs.
    let first = json(&chief(home.path(), &["watch", "--once", "--json"]));
    // What is due and still fresh goes out; what went stale before anyone ran the
    // notifier is recorded, never shown.
    let first = first.as_array().unwrap();
    assert!(!first.is_empty() && first.len() <= sent.len(), "{first:?}");
    assert!(first.iter().all(|n| sent.iter().any(|s| s["story"] == n["story"])), "{first:?}");
    let second = json(&chief(home.path(), &["watch", "--once", "--json"]));
    assert!(second.as_array().unwrap().is_empty(), "nothing is delivered twice: {second}");
    // -v shows each agent's decisions and where each stands in the change log.
    let verbose = chief(home.path(), &["-v", "watch", "--once"]);
    let err = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        err.contains("[agents] interests at ") && err.contains(", notifier at ") && err.contains(", extract at "),
        "{err}"
    );

    let card = json(&chief(home.path(), &["prep", "--next", "--json"]));
    for key in ["event", "title", "starts", "attendees", "open_items", "related"] {
        assert!(card.get(key).is_some(), "prep {key} missing: {card}");
    }
    let out = chief(home.path(), &["prep", "google:calendar/nobody/none"]);
    assert_eq!(out.status.code(), Some(1), "an unknown event: {}", String::from_utf8_lossy(&out.stderr));
    let ctx = json(&chief(home.path(), &["context", "--explain", "--json", "why is this late"]));
    assert!(ctx["groups"].is_array() && ctx["explanation"]["sentences"].is_array(), "{ctx}");
    // Streamed: the related items first, then each sentence, then the whole explanation.
    let ticket = stories[0]["sources"][0]["id"].as_str().unwrap();
    let out = chief(home.path(), &["context", "--explain", "--stream", "--json", ticket]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines[0]["context"]["groups"].is_array(), "{lines:?}");
    let last = lines.last().unwrap();
    let n = last["explanation"]["sentences"].as_array().unwrap().len();
    assert!(n > 0 && lines.len() == n + 2, "{lines:?}");
    assert!(lines[1..=n].iter().all(|l| l["sentence"]["sources"].as_array().is_some_and(|s| !s.is_empty())));
    assert_eq!(last["explanation"]["by"], "extractive");

    let id = stories[1]["id"].as_str().unwrap();
    let fb = json(&chief(home.path(), &["feedback", id, "down", "--reason", "not my team", "--json"]));
    assert_eq!(fb["vote"], -1);

    // Bad input: exit 2 with what to do; unknown things: exit 1.
    for args in [
        vec!["--now", "yesterday-ish", "brief"],
        vec!["--now", "x+a€", "brief"],
        vec!["search", "--since", "x+a€", "checkout"],
        vec!["search", "--since", "9999999999999999d", "checkout"],
        vec!["brief", "--since", "x+a€"],
        vec!["brief", "--since", "9999999999999999d"],
        vec!["brief", "--stop-after", "nope"],
        vec!["eval", "brief", "--seeds", "5..1"],
    ] {
        let out = chief(home.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = chief(home.path(), &["feedback", "s-0000000000", "up"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chief brief --history"));
    let out = chief(home.path(), &["runs", "show", "9999"]);
    assert_eq!(out.status.code(), Some(1));

    // --now moves the window.
    let later = json(&chief(home.path(), &["--now", "2026-11-30", "brief", "--json", "--since", "24h"]));
    assert_eq!(later["window"]["to_ms"], 1_795_996_800_000i64);

    let eval = json(&chief(home.path(), &["eval", "brief", "--seeds", "21..22", "--json"]));
    assert_eq!(eval["seeds"].as_array().unwrap().len(), 2);
    for (kind, v) in eval["gold_at_3"].as_object().unwrap() {
        assert_eq!(v[0], v[1], "{kind}: {eval}");
    }
    assert_eq!(eval["forbidden_hits"], 0);
}

/// `chief import mbox`: every shared mbox file imports (26 messages, 18 distinct); a
/// message is then found by words; a path with no mail is a usage error that says so.
#[test]
fn import_mbox_imports_the_shared_archives_and_searches_them() {
    let home = tempfile::tempdir().unwrap();
    let shared = std::env::var_os("CHIEF_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("data/mbox/tests/data");
    assert!(shared.exists(), "the shared mbox files are required at {}", shared.display());
    let r = json(&chief(home.path(), &["import", "mbox", shared.to_str().unwrap(), "--json"]));
    assert_eq!((r["messages"].as_u64(), r["inserted"].as_u64(), r["failed"].as_u64()), (Some(26), Some(18), Some(0)));
    let hits = json(&chief(home.path(), &["search", "--json", "refresh a control in another thread"]));
    let first = &hits["results"][0];
    assert_eq!(first["kind"], "email", "{hits}");
    assert_eq!(first["title"], "[platform-swt-dev] How to refresh a control in another thread?");

    let empty = tempfile::tempdir().unwrap();
    let out = chief(home.path(), &["import", "mbox", empty.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no mbox files"), "{out:?}");
}

/// `chief import ics`: a weekly series becomes its instances around the clock's now, a
/// single event is found by words, and a file that is not a calendar is refused by name.
#[tokio::test]
async fn import_ics_makes_events_and_instances() {
    let home = tempfile::tempdir().unwrap();
    let cal = home.path().join("work.ics");
    std::fs::write(
        &cal,
        "BEGIN:VCALENDAR\nX-WR-CALNAME:Work\nBEGIN:VEVENT\nUID:sync-1\nSUMMARY:Weekly platform sync\nDTSTART;TZID=America/New_York:20260302T100000\nDTEND;TZID=America/New_York:20260302T103000\nRRULE:FREQ=WEEKLY;COUNT=4\nATTENDEE;CN=Ines Duarte;PARTSTAT=ACCEPTED:mailto:ines@corp.example\nEND:VEVENT\nBEGIN:VEVENT\nUID:budget-1\nSUMMARY:Vendor budget review\nDTSTART:20260305T150000Z\nEND:VEVENT\nEND:VCALENDAR\n",
    )
    .unwrap();
    let out = chief_in_task(
        home.path(),
        &["import", "ics", cal.to_str().unwrap(), "--json"],
        &[("CHIEF_NOW", "2026-03-04T00:00:00Z")],
    )
    .await;
    let r = json(&out);
    assert_eq!(
        (r["calendar"].as_str(), r["events"].as_u64(), r["instances"].as_u64()),
        (Some("Work"), Some(2), Some(5))
    );
    let hits = json(&chief(home.path(), &["search", "--json", "--kind", "event", "platform sync"]));
    let starts: Vec<&str> = hits["results"].as_array().unwrap().iter().filter_map(|x| x["ts"].as_str()).collect();
    // 10:00 in New York: 15:00 UTC before the DST switch on March 8, 14:00 after.
    assert!(starts.iter().any(|s| s.starts_with("2026-03-02T15:00")), "{starts:?}");
    assert!(starts.iter().any(|s| s.starts_with("2026-03-09T14:00")), "{starts:?}");
    let budget = json(&chief(home.path(), &["search", "--json", "vendor budget"]));
    assert_eq!(budget["results"][0]["id"], "local:calendar/work/budget-1");

    let bad = home.path().join("notes.ics");
    std::fs::write(&bad, "just text").unwrap();
    let out = chief(home.path(), &["import", "ics", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an iCalendar file"), "{out:?}");
}

/// `chief connect jira` refuses a site that would carry the token in clear text before
/// any request, and names what to give; `--site` is refused for token-only sources.
#[test]
fn connect_jira_refuses_a_plain_http_site_and_misplaced_flags() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let secret = "atl-SECRET-TOKEN-4242";
    let out = chief_stdin(
        h,
        &["connect", "jira", "--site", "http://acme.atlassian.net", "--email", "maya@acme.example"],
        &format!("{secret}\n"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("https://") && !err.contains(secret), "{err}");
    assert!(!h.join("chief.toml").exists() || !std::fs::read_to_string(h.join("chief.toml")).unwrap().contains("acme"));
    let out = chief_stdin(h, &["connect", "github", "--site", "https://x.example"], "ghp_x\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("for Jira"));
    let out = chief_stdin(h, &["connect", "jira", "--email", "maya@acme.example"], "t\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--site https://YOUR-SITE.atlassian.net"));
}
