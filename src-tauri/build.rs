//! The app's command manifest: each command gets `allow-*`/`deny-*` permissions, and
//! a window may call only what a capability in `capabilities/` grants it.

const COMMANDS: &[&str] = &[
    "context",
    "popup_ready",
    "hide_popup",
    "open_url",
    "popup_rendered",
    "settings",
    "update_settings",
    "connect_source",
    "set_llm_key",
    "slack_manifest",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build step failed: {e:#}");
    }
}
