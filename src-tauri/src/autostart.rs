//! Launch at login: an XDG autostart entry on Linux (`~/.config/autostart`). Other
//! platforms report that they are not supported yet rather than pretend.

use std::path::{Path, PathBuf};

/// The autostart entry's file name.
const ENTRY: &str = "dev.chief.desktop.desktop";

/// `$XDG_CONFIG_HOME/autostart`, else `~/.config/autostart`.
pub fn autostart_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|c| c.join("autostart"))
}

/// Writes or removes the autostart entry in `dir` for the executable `exe`.
pub fn set_in(dir: &Path, exe: &Path, enabled: bool) -> Result<(), String> {
    let path = dir.join(ENTRY);
    if !enabled {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!("cannot remove {}: {e}", path.display())),
            _ => Ok(()),
        };
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let exec = exe.display().to_string().replace(' ', "\\s");
    let text = format!(
        "[Desktop Entry]\nType=Application\nName=Chief\nComment=Context for what is on your screen\nExec={exec}\nX-GNOME-Autostart-enabled=true\nNoDisplay=false\n"
    );
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Applies the setting for this executable.
pub fn apply(enabled: bool) -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return if enabled { Err("launch at login is not supported on this platform yet".into()) } else { Ok(()) };
    }
    let dir = autostart_dir().ok_or("no home directory for the autostart entry")?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find Chief's executable: {e}"))?;
    set_in(&dir, &exe, enabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_is_written_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let auto = dir.path().join("autostart");
        set_in(&auto, Path::new("/opt/Chief App/chief-desktop"), true).unwrap();
        let text = std::fs::read_to_string(auto.join(ENTRY)).unwrap();
        assert!(text.starts_with("[Desktop Entry]") && text.contains("Exec=/opt/Chief\\sApp/chief-desktop"), "{text}");
        set_in(&auto, Path::new("/x"), false).unwrap();
        assert!(!auto.join(ENTRY).exists());
        set_in(&auto, Path::new("/x"), false).unwrap();
    }
}
