//! One scheduler for every enabled source: runs them concurrently (each with its own
//! store connection), on demand or every `interval` in the background. A source whose
//! token is rejected pauses alone; one waiting for a rate-limit reset is parked until
//! `resume_at` while the others go on. Retention and periodic reconciliation are
//! applied here, and each run's outcome is written to `source_status`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chief_core::Timestamp;
use chief_store::{SourceState, SourceStatus, Store};

use crate::connector::{Connector, ConnectorError, Progress, SourceReport, SyncCtx, SyncEvent, SyncOptions};

/// How often a source lists every id to find deletions.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(7 * 86_400);

/// A source the scheduler runs.
pub struct Job {
    pub connector: Arc<dyn Connector>,
    pub options: SyncOptions,
    /// Background runs start this long after the previous one ended.
    pub interval: Duration,
}

/// The outcome of one source's run.
#[derive(Debug)]
pub struct JobOutcome {
    pub source: String,
    pub result: Result<SourceReport, ConnectorError>,
}

/// Runs jobs.
pub struct Scheduler {
    store_path: PathBuf,
    jobs: Vec<Job>,
}

impl Scheduler {
    pub fn new(store_path: PathBuf, jobs: Vec<Job>) -> Self {
        Scheduler { store_path, jobs }
    }

    /// Runs every job once, concurrently. `force` ignores a parked source's
    /// `resume_at` (an explicit "sync now").
    pub async fn run_once(&self, progress: &Progress, force: bool) -> Vec<JobOutcome> {
        let runs = self.jobs.iter().map(|job| run_job(self.store_path.clone(), job, progress.clone(), force));
        futures_util::future::join_all(runs).await
    }

