//! The app and its resting self hand over to each other in one process. When nothing
//! has been on screen for a while, the app (`chief-desktop`: windows, WebKit, GTK)
//! replaces itself with `chief-desktop-rest`, which links none of them and keeps the
//! tray, the hotkey, sync and notifications; the next lookup, tray action or
//! notification click replaces the resting process with the app again, told on its
//! command line what to open ([`Open`]). The process id stays the same, and so does
//! the single-instance name a second launch talks to.

use std::path::{Path, PathBuf};

use crate::work::Target;

/// The app's binary.
pub const APP_BIN: &str = "chief-desktop";
/// The resting process's binary, installed beside the app's.
pub const REST_BIN: &str = "chief-desktop-rest";
/// The app's identifier (`tauri.conf.json`); `CHIEF_DESKTOP_IDENTIFIER` replaces it.
pub const DEFAULT_IDENTIFIER: &str = "dev.chief.desktop";

/// What the app opens when it starts, or when a second launch asks the running one.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Open {
    /// Nothing: a tray app with no window.
    #[default]
    Nothing,
    /// The popup, empty (the tray's Search, a second launch).
    Popup,
    /// The popup looking up text the hotkey captured, as if the hotkey had been pressed
    /// in the app (`pressed_ms`: when, so its latency counts from the press).
    Lookup { text: String, source: String, pressed_ms: u64 },
    /// The popup looking up an item (a notification's click).
    Item(String),
    /// The briefing window.
    Briefing,
    /// The settings window.
    Settings,
}

impl Open {
    /// What a command line asks for (the first thing it names). A lookup's text is
    /// read from its file in `stash` (the image that handed over put it there), and
    /// the file removed; a file elsewhere, or not named as a lookup, is ignored.
    pub fn from_args(args: &[String], stash: &Path) -> Open {
        let value = |i: usize| args.get(i + 1).cloned().unwrap_or_default();
        let flag = |name: &str| args.iter().position(|a| a == name).map(value).unwrap_or_default();
        for (i, a) in args.iter().enumerate() {
            match a.as_str() {
                "--settings" => return Open::Settings,
                "--briefing" => return Open::Briefing,
                "--popup" => return Open::Popup,
                "--open-item" => return Open::Item(value(i)),
                "--lookup-file" => {
                    let Some(text) = take_stashed(stash, Path::new(&value(i))) else { continue };
                    let pressed_ms = flag("--pressed-ms").parse().unwrap_or(0);
                    return Open::Lookup { text, source: flag("--lookup-source"), pressed_ms };
                }
                _ => {}
            }
        }
        Open::Nothing
    }

    /// What it opens, for the log (never the captured text).
    pub fn kind(&self) -> &'static str {
        match self {
            Open::Nothing => "nothing",
            Open::Popup => "the popup",
            Open::Lookup { .. } => "a lookup",
            Open::Item(_) => "an item",
            Open::Briefing => "the briefing",
            Open::Settings => "the settings",
        }
    }

    /// The command line that asks for it. A lookup's text goes in a file of its own
    /// in `stash`, readable by this user only: a command line is visible to every user
    /// of the machine, and the text is whatever was on screen.
    pub fn to_args(&self, stash: &Path) -> std::io::Result<Vec<String>> {
        Ok(match self {
            Open::Nothing => vec![],
            Open::Popup => vec!["--popup".into()],
            Open::Item(id) => vec!["--open-item".into(), id.clone()],
            Open::Briefing => vec!["--briefing".into()],
            Open::Settings => vec!["--settings".into()],
            Open::Lookup { text, source, pressed_ms } => {
                let path = stash_text(stash, text, *pressed_ms)?;
                vec![
                    "--lookup-file".into(),
                    path.to_string_lossy().into_owned(),
                    "--lookup-source".into(),
                    source.clone(),
                    "--pressed-ms".into(),
                    pressed_ms.to_string(),
                ]
            }
        })
    }
}

/// Where a lookup's text waits for the app: `<home>/handover`.
pub fn stash_dir(home: &Path) -> PathBuf {
    home.join("handover")
}

fn stash_text(stash: &Path, text: &str, pressed_ms: u64) -> std::io::Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(stash)?;
    let path = stash.join(format!("lookup-{}-{pressed_ms}", std::process::id()));
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    file.open(&path)?.write_all(text.as_bytes())?;
    Ok(path)
}

