//! The context popup: the lookup, its page's handshake, hiding, opening links.

use chief_engine::{ContextResponse, ExplainRequest, Explanation};
use tauri::{AppHandle, Emitter, Manager};

use crate::backend::UiError;
use crate::events::{EVENT, UiEvent};
use crate::{AppState, POPUP, epoch_ms};

#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn context(state: tauri::State<'_, AppState>, text: String) -> Result<ContextResponse, UiError> {
    let asked = text.clone();
    let ctx = state.engine.call(move |e| e.context(&text, e.clock())).await?;
    *state.last_context.lock().unwrap_or_else(|p| p.into_inner()) = Some((asked, ctx.clone()));
    Ok(ctx)
}

/// The explanation of `text` (the popup calls it once the related items are on
/// screen): each sentence goes to the popup as an `explain_sentence` event tagged with
/// the page's `lookup` number as soon as it is written; the answer is the whole
/// explanation (who wrote it, how fast, why it fell back).
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn explain(
    app: AppHandle,
    state: tauri::State<'_, AppState>,
    text: String,
    lookup: u64,
) -> Result<Explanation, UiError> {
    let env = state.env.clone();
    // The related items the popup shows for this text: the explanation cites those rows,
    // and the lookup is not run a second time.
    let shown = state
        .last_context
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .filter(|(asked, _)| *asked == text)
        .map(|(_, ctx)| ctx.clone());
    state
        .engine
        .call(move |e| {
            let ctx = match shown {
                Some(ctx) => ctx,
                None => e.context(&text, e.clock())?,
            };
            let req = ExplainRequest { offline: false, env };
            e.explain_streaming(&ctx, &req, &mut |sentence| {
                let event = UiEvent::ExplainSentence { lookup, sentence: sentence.clone() };
                let _ = app.emit_to(POPUP, EVENT, event);
            })
        })
        .await
}

/// The popup page has loaded: it takes the hotkey press it may have missed. A popup
/// shown before its window was on screen (the app woken with a lookup) takes the
/// keyboard now: focus asked for earlier went nowhere.
#[tauri::command]
pub fn popup_ready(app: AppHandle, state: tauri::State<'_, AppState>) -> Option<UiEvent> {
    tracing::info!("popup ready");
    if let Some(w) = app.get_webview_window(POPUP)
        && w.is_visible().unwrap_or(false)
    {
        let _ = w.set_focus();
    }
    state.pending.lock().unwrap_or_else(|p| p.into_inner()).take()
}

#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub fn hide_popup(app: AppHandle) -> Result<(), UiError> {
    if let Some(w) = app.get_webview_window(POPUP) {
        w.hide().map_err(|e| UiError::shell("window", e.to_string()))?;
    }
    Ok(())
}

#[tauri::command]
#[tracing::instrument(err(Debug))]
pub fn open_url(url: String) -> Result<(), UiError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(UiError::shell("invalid_input", format!("not a web link: {url}")));
    }
    #[cfg(target_os = "macos")]
    let opener = "open";
    #[cfg(not(target_os = "macos"))]
    let opener = "xdg-open";
    std::process::Command::new(opener)
        .arg(&url)
        .spawn()
        .map(|_| ())
        .map_err(|e| UiError::shell("open", format!("cannot open {url}: {e}")))
}

/// The popup reports when results are on screen: key press → render latency, and
/// which items it shows (appended to `CHIEF_DESKTOP_REPORT` for the end-to-end test).
#[tauri::command]
pub fn popup_rendered(state: tauri::State<'_, AppState>, pressed_ms: u64, ids: Vec<String>) {
    state.pending.lock().unwrap_or_else(|p| p.into_inner()).take();
    let latency = epoch_ms().saturating_sub(pressed_ms);
    tracing::info!(latency_ms = latency, items = ids.len(), "popup rendered");
    if let Some(path) = &state.report {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{}", serde_json::json!({"latency_ms": latency, "ids": ids}));
        }
    }
}
