//! The popup's DOM checked through WebDriver (tauri-driver + WebKitWebDriver): the
//! real app with a demo home, PAY-142 in the PRIMARY selection, the real hotkey, and
//! the popup's rendered rows read back from the page: the incident's Slack threads
//! and its PR, the ticket entity, the captured text, the explanation with its
//! citations; the popup is refused the settings window's commands; Esc hides the window.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::{Kill, demo_home, need_x, set_primary, visible};

const TEST_ID: &str = "dev.chief.desktop.webdriver-test";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Kills, when dropped (even on a failed assertion), every process started with this
/// test's app identifier: the app that WebKitWebDriver launched, and the drivers.
struct KillTagged;

impl Drop for KillTagged {
    fn drop(&mut self) {
        let tag = format!("CHIEF_DESKTOP_IDENTIFIER={TEST_ID}");
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
            if pid != std::process::id() && environ.split(|b| *b == 0).any(|kv| kv == tag.as_bytes()) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

fn tauri_driver() -> std::path::PathBuf {
    let candidates =
        [std::env::var_os("TAURI_DRIVER").map(Into::into), Some("/var/tmp/tauri-driver/bin/tauri-driver".into())];
    let found = candidates.into_iter().flatten().find(|p: &std::path::PathBuf| p.exists());
    found
        .or_else(|| {
            let out = Command::new("sh").args(["-c", "command -v tauri-driver"]).output().ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().into())
        })
        .expect(
            "tauri-driver is required (scripts/setup.sh installs it into /var/tmp/tauri-driver; or set TAURI_DRIVER)",
        )
}

struct Wd {
    http: reqwest::Client,
    base: String,
}

impl Wd {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("webdriver answers");
        let v: Value = resp.json().await.expect("webdriver json");
        v["value"].clone()
    }
    async fn elements(&self, session: &str, css: &str) -> Vec<String> {
        let v = self
            .send(
                reqwest::Method::POST,
                &format!("/session/{session}/elements"),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array().into_iter().flatten().filter_map(|e| e[ELEMENT].as_str().map(str::to_string)).collect()
    }
    async fn attr(&self, session: &str, el: &str, name: &str) -> String {
        self.send(reqwest::Method::GET, &format!("/session/{session}/element/{el}/attribute/{name}"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    async fn text(&self, session: &str, el: &str) -> String {
        self.send(reqwest::Method::GET, &format!("/session/{session}/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    /// Runs `js` with a callback as its last argument and returns what it passes back.
    async fn script_async(&self, session: &str, js: &str) -> Value {
        self.send(
            reqwest::Method::POST,
            &format!("/session/{session}/execute/async"),
            Some(json!({"script": js, "args": []})),
        )
        .await
    }
    async fn script(&self, session: &str, js: &str) -> Value {
        self.send(
            reqwest::Method::POST,
            &format!("/session/{session}/execute/sync"),
            Some(json!({"script": js, "args": []})),
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_popup_dom_lists_the_incident_after_the_real_hotkey() {
    need_x(&["xdotool", "xclip"]);
    let (home, truth) = tokio::task::spawn_blocking(demo_home).await.unwrap();
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap().clone();

    // tauri-driver passes its environment to the app it starts.
    let port = 4444 + (std::process::id() % 1000) as u16 * 2;
    let _cleanup = KillTagged;
    let _driver = Kill(
        Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &(port + 1).to_string()])
            .env("CHIEF_HOME", home.path())
            .env("CHIEF_DESKTOP_IDENTIFIER", TEST_ID)
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver starts"),
    );
    let wd = Wd { http: reqwest::Client::new(), base: format!("http://127.0.0.1:{port}") };
    let t = Instant::now();
    let session = loop {
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": env!("CARGO_BIN_EXE_chief-desktop")}}}});
        if let Ok(resp) = wd.http.post(format!("{}/session", wd.base)).json(&caps).send().await {
            let v: Value = resp.json().await.unwrap_or_default();
            if let Some(id) = v["value"]["sessionId"].as_str() {
                break id.to_string();
            }
            panic!("webdriver refused the session: {v}");
        }
        assert!(t.elapsed() < Duration::from_secs(30), "tauri-driver did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // The page is loaded (hidden); select the ticket key and press the real hotkey.
    let deadline = Instant::now() + Duration::from_secs(30);
    while wd.script(&session, "return document.readyState").await != json!("complete") {
        assert!(Instant::now() < deadline, "the popup page loads");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let xclip = set_primary("PAY-142");
    tokio::time::sleep(Duration::from_millis(500)).await;
    Command::new("xdotool").args(["key", "ctrl+shift+o"]).status().unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = loop {
        let rows = wd.elements(&session, ".item").await;
        if !rows.is_empty() {
            break rows;
        }
        assert!(Instant::now() < deadline, "rows appear in the popup");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(visible("^Chief$"), "the popup window is visible");
    let mut ids = Vec::new();
    for r in &rows {
        ids.push(wd.attr(&session, r, "data-id").await);
    }
    assert!(
        incident.items.iter().any(|i| i.starts_with("slack:") && ids.contains(i)),
        "an incident Slack thread: {ids:?}"
    );
    let pr = incident.items.iter().find(|i| i.starts_with("github:") && i.contains('#')).unwrap();
    assert!(ids.contains(pr), "the incident's PR: {ids:?}");
    let groups = wd.elements(&session, ".group h2").await;
    let mut headings = Vec::new();
    for g in &groups {
        headings.push(wd.text(&session, g).await);
    }
    assert!(
        headings.iter().any(|h| h.eq_ignore_ascii_case("Slack threads"))
            && headings.iter().any(|h| h.eq_ignore_ascii_case("Pull requests & issues")),
        "{headings:?}"
    );
    let chip = wd.elements(&session, ".entity.ticket").await;
    assert_eq!(wd.text(&session, &chip[0]).await, "PAY-142");
    assert_eq!(wd.script(&session, "return document.querySelector('.query').value").await, json!("PAY-142"));

    // The explanation streams in under the rows (extractive: the demo home has no LLM),
    // every sentence with a citation chip.
    let deadline = Instant::now() + Duration::from_secs(30);
    let sentences = loop {
        let found = wd.elements(&session, ".explanation .sentence").await;
        if !found.is_empty() {
            break found;
        }
        assert!(Instant::now() < deadline, "the explanation appears in the popup");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let first = wd.text(&session, &sentences[0]).await;
    assert!(first.contains("PAY-142"), "the explanation leads with the ticket: {first}");
    assert!(
        wd.elements(&session, ".explanation .sentence .cite").await.len() >= sentences.len(),
        "every sentence cites"
    );

    // The popup renders synced third-party text, so it gets only the commands it needs:
    // a script in it cannot store a key, change settings (the LLM URL the key goes to)
    // or connect a source; and no `window.__TAURI__` global is exposed.
    let calls = wd
        .script_async(
            &session,
            r#"const done = arguments[arguments.length - 1];
            const call = (cmd, args) => window.__TAURI_INTERNALS__.invoke(cmd, args).then(() => "ok", (e) => String(e));
            Promise.all([
              call("set_llm_key", { key: "sk-popup-stole-this" }),
              call("update_settings", { patch: { llm: { base_url: "https://evil.example/v1" } } }),
              call("connect_source", { source: "slack", token: "xoxp-popup" }),
              call("settings"),
              call("context", { text: "PAY-142" }),
            ]).then((r) => done({ r, global: typeof window.__TAURI__ }));"#,
        )
        .await;
    let r: Vec<&str> = calls["r"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for (cmd, out) in ["set_llm_key", "update_settings", "connect_source", "settings"].iter().zip(&r) {
        assert!(out.contains("not allowed"), "the popup must not call {cmd}: {out}");
    }
    assert_eq!(r[4], "ok", "the popup still looks things up");
    assert_eq!(calls["global"], "undefined", "withGlobalTauri is off");
    let toml = std::fs::read_to_string(home.path().join("chief.toml")).unwrap_or_default();
    assert!(!toml.contains("evil.example"), "settings unchanged: {toml}");

    Command::new("xdotool").args(["key", "Escape"]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while visible("^Chief$") {
        assert!(Instant::now() < deadline, "Esc hides the popup");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wd.send(reqwest::Method::DELETE, &format!("/session/{session}"), None).await;
    drop(xclip);
}
