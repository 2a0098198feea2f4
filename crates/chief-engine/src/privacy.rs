//! Privacy on disk: a Chief home holds everything synced, so only its owner may read
//! it. A home Chief creates is made 0700, and the store's and index's files 0600 on
//! every open (Unix; elsewhere the platform's per-user data folder applies).

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

/// Makes one file of the home 0600 (Unix), best effort.
pub(crate) fn private_file(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::debug!(path = %path.display(), error = %e, "cannot restrict permissions");
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
    }
}

/// Makes the database and index files 0600 (their folder 0700), and the home folder
/// 0700 when Chief just created it. A folder that existed before (`--home` pointed at
/// a shared or system folder) keeps its mode: `chief doctor` says when others can read
/// it. Best effort: what cannot be changed is reported by `chief doctor`.
pub fn restrict(home: &Home, created: bool) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let set = |p: &Path, mode: u32| {
            if let Err(e) = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)) {
                tracing::debug!(path = %p.display(), error = %e, "cannot restrict permissions");
            }
        };
        if created {
            set(home.root(), 0o700);
        }
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
        let _ = (home, created);
    }
}
