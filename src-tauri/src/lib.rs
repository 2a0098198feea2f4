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