/// The text stashed at `path`, if it is one of `stash`'s lookup files; the file goes.
fn take_stashed(stash: &Path, path: &Path) -> Option<String> {
    let ours = path.parent() == Some(stash)
        && path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("lookup-"));
    if !ours {
        return None;
    }
    let text = std::fs::read_to_string(path).ok();
    let _ = std::fs::remove_file(path);
    text
}

/// Lookup files older than this were never read: the image they were for did not
/// start (a failed exec, a crash).
const STALE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the lookup files in `stash` left by handovers that did not happen, so no
/// captured text stays on disk; run at each start. This process's own (the image
/// before it wrote them for it) stay, whatever the clock did meanwhile.
pub fn sweep_stale(stash: &Path) {
    let Ok(entries) = std::fs::read_dir(stash) else { return };
    let own = format!("lookup-{}-", std::process::id());
    for e in entries.flatten() {
        let lookup = e.file_name().to_str().is_some_and(|n| n.starts_with("lookup-") && !n.starts_with(&own));
        let old =
            e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|a| a >= STALE);
        if lookup && old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Removes the lookup file a command line names, after a handover that failed.
pub fn discard(args: &[String], stash: &Path) {
    if let Some(i) = args.iter().position(|a| a == "--lookup-file") {
        let _ = take_stashed(stash, Path::new(args.get(i + 1).map_or("", String::as_str)));
    }
}

/// What the next image must go on showing: the notifications still waiting for a
/// click (`--awaiting-notification ID TARGET` each) and the tray's unread dot
/// (`--unread`).
pub fn awaiting_to_args(notifications: &[(u32, Target)], unread: bool) -> Vec<String> {
    let dot = unread.then(|| "--unread".to_string());
    notifications
        .iter()
        .flat_map(|(id, target)| {
            let target = match target {
                Target::Briefing => "briefing".to_string(),
                Target::Item(item) => format!("item:{item}"),
            };
            ["--awaiting-notification".to_string(), id.to_string(), target]
        })
        .chain(dot)
        .collect()
}

/// Added by a resting process that found another Chief running: the one running takes
/// over the notifications and the unread dot it forwards, and opens nothing.
pub const ADOPT_ONLY: &str = "--adopt-only";

/// Whether a forwarded command line only hands notifications over ([`ADOPT_ONLY`]).
pub fn adopt_only(args: &[String]) -> bool {
    args.iter().any(|a| a == ADOPT_ONLY)
}

/// Whether an earlier image showed the unread dot.
pub fn unread_from_args(args: &[String]) -> bool {
    args.iter().any(|a| a == "--unread")
}

/// The notifications an earlier image left waiting for a click.
pub fn awaiting_from_args(args: &[String]) -> Vec<(u32, Target)> {
    args.windows(3)
        .filter(|w| w[0] == "--awaiting-notification")
        .filter_map(|w| {
            let id = w[1].parse().ok()?;
            let target = match w[2].as_str() {
                "briefing" => Target::Briefing,
                other => Target::Item(other.strip_prefix("item:")?.to_string()),
            };
            Some((id, target))
        })
        .collect()
}

/// The binary `name` beside this one, if it is there.
pub fn sibling(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.join(name);
    path.is_file().then_some(path)
}

/// Replaces this process with the binary `name` beside it, run with `args` and this
/// process's environment. Its descriptors close on the way (Rust's, GLib's and
/// WebKit's are opened close-on-exec): the D-Bus and X connections with them, so the
/// tray and the hotkey's grab are free for the next image. Returns only if it failed.
///
/// An `exec` that fails leaves this process with SIGPIPE at its default (Rust resets
/// it for the image it was starting), so a write to a closed pipe or socket would end
/// it. The first failure sets SIGPIPE aside again; after it, `name` is first started
/// with [`PROBE`] (a new process, which leaves this one's signals alone), and only a
/// binary that runs is exec'd.
#[cfg(unix)]
pub fn exec_sibling(name: &str, args: &[String]) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    static FAILED_BEFORE: AtomicBool = AtomicBool::new(false);
    let Some(path) = sibling(name) else {
        return std::io::Error::new(std::io::ErrorKind::NotFound, format!("{name} is not beside this binary"));
    };
    if FAILED_BEFORE.load(Ordering::SeqCst) {
        let probe = Command::new(&path).arg(PROBE).stdin(Stdio::null()).stdout(Stdio::null()).status();
        match probe {
            Ok(status) if status.success() => {}
            Ok(status) => return std::io::Error::other(format!("{name} does not start ({status})")),
            Err(e) => return e,
        }
    }
    let e = Command::new(path).args(args).exec();
    if FAILED_BEFORE.swap(true, Ordering::SeqCst) {
        // The binary started as a probe, then not: tokio's handler is not installed twice.
        tracing::error!("{name} failed to start after its probe worked: a broken pipe may end Chief; restart it");
    } else if let Err(why) = chief_engine::ignore_sigpipe() {
        tracing::warn!("a broken pipe may end Chief from now on: {why}");
    }
    e
}

