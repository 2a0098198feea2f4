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
