//! Google OAuth for a desktop app: the system browser on the consent page, a loopback
//! redirect (`http://127.0.0.1:<port>`) and PKCE S256; the refresh token goes to the
//! caller's [`RefreshStore`] (the OS keychain). Access tokens are refreshed
//! single-flight, and a rotated refresh token is saved *before* the new access token
//! is used. `invalid_grant` means the grant is gone (revoked, expired — a consent
//! screen in "Testing" expires them after 7 days): the source pauses until reconnected.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The scopes Chief asks for: read-only Calendar, Drive (Docs text and comments), Gmail.
pub const SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/gmail.readonly",
    "openid",
    "email",
];

/// Why a token could not be had.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The refresh token was revoked or expired: reconnect.
    #[error(
        "Google refused the stored grant (invalid_grant: revoked, or expired — a consent screen in \"Testing\" expires it after 7 days); reconnect with `chief connect google`"
    )]
    InvalidGrant,
    #[error("Google is not connected; run `chief connect google`")]
    NotConnected,
    /// The OAuth client itself was refused (deleted, or a wrong secret).
    #[error(
        "Google refused the OAuth client ({0}); check [sources.google] client_id and its secret, then `chief connect google`"
    )]
    Client(String),
    #[error("the Google sign-in did not finish: {0}")]
    Consent(String),
    #[error("Google's token endpoint: {0}")]
    Transient(String),
    #[error("the keychain: {0}")]
    Store(String),
}

/// Where the refresh token lives (the engine's keychain entry; a map in tests).
pub trait RefreshStore: Send + Sync {
    fn load(&self) -> Result<Option<String>, String>;
    fn save(&self, token: &str) -> Result<(), String>;
}

/// An OAuth client of type "Desktop app" (its secret is not confidential: Google
/// treats desktop clients as public and still expects it sent).
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `https://accounts.google.com/o/oauth2/v2/auth`
    pub auth_url: String,
    /// `https://oauth2.googleapis.com/token`
    pub token_url: String,
}

/// What the token endpoint granted.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access_token: String,
    pub expires_in: Duration,
    /// Present on the first grant, and when Google rotates it.
    pub refresh_token: Option<String>,
}

fn random_string(len: usize) -> Result<String, AuthError> {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Consent(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| CHARS[usize::from(*b) % CHARS.len()] as char).collect())
}

/// The PKCE S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query_value(query: &str, key: &str) -> Option<String> {
    form_urlencoded_pairs(query).find(|(k, _)| k == key).map(|(_, v)| v)
}

fn form_urlencoded_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        Some((decode(k)?, decode(v)?))
    })
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

impl OAuthClient {
    /// The consent page's address for this redirect, PKCE challenge and state.
    pub fn consent_url(&self, redirect: &str, challenge: &str, state: &str) -> String {
        let mut u = reqwest::Url::parse(&self.auth_url).unwrap_or_else(|_| {
            reqwest::Url::parse("https://accounts.google.com/o/oauth2/v2/auth").expect("a valid constant URL")
        });
        u.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect)
            .append_pair("response_type", "code")
            .append_pair("scope", &SCOPES.join(" "))
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", state)
            .append_pair("access_type", "offline")
            .append_pair("prompt", "consent");
        u.to_string()
    }

    /// Runs the loopback flow: listens on 127.0.0.1, hands the consent page's address to
    /// `open` (the system browser), waits up to `timeout` for the redirect, checks its
    /// state and exchanges the code with the PKCE verifier.
    pub async fn authorize(
        &self,
        open: &(dyn Fn(&str) -> Result<(), String> + Sync),
        timeout: Duration,
    ) -> Result<Grant, AuthError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| AuthError::Consent(format!("cannot listen on the loopback address: {e}")))?;
        let port = listener.local_addr().map_err(|e| AuthError::Consent(e.to_string()))?.port();
        let redirect = format!("http://127.0.0.1:{port}");
        let verifier = random_string(64)?;
        let state = random_string(32)?;
        open(&self.consent_url(&redirect, &challenge(&verifier), &state)).map_err(AuthError::Consent)?;
        let code = tokio::time::timeout(timeout, wait_for_code(&listener, &state))
            .await
            .map_err(|_| AuthError::Consent(format!("no answer from the browser within {} s", timeout.as_secs())))??;
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier),
        ])
        .await
    }

    /// Exchanges a refresh token for an access token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Grant, AuthError> {
        self.token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<Grant, AuthError> {
        let mut body: Vec<(&str, &str)> = vec![("client_id", &self.client_id)];
        if let Some(s) = &self.client_secret {
            body.push(("client_secret", s));
        }
        body.extend_from_slice(form);
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default();
        let mut last = String::new();
        for attempt in 1..=3u32 {
            let resp = http.post(&self.token_url).form(&body).timeout(Duration::from_secs(30)).send().await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    last = e.without_url().to_string();
                    tokio::time::sleep(crate::governor::backoff(
                        attempt,
                        Duration::from_millis(300),
                        Duration::from_secs(5),
                    ))
                    .await;
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let v: Value = resp.json().await.unwrap_or(Value::Null);
            if (200..300).contains(&status) {
                let access = v["access_token"].as_str().filter(|t| !t.is_empty());
                return match access {
                    Some(a) => Ok(Grant {
                        access_token: a.to_string(),
                        expires_in: Duration::from_secs(v["expires_in"].as_u64().unwrap_or(3600)),
                        refresh_token: v["refresh_token"].as_str().filter(|t| !t.is_empty()).map(str::to_string),
                    }),
                    None => Err(AuthError::Transient("the token endpoint sent no access_token".into())),
                };
            }
            let error = v["error"].as_str().unwrap_or("");
            if error == "invalid_grant" {
                return Err(AuthError::InvalidGrant);
            }
            if matches!(error, "invalid_client" | "unauthorized_client") {
                return Err(AuthError::Client(error.to_string()));
            }
            last = format!("HTTP {status} {error}");
            if status < 500 {
                break;
            }
            tokio::time::sleep(crate::governor::backoff(attempt, Duration::from_millis(300), Duration::from_secs(5)))
                .await;
        }
        Err(AuthError::Transient(last))
    }
}

