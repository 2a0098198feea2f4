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
    /// ones at their `resume_at`, paused ones not until their token changes (a
    /// restart).
    pub async fn run_forever(&self, progress: &Progress, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut next: Vec<Option<tokio::time::Instant>> = vec![Some(tokio::time::Instant::now()); self.jobs.len()];
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
