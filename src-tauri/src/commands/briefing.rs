//! The briefing window: today's briefing (prepared on demand if the app has not yet),
//! earlier ones by date, thumbs up or down on a story, and a source opened in the popup.

use chief_engine::{BriefRequest, Briefing, FeedbackOutcome};
use tauri::{AppHandle, Emitter, Manager};

use crate::backend::UiError;
use crate::events::{EVENT, UiEvent};
use crate::{AppState, POPUP, epoch_ms};

/// Stored briefings, newest first.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn briefings(state: tauri::State<'_, AppState>, limit: usize) -> Result<Vec<Briefing>, UiError> {
    state.engine.call(move |e| e.briefings(limit.clamp(1, 365))).await
}

/// Today's briefing: prepared now (or resumed), or the stored one when nothing changed.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn brief_today(state: tauri::State<'_, AppState>) -> Result<Briefing, UiError> {
    let env = state.env.clone();
    state.engine.call(move |e| e.brief(&BriefRequest { env, ..BriefRequest::default() })).await
}

/// Thumbs up or down on a story, with an optional reason; it moves the interest graph.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn rate_story(
    state: tauri::State<'_, AppState>,
    story: String,
    up: bool,
    reason: String,
) -> Result<FeedbackOutcome, UiError> {
    state.engine.call(move |e| e.feedback(&story, up, &reason)).await
}

/// Opens the popup on `text` (a source's item id), as the hotkey would.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub fn show_in_popup(app: AppHandle, text: String) -> Result<(), UiError> {
    let w = app.get_webview_window(POPUP).ok_or_else(|| UiError::shell("window", "the popup is not open"))?;
    let event = UiEvent::PopupShow { text, source: "briefing".into(), pressed_ms: epoch_ms() };
    if let Some(state) = app.try_state::<AppState>() {
        *state.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(event.clone());
    }
    w.show().map_err(|e| UiError::shell("window", e.to_string()))?;
    let _ = w.set_focus();
    app.emit_to(POPUP, EVENT, event).map_err(|e| UiError::shell("window", e.to_string()))
}
