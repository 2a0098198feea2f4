//! Retry, circuit breaker and budget: the policies every call goes through.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Exponential backoff with jitter; a server's `Retry-After` wins when longer.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per provider, including the first.
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 3, base: Duration::from_millis(500), max: Duration::from_secs(30) }
    }
}

fn jitter_unit() -> f64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
            as u64;
    let mut x = nanos.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt` (1-based retry number).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let backoff = exp.min(self.max).mul_f64(0.75 + 0.5 * jitter_unit());
        match retry_after {
            Some(ra) => ra.max(backoff.min(ra.saturating_add(self.base))),
            None => backoff,
        }
    }
}

/// Opens after `threshold` consecutive failures; stays open for `cooldown`, then lets
/// one call through (half-open); a success closes it.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<(u32, Option<Instant>)>,
}

impl CircuitBreaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        CircuitBreaker { threshold: threshold.max(1), cooldown, state: Mutex::new((0, None)) }
    }

    /// True if a call may go through now.
    pub fn allow(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match s.1 {
            Some(opened) if opened.elapsed() < self.cooldown => false,
            Some(_) => {
                // Half-open: let this one try, and re-arm so others wait for its result.
                s.1 = Some(Instant::now());
                true
            }
            None => true,
        }
    }

    pub fn success(&self) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = (0, None);
    }

    pub fn failure(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 += 1;
        if s.0 >= self.threshold {
            s.1 = Some(Instant::now());
        }
    }

    pub fn is_open(&self) -> bool {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.1.is_some_and(|t| t.elapsed() < self.cooldown)
    }
}

/// Requests-per-minute and tokens-per-minute budgets plus a concurrency limit.
/// Callers wait (up to a bound) instead of exceeding the budget. Times are tokio's,
/// so tests can run a minute of traffic in paused time.
#[derive(Debug)]
pub struct Budget {
    rpm: u32,
    tpm: u64,
    /// Start times and token estimates of calls in the last minute.
    window: Mutex<Vec<(tokio::time::Instant, u64)>>,
    /// A provider said its quota is used up until then (rate-limit headers).
    paused_until: Mutex<Option<tokio::time::Instant>>,
    slots: Semaphore,
}

/// Held while a call is in flight.
pub struct BudgetPermit<'a> {
    _slot: SemaphorePermit<'a>,
}

impl Budget {
    pub fn new(rpm: u32, tpm: u64, concurrency: usize) -> Self {
        Budget {
            rpm,
            tpm,
            window: Mutex::new(Vec::new()),
            paused_until: Mutex::new(None),
            slots: Semaphore::new(concurrency.max(1)),
        }
    }

    /// Holds new calls back for `d` (the provider reported no requests left).
    pub fn pause_for(&self, d: Duration) {
        let until = tokio::time::Instant::now() + d;
        let mut p = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none_or(|t| t < until) {
            *p = Some(until);
        }
    }

    /// Waits until a call of `tokens` fits the budget, at most `max_wait`.
    /// Returns `None` when it would have to wait longer.
    pub async fn acquire(&self, tokens: u64, max_wait: Duration) -> Option<BudgetPermit<'_>> {
        use tokio::time::Instant;
        let deadline = Instant::now() + max_wait;
        let slot = tokio::time::timeout(max_wait, self.slots.acquire()).await.ok()?.ok()?;
        loop {
            let paused = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(until) = paused.filter(|t| *t > Instant::now()) {
                if until > deadline {
                    return None;
                }
                tokio::time::sleep_until(until).await;
            }
            let wait = {
                let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                w.retain(|(t, _)| now.duration_since(*t) < Duration::from_secs(60));
                let used: u64 = w.iter().map(|x| x.1).sum();
                let rpm_ok = self.rpm == 0 || (w.len() as u32) < self.rpm;
                let tpm_ok = self.tpm == 0 || used + tokens <= self.tpm || w.is_empty();
                if rpm_ok && tpm_ok {
                    w.push((now, tokens));
                    None
                } else {
                    // The oldest entry leaves the window first.
                    let oldest = w.iter().map(|x| x.0).min().unwrap_or(now);
                    Some(Duration::from_secs(60).saturating_sub(now.duration_since(oldest)) + Duration::from_millis(5))
                }
            };
            match wait {
                None => return Some(BudgetPermit { _slot: slot }),
                Some(d) if Instant::now() + d > deadline => return None,
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }

    /// Corrects the last estimate with the real token count.
    pub fn record_actual(&self, estimated: u64, actual: u64) {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = w.iter_mut().rev().find(|e| e.1 == estimated) {
            e.1 = actual;
        }
    }

    /// Calls started in the last minute.
    pub fn calls_in_window(&self) -> usize {
        let w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        w.iter().filter(|(t, _)| t.elapsed() < Duration::from_secs(60)).count()
    }
}

/// Parses OpenAI's reset durations (`1s`, `6m0s`, `20ms`, `1h2m3.5s`).
pub fn parse_reset(s: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.trim().chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let value: f64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += value * unit;
        any = true;
    }
    if !num.is_empty() {
        total += num.parse::<f64>().ok()?;
        any = true;
    }
    (any && total.is_finite() && total >= 0.0)
        .then(|| Duration::from_secs_f64(total.min(chief_core::time::MAX_RETRY_AFTER.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_retry_after_wins() {
        let p = RetryPolicy { attempts: 5, base: Duration::from_millis(100), max: Duration::from_secs(2) };
        assert!(p.delay(1, None) <= Duration::from_millis(125));
        assert!(p.delay(4, None) >= Duration::from_millis(600));
        assert!(p.delay(10, None) <= Duration::from_millis(2500));
        assert!(p.delay(1, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
    }

    #[test]
    fn breaker_opens_then_half_opens() {
        let b = CircuitBreaker::new(2, Duration::from_millis(50));
        b.failure();
        assert!(b.allow());
        b.failure();
        assert!(!b.allow());
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.allow(), "half-open after the cooldown");
        assert!(!b.allow(), "only one trial call");
        b.success();
        assert!(b.allow());
    }

    #[test]
    fn reset_durations() {
        assert_eq!(parse_reset("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_reset("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(parse_reset("2m3.5s"), Some(Duration::from_secs_f64(123.5)));
        // Clamped: a provider cannot make Chief wait hours (or overflow a Duration).
        assert_eq!(parse_reset("1h2m3.5s"), Some(chief_core::time::MAX_RETRY_AFTER));
        assert_eq!(parse_reset("99999999999999999999999s"), Some(chief_core::time::MAX_RETRY_AFTER));
        assert_eq!(parse_reset("soon"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_provider_pause_holds_callers_back() {
        let budget = Budget::new(0, 0, 4);
        budget.pause_for(Duration::from_secs(30));
        assert!(budget.acquire(1, Duration::from_secs(10)).await.is_none(), "the pause outlasts the wait");
        let start = tokio::time::Instant::now();
        assert!(budget.acquire(1, Duration::from_secs(60)).await.is_some());
        assert!(start.elapsed() >= Duration::from_secs(19));
    }

    #[tokio::test(start_paused = true)]
    async fn budget_delays_instead_of_exceeding() {
        let budget = Budget::new(2, 0, 10);
        let start = tokio::time::Instant::now();
        for _ in 0..2 {
            assert!(budget.acquire(1, Duration::from_secs(120)).await.is_some());
        }
        assert!(
            budget.acquire(1, Duration::from_secs(1)).await.is_none(),
            "a third call within the minute would exceed 2 rpm"
        );
        assert!(budget.acquire(1, Duration::from_secs(120)).await.is_some());
        assert!(start.elapsed() >= Duration::from_secs(59));
    }
}
