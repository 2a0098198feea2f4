//! Reference extraction: ticket keys (`PAY-142`), PR/issue refs (`org/repo#12` and
//! GitHub URLs) and links, found in plain text at ingest time.
//!
//! People are not found here: a mention's meaning depends on the source's markup
//! (`<@U123>` in Slack, `@login` on GitHub), so the renderers in [`crate::text`]
//! report them.

use std::sync::OnceLock;

use regex::Regex;

use crate::item::{RefKind, Reference};

/// Upper-case words that look like ticket prefixes but are standards or encodings.
const NOT_TICKET_PREFIXES: &[&str] = &[
    "UTF", "ISO", "SHA", "COVID", "HTTP", "TLS", "SSL", "RFC", "CVE", "MP", "P", "GPT", "IPV", "X", "ES", "AES", "RSA",
    "PEP", "ECMA", "TCP", "MD", "IEEE", "H", "WCAG", "Q",
];

fn ticket_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\b([A-Z][A-Z0-9]{0,9})-([1-9][0-9]{0,6})\b").expect("valid regex"))
}

fn pr_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\b([A-Za-z0-9][A-Za-z0-9_.-]{0,38})/([A-Za-z0-9_.-]{1,100})#([0-9]{1,7})\b").expect("valid regex")
    })
}

fn url_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"https?://[^\s<>"'`)\]|]+"#).expect("valid regex"))
}

fn gh_url_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^https?://[^/]+/([^/\s]+)/([^/\s]+)/(?:pull|issues)/([0-9]+)").expect("valid regex"))
}

fn jira_url_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"/browse/([A-Z][A-Z0-9]{0,9}-[0-9]+)").expect("valid regex"))
}

/// Normalized PR/issue reference `org/repo#N` (repo part lower-cased).
pub fn pr_ref(owner: &str, repo: &str, number: u64) -> String {
    format!("{}/{}#{}", owner.to_lowercase(), repo.to_lowercase(), number)
}

/// Returns true if `s` is shaped like a ticket key (`ABC-123`).
pub fn is_ticket_key(s: &str) -> bool {
    ticket_re().find(s).is_some_and(|m| m.start() == 0 && m.end() == s.len())
        && !NOT_TICKET_PREFIXES.contains(&s.split('-').next().unwrap_or(""))
}

/// Finds ticket keys, PR refs and URLs in plain text.
///
/// ```
/// use chief_core::refs::extract;
/// use chief_core::RefKind;
/// let refs = extract("PAY-142 is fixed by kestrel/payments-api#87, see https://github.com/kestrel/payments-api/pull/87");
/// assert!(refs.iter().any(|r| r.kind == RefKind::Ticket && r.value == "PAY-142"));
/// assert!(refs.iter().any(|r| r.kind == RefKind::PullRequest && r.value == "kestrel/payments-api#87"));
/// ```
pub fn extract(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    for url in url_re().find_iter(text) {
        let u = url.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
        out.push(Reference::new(RefKind::Url, u));
        if let Some(c) = gh_url_re().captures(u)
            && let Ok(n) = c[3].parse::<u64>()
        {
            out.push(Reference::new(RefKind::PullRequest, pr_ref(&c[1], &c[2], n)));
        }
        if let Some(c) = jira_url_re().captures(u) {
            out.push(Reference::new(RefKind::Ticket, c[1].to_string()));
        }
    }
    // Strip URLs so their path segments don't read as refs twice.
    let without_urls = url_re().replace_all(text, " ");
    for c in pr_re().captures_iter(&without_urls) {
        if let Ok(n) = c[3].parse::<u64>() {
            out.push(Reference::new(RefKind::PullRequest, pr_ref(&c[1], &c[2], n)));
        }
    }
    for m in ticket_re().find_iter(&without_urls) {
        if is_ticket_key(m.as_str()) {
            out.push(Reference::new(RefKind::Ticket, m.as_str()));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str, kind: RefKind) -> Vec<String> {
        extract(text).into_iter().filter(|r| r.kind == kind).map(|r| r.value).collect()
    }

    #[test]
    fn tickets_are_found_and_standards_are_not() {
        assert_eq!(values("see PAY-142 and OPS-7.", RefKind::Ticket), vec!["OPS-7", "PAY-142"]);
        assert!(values("UTF-8, ISO-8601, SHA-256, COVID-19", RefKind::Ticket).is_empty());
        assert!(values("pay-142 lowercase", RefKind::Ticket).is_empty());
    }

    #[test]
    fn github_urls_become_pr_refs() {
        let v = values("<https://github.com/Kestrel/Web-App/pull/214> and org/x#3", RefKind::PullRequest);
        assert_eq!(v, vec!["kestrel/web-app#214", "org/x#3"]);
    }

    #[test]
    fn jira_browse_urls_become_ticket_refs() {
        assert_eq!(values("https://kestrel.atlassian.net/browse/PAY-9", RefKind::Ticket), vec!["PAY-9"]);
    }

    #[test]
    fn urls_lose_trailing_punctuation() {
        assert_eq!(values("go to https://example.com/a.", RefKind::Url), vec!["https://example.com/a"]);
    }
}
