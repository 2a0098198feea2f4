//! The desktop's build step: the pages it embeds (`ui/dist`, bundled from `ui/src`
//! by esbuild) are built here when missing or older than their sources, and the app's
//! command manifest gives each command `allow-*`/`deny-*` permissions, so a window may
//! call only what a capability in `capabilities/` grants it.

use std::path::Path;
use std::time::SystemTime;

const COMMANDS: &[&str] = &[
    "context",
    "explain",
    "popup_ready",
    "hide_popup",
    "open_url",
    "popup_rendered",
    "settings",
    "update_settings",
    "connect_source",
    "set_llm_key",
    "slack_manifest",
    "briefings",
    "brief_today",
    "rate_story",
    "show_in_popup",
];

/// The newest modification time under `dir` (files only).
fn newest(dir: &Path) -> Option<SystemTime> {
    let mut best = None;
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let t = if e.path().is_dir() { newest(&e.path()) } else { e.metadata().ok()?.modified().ok() };
        best = best.max(t);
    }
    best
}

/// Builds `ui/dist` when it is missing or stale; fails with the command to run when it
/// cannot.
fn pages() {
    let ui = Path::new("../ui");
    for watched in
        ["src", "popup.html", "settings.html", "briefing.html", "styles.css", "build.mjs", "package-lock.json"]
    {
        println!("cargo:rerun-if-changed=../ui/{watched}");
    }
    let built = newest(&ui.join("dist"));
    let sources = ["src", "popup.html", "settings.html", "briefing.html", "styles.css", "build.mjs"]
        .iter()
        .filter_map(|p| {
            let p = ui.join(p);
            if p.is_dir() { newest(&p) } else { p.metadata().ok()?.modified().ok() }
        })
        .max();
    let fresh = ["popup.html", "settings.js", "briefing.js"].iter().all(|f| ui.join("dist").join(f).exists())
        && built >= sources;
    if fresh {
        return;
    }
    let how = "run `bash scripts/setup.sh --tests`, or `cd ui && npm ci && npm run build`";
    if !ui.join("node_modules").is_dir() {
        panic!(
            "the desktop's pages (ui/dist) are missing or older than ui/src, and ui/node_modules is not installed: {how}"
        );
    }
    let status = std::process::Command::new("npm").args(["run", "--silent", "build"]).current_dir(ui).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("building the desktop's pages failed ({s}): {how}"),
        Err(e) => panic!("building the desktop's pages needs npm ({e}): {how}"),
    }
}

fn main() {
    pages();
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build step failed: {e:#}");
    }
}
