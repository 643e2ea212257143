//! Background loops that cannot die silently: one supervisor for every periodic loop (the
//! subscription scheduler, the rating push, the Odoo watcher), and their health as seen by
//! `/ready` and `/metrics`.
//!
//! - [`spawn_loop`] runs a cycle every interval (and on an optional wake-up), until the
//!   shutdown signal. A cycle that returns an error is logged and counted; a cycle that
//!   **panics** is caught, logged with the loop's name, counted, and the loop goes on with the
//!   next interval — a panic never ends the loop.
//! - Inside a cycle, work is isolated per item (a subscription): an item that fails is
//!   logged with its ids, counted with [`LoopHealth::item_failed`] and retried on a later
//!   cycle, while the others go on.
//! - [`LoopHealth`] keeps, per loop: whether it runs, when its last cycle ended and how, the
//!   consecutive failed cycles. `GET /ready` answers 503 `background_loop_stopped` when a
//!   loop that should run does not; `GET /metrics` exports
//!   `fusion_background_loop_up{loop}`, `fusion_background_cycles_total{loop,outcome=ok|failed|panicked}`
//!   and `fusion_background_item_failures_total{loop}`.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};
use serde::Serialize;
use tokio::sync::{watch, Notify};

use crate::meter::time::now_micros;

/// What `/ready` shows of one loop.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct LoopStatus {
    /// The loop task is running (false once it ended, by shutdown or otherwise).
    pub running: bool,
    /// The loop was told to stop (shutdown): not running is then expected.
    pub stopping: bool,
    /// Unix microseconds (UTC) when the last cycle ended; `None` before the first.
    pub last_cycle_at: Option<i64>,
    /// `ok`, `failed` or `panicked`: how the last cycle ended.
    pub last_outcome: Option<&'static str>,
    /// Cycles in a row that did not end `ok`.
    pub consecutive_failures: u64,
    /// Items (subscriptions) that failed in the last cycle and are retried later.
    pub failed_items: u64,
}

struct Inner {
    loops: Mutex<BTreeMap<&'static str, LoopStatus>>,
    up: IntGaugeVec,
    cycles: IntCounterVec,
    item_failures: IntCounterVec,
}

/// Health of the background loops. Cheap to clone; register once with
/// [`LoopHealth::register`] to export it.
#[derive(Clone)]
pub struct LoopHealth(Arc<Inner>);

impl Default for LoopHealth {
    fn default() -> Self {
        Self::new()
    }
}

impl LoopHealth {
    /// Empty health, not yet exported.
    ///
    /// # Panics
    /// Never: metric names are static and valid.
    pub fn new() -> Self {
        LoopHealth(Arc::new(Inner {
            loops: Mutex::new(BTreeMap::new()),
            up: IntGaugeVec::new(
                Opts::new(
                    "fusion_background_loop_up",
                    "1 while the background loop runs, 0 once it ended",
                ),
                &["loop"],
            )
            .expect("metric"),
            cycles: IntCounterVec::new(
                Opts::new(
                    "fusion_background_cycles_total",
                    "Background loop cycles by outcome (ok, failed, panicked)",
                ),
                &["loop", "outcome"],
            )
            .expect("metric"),
            item_failures: IntCounterVec::new(
                Opts::new(
                    "fusion_background_item_failures_total",
                    "Items (subscriptions) that failed inside a background cycle and are retried later",
                ),
                &["loop"],
            )
            .expect("metric"),
        }))
    }

    /// Exports the metrics in `registry`.
    ///
    /// # Errors
    /// When they are already registered there.
    pub fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.0.up.clone()))?;
        registry.register(Box::new(self.0.cycles.clone()))?;
        registry.register(Box::new(self.0.item_failures.clone()))?;
        Ok(())
    }

    fn update(&self, name: &'static str, f: impl FnOnce(&mut LoopStatus)) {
        let mut loops = self.0.loops.lock().unwrap_or_else(|p| p.into_inner());
        f(loops.entry(name).or_default());
    }

    /// Counts one failed item of `name`'s current cycle (logged by the caller with its ids).
    pub fn item_failed(&self, name: &'static str) {
        self.0.item_failures.with_label_values(&[name]).inc();
        self.update(name, |s| s.failed_items += 1);
    }

    fn started(&self, name: &'static str) {
        self.0.up.with_label_values(&[name]).set(1);
        for outcome in ["ok", "failed", "panicked"] {
            self.0.cycles.with_label_values(&[name, outcome]);
        }
        self.0.item_failures.with_label_values(&[name]);
        self.update(name, |s| {
            s.running = true;
            s.stopping = false;
        });
    }

    fn cycle_started(&self, name: &'static str) {
        self.update(name, |s| s.failed_items = 0);
    }

    fn cycle_ended(&self, name: &'static str, outcome: &'static str) {
        self.0.cycles.with_label_values(&[name, outcome]).inc();
        self.update(name, |s| {
            s.last_cycle_at = Some(now_micros());
            s.last_outcome = Some(outcome);
            s.consecutive_failures = if outcome == "ok" {
                0
            } else {
                s.consecutive_failures + 1
            };
        });
    }

    fn ended(&self, name: &'static str, stopping: bool) {
        self.0.up.with_label_values(&[name]).set(0);
        self.update(name, |s| {
            s.running = false;
            s.stopping = stopping;
        });
    }

    /// Every loop's status, by name.
    pub fn snapshot(&self) -> BTreeMap<&'static str, LoopStatus> {
        self.0
            .loops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Names of loops that are not running although nobody asked them to stop.
    pub fn stopped_unexpectedly(&self) -> Vec<&'static str> {
        self.snapshot()
            .into_iter()
            .filter(|(_, s)| !s.running && !s.stopping)
            .map(|(n, _)| n)
            .collect()
    }
}

