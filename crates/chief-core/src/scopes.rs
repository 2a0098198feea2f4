//! The OAuth scopes Chief asks each source for: the connectors check a token against
//! them and name what is missing, the Slack app manifest lists them, and the local
//! mock API grants them. One list, so the three cannot drift apart.

/// The Slack user-token scopes Chief's sync needs.
pub const SLACK: &[&str] = &[
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "users:read",
    "users:read.email",
    "search:read",
];

/// The classic GitHub personal-access-token scopes Chief's sync needs.
pub const GITHUB: &[&str] = &["repo", "read:user", "read:org"];
