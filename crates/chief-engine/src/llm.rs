//! The LLM client for a home, and where each provider's API key is found. The CLI and
//! the desktop both store and read keys through [`llm_key_entry`], so a key saved by
//! one surface is the key the client uses.

use std::path::Path;
use std::time::Duration;

use chief_store::Store;

use crate::{Config, EngineError, Home, secrets};

/// The provider a key belongs to and its keychain entry: `provider` when given (it
/// must name an entry of the chain), else the first provider of the chain.
pub fn llm_key_entry(config: &Config, provider: Option<&str>) -> Result<(String, String), EngineError> {
    let chain = config.llm.chain()?;
    let name = match provider.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if chain.iter().any(|c| c.name == p) => p.to_string(),
        Some(p) => {
            let names: Vec<&str> = chain.iter().map(|c| c.name.as_str()).collect();
            return Err(EngineError::InvalidInput(format!(
                "no LLM provider named {p:?} in chief.toml; configured: {}",
                if names.is_empty() { "none".into() } else { names.join(", ") }
            )));
        }
        None => chain.first().map(|p| p.name.clone()).ok_or_else(|| {
            EngineError::InvalidInput("no LLM provider is configured; set [llm] provider in chief.toml first".into())
        })?,
    };
    let entry = secrets::llm_key_name(&name);
    Ok((name, entry))
}

/// The LLM client for the configured fallback chain, caching in the home's store
/// unless `no_cache`. Keys come from `CHIEF_LLM_<NAME>_API_KEY`, then
/// `CHIEF_LLM_API_KEY`, then the OS keychain entry of [`llm_key_entry`].
pub fn llm_client(
    config: &Config,
    home: &Path,
    no_cache: bool,
    env: &[(String, String)],
) -> Result<chief_llm::LlmClient, EngineError> {
    let chain = config.llm.chain()?;
    let lookup = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut providers = Vec::with_capacity(chain.len());
    for p in chain {
        let specific = format!("CHIEF_LLM_{}_API_KEY", p.name.to_uppercase().replace(['-', '.', ' '], "_"));
        let key = match lookup(&specific).or_else(|| lookup("CHIEF_LLM_API_KEY")) {
            Some(k) => Some(k),
            None => {
                let (_, entry) = llm_key_entry(config, Some(&p.name))?;
                secrets::get(&entry).unwrap_or_else(|e| {
                    tracing::warn!("{e}");
                    None
                })
            }
        };
        providers.push((p, key));
    }
    let mut client = chief_llm::LlmClient::new(providers, config.llm.offline)
        .with_store(Store::open(&Home::new(home).db())?)
        .with_cache_ttl(Duration::from_secs(config.llm.cache_ttl_hours.max(1) * 3600));
    if no_cache {
        client = client.without_cache();
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_a_provider_chain_are_found_under_the_name_they_were_stored_with() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("chief.toml"),
            "[llm]\nprovider = \"none\"\n[[llm.providers]]\nname = \"local\"\nkind = \"openai-compatible\"\nmodel = \"m\"\nbase_url = \"http://127.0.0.1:9/v1\"\n[[llm.providers]]\nname = \"backup\"\nkind = \"openai-compatible\"\nmodel = \"m\"\nbase_url = \"http://127.0.0.1:9/v1\"\n",
        )
        .unwrap();
        let config = Config::load(home.path(), Vec::new()).unwrap();
        // What the desktop stores when the user pastes a key (no provider chosen)...
        let (name, entry) = llm_key_entry(&config, None).unwrap();
        assert_eq!(name, "local", "the short form's provider (\"none\") is not the chain");
        // ...is the entry the client reads for that provider.
        assert_eq!(llm_key_entry(&config, Some("local")).unwrap().1, entry);
        assert_ne!(llm_key_entry(&config, Some("backup")).unwrap().1, entry);
        let err = llm_key_entry(&config, Some("nope")).unwrap_err().to_string();
        assert!(err.contains("local, backup"), "{err}");
    }
}