/// How a loop runs.
pub struct LoopSpec {
    /// Name in logs, `/ready` and metrics (`scheduler`, `rating`, `watcher`).
    pub name: &'static str,
    /// Time between cycles (a slow cycle delays the next, never overlaps it).
    pub every: Duration,
    /// Wait before the first cycle.
    pub first_after: Duration,
    /// Wakes the loop for an extra cycle (the watcher's nudge).
    pub wake: Option<Arc<Notify>>,
}

/// Runs `cycle` as described in the module doc until `stop` turns true; a cycle in progress
/// finishes first (its Odoo calls are not cut). `report` says whether a successful cycle's
/// result is worth an info log line.
pub fn spawn_loop<F, Fut, T, E>(
    spec: LoopSpec,
    health: LoopHealth,
    mut stop: watch::Receiver<bool>,
    mut cycle: F,
    report: fn(&T) -> bool,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    T: std::fmt::Debug + Send + 'static,
    E: Display + Send + 'static,
{
    let name = spec.name;
    health.started(name);
    tokio::spawn(async move {
        // Marks the loop ended however the task ends (shutdown, or an unexpected unwind).
        let mut guard = EndGuard {
            health: health.clone(),
            name,
            stopping: false,
        };
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + spec.first_after, spec.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let wake = spec.wake.clone().unwrap_or_default();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = wake.notified(), if spec.wake.is_some() => {}
                _ = stop.wait_for(|s| *s) => {
                    guard.stopping = true;
                    break;
                }
            }
            health.cycle_started(name);
            match std::panic::AssertUnwindSafe(cycle()).catch_unwind().await {
                Ok(Ok(r)) => {
                    if report(&r) {
                        tracing::info!(task = name, report = ?r, "background cycle");
                    }
                    health.cycle_ended(name, "ok");
                }
                Ok(Err(e)) => {
                    tracing::warn!(task = name, error = %e, "background cycle failed; retried next cycle");
                    health.cycle_ended(name, "failed");
                }
                Err(panic) => {
                    let msg = panic_message(&*panic);
                    tracing::error!(task = name, panic = %msg, "background cycle panicked; the loop goes on");
                    health.cycle_ended(name, "panicked");
                }
            }
        }
    })
}

/// The text of a caught panic's payload (`&str` or `String`), or "unknown panic".
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

struct EndGuard {
    health: LoopHealth,
    name: &'static str,
    stopping: bool,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        if !self.stopping {
            tracing::error!(task = self.name, "background loop ended unexpectedly");
        }
        self.health.ended(self.name, self.stopping);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_panicking_cycle_does_not_end_the_loop() {
        let health = LoopHealth::new();
        let registry = Registry::new();
        health.register(&registry).unwrap();
        let (stop, stopped) = watch::channel(false);
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        let handle = spawn_loop(
            LoopSpec {
                name: "test",
                every: Duration::from_millis(10),
                first_after: Duration::ZERO,
                wake: None,
            },
            health.clone(),
            stopped,
            move || {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0 => panic!("boom"),
                        1 => Err("refused".to_string()),
                        _ => Ok::<u32, String>(n),
                    }
                }
            },
            |_| false,
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while calls.load(Ordering::SeqCst) < 4 {
            assert!(tokio::time::Instant::now() < deadline, "the loop stopped");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let status = health.snapshot()["test"].clone();
        assert!(status.running);
        assert_eq!(status.last_outcome, Some("ok"));
        assert!(health.stopped_unexpectedly().is_empty());
        let text = {
            let mut buf = Vec::new();
            prometheus::Encoder::encode(
                &prometheus::TextEncoder::new(),
                &registry.gather(),
                &mut buf,
            )
            .unwrap();
            String::from_utf8(buf).unwrap()
        };
        assert!(
            text.contains("fusion_background_cycles_total{loop=\"test\",outcome=\"panicked\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("fusion_background_loop_up{loop=\"test\"} 1"),
            "{text}"
        );
        stop.send(true).unwrap();
        handle.await.unwrap();
        let status = health.snapshot()["test"].clone();
        assert!(!status.running && status.stopping);
        assert!(
            health.stopped_unexpectedly().is_empty(),
            "stopped on request"
        );
    }
}
