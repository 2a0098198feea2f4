//! Background work, never in the popup's way, the same in the app and at rest: the
//! enabled live sources synced on their intervals (one long engine call on the
//! blocking pool, which takes a source connected or enabled in Settings at once), and every `agents_every_secs` a round of the brain's agents
//! (`Engine::run_agents`, what `chief watch` runs). What the notifier delivers goes out
//! as OS notifications (the freedesktop service over D-Bus on Linux); a click on one
//! opens the popup on its item. An hour before the user's usual start, today's
//! briefing is prepared and announced; a click opens the briefing window. What the
//! shell shows of it (the tray's tooltip and dot, a window to open) goes through
//! [`Shell`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chief_engine::{DesktopConfig, Notification, NotificationKind};

use crate::backend::EngineHandle;

/// How often the shell asks whether today's briefing is due (after a failure: twice
/// as long each time, up to two hours).
const BRIEF_CHECK: Duration = Duration::from_secs(600);

/// At most this many notifications go out one by one in a round; more are summed up in
/// one (a first start on a busy workspace must not flood the screen).
const PER_ROUND: usize = 3;

/// What the background work shows through the shell that runs it.
pub trait Shell: Send + Sync + 'static {
    /// Progress of the background sync.
    fn sync_progress(&self, _event: &chief_engine::SyncEvent) {}
    /// The tray's tooltip: how each source is doing.
    fn set_status(&self, text: String);
    /// The tray's dot: a notification waits unread.
    fn set_unread(&self, unread: bool);
    /// A notification was clicked.
    fn open(&self, target: Target);
}

/// What a click on a notification opens.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The popup, looking up this item.
    Item(String),
    /// The briefing window.
    Briefing,
}

/// Whether a notification waits unread (the tray's dot), kept for the next image.
static UNREAD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records whether a notification waits unread; true if that changed it.
pub fn note_unread(unread: bool) -> bool {
    UNREAD.swap(unread, std::sync::atomic::Ordering::Relaxed) != unread
}

/// Whether a notification waits unread.
pub fn unread() -> bool {
    UNREAD.load(std::sync::atomic::Ordering::Relaxed)
}

/// Notifications on screen whose click is still awaited: their id and what it opens.
static AWAITING: Mutex<Vec<(u32, Target)>> = Mutex::new(Vec::new());

fn awaiting_list() -> std::sync::MutexGuard<'static, Vec<(u32, Target)>> {
    AWAITING.lock().unwrap_or_else(|p| p.into_inner())
}

/// The notifications on screen that still wait for a click. The next image of this
/// process (the app resting, the resting process waking it) listens for them: see
/// [`adopt`].
pub fn awaiting() -> Vec<(u32, Target)> {
    awaiting_list().clone()
}

/// Listens for clicks on notifications an earlier image of this process sent (the
/// app before it rested, the resting process before it woke the app), and shows the
/// unread dot if that image did.
pub fn adopt(shell: Arc<dyn Shell>, notifications: Vec<(u32, Target)>, unread: bool) {
    if unread {
        shell.set_unread(true);
    }
    if notifications.is_empty() {
        return;
    }
    // Awaited from now on, so a handover right after passes them on.
    awaiting_list().extend(notifications.iter().cloned());
    std::thread::spawn(move || {
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            let ids: Vec<u32> = notifications.iter().map(|(id, _)| *id).collect();
            if let Err(e) = listen().and_then(|(_bus, signals)| wait_for_clicks(signals, notifications, &shell)) {
                tracing::warn!("clicks on earlier notifications go unheard: {e}");
                awaiting_list().retain(|(id, _)| !ids.contains(id));
            }
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let _ = (shell, notifications);
    });
}

