//! Small accessors for the loosely typed JSON that APIs return.

use chief_core::Timestamp;
use serde_json::Value;

/// A string field, if present.
pub(crate) fn s<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// A required time field: RFC 3339 (Jira's `+0000` offsets included), or epoch
/// milliseconds as a number (what some Jira responses carry).
pub(crate) fn time(v: &Value, key: &str) -> Result<Timestamp, String> {
    if let Some(ms) = v.get(key).and_then(Value::as_i64) {
        return Ok(Timestamp(ms));
    }
    let raw = s(v, key).ok_or_else(|| format!("missing {key}"))?;
    Timestamp::parse_rfc3339(raw).map_err(|e| e.to_string())
}
