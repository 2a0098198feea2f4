//! The settings window: the view, edits to `chief.toml`, connecting sources, the LLM key.

use chief_engine::{ConnectReport, ConnectTarget, EngineError, LiveSource, SettingsPatch, SettingsView};
use tauri::AppHandle;
use tauri_plugin_global_shortcut::GlobalShortcutExt;

use crate::backend::UiError;
use crate::{AppState, DEFAULT_HOTKEY, autostart};

#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn settings(state: tauri::State<'_, AppState>) -> Result<SettingsView, UiError> {
    let env = state.env.clone();
    state.engine.call(move |e| e.settings(&env)).await
}

/// Saves a settings edit. A new hotkey is registered first: if another app holds
/// it, nothing is saved and the page says so.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn update_settings(
    app: AppHandle,
    state: tauri::State<'_, AppState>,
    patch: SettingsPatch,
) -> Result<SettingsView, UiError> {
    let wanted = patch
        .hotkey
        .as_ref()
        .map(|h| if h.trim().is_empty() { DEFAULT_HOTKEY.to_string() } else { h.trim().to_string() });
    let enabled = patch.hotkey_enabled;
    if wanted.is_some() || enabled.is_some() {
        // Held throughout, so the start's retry (`register_hotkey`) cannot grab the old
        // key between these steps, and gives up once a change took (a refused one leaves
        // it trying).
        let mut registered = state.hotkey.lock().unwrap_or_else(|p| p.into_inner());
        let changed = || state.hotkey_changed.store(true, std::sync::atomic::Ordering::SeqCst);
        let current = registered.clone();
        let gs = app.global_shortcut();
        let _ = gs.unregister_all();
        let target = wanted.clone().unwrap_or_else(|| current.clone().unwrap_or_else(|| DEFAULT_HOTKEY.to_string()));
        if enabled != Some(false) && (enabled == Some(true) || current.is_some()) {
            if let Err(e) = gs.register(target.as_str()) {
                if let Some(old) = &current {
                    let _ = gs.register(old.as_str());
                }
                return Err(UiError::shell(
                    "hotkey",
                    format!(
                        "{target} is taken by another app or not a valid shortcut ({e}); try another, e.g. Ctrl+Alt+O"
                    ),
                ));
            }
            *registered = Some(target);
            changed();
        } else {
            *registered = None;
            changed();
        }
    }
    let env = state.env.clone();
    let login = patch.launch_at_login;
    let view = state.engine.call(move |e| e.update_settings(&patch, &env)).await?;
    if let Some(on) = login {
        autostart::apply(on).map_err(|message| UiError::shell("autostart", message))?;
    }
    *state.exclude.lock().unwrap_or_else(|p| p.into_inner()) = view.desktop.capture_exclude.clone();
    Ok(view)
}

/// Checks a source token against its API and stores it in the keychain.
#[tauri::command]
#[tracing::instrument(skip(state, token), err(Debug))]
pub async fn connect_source(
    state: tauri::State<'_, AppState>,
    source: String,
    token: String,
    target: Option<ConnectTarget>,
) -> Result<ConnectReport, UiError> {
    let target = target.unwrap_or_default();
    state.engine.call(move |e| e.connect_with(source.parse::<LiveSource>()?, &token, &target, true)).await
}

/// Connects Google: the consent page opens in the system browser, the code comes back
/// to a loopback listener, the grant goes to the keychain (the client id to chief.toml).
#[tauri::command]
#[tracing::instrument(skip(state, client_secret), err(Debug))]
pub async fn connect_google(
    state: tauri::State<'_, AppState>,
    client_id: String,
    client_secret: String,
) -> Result<ConnectReport, UiError> {
    let open = |url: &str| -> Result<(), String> {
        super::popup::open_url(url.to_string()).map_err(|e| format!("cannot open the browser: {}", e.message))
    };
    state
        .engine
        .call(move |e| e.connect_google(Some(&client_id), &client_secret, &open, std::time::Duration::from_secs(300)))
        .await
}

/// Stores the API key of the LLM chain's first provider in the keychain, under the
/// entry the LLM client reads.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn set_llm_key(state: tauri::State<'_, AppState>, key: String) -> Result<(), UiError> {
    state
        .engine
        .call(move |e| {
            let key = key.trim();
            if key.is_empty() {
                return Err(EngineError::InvalidInput("paste the API key first".into()));
            }
            let (_, entry) = chief_engine::llm_key_entry(&e.config(), None)?;
            Ok(chief_engine::secrets::set(&entry, key)?)
        })
        .await
}

#[tauri::command]
pub fn slack_manifest() -> &'static str {
    chief_engine::SLACK_MANIFEST
}
