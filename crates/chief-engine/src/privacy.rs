//! Privacy on disk: a Chief home holds everything synced, so only its owner may read
//! it. The home directory is made 0700 and the store's and index's files 0600 when an
//! engine opens it (Unix; elsewhere the platform's per-user data folder applies).

use std::path::Path;

use chief_core::Home;

/// The permission bits of a path (Unix), for `chief doctor`.
pub fn mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).ok().map(|m| m.permissions().mode())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Makes the home 0700 and its database and index files 0600. Best effort: a file
/// that cannot be changed (owned by someone else) is reported by `chief doctor`.
pub fn restrict(home: &Home) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let set = |p: &Path, mode: u32| {
            if let Err(e) = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)) {
                tracing::debug!(path = %p.display(), error = %e, "cannot restrict permissions");
            }
        };
        set(home.root(), 0o700);
        for f in home.db_files() {
            if f.exists() {
                set(&f, 0o600);
            }
        }
        let index = home.index();
        if index.is_dir() {
            set(&index, 0o700);
            if let Ok(entries) = std::fs::read_dir(&index) {
                for e in entries.flatten() {
                    let p = e.path();
                    set(&p, if p.is_dir() { 0o700 } else { 0o600 });
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = home;
    }
}
