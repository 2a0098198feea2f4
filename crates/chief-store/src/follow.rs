//! One way to follow the store's change log on a thread of its own.
//!
//! The search index writer, the embedding queue and the brain's agents all do the
//! same thing: keep a durable position in the change log, apply what came after it in
//! batches, make the result durable now and then, answer "catch up and tell me where
//! you are" (a flush), and stop cleanly. [`Follower`] owns that loop; a consumer only
//! says how to apply one batch and how to flush ([`ChangeConsumer`]). Nudges are
//! cheap and coalesce: a consumer reads everything new on each, however many came.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

/// What a change-log consumer does; the [`Follower`] calls it from its thread.
pub trait ChangeConsumer: Send + 'static {
    /// The consumer's error; a stopped follower becomes one too.
    type Error: std::fmt::Display + From<FollowerStopped> + Send + 'static;

    /// Applies the next batch of changes after the consumer's position. Returns
    /// `false` when there was nothing new.
    fn apply_batch(&mut self) -> Result<bool, Self::Error>;

    /// Makes what was applied durable and visible; returns the position reached.
    fn flush(&mut self) -> Result<i64, Self::Error>;

    /// How long until applied changes must be flushed; `None` when nothing waits.
    fn flush_due(&self) -> Option<Duration> {
        None
    }
}

/// The follower's thread is gone (it was stopped, or it panicked).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the {name} thread is not running")]
pub struct FollowerStopped {
    pub name: &'static str,
}

/// What happens to pending changes when the follower stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnStop {
    /// Apply everything new, then flush (the index: nothing is left for the next start).
    CatchUp,
    /// Finish the batch in flight and flush (the embedding queue: batches are slow and
    /// the next start resumes from the durable position).
    FinishBatch,
}

type Call<C> = Box<dyn FnOnce(&mut C) + Send>;

enum Msg<C: ChangeConsumer> {
    Nudge,
    Flush(Sender<Result<i64, C::Error>>),
    Call(Call<C>),
}

/// A consumer running on its own thread, following the change log.
pub struct Follower<C: ChangeConsumer> {
    name: &'static str,
    tx: Option<Sender<Msg<C>>>,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl<C: ChangeConsumer> Follower<C> {
    /// Starts `consumer` on a thread named `chief-<name>` and nudges it once, so it
    /// catches up from its durable position right away.
    pub fn spawn(name: &'static str, consumer: C, on_stop: OnStop) -> std::io::Result<Follower<C>> {
        let (tx, rx) = crossbeam_channel::bounded::<Msg<C>>(64);
        let stop = Arc::new(AtomicBool::new(false));
        let mut run = Run { consumer, stop: stop.clone(), on_stop };
        let handle = std::thread::Builder::new().name(format!("chief-{name}")).spawn(move || run.run(rx))?;
        let _ = tx.send(Msg::Nudge);
        Ok(Follower { name, tx: Some(tx), stop, handle: Some(handle) })
    }

    fn sender(&self) -> Result<&Sender<Msg<C>>, FollowerStopped> {
        self.tx.as_ref().ok_or(FollowerStopped { name: self.name })
    }

    /// New changes may be in the log (returns at once; nudges coalesce).
    pub fn nudge(&self) {
        if let Ok(tx) = self.sender() {
            let _ = tx.try_send(Msg::Nudge);
        }
    }

    /// Applies everything so far and flushes; returns the position reached.
    pub fn flush(&self) -> Result<i64, C::Error> {
        self.flush_ticking(Duration::from_secs(3600), &mut || {})
    }

    /// Like [`Follower::flush`], calling `tick` every `every` while it waits.
    pub fn flush_ticking(&self, every: Duration, tick: &mut dyn FnMut()) -> Result<i64, C::Error> {
        let stopped = FollowerStopped { name: self.name };
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        self.sender()?.send(Msg::Flush(reply_tx)).map_err(|_| stopped.clone())?;
        loop {
            match reply_rx.recv_timeout(every) {
                Ok(result) => return result,
                Err(RecvTimeoutError::Timeout) => tick(),
                Err(RecvTimeoutError::Disconnected) => return Err(stopped.into()),
            }
        }
    }

    /// Runs `f` on the follower's thread, between batches, and returns its result.
    pub fn call<R: Send + 'static>(&self, f: impl FnOnce(&mut C) -> R + Send + 'static) -> Result<R, FollowerStopped> {
        let stopped = FollowerStopped { name: self.name };
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        let call: Call<C> = Box::new(move |c| {
            let _ = reply_tx.send(f(c));
        });
        self.sender()?.send(Msg::Call(call)).map_err(|_| stopped.clone())?;
        reply_rx.recv().map_err(|_| stopped)
    }

