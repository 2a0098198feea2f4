//! The secrets and privacy sweep: the real `chief` binary connects Slack, GitHub and
//! Jira (tokens on standard input) and Google (a browser following the consent page
//! to the loopback listener; the grant stored in a real Secret Service keychain —
//! gnome-keyring on a private D-Bus session), stores an LLM key, syncs Slack in live
//! mode, GitHub, Jira and Google from the mock APIs, and calls an LLM endpoint that answers with a
//! redirect to another host — all at `CHIEF_LOG=trace` and `-vv`. Then every byte of
//! the output and of the home (database, WAL, index files, chief.toml) is searched:
//! no token, no key, no live-mode message text; the home is 0700 and its files 0600;
//! the redirect target never hears from Chief.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const SLACK_AND_GITHUB_TOKEN: &str = "xoxp-SWEEP-MARKER-TOKEN-5150";
const LLM_KEY: &str = "sk-ant-SWEEP-MARKER-KEY-8086";
const GOOGLE_SECRET: &str = "GOCSPX-SWEEP-MARKER-SECRET-31";
const LIVE_TEXT: &str = "SWEEPMARKER confidential reorg of the platform team";

fn need(tool: &str) {
    let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap().status.success();
    assert!(found, "{tool} is required (scripts/setup.sh --tests installs it)");
}

/// The start of a script that runs under `dbus-run-session`: a keyring of the test's
/// own, its files under `root` as a temporary HOME, never the user's.
fn keyring_session(root: &Path) -> String {
    format!(
        r#"set -u
export HOME="{root}" XDG_DATA_HOME="{root}/data" XDG_CACHE_HOME="{root}/cache" XDG_RUNTIME_DIR="{root}/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf pw | gnome-keyring-daemon --replace --unlock --components=secrets 2>/dev/null)" || true"#,
        root = root.display()
    )
}

/// Runs `script` with bash in a D-Bus session of its own.
fn in_dbus_session(script: &Path) -> std::process::ExitStatus {
    Command::new("dbus-run-session").args(["--", "bash"]).arg(script).status().unwrap()
}

/// Every regular file under `dir`, with its mode.
fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, u32)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = e.metadata().unwrap();
        if meta.is_dir() {
            files(&e.path(), out);
        } else {
            out.push((e.path(), meta.permissions().mode() & 0o777));
        }
    }
}

