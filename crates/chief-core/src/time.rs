//! Timestamps: UTC milliseconds since the Unix epoch, with parsers for the formats the
//! sources use (Slack `ts` strings, RFC 3339, Jira's `+0000` offsets).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::CoreError;

/// A UTC instant in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Now, from the system clock.
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Timestamp((now.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    /// From seconds since the epoch.
    pub fn from_secs(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(1000))
    }

    /// Parses a Slack `ts` such as `"1455555555.000100"`.
    ///
    /// ```
    /// use chief_core::Timestamp;
    /// assert_eq!(Timestamp::from_slack_ts("1455555555.000100").unwrap().millis(), 1_455_555_555_000);
    /// ```
    pub fn from_slack_ts(ts: &str) -> Result<Self, CoreError> {
        let bad = |reason: &str| CoreError::InvalidTimestamp { value: ts.to_string(), reason: reason.to_string() };
        let (secs, frac) = ts.split_once('.').unwrap_or((ts, "0"));
        let secs: i64 = secs.parse().map_err(|_| bad("expected seconds.micros"))?;
        let frac3: String = frac.chars().chain(std::iter::repeat('0')).take(3).collect();
        let ms: i64 = frac3.parse().map_err(|_| bad("expected seconds.micros"))?;
        secs.checked_mul(1000).and_then(|s| s.checked_add(ms)).map(Timestamp).ok_or_else(|| bad("out of range"))
    }

    /// Parses RFC 3339 (`2026-11-20T09:30:00Z`) and Jira's `2026-11-20T09:30:00.000+0000`.
    pub fn parse_rfc3339(s: &str) -> Result<Self, CoreError> {
        let parsed = OffsetDateTime::parse(s, &Rfc3339).or_else(|_| {
            // Jira writes offsets without a colon: +0000 → +00:00. Only ASCII can be a
            // timestamp, so anything else is left to fail parsing (never sliced).
            let b = s.as_bytes();
            let fixed = if s.is_ascii() && b.len() > 5 && (b[b.len() - 5] == b'+' || b[b.len() - 5] == b'-') {
                format!("{}:{}", &s[..s.len() - 2], &s[s.len() - 2..])
            } else {
                s.to_string()
            };
            OffsetDateTime::parse(&fixed, &Rfc3339)
        });
        match parsed {
            Ok(t) => Ok(Timestamp((t.unix_timestamp_nanos() / 1_000_000) as i64)),
            Err(e) => Err(CoreError::InvalidTimestamp { value: s.to_string(), reason: e.to_string() }),
        }
    }

    /// Parses a date (`2026-11-20`), a datetime, or a relative span back from `now`
    /// (`7d`, `12h`, `30m`), as the CLI's `--since` / `--until` accept.
    pub fn parse_user(s: &str, now: Timestamp) -> Result<Self, CoreError> {
        let s = s.trim();
        for (suffix, unit) in [('d', 86_400_000i64), ('h', 3_600_000), ('m', 60_000)] {
            if let Some(n) = s.strip_suffix(suffix).and_then(|n| n.parse::<i64>().ok()) {
                return n
                    .checked_mul(unit)
                    .filter(|span| *span >= 0)
                    .and_then(|span| now.0.checked_sub(span))
                    .map(Timestamp)
                    .ok_or_else(|| CoreError::InvalidTimestamp {
                        value: s.to_string(),
                        reason: "the span is negative or too large; use e.g. 7d, 12h or 30m".to_string(),
                    });
            }
        }
        if s.len() == 10 {
            return Self::parse_rfc3339(&format!("{s}T00:00:00Z"));
        }
        Self::parse_rfc3339(s).map_err(|_| CoreError::InvalidTimestamp {
            value: s.to_string(),
            reason: "expected YYYY-MM-DD, an RFC 3339 time, or a span like 7d / 12h".to_string(),
        })
    }

    /// RFC 3339 in UTC, second precision.
    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| self.0.to_string())
    }
}

/// The longest wait a `Retry-After` header can ask for; longer asks are clamped here,
/// and callers park (stop and come back later) rather than sleep beyond their own cap.
pub const MAX_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Reads a `Retry-After` value in seconds (`"30"`, `"1.5"`). Negative, infinite, NaN or
/// unparsable values give `None`; huge ones are clamped to [`MAX_RETRY_AFTER`]. HTTP
/// dates are not accepted (`None`: the caller's own backoff applies).
pub fn parse_retry_after(value: &str) -> Option<std::time::Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(std::time::Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())))
}

/// Reads a `retry-after-ms` value, clamped like [`parse_retry_after`].
pub fn parse_retry_after_ms(value: &str) -> Option<std::time::Duration> {
    let ms: u64 = value.trim().parse().ok()?;
    Some(std::time::Duration::from_millis(ms).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_source_formats() {
        assert_eq!(Timestamp::parse_rfc3339("1970-01-01T00:00:01Z").unwrap().0, 1000);
        assert_eq!(Timestamp::parse_rfc3339("1970-01-01T00:00:01.000+0000").unwrap().0, 1000);
        assert_eq!(Timestamp::parse_rfc3339("1970-01-01T01:00:01.000+0100").unwrap().0, 1000);
        assert!(Timestamp::from_slack_ts("abc").is_err());
        assert_eq!(Timestamp::from_slack_ts("12").unwrap().0, 12_000);
    }

    #[test]
    fn retry_after_is_bounded_and_never_panics() {
        use std::time::Duration;
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(" 1.5 "), Some(Duration::from_millis(1500)));
        for bad in ["-1", "inf", "-inf", "NaN", "", "Wed, 21 Oct 2015 07:28:00 GMT", "x+a€"] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
        for huge in ["1e30", "18446744073709551615", "1e308"] {
            assert_eq!(parse_retry_after(huge), Some(MAX_RETRY_AFTER), "{huge}");
        }
        assert_eq!(parse_retry_after_ms("18446744073709551615"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after_ms("-5"), None);
    }

    #[test]
    fn user_spans_are_relative_to_now() {
        let now = Timestamp(10 * 86_400_000);
        assert_eq!(Timestamp::parse_user("2d", now).unwrap().0, 8 * 86_400_000);
        assert_eq!(Timestamp::parse_user("1970-01-02", now).unwrap().0, 86_400_000);
        assert!(Timestamp::parse_user("yesterday-ish", now).is_err());
        for hostile in ["x+a€", "2026-11-2€", "€€€€€€", "9999999999999999d", "-5d", "99999999999999999999h"]
        {
            assert!(Timestamp::parse_user(hostile, now).is_err(), "{hostile}");
            assert!(Timestamp::parse_rfc3339(hostile).is_err(), "{hostile}");
        }
        assert!(Timestamp::from_slack_ts("99999999999999999.1").is_err());
    }
}