    /// True while the thread runs.
    pub fn is_running(&self) -> bool {
        self.tx.is_some()
    }

    /// Stops the thread (see [`OnStop`]) and waits for it.
    pub fn stop(&mut self) -> Result<(), FollowerStopped> {
        self.stop.store(true, Ordering::Relaxed);
        self.tx = None;
        match self.handle.take() {
            Some(h) => h.join().map_err(|_| FollowerStopped { name: self.name }),
            None => Ok(()),
        }
    }
}

impl<C: ChangeConsumer> Drop for Follower<C> {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

struct Run<C> {
    consumer: C,
    stop: Arc<AtomicBool>,
    on_stop: OnStop,
}

impl<C: ChangeConsumer> Run<C> {
    fn run(&mut self, rx: Receiver<Msg<C>>) {
        loop {
            let wait = self.consumer.flush_due().unwrap_or(Duration::from_secs(3600));
            match rx.recv_timeout(wait) {
                Ok(Msg::Nudge) => {
                    if let Err(e) = self.catch_up() {
                        tracing::error!(error = %e, "change-log follower failed to apply changes");
                    }
                }
                Ok(Msg::Flush(reply)) => {
                    let _ = reply.send(self.catch_up().and_then(|_| self.consumer.flush()));
                }
                Ok(Msg::Call(f)) => f(&mut self.consumer),
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = self.consumer.flush() {
                        tracing::error!(error = %e, "change-log follower failed to flush");
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let done = if self.on_stop == OnStop::CatchUp { self.catch_up() } else { Ok(()) };
                    if let Err(e) = done.and_then(|_| self.consumer.flush().map(|_| ())) {
                        tracing::error!(error = %e, "change-log follower failed to flush at stop");
                    }
                    return;
                }
            }
        }
    }

    fn catch_up(&mut self) -> Result<(), C::Error> {
        while !(self.on_stop == OnStop::FinishBatch && self.stop.load(Ordering::Relaxed)) {
            if !self.consumer.apply_batch()? {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Debug, thiserror::Error)]
    enum TestError {
        #[error(transparent)]
        Stopped(#[from] FollowerStopped),
    }

    /// Follows a shared "log" (a counter) in batches of 10; flush records the position.
    struct Counter {
        log: Arc<Mutex<i64>>,
        applied: i64,
        flushed: Arc<Mutex<Vec<i64>>>,
    }

    impl ChangeConsumer for Counter {
        type Error = TestError;
        fn apply_batch(&mut self) -> Result<bool, TestError> {
            let head = *self.log.lock().unwrap();
            if self.applied >= head {
                return Ok(false);
            }
            self.applied = (self.applied + 10).min(head);
            Ok(true)
        }
        fn flush(&mut self) -> Result<i64, TestError> {
            self.flushed.lock().unwrap().push(self.applied);
            Ok(self.applied)
        }
    }

    #[test]
    fn flush_catches_up_with_everything_logged_and_stop_flushes_the_rest() {
        let log = Arc::new(Mutex::new(35));
        let flushed = Arc::new(Mutex::new(Vec::new()));
        let mut f = Follower::spawn(
            "test",
            Counter { log: log.clone(), applied: 0, flushed: flushed.clone() },
            OnStop::CatchUp,
        )
        .unwrap();
        assert_eq!(f.flush().unwrap(), 35);
        *log.lock().unwrap() = 52;
        f.nudge();
        assert_eq!(f.call(|c| c.applied).unwrap(), 52, "a call runs after the nudge before it");
        *log.lock().unwrap() = 60;
        f.stop().unwrap();
        assert_eq!(flushed.lock().unwrap().last(), Some(&60));
        assert!(f.flush().is_err(), "a stopped follower says so");
    }
}