/// Standard base64, to look for a Basic auth header's credentials.
fn base64(input: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_or_live_text_reaches_logs_or_disk_even_at_trace() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    need("gnome-keyring-daemon");
    need("dbus-run-session");

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut world = chief_mockapi::World::synthetic(&chief_mockapi::Synthetic {
        messages: 200,
        pulls: 6,
        issues: 3,
        repos: 1,
        end_secs: now - 60,
        ..Default::default()
    });
    world.token = SLACK_AND_GITHUB_TOKEN.into();
    world.slack.post(
        "C0000001",
        serde_json::json!({"type": "message", "user": "U000002", "text": LIVE_TEXT, "ts": format!("{}.000077", now - 90)}),
    );
    let jira_email = world.jira.email.clone();
    let basic = base64(format!("{jira_email}:{SLACK_AND_GITHUB_TOKEN}").as_bytes());
    let mock = chief_mockapi::MockApi::start(world).await.unwrap();
    // The LLM endpoint redirects to another server; a client that followed would send the key there.
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&elsewhere).await;
    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{}/v1/messages", elsewhere.uri())))
        .mount(&llm)
        .await;

    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home"); // Chief creates it
    let log = root.path().join("out.log");
    let script = format!(
        r#"{keyring}
exec >>"{log}" 2>&1
export CHIEF_HOME="{home}" CHIEF_LOG=trace CHIEF_EMBED_ENABLED=false
export CHIEF_SOURCES_SLACK_ENABLED=true CHIEF_SOURCES_SLACK_API_BASE="{slack}" CHIEF_SOURCES_SLACK_LIVE=true
export CHIEF_SOURCES_GITHUB_ENABLED=true CHIEF_SOURCES_GITHUB_API_BASE="{github}" CHIEF_SOURCES_GITHUB_CONTAINERS=synth/repo-0
export CHIEF_LLM_PROVIDER=anthropic CHIEF_LLM_MODEL=claude-test CHIEF_LLM_BASE_URL="{llm}"
chief() {{ "{bin}" "$@"; echo "[exit $?: chief $*]"; }}
printf '%s\n' "{token}" | chief -vv connect slack
printf '%s\n' "{token}" | chief -vv connect github
printf '%s\n' "{token}" | chief -vv connect jira --site "{jira}" --email "{jira_email}"
export CHIEF_SOURCES_GOOGLE_API_BASE="{google}" CHIEF_SOURCES_GOOGLE_AUTH_URL="{google_auth}" CHIEF_SOURCES_GOOGLE_TOKEN_URL="{google_token}"
printf '#!/bin/sh\nexec python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1]).read()" "$1"\n' > "{root}/browser.sh"
chmod +x "{root}/browser.sh"
printf '%s\n' "{google_secret}" | BROWSER="{root}/browser.sh" chief -vv connect google --client-id "{google_client}"
printf '%s' "{key}" | chief -vv llm set-key
chief -vv sync
chief -vv llm test --no-cache
chief -vv status
chief -vv doctor
"#,
        keyring = keyring_session(root.path()),
        root = root.path().display(),
        log = log.display(),
        home = home.display(),
        slack = mock.slack_base(),
        github = mock.github_base(),
        jira = mock.jira_base(),
        google = mock.google_base(),
        google_auth = mock.google_oauth().0,
        google_token = mock.google_oauth().1,
        google_client = mock.world(|w| w.google.client_id.clone()),
        google_secret = GOOGLE_SECRET,
        jira_email = jira_email,
        llm = llm.uri(),
        bin = env!("CARGO_BIN_EXE_chief"),
        token = SLACK_AND_GITHUB_TOKEN,
        key = LLM_KEY,
    );
    let script_path = root.path().join("sweep.sh");
    std::fs::write(&script_path, script).unwrap();
    let status = tokio::task::spawn_blocking(move || in_dbus_session(&script_path)).await.unwrap();
    let out = std::fs::read(&log).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(status.success(), "{status:?}: {text}");

    // It all ran: tokens came from the keychain, the sync stored items, the LLM call failed on the redirect.
    for step in ["connect slack", "connect github", "connect jira", "connect google", "llm set-key", "sync"] {
        assert!(text.contains(&format!("[exit 0: chief -vv {step}")), "{step} failed:\n{text}");
    }
    assert!(
        text.contains("slack page stored") && text.contains("github page stored") && text.contains("jira page stored"),
        "{text}"
    );
    assert!(text.contains("google (user0@example.com): 2 containers"), "{text}");
    // `connect jira` saved the site and the email (not the token) to chief.toml.
    let toml = std::fs::read_to_string(home.join("chief.toml")).unwrap();
    assert!(toml.contains(&mock.jira_base()) && toml.contains(&jira_email), "{toml}");
    assert!(!text.contains("[exit 0: chief -vv llm test"), "a redirect is an error:\n{text}");
    assert!(text.contains("does not follow redirects"), "the error says why:\n{text}");
    assert!(text.contains("DEBUG") && text.contains("slack request"), "verbose logging was on");
    assert!(elsewhere.received_requests().await.unwrap().is_empty(), "the redirect was followed");
    assert!(!llm.received_requests().await.unwrap().is_empty(), "the LLM endpoint was called");

    // Nothing secret or live in the output, as text or as a logged byte list.
    let google_grant = mock.world(|w| w.google.refresh_token.clone());
    assert!(google_grant.starts_with("1//"), "Google granted a refresh token: {google_grant:?}");
    let markers =
        [SLACK_AND_GITHUB_TOKEN, LLM_KEY, "SWEEPMARKER", basic.as_str(), GOOGLE_SECRET, google_grant.as_str(), "ya29."];
    for marker in markers {
        assert!(!contains(&out, marker), "{marker} in the output:\n{text}");
        let bytes: Vec<String> = marker.bytes().take(12).map(|b| b.to_string()).collect();
        assert!(!contains(&out, &bytes.join(", ")), "{marker} as bytes in the output");
    }
    // Nor on disk: every file of the home, the database's WAL and the index included.
    let mut all = Vec::new();
    files(&home, &mut all);
    assert!(all.iter().any(|(p, _)| p.ends_with("chief.db")), "{all:?}");
    assert!(all.iter().any(|(p, _)| p.to_string_lossy().contains("index")), "{all:?}");
    for (path, _) in &all {
        let bytes = std::fs::read(path).unwrap();
        for marker in markers {
            assert!(!contains(&bytes, marker), "{marker} in {}", path.display());
        }
    }
    // Private on disk.
    let home_mode = std::fs::metadata(&home).unwrap().permissions().mode() & 0o777;
    assert_eq!(home_mode, 0o700, "the home Chief created");
    for (path, mode) in &all {
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("chief.db") {
            assert_eq!(*mode, 0o600, "{}", path.display());
        }
        assert_eq!(mode & 0o077, 0, "{} is readable by others: {mode:o}", path.display());
    }
    eprintln!("sweep: {} files, {} bytes of output, searched for {} markers", all.len(), out.len(), markers.len());
}