    /// Runs due jobs until `stop` turns true: each source every `interval`, parked
    /// ones at their `resume_at`, paused ones not until they are reconnected. The
    /// schedule carries over from the last process that ran it (the desktop hands over
    /// between its two binaries, `chief watch` restarts): a source that synced or
    /// failed less than an interval ago waits for the rest of it, a paused one stays
    /// paused; one never synced, reconnected, or cut short mid-run (still `running`)
    /// syncs at once.
    pub async fn run_forever(&self, progress: &Progress, mut stop: tokio::sync::watch::Receiver<bool>) {
        let start = tokio::time::Instant::now();
        let mut next: Vec<Option<tokio::time::Instant>> = match Store::open(&self.store_path) {
            Ok(store) => self
                .jobs
                .iter()
                .map(|job| {
                    let status = store.source_status(job.connector.source()).ok().flatten();
                    // A fixed clock (a demo, a test) cannot tell how long ago that was.
                    let wait = match job.options.clock {
                        Some(_) => Some(Duration::ZERO),
                        None => first_run_in(status.as_ref(), Timestamp::now(), job.interval),
                    };
                    match wait {
                        None => tracing::info!(
                            source = job.connector.source(),
                            "paused ({}): waits for a reconnect",
                            status.as_ref().map_or("", |s| s.message.as_str())
                        ),
                        Some(w) if !w.is_zero() => tracing::info!(
                            source = job.connector.source(),
                            in_s = w.as_secs(),
                            "last ran {} s ago; the next sync comes on its interval",
                            (job.interval - w).as_secs()
                        ),
                        Some(_) => {}
                    }
                    wait.map(|w| start + w)
                })
                .collect(),
            Err(_) => vec![Some(start); self.jobs.len()],
        };
        loop {
            let now = tokio::time::Instant::now();
            let due: Vec<usize> = (0..self.jobs.len()).filter(|&i| next[i].is_some_and(|t| t <= now)).collect();
            let runs = due.iter().map(|&i| run_job(self.store_path.clone(), &self.jobs[i], progress.clone(), false));
            let outcomes = futures_util::future::join_all(runs).await;
            for (&i, o) in due.iter().zip(outcomes) {
                let after = tokio::time::Instant::now();
                next[i] = match o.result {
                    Err(ConnectorError::Auth(_)) => None,
                    Err(ConnectorError::Parked { resume_at, .. }) => {
                        Some(after + Duration::from_millis((resume_at.0 - Timestamp::now().0).max(1_000) as u64))
                    }
                    _ => Some(after + self.jobs[i].interval),
                };
            }
            let Some(wake) = next.iter().flatten().min().copied() else {
                // Every source is paused: wait for the stop signal.
                let _ = stop.changed().await;
                return;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}

/// How long after a start a source's first background run comes, given how its last
/// run went: the rest of its interval after a success or a failure (as if this
/// process had run it), never for a paused one (its token was rejected: only a
/// reconnect, which clears `last_attempt`, or an explicit sync retries it), at once
/// otherwise (never run, reconnected, parked — `run_job` waits for a parked source's
/// `resume_at` itself — or still marked `running` by a process that ended mid-run).
pub fn first_run_in(status: Option<&SourceStatus>, now: Timestamp, interval: Duration) -> Option<Duration> {
    let Some((status, last)) = status.and_then(|s| Some((s, s.last_attempt?))) else { return Some(Duration::ZERO) };
    let rest = || {
        let since = Duration::from_millis(now.0.saturating_sub(last.0).max(0) as u64);
        interval.saturating_sub(since).min(interval)
    };
    match status.state {
        SourceState::Paused => None,
        SourceState::Failed => Some(rest()),
        SourceState::Ok if status.last_success == Some(last) => Some(rest()),
        _ => Some(Duration::ZERO),
    }
}

fn status_of(source: &str, prev: Option<SourceStatus>) -> SourceStatus {
    prev.unwrap_or_else(|| SourceStatus { source: source.to_string(), ..SourceStatus::default() })
}

async fn run_job(store_path: PathBuf, job: &Job, progress: Progress, force: bool) -> JobOutcome {
    let source = job.connector.source().to_string();
    let result = run_job_inner(&store_path, job, &progress, force).await;
    let event = match &result {
        Ok(report) => SyncEvent::Finished { source: source.clone(), report: report.clone() },
        Err(ConnectorError::Auth(m)) => SyncEvent::Paused { source: source.clone(), message: m.clone() },
        Err(ConnectorError::Parked { resume_at, message }) => {
            SyncEvent::Parked { source: source.clone(), resume_at: *resume_at, message: message.clone() }
        }
        Err(e) => SyncEvent::Failed { source: source.clone(), message: e.to_string() },
    };
    progress(&event);
    JobOutcome { source, result }
}

async fn run_job_inner(
    store_path: &std::path::Path,
    job: &Job,
    progress: &Progress,
    force: bool,
) -> Result<SourceReport, ConnectorError> {
    let source = job.connector.source();
    let mut store = Store::open(store_path)?;
    let now = job.options.clock.unwrap_or_else(Timestamp::now);
    let mut status = status_of(source, store.source_status(source)?);
    if !force && let Some(resume) = status.resume_at.filter(|r| r.0 > now.0 && status.state == SourceState::Parked) {
        return Err(ConnectorError::Parked {
            resume_at: resume,
            message: format!("{source} is parked until {}", resume.to_rfc3339()),
        });
    }
    let mut options = job.options.clone();
    options.now = now;
    options.reconcile |= status.last_reconcile.is_some_and(|t| now.0 - t.0 >= RECONCILE_EVERY.as_millis() as i64);
    status.state = SourceState::Running;
    status.last_attempt = Some(now);
    write_status(&mut store, &status)?;

    let result = job.connector.sync(SyncCtx { store: &mut store, options: &options, progress }).await;
    let mut result = result;
    if let (Ok(report), Some(cutoff)) = (&mut result, options.cutoff()) {
        let w = store.writer()?;
        report.expired = w.expire_before(source, cutoff)?;
        w.commit()?;
    }
    match &result {
        Ok(report) => {
            status.state = SourceState::Ok;
            status.message = String::new();
            status.account = report.account.clone();
            status.resume_at = None;
            // A first full sync lists everything, as a reconciliation does.
            if report.reconciled || status.last_success.is_none() {
                status.last_reconcile = Some(now);
            }
            status.last_success = Some(now);
            status.stats = serde_json::to_value(report).unwrap_or_default();
        }
        Err(ConnectorError::Auth(m)) => {
            status.state = SourceState::Paused;
            status.message = m.clone();
        }
        Err(ConnectorError::Parked { resume_at, message }) => {
            status.state = SourceState::Parked;
            status.message = message.clone();
            status.resume_at = Some(*resume_at);
        }
        Err(e) => {
            status.state = SourceState::Failed;
            status.message = e.to_string();
        }
    }
    write_status(&mut store, &status)?;
    result
}

fn write_status(store: &mut Store, status: &SourceStatus) -> Result<(), ConnectorError> {
    let w = store.writer()?;
    w.set_source_status(status)?;
    w.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_run_after_a_start_keeps_the_last_processs_schedule() {
        let interval = Duration::from_secs(600);
        let now = Timestamp(1_800_000_000_000);
        let ago = |secs: i64| Some(Timestamp(now.0 - secs * 1000));
        let status = |state: SourceState, last_success: Option<Timestamp>| SourceStatus {
            source: "slack".into(),
            state,
            last_attempt: last_success,
            last_success,
            ..SourceStatus::default()
        };
        let zero = Some(Duration::ZERO);
        assert_eq!(first_run_in(None, now, interval), zero, "never synced");
        let reconnected = SourceStatus { last_attempt: None, ..status(SourceState::Ok, ago(120)) };
        assert_eq!(first_run_in(Some(&reconnected), now, interval), zero, "reconnected since");
        assert_eq!(
            first_run_in(Some(&status(SourceState::Ok, ago(120))), now, interval),
            Some(Duration::from_secs(480))
        );
        assert_eq!(first_run_in(Some(&status(SourceState::Ok, ago(900))), now, interval), zero, "overdue");
        // A clock set back leaves at most one interval to wait.
        assert_eq!(first_run_in(Some(&status(SourceState::Ok, ago(-3_600))), now, interval), Some(interval));
        for cut_short in [SourceState::Running, SourceState::Parked] {
            assert_eq!(first_run_in(Some(&status(cut_short, ago(60))), now, interval), zero, "{cut_short}");
        }
        // A failure (the network was down) is retried on the interval, as the process
        // that saw it would have; a rejected token is not retried at every start.
        let failed = SourceStatus { last_success: ago(3_600), ..status(SourceState::Failed, ago(60)) };
        assert_eq!(first_run_in(Some(&failed), now, interval), Some(Duration::from_secs(540)));
        assert_eq!(first_run_in(Some(&status(SourceState::Failed, ago(900))), now, interval), zero, "overdue");
        assert_eq!(first_run_in(Some(&status(SourceState::Paused, ago(86_400))), now, interval), None);
        let unpaused = SourceStatus { last_attempt: None, ..status(SourceState::Paused, ago(60)) };
        assert_eq!(first_run_in(Some(&unpaused), now, interval), zero, "reconnected");
    }
}