/// Both binaries exit at once, successfully, when this is their first argument: a
/// check that they can be started.
pub const PROBE: &str = "--probe";

/// Exits if this process was started as a [`PROBE`].
pub fn exit_if_probe() {
    if std::env::args().nth(1).as_deref() == Some(PROBE) {
        std::process::exit(0);
    }
}

/// Elsewhere the app does not rest.
#[cfg(not(unix))]
pub fn exec_sibling(name: &str, _args: &[String]) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Unsupported, format!("handing over to {name} needs Unix"))
}

/// The D-Bus name and object path a running instance answers a second launch on, as
/// `tauri-plugin-single-instance` makes them from the identifier.
pub fn single_instance_name(identifier: &str) -> (String, String) {
    let name = format!("{identifier}.SingleInstance");
    let path = format!("/{}", name.replace('.', "/").replace('-', "_"));
    (name, path)
}

/// This instance's identifier.
pub fn identifier() -> String {
    std::env::var("CHIEF_DESKTOP_IDENTIFIER")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_IDENTIFIER.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_to_open_goes_through_a_command_line_unchanged() {
        let home = tempfile::tempdir().unwrap();
        let stash = stash_dir(home.path());
        for open in [
            Open::Nothing,
            Open::Popup,
            Open::Briefing,
            Open::Settings,
            Open::Item("github:acme/api#12".into()),
            Open::Lookup {
                text: "--settings why did\nPAY-142 fail?".into(),
                source: "selection".into(),
                pressed_ms: 17,
            },
            Open::Lookup { text: String::new(), source: "none".into(), pressed_ms: 0 },
        ] {
            let mut args = vec!["/usr/bin/chief-desktop".to_string()];
            args.extend(open.to_args(&stash).unwrap());
            assert_eq!(Open::from_args(&args, &stash), open, "{args:?}");
        }
        assert_eq!(Open::from_args(&["chief-desktop".into(), "--verbose".into()], &stash), Open::Nothing);
    }

    #[test]
    fn a_lookups_text_is_never_on_the_command_line() {
        let home = tempfile::tempdir().unwrap();
        let stash = stash_dir(home.path());
        let secret = "the deploy key is hunter2";
        let open = Open::Lookup { text: secret.into(), source: "selection".into(), pressed_ms: 5 };
        let args = open.to_args(&stash).unwrap();
        assert!(args.iter().all(|a| !a.contains("hunter2")), "{args:?}");
        let file = std::path::PathBuf::from(&args[1]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // A command line cannot name a file outside the stash for the app to read (and
        // delete).
        let elsewhere = home.path().join("notes.txt");
        std::fs::write(&elsewhere, "keep me").unwrap();
        let forged = vec!["--lookup-file".to_string(), elsewhere.to_string_lossy().into_owned()];
        assert_eq!(Open::from_args(&forged, &stash), Open::Nothing);
        assert!(elsewhere.exists());
        // The app reads it once, and it is gone.
        assert_eq!(Open::from_args(&args, &stash), open);
        assert!(!file.exists());
    }

    #[test]
    fn lookups_left_by_a_handover_that_did_not_happen_are_swept() {
        let home = tempfile::tempdir().unwrap();
        let stash = stash_dir(home.path());
        let lookup = |text: &str, ms| Open::Lookup { text: text.into(), source: "selection".into(), pressed_ms: ms };
        // Left by another process (a pid that is not this one's).
        let mine = lookup("an old capture", 1).to_args(&stash).unwrap();
        let mut old = mine.clone();
        old[1] = stash.join(format!("lookup-{}-1", std::process::id() + 1)).to_string_lossy().into_owned();
        std::fs::rename(&mine[1], &old[1]).unwrap();
        let fresh = lookup("a capture on its way", 2).to_args(&stash).unwrap();
        // This process's own, however old it looks (a clock that jumped).
        let own_old = lookup("for this image", 3).to_args(&stash).unwrap();
        let other = stash.join("notes");
        std::fs::write(&other, "not a lookup").unwrap();
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for path in [&old[1], &own_old[1], &other.to_string_lossy().into_owned()] {
            std::fs::File::options().write(true).open(path).unwrap().set_modified(an_hour_ago).unwrap();
        }
        sweep_stale(&stash);
        assert!(!Path::new(&old[1]).exists(), "the old lookup is gone");
        assert!(Path::new(&fresh[1]).exists(), "a lookup on its way stays");
        assert!(Path::new(&own_old[1]).exists(), "this process's own lookup stays");
        assert!(other.exists(), "only lookup files are swept");
        // A handover that failed discards its own file at once.
        discard(&fresh, &stash);
        assert!(!Path::new(&fresh[1]).exists());
        assert_eq!(Open::from_args(&fresh, &stash), Open::Nothing);
    }

    #[test]
    fn notifications_awaiting_a_click_go_to_the_next_image() {
        let home = tempfile::tempdir().unwrap();
        let stash = stash_dir(home.path());
        let waiting = vec![(7, Target::Briefing), (12, Target::Item("slack:C1:1795513380.001409".into()))];
        let lookup = Open::Lookup { text: "PAY-142".into(), source: "selection".into(), pressed_ms: 3 };
        let mut args = vec!["chief-desktop".to_string()];
        args.extend(lookup.to_args(&stash).unwrap());
        args.extend(awaiting_to_args(&waiting, true));
        assert_eq!(awaiting_from_args(&args), waiting);
        assert!(unread_from_args(&args), "the unread dot goes too");
        assert!(!unread_from_args(&awaiting_to_args(&waiting, false)));
        assert_eq!(Open::from_args(&args, &stash), lookup, "the lookup is read as before");
        assert!(awaiting_from_args(&["chief-desktop".into(), "--awaiting-notification".into(), "x".into()]).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_handover_leaves_the_process_alive_on_a_broken_pipe() {
        use std::io::Write;
        let exe = std::env::current_exe().unwrap();
        let name = format!("chief-desktop-not-runnable-{}", std::process::id());
        let path = exe.parent().unwrap().join(&name);
        // A script without the execute bit: exec fails (EACCES) without running anything.
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
        for how in ["replacing this process", "probing it first"] {
            let e = exec_sibling(&name, &[]);
            assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{how}: {e}");
        }
        std::fs::remove_file(&path).unwrap();
        // Rust ignores SIGPIPE and the failed exec had reset it: still ignored.
        let (reader, mut writer) = std::io::pipe().unwrap();
        drop(reader);
        let e = writer.write_all(b"still here").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_resting_image_that_found_chief_running_only_hands_its_notifications_over() {
        let home = tempfile::tempdir().unwrap();
        let stash = stash_dir(home.path());
        let waiting = vec![(3, Target::Item("github:o/r#1".into()))];
        let mut argv = vec!["chief-desktop-rest".to_string()];
        argv.extend(awaiting_to_args(&waiting, true));
        assert!(!adopt_only(&argv), "a plain launch opens the popup");
        argv.push(ADOPT_ONLY.into());
        assert!(adopt_only(&argv));
        assert_eq!(awaiting_from_args(&argv), waiting);
        assert!(unread_from_args(&argv));
        assert_eq!(Open::from_args(&argv, &stash), Open::Nothing);
    }

    #[test]
    fn the_single_instance_name_is_the_plugins() {
        assert_eq!(
            single_instance_name("dev.chief.desktop.popup-unload-test"),
            (
                "dev.chief.desktop.popup-unload-test.SingleInstance".to_string(),
                "/dev/chief/desktop/popup_unload_test/SingleInstance".to_string()
            )
        );
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json is JSON");
        assert_eq!(conf["identifier"], DEFAULT_IDENTIFIER, "the resting process answers on the app's name");
    }
}
