//! One rate governor per (source, account, method class): a "not before" instant that
//! every request waits for, moved forward by `Retry-After` and by backoff. Requests of
//! the same class queue behind it instead of hammering the API.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Paces requests of one method class.
#[derive(Debug)]
pub struct Governor {
    not_before: Mutex<Instant>,
    /// Minimum spacing between requests (0 = none).
    spacing: Duration,
}

impl Governor {
    pub fn new(spacing: Duration) -> Self {
        Governor { not_before: Mutex::new(Instant::now()), spacing }
    }

    /// Waits for this request's turn.
    pub async fn wait(&self) {
        let mut nb = self.not_before.lock().await;
        let now = Instant::now();
        if *nb > now {
            tokio::time::sleep_until(*nb).await;
        }
        *nb = Instant::now() + self.spacing;
    }

    /// The server asked to wait (`Retry-After`, or a computed backoff).
    pub async fn defer(&self, d: Duration) {
        let mut nb = self.not_before.lock().await;
        let until = Instant::now() + d;
        if until > *nb {
            *nb = until;
        }
    }
}

/// Exponential backoff with ±25% jitter for retry `attempt` (1-based), capped.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(cap);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    exp.mul_f64(0.75 + 0.5 * (nanos % 1000) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn defer_holds_the_next_request() {
        let g = Governor::new(Duration::ZERO);
        g.wait().await;
        g.defer(Duration::from_secs(5)).await;
        let t = Instant::now();
        g.wait().await;
        assert!(t.elapsed() >= Duration::from_secs(5));
    }

    #[test]
    fn backoff_is_capped() {
        assert!(backoff(1, Duration::from_millis(100), Duration::from_secs(1)) <= Duration::from_millis(125));
        assert!(backoff(20, Duration::from_millis(100), Duration::from_secs(1)) <= Duration::from_millis(1250));
    }
}