/// Accepts connections until the redirect with a code arrives (a favicon request or a
/// stray connection is answered and ignored).
async fn wait_for_code(listener: &tokio::net::TcpListener, state: &str) -> Result<String, AuthError> {
    loop {
        let (mut conn, _) = listener.accept().await.map_err(|e| AuthError::Consent(e.to_string()))?;
        let mut buf = vec![0u8; 8192];
        // A connection that sends nothing (a browser's preconnect) must not hold up the
        // redirect behind it.
        let n = match tokio::time::timeout(Duration::from_secs(3), conn.read(&mut buf)).await {
            Ok(Ok(n)) => n,
            _ => continue,
        };
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        let target = head.lines().next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("/");
        let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let (code, their_state, error) =
            (query_value(query, "code"), query_value(query, "state"), query_value(query, "error"));
        // Only a redirect carrying this sign-in's state ends it: anything else (another
        // process, a stale tab) is answered and ignored.
        let ours = their_state.as_deref() == Some(state);
        let (page, outcome) = match (code, error) {
            (_, Some(e)) if ours => (
                "Chief was not connected to Google. You can close this tab.",
                Some(Err(AuthError::Consent(format!("Google answered {e}")))),
            ),
            (Some(c), None) if ours => ("Chief is connected to Google. You can close this tab.", Some(Ok(c))),
            (Some(_), _) | (_, Some(_)) => {
                tracing::warn!("a redirect to the sign-in listener without this sign-in's state was ignored");
                ("This sign-in was not started by Chief. You can close this tab.", None)
            }
            (None, None) => ("", None),
        };
        let body = format!("<!doctype html><title>Chief</title><p>{page}</p>");
        let status = if page.is_empty() { "404 Not Found" } else { "200 OK" };
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = conn.write_all(reply.as_bytes()).await;
        let _ = conn.shutdown().await;
        if let Some(o) = outcome {
            return o;
        }
    }
}

/// Where access tokens come from.
pub enum Credentials {
    /// A fixed access token (`CHIEF_GOOGLE_TOKEN`, for tests and scripts).
    Access(String),
    /// Refreshed from the stored refresh token.
    Refresh { client: OAuthClient, store: Arc<dyn RefreshStore> },
}

/// Access tokens for API calls, refreshed single-flight.
pub struct TokenSource {
    creds: Credentials,
    current: tokio::sync::Mutex<Option<(String, Instant)>>,
}

impl TokenSource {
    pub fn new(creds: Credentials) -> Self {
        TokenSource { creds, current: tokio::sync::Mutex::new(None) }
    }

    /// A valid access token. Concurrent callers wait for one refresh.
    pub async fn token(&self) -> Result<String, AuthError> {
        let mut current = self.current.lock().await;
        match &self.creds {
            Credentials::Access(t) => Ok(t.clone()),
            Credentials::Refresh { client, store } => {
                if let Some((t, until)) = current.as_ref()
                    && Instant::now() < *until
                {
                    return Ok(t.clone());
                }
                let refresh = store.load().map_err(AuthError::Store)?.ok_or(AuthError::NotConnected)?;
                let grant = client.refresh(&refresh).await?;
                // A rotated refresh token is saved before the access token is used: a
                // crash in between must not leave only the old, now dead, one.
                if let Some(rotated) = grant.refresh_token.as_deref().filter(|r| *r != refresh) {
                    store.save(rotated).map_err(AuthError::Store)?;
                    tracing::info!("google refresh token rotated; saved");
                }
                let until = Instant::now() + grant.expires_in.saturating_sub(Duration::from_secs(60));
                *current = Some((grant.access_token.clone(), until));
                Ok(grant.access_token)
            }
        }
    }

    /// Forgets `failed` (the API answered 401 to it); the next call refreshes, once even
    /// when several requests in flight failed with it. With a fixed token there is
    /// nothing to refresh: false.
    pub async fn invalidate(&self, failed: &str) -> bool {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|(t, _)| t == failed) {
            *current = None;
        }
        matches!(self.creds, Credentials::Refresh { .. })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(query_value("code=4%2F0Ab_x&state=a+b", "code").as_deref(), Some("4/0Ab_x"));
        assert_eq!(query_value("code=4%2F0Ab_x&state=a+b", "state").as_deref(), Some("a b"));
        assert_eq!(query_value("x=%zz", "x"), None);
    }
}
