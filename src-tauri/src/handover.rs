//! The app and its resting self hand over to each other in one process. When nothing
//! has been on screen for a while, the app (`chief-desktop`: windows, WebKit, GTK)
//! replaces itself with `chief-desktop-rest`, which links none of them and keeps the
//! tray, the hotkey, sync and notifications; the next lookup, tray action or
//! notification click replaces the resting process with the app again, told on its
//! command line what to open ([`Open`]). The process id stays the same, and so does
//! the single-instance name a second launch talks to.

use std::path::PathBuf;

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
    /// What a command line asks for (the first thing it names).
    pub fn from_args(args: &[String]) -> Open {
        let value = |i: usize| args.get(i + 1).cloned().unwrap_or_default();
        for (i, a) in args.iter().enumerate() {
            match a.as_str() {
                "--settings" => return Open::Settings,
                "--briefing" => return Open::Briefing,
                "--popup" => return Open::Popup,
                "--open-item" => return Open::Item(value(i)),
                "--lookup" => {
                    // Its flags follow the text, so a text that looks like a flag is read as text.
                    let (mut source, mut pressed_ms) = (String::new(), 0);
                    let mut j = i + 2;
                    while let (Some(flag), Some(v)) = (args.get(j), args.get(j + 1)) {
                        match flag.as_str() {
                            "--lookup-source" => source = v.clone(),
                            "--pressed-ms" => pressed_ms = v.parse().unwrap_or(0),
                            _ => break,
                        }
                        j += 2;
                    }
                    return Open::Lookup { text: value(i), source, pressed_ms };
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

    /// The command line that asks for it.
    pub fn to_args(&self) -> Vec<String> {
        match self {
            Open::Nothing => vec![],
            Open::Popup => vec!["--popup".into()],
            Open::Item(id) => vec!["--open-item".into(), id.clone()],
            Open::Briefing => vec!["--briefing".into()],
            Open::Settings => vec!["--settings".into()],
            Open::Lookup { text, source, pressed_ms } => vec![
                "--lookup".into(),
                text.clone(),
                "--lookup-source".into(),
                source.clone(),
                "--pressed-ms".into(),
                pressed_ms.to_string(),
            ],
        }
    }
}

/// The notifications still waiting for a click, for the next image's command line
/// (`--awaiting-notification ID TARGET` each).
pub fn awaiting_to_args(notifications: &[(u32, Target)]) -> Vec<String> {
    notifications
        .iter()
        .flat_map(|(id, target)| {
            let target = match target {
                Target::Briefing => "briefing".to_string(),
                Target::Item(item) => format!("item:{item}"),
            };
            ["--awaiting-notification".to_string(), id.to_string(), target]
        })
        .collect()
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
#[cfg(unix)]
pub fn exec_sibling(name: &str, args: &[String]) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let Some(path) = sibling(name) else {
        return std::io::Error::new(std::io::ErrorKind::NotFound, format!("{name} is not beside this binary"));
    };
    std::process::Command::new(path).args(args).exec()
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
            Open::Lookup { text: "--lookup-source".into(), source: "clipboard".into(), pressed_ms: 5 },
        ] {
            let mut args = vec!["/usr/bin/chief-desktop".to_string()];
            args.extend(open.to_args());
            assert_eq!(Open::from_args(&args), open, "{args:?}");
        }
        assert_eq!(Open::from_args(&["chief-desktop".into(), "--verbose".into()]), Open::Nothing);
    }

    #[test]
    fn notifications_awaiting_a_click_go_to_the_next_image() {
        let waiting = vec![(7, Target::Briefing), (12, Target::Item("slack:C1:1795513380.001409".into()))];
        let lookup = Open::Lookup { text: "PAY-142".into(), source: "selection".into(), pressed_ms: 3 };
        let mut args = vec!["chief-desktop".to_string()];
        args.extend(lookup.to_args());
        args.extend(awaiting_to_args(&waiting));
        assert_eq!(awaiting_from_args(&args), waiting);
        assert_eq!(Open::from_args(&args), lookup, "the lookup is read as before");
        assert!(awaiting_from_args(&["chief-desktop".into(), "--awaiting-notification".into(), "x".into()]).is_empty());
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
