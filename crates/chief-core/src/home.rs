//! The files inside a Chief home. Every path Chief reads or writes in a home is named
//! here, so the store's file name or the index folder never appear as literals in
//! other crates and a new file is one method away.

use std::path::{Path, PathBuf};

/// A Chief home directory: the store, the search index, the configuration, the demo's
/// generated data. Computing a path does no I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The home rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// The home directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite store, the source of truth.
    pub fn db(&self) -> PathBuf {
        self.root.join("chief.db")
    }

    /// The store and its write-ahead log and shared-memory files.
    pub fn db_files(&self) -> [PathBuf; 3] {
        [self.root.join("chief.db"), self.root.join("chief.db-wal"), self.root.join("chief.db-shm")]
    }

    /// The tantivy index folder (a projection of the store; can be rebuilt).
    pub fn index(&self) -> PathBuf {
        self.root.join("index")
    }

    /// `chief.toml`.
    pub fn config(&self) -> PathBuf {
        self.root.join("chief.toml")
    }

    /// Where the demo workspace's generated source data goes.
    pub fn demo_data(&self) -> PathBuf {
        self.root.join("demo-data")
    }

    /// The file that marks a home as holding the demo workspace.
    pub fn demo_marker(&self) -> PathBuf {
        self.root.join(".chief-demo")
    }

    /// True when the demo marker is present.
    pub fn is_demo(&self) -> bool {
        self.demo_marker().exists()
    }

    /// True when this home holds the demo or nothing yet (so loading the demo loses
    /// no user data).
    pub fn is_demo_or_empty(&self) -> bool {
        self.is_demo() || !self.db().exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_inside_the_home() {
        let home = Home::new("/h");
        for p in [home.db(), home.index(), home.config(), home.demo_data(), home.demo_marker()] {
            assert!(p.starts_with("/h"), "{}", p.display());
        }
        assert_eq!(home.db_files()[1], Path::new("/h/chief.db-wal"));
    }
}
