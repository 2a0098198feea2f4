//! The briefing window: today's briefing (prepared on demand if the app has not yet),
//! earlier ones by date, thumbs up or down on a story, and a source opened in the popup.

use chief_engine::{BriefRequest, Briefing, FeedbackOutcome};
use tauri::AppHandle;

use crate::AppState;
use crate::backend::UiError;

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
#[tracing::instrument(skip_all)]
pub fn show_in_popup(app: AppHandle, text: String) {
    crate::background::open_popup_on(&app, &text);
}