/// Starts the background sync and the agents' rounds on `rt`.
pub fn start(
    rt: &tokio::runtime::Handle,
    shell: Arc<dyn Shell>,
    engine: EngineHandle,
    env: Vec<(String, String)>,
    cfg: &DesktopConfig,
) {
    {
        // Waits for a source when none is connected yet, and takes one connected or
        // enabled in Settings at once.
        let (engine, env, shell) = (engine.clone(), env.clone(), shell.clone());
        rt.spawn(async move {
            let (_keep, stop) = tokio::sync::watch::channel(false);
            let progress: chief_engine::SyncProgress =
                Arc::new(move |e: &chief_engine::SyncEvent| shell.sync_progress(e));
            if let Err(e) = engine.call(move |e| e.sync_in_background(&env, progress, stop)).await {
                tracing::warn!(code = %e.code, "background sync stopped: {}", e.message);
            }
        });
    }
    let every = Duration::from_secs(cfg.agents_every_secs.max(1));
    let (notify, private) = (cfg.notifications, cfg.private_notifications);
    rt.spawn(async move {
        let mut next_brief_check = std::time::Instant::now();
        let mut brief_backoff = BRIEF_CHECK;
        loop {
            let agents_env = env.clone();
            match engine.call(move |e| e.run_agents(&agents_env)).await {
                Ok(round) => {
                    for d in &round.decisions {
                        tracing::debug!(agent = d.agent, item = d.item.as_deref().unwrap_or(""), "{}", d.what);
                    }
                    if notify && !round.delivered.is_empty() {
                        deliver(&shell, &round.delivered, private);
                    }
                }
                Err(e) => tracing::warn!(code = %e.code, "agents round: {}", e.message),
            }
            // The tray says how each source is doing, and how to fix a paused one.
            if let Ok(sources) = engine.call(|e| e.source_statuses()).await {
                shell.set_status(tray_status(&sources));
            }
            // Today's briefing, an hour before the usual start, announced once; checked
            // every ten minutes, and after a failure less and less often.
            if std::time::Instant::now() < next_brief_check {
                tokio::time::sleep(every).await;
                continue;
            }
            let env = env.clone();
            let prepared = engine
                .call(move |e| {
                    if !e.briefing_due()? {
                        return Ok(None);
                    }
                    e.brief(&chief_engine::BriefRequest { env, ..Default::default() }).map(Some)
                })
                .await;
            let now = std::time::Instant::now();
            match prepared {
                Ok(ready) => {
                    brief_backoff = BRIEF_CHECK;
                    next_brief_check = now + BRIEF_CHECK;
                    if let (Some(b), true) = (ready, notify) {
                        let first = b.stories.first().map(|s| format!("First: {}", s.title)).unwrap_or_default();
                        let body = if private { String::new() } else { first };
                        show(&shell, "Your briefing is ready", &body, Target::Briefing);
                    }
                }
                Err(e) => {
                    brief_backoff = (brief_backoff * 2).min(Duration::from_secs(2 * 3600));
                    next_brief_check = now + brief_backoff;
                    tracing::warn!(code = %e.code, retry_in_s = brief_backoff.as_secs(), "preparing the briefing: {}", e.message);
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// The tray's tooltip: each live source's state, with what to do when it needs you.
pub fn tray_status(sources: &[chief_engine::SourceStatus]) -> String {
    use chief_engine::SourceState;
    let mut lines = vec!["Chief".to_string()];
    for s in sources {
        let when = |t: Option<chief_core::Timestamp>| t.map(|t| t.to_rfc3339()[11..16].to_string()).unwrap_or_default();
        lines.push(match s.state {
            SourceState::Ok => format!("{}: synced {} UTC", s.source, when(s.last_success)),
            SourceState::Running => format!("{}: syncing", s.source),
            SourceState::Paused => format!("{}: paused — {}; reconnect in Settings", s.source, s.message),
            SourceState::Parked => format!("{}: waiting for a rate limit until {} UTC", s.source, when(s.resume_at)),
            SourceState::Failed => format!("{}: last sync failed ({}); retrying", s.source, s.message),
            _ => format!("{}: not synced yet", s.source),
        });
    }
    if sources.is_empty() {
        lines.push("No live source: connect Slack or GitHub in Settings".into());
    }
    lines.join("\n")
}

/// The title a private notification shows instead of the message.
fn private_title(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::QuestionToMe => "A question for you",
        NotificationKind::ReviewRequested => "A review for you",
        NotificationKind::AssignedToMe => "A ticket for you",
        NotificationKind::Incident => "An incident you care about",
        NotificationKind::MeetingSoon => "A meeting soon",
    }
}

/// What goes on screen for a round's notifications: (title, body, what a click opens), one
/// each up to [`PER_ROUND`], then one that sums up the rest. Private: the kind only.
fn texts(delivered: &[Notification], private: bool) -> Vec<(String, String, Target)> {
    let (one_by_one, rest) = delivered.split_at(delivered.len().min(PER_ROUND));
    let mut out: Vec<(String, String, Target)> = one_by_one
        .iter()
        .map(|n| {
            let (title, body) = if private {
                (private_title(n.kind).to_string(), String::new())
            } else {
                (n.title.clone(), n.line.clone())
            };
            (title, body, Target::Item(n.item.clone()))
        })
        .collect();
    if !rest.is_empty() {
        out.push((
            format!("{} more things need you", rest.len()),
            "Open Chief's briefing to see them".into(),
            Target::Briefing,
        ));
    }
    out
}

fn deliver(shell: &Arc<dyn Shell>, delivered: &[Notification], private: bool) {
    for (title, body, item) in texts(delivered, private) {
        show(shell, &title, &body, item);
    }
    shell.set_unread(true);
}

/// One OS notification; activating it opens what `target` names.
fn show(shell: &Arc<dyn Shell>, title: &str, body: &str, target: Target) {
    tracing::info!(title = %if body.is_empty() { title } else { "(message)" }, "notification");
    let (shell, title, body) = (shell.clone(), title.to_string(), body.to_string());
    // Waiting for the click blocks: each notification gets a thread until it closes.
    std::thread::spawn(move || {
        if let Err(e) = os_notification(&title, &body, target, &shell) {
            tracing::warn!("the notification could not be shown (no notification service?): {e}");
        }
    });
}

#[cfg(all(unix, not(target_os = "macos")))]
const SERVICE: &str = "org.freedesktop.Notifications";
#[cfg(all(unix, not(target_os = "macos")))]
const PATH: &str = "/org/freedesktop/Notifications";

/// The session bus, listening to the notification service's signals.
#[cfg(all(unix, not(target_os = "macos")))]
fn listen() -> zbus::Result<(zbus::blocking::Connection, zbus::blocking::MessageIterator)> {
    let bus = zbus::blocking::Connection::session()?;
    let rule = zbus::MatchRule::builder().msg_type(zbus::message::Type::Signal).interface(SERVICE)?.path(PATH)?.build();
    let signals = zbus::blocking::MessageIterator::for_match_rule(rule, &bus, Some(64))?;
    Ok((bus, signals))
}

/// Waits until each of `pending` is clicked (its target opens) or closed; they count
/// as awaited meanwhile.
#[cfg(all(unix, not(target_os = "macos")))]
fn wait_for_clicks(
    signals: zbus::blocking::MessageIterator,
    mut pending: Vec<(u32, Target)>,
    shell: &Arc<dyn Shell>,
) -> zbus::Result<()> {
    {
        let mut list = awaiting_list();
        for p in &pending {
            if !list.contains(p) {
                list.push(p.clone());
            }
        }
    }
    let done = |id: u32| awaiting_list().retain(|(of, _)| *of != id);
    for signal in signals {
        let signal = signal?;
        let header = signal.header();
        let (id, action) = match header.member().map(|m| m.as_str()) {
            Some("ActionInvoked") => match signal.body().deserialize::<(u32, String)>() {
                Ok((id, action)) => (id, Some(action)),
                Err(_) => continue,
            },
            Some("NotificationClosed") => match signal.body().deserialize::<(u32, u32)>() {
                Ok((id, _reason)) => (id, None),
                Err(_) => continue,
            },
            _ => continue,
        };
        let Some(at) = pending.iter().position(|(of, _)| *of == id) else { continue };
        let (_, target) = pending.remove(at);
        done(id);
        if action.as_deref() == Some("default") {
            shell.open(target);
        }
        if pending.is_empty() {
            break;
        }
    }
    for (id, _) in pending {
        done(id);
    }
    Ok(())
}

/// The freedesktop notification service (what libnotify talks to), over D-Bus. The
/// shell listens for the click before it sends the notification, so a click that
/// comes at once is not lost; it stops listening when the notification closes.
#[cfg(all(unix, not(target_os = "macos")))]
fn os_notification(title: &str, body: &str, target: Target, shell: &Arc<dyn Shell>) -> zbus::Result<()> {
    let (bus, signals) = listen()?;
    let hints = std::collections::HashMap::<&str, zbus::zvariant::Value>::new();
    let actions = ["default", "Open"];
    let reply = bus.call_method(
        Some(SERVICE),
        PATH,
        Some(SERVICE),
        "Notify",
        &("Chief", 0u32, "", title, body, &actions[..], hints, -1i32),
    )?;
    let id: u32 = reply.body().deserialize()?;
    wait_for_clicks(signals, vec![(id, target)], shell)
}

/// The platform's notifications elsewhere (no click to wait for).
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn os_notification(title: &str, body: &str, target: Target, shell: &Arc<dyn Shell>) -> notify_rust::error::Result<()> {
    let _ = (target, shell);
    notify_rust::Notification::new().appname("Chief").summary(title).body(body).show().map(|_| ())
}

/// The tray icon's pixels (RGBA, `w`×`h`) with a red dot in the top right corner, the
/// sign that a notification waits unread.
pub fn with_dot(rgba: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = rgba.to_vec();
    let r = (w.min(h) / 4).max(2) as i64;
    let (cx, cy) = (w as i64 - r - 1, r + 1);
    for y in 0..h as i64 {
        for x in 0..w as i64 {
            if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                let i = ((y * w as i64 + x) * 4) as usize;
                if let Some(px) = out.get_mut(i..i + 4) {
                    px.copy_from_slice(&[220, 38, 38, 255]);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(kind: NotificationKind, k: usize) -> Notification {
        Notification {
            kind,
            story: format!("s{k}"),
            item: format!("slack:C1:{k}.000100"),
            at_ms: 0,
            send_ms: 0,
            title: format!("Someone asked you {k}"),
            line: format!("Can you approve the budget line {k}?"),
            sources: vec![],
            held: None,
        }
    }

    #[test]
    fn the_tray_says_how_each_source_is_doing_and_what_to_do() {
        use chief_engine::{SourceState, SourceStatus};
        let source = |name: &str, state: SourceState, message: &str| SourceStatus {
            source: name.into(),
            state,
            message: message.into(),
            last_success: Some(chief_core::Timestamp::parse_rfc3339("2026-11-25T13:01:00Z").unwrap()),
            ..SourceStatus::default()
        };
        let text = tray_status(&[
            source("slack", SourceState::Ok, ""),
            source("github", SourceState::Paused, "GitHub rejected the token (HTTP 401)"),
        ]);
        assert_eq!(
            text,
            "Chief\nslack: synced 13:01 UTC\ngithub: paused — GitHub rejected the token (HTTP 401); reconnect in Settings"
        );
        assert!(tray_status(&[]).contains("connect Slack or GitHub"));
    }

    #[test]
    fn a_round_shows_three_then_sums_up_and_private_ones_carry_no_text() {
        let round: Vec<Notification> = (0..5).map(|k| n(NotificationKind::QuestionToMe, k)).collect();
        let shown = texts(&round, false);
        assert_eq!(shown.len(), 4);
        assert_eq!(
            shown[0],
            (
                "Someone asked you 0".into(),
                "Can you approve the budget line 0?".into(),
                Target::Item("slack:C1:0.000100".into())
            )
        );
        assert_eq!(shown[3].0, "2 more things need you");
        assert_eq!(shown[3].2, Target::Briefing, "the summary opens the briefing");
        for (title, body, _) in texts(&round[..2], true) {
            assert_eq!((title.as_str(), body.as_str()), ("A question for you", ""));
        }
        assert_eq!(texts(&[n(NotificationKind::MeetingSoon, 9)], true)[0].0, "A meeting soon");
    }

    #[test]
    fn the_unread_dot_is_red_in_the_top_right_corner_only() {
        let (w, h) = (16u32, 16u32);
        let icon = vec![10u8; (w * h * 4) as usize];
        let dotted = with_dot(&icon, w, h);
        let px = |x: u32, y: u32| &dotted[((y * w + x) * 4) as usize..((y * w + x) * 4 + 4) as usize];
        assert_eq!(px(w - 5, 5), &[220, 38, 38, 255], "the dot's centre");
        assert_eq!(px(0, h - 1), &[10, 10, 10, 10], "the rest of the icon is untouched");
        assert_eq!(px(1, 1), &[10, 10, 10, 10]);
    }
}