/// Background sync (`chief sync --watch`) takes a token `chief connect` stores from
/// another process, through the real keychain: first for a source that was enabled
/// with no token yet, then a replaced token for a source that is syncing fine (the
/// server now accepts only the new one) — each synced at once, not on its interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_sync_takes_tokens_connected_from_another_process() {
    need("gnome-keyring-daemon");
    need("dbus-run-session");
    const FIRST: &str = "xoxp-first-token-7";
    const SECOND: &str = "xoxp-second-token-8";
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut world = chief_mockapi::World::synthetic(&chief_mockapi::Synthetic {
        messages: 30,
        end_secs: now - 60,
        ..Default::default()
    });
    world.token = FIRST.into();
    let mock = chief_mockapi::MockApi::start(world).await.unwrap();
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let log = r.join("out.log");
    let script = format!(
        r#"{keyring}
exec >>"{log}" 2>&1
export CHIEF_HOME="{root}/home" CHIEF_EMBED_ENABLED=false
# Enabled, not connected yet; once synced, not again on its interval during the test.
export CHIEF_SOURCES_SLACK_ENABLED=true CHIEF_SOURCES_SLACK_API_BASE="{slack}" CHIEF_SOURCES_SLACK_INTERVAL_MINUTES=600
"{bin}" -v sync --watch 2>"{root}/watch.log" &
watch=$!
synced() {{ # waits until the watch has synced Slack $1 times
  for _ in $(seq 1 600); do
    [ "$(grep -c '^slack: .* new' "{root}/watch.log")" -ge "$1" ] && return 0
    kill -0 $watch 2>/dev/null || break
    sleep 0.1
  done
  echo "Slack not synced $1 times"; cat "{root}/watch.log"; kill $watch; exit 1
}}
sleep 2
printf '%s\n' "{first}" | "{bin}" connect slack || exit 1
synced 1
# The server takes only the new token from now on (the test switches it).
touch "{root}/rotate"
for _ in $(seq 1 100); do [ -e "{root}/rotated" ] && break; sleep 0.1; done
printf '%s\n' "{second}" | "{bin}" connect slack || exit 1
synced 2
kill $watch
cat "{root}/watch.log"
"#,
        keyring = keyring_session(r),
        log = log.display(),
        root = r.display(),
        slack = mock.slack_base(),
        bin = env!("CARGO_BIN_EXE_chief"),
        first = FIRST,
        second = SECOND,
    );
    let script_path = r.join("reconnect.sh");
    std::fs::write(&script_path, script).unwrap();
    let running = tokio::task::spawn_blocking(move || in_dbus_session(&script_path));
    let rotate = r.join("rotate");
    while !rotate.exists() && !running.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    mock.world(|w| w.token = SECOND.into());
    std::fs::write(r.join("rotated"), "").unwrap();
    let status = running.await.unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{status:?}: {text}");
    assert!(!text.contains("paused"), "the new token was taken before the old one was tried: {text}");
    assert!(!text.contains(FIRST) && !text.contains(SECOND), "no token in the output: {text}");
}

#[test]
fn base64_matches_the_rfc_4648_vectors() {
    for (plain, encoded) in
        [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")]
    {
        assert_eq!(base64(plain.as_bytes()), encoded);
    }
}
