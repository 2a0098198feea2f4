//! Secrets (API keys, tokens) in the OS keychain: Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows. Never in the database, the config, logs or
//! errors. Environment variables override them for headless use and CI.

use std::sync::Once;

/// The keychain service name under which Chief stores its secrets.
pub const SERVICE: &str = "dev.chief.chief";

/// Keychain failures, with what to do about them.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the OS keychain is locked or unavailable ({0}); unlock it (log in to the desktop session, or run `gnome-keyring-daemon --unlock`), or pass the secret in an environment variable such as CHIEF_LLM_API_KEY"
    )]
    Unavailable(String),
    #[error("the OS keychain refused the operation: {0}")]
    Failed(String),
}

fn ensure_store() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Tests install a mock store first; otherwise use the platform's keychain.
        if keyring_core::get_default_store().is_none() {
            let _ = keyring::Entry::store_status();
        }
    });
}

fn entry(name: &str) -> Result<keyring_core::Entry, SecretError> {
    ensure_store();
    keyring_core::Entry::new(SERVICE, name).map_err(classify)
}

fn classify(e: keyring_core::Error) -> SecretError {
    match e {
        keyring_core::Error::NoStorageAccess(_)
        | keyring_core::Error::NoDefaultStore
        | keyring_core::Error::PlatformFailure(_) => SecretError::Unavailable(e.to_string()),
        other => SecretError::Failed(other.to_string()),
    }
}

/// Reads a secret; `None` when there is none.
pub fn get(name: &str) -> Result<Option<String>, SecretError> {
    match entry(name)?.get_password() {
        Ok(v) => Ok(Some(v)),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(e) => Err(classify(e)),
    }
}

/// Stores a secret.
pub fn set(name: &str, value: &str) -> Result<(), SecretError> {
    entry(name)?.set_password(value).map_err(classify)
}

/// Deletes a secret; false when there was none.
pub fn delete(name: &str) -> Result<bool, SecretError> {
    match entry(name)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring_core::Error::NoEntry) => Ok(false),
        Err(e) => Err(classify(e)),
    }
}

/// The keychain entry name of an LLM provider's API key.
pub fn llm_key_name(provider: &str) -> String {
    format!("llm:{provider}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors_through_the_mock_store() {
        keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap());
        assert_eq!(get("llm:test").unwrap(), None);
        set("llm:test", "sk-abc").unwrap();
        assert_eq!(get("llm:test").unwrap().as_deref(), Some("sk-abc"));
        assert!(delete("llm:test").unwrap());
        assert!(!delete("llm:test").unwrap());
        let e = classify(keyring_core::Error::NoStorageAccess(Box::new(std::io::Error::other("locked"))));
        assert!(e.to_string().contains("CHIEF_LLM_API_KEY"), "{e}");
    }
}

/// Libraries whose debug and trace logs carry what Chief keeps out of logs: D-Bus
/// message bodies on their way to the keychain, HTTP connection internals, IPC
/// arguments between the desktop's pages and its shell.
const QUIET_LIBRARIES: &[&str] = &[
    "zbus",
    "keyring",
    "keyring_core",
    "dbus_secret_service_keyring_store",
    "zbus_secret_service_keyring_store",
    "secret_service",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "tauri",
    "wry",
];

/// A log filter (`CHIEF_LOG` syntax) with the libraries above capped at `info`,
/// unless the filter names one of them itself: `CHIEF_LOG=trace` shows everything of
/// Chief's and nothing of a token on its way to the keychain.
pub fn log_filter(requested: &str) -> String {
    let named = |lib: &str| requested.split(',').any(|d| d.trim().split(['=', '[']).next() == Some(lib));
    let mut filter = requested.to_string();
    for lib in QUIET_LIBRARIES.iter().filter(|l| !named(l)) {
        if !filter.is_empty() {
            filter.push(',');
        }
        filter.push_str(lib);
        filter.push_str("=info");
    }
    filter
}

#[cfg(test)]
mod log_tests {
    #[test]
    fn libraries_that_log_secrets_are_capped_unless_named() {
        let f = super::log_filter("trace");
        assert!(f.starts_with("trace,") && f.contains(",zbus=info") && f.contains(",hyper=info"), "{f}");
        let f = super::log_filter("debug,zbus=trace");
        assert!(f.contains("zbus=trace") && !f.contains("zbus=info"), "{f}");
        assert!(f.contains("reqwest=info"), "{f}");
    }
}
