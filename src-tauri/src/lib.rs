//! What the desktop app and its resting process share, none of it tied to a window
//! toolkit (the resting process links no GTK or WebKit): the engine handle, screen-text
//! capture, the background work and notifications, and the handover between the two.

pub mod backend;
pub mod capture;
pub mod handover;
pub mod work;

/// Milliseconds since the Unix epoch.
pub fn epoch_ms() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Logs to stderr at `CHIEF_LOG` (default info), secrets filtered; colours only on a
/// terminal.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(chief_engine::secrets::log_filter(
            &std::env::var("CHIEF_LOG").unwrap_or_else(|_| "info".into()),
        )))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// The home and its `[desktop]` settings; a broken chief.toml still starts the shell
/// (the engine reports it).
pub fn desktop_config(env: &[(String, String)]) -> (std::path::PathBuf, chief_engine::DesktopConfig) {
    let home = std::env::var_os("CHIEF_HOME").map(std::path::PathBuf::from).unwrap_or_else(chief_engine::default_home);
    let desktop = chief_engine::Config::load(&home, env.to_vec()).map(|c| c.desktop).unwrap_or_else(|e| {
        tracing::error!("{e}");
        chief_engine::DesktopConfig::default()
    });
    (home, desktop)
}
