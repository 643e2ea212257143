//! The change watcher (DESIGN "Back to the apps"; CONTRACT.md §4.9): every
//! `watcher.interval_secs` — or at once when Odoo's automation rule nudges it — it polls Odoo
//! by `write_date` (looking back `watcher.overlap_secs`, since `write_date` has second
//! precision and is the transaction's start), compares each object an app owns with the last
//! state it saw (`watch_seen`), and emits Lago webhooks for real transitions only, through the
//! durable outbox ([`crate::webhooks::outbox::enqueue`]). The webhook is written before the
//! state is recorded, so a crash in between re-emits (at-least-once), never loses.
//!
//! Transitions emitted (Lago's `webhook_type`, body serialized as the API does):
//! - `sale.order` of a subscription: `subscription.started` (now active),
//!   `subscription.terminated` (closed or renewed);
//! - invoices and credit notes: see [`super::watch_invoices`].
//!
//! On PostgreSQL a poll runs under an advisory lock, so replicas do not emit twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::bridge::subscriptions::lago_status;
use crate::bridge::{Bridge, BridgeError};
use crate::configuration::WatcherSettings;
use crate::meter::time::{from_micros, now_micros, to_micros};
use crate::odoo::OdooClient;

/// Advisory lock key of a poll (PostgreSQL).
const LOCK_KEY: i64 = 0x6662_7761_7463; // "fbwatc"
/// Records read per page.
pub(crate) const PAGE: u64 = 500;

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    /// Objects of apps examined.
    pub examined: usize,
    /// Webhooks emitted (one per transition, before fan-out to endpoints).
    pub emitted: usize,
    /// True when another replica held the poll lock.
    pub skipped: bool,
}

/// The watcher over the bridge's store and Odoo.
#[derive(Clone)]
pub struct Watcher {
    bridge: Bridge,
    overlap: Duration,
    nudge: Arc<Notify>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Watcher {
    /// A watcher over `bridge` with `settings`.
    pub fn new(bridge: Bridge, settings: &WatcherSettings) -> Watcher {
        Watcher {
            bridge,
            overlap: Duration::from_secs(settings.overlap_secs),
            nudge: Arc::new(Notify::new()),
            lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Wakes the loop for an immediate poll (the nudge route calls this).
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    /// Polls every `every` and on each nudge until `stop` turns true, supervised (see
    /// [`crate::background`]); a poll in progress finishes first.
    pub fn spawn(
        &self,
        every: Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        crate::background::spawn_loop(
            crate::background::LoopSpec {
                name: "watcher",
                every,
                first_after: Duration::ZERO,
                wake: Some(self.nudge.clone()),
            },
            self.bridge.health.clone(),
            stop,
            move || {
                let this = this.clone();
                async move { this.poll().await }
            },
            |r: &PollReport| r.emitted > 0,
        )
    }

    /// One poll (see the module doc).
    ///
    /// # Errors
    /// Odoo unavailable; store errors. Nothing is marked seen that was not emitted.
    pub async fn poll(&self) -> Result<PollReport, BridgeError> {
        let _local = self.lock.lock().await;
        self.bridge
            .store
            .exclusively(LOCK_KEY, || self.run())
            .await?
            .unwrap_or_else(|| {
                Ok(PollReport {
                    skipped: true,
                    ..PollReport::default()
                })
            })
    }

    async fn run(&self) -> Result<PollReport, BridgeError> {
        let c = self.bridge.odoo.client().await?;
        let mut report = PollReport::default();
        self.poll_subscriptions(&c, &mut report).await?;
        self.poll_invoices(&c, &mut report).await?;
        Ok(report)
    }

    pub(crate) fn bridge(&self) -> &Bridge {
        &self.bridge
    }

    pub(crate) fn since(&self, cursor: i64) -> DateTime<Utc> {
        from_micros((cursor - self.overlap.as_micros() as i64).max(0))
    }

    /// Emits `webhook_type` for the object, then records `state` as seen.
    pub(crate) async fn emit(
        &self,
        report: &mut PollReport,
        (object_type, odoo_id, service_id): (&str, i64, i64),
        state: &str,
        events: Vec<(&'static str, Value)>,
    ) -> Result<(), BridgeError> {
        let store = &self.bridge.store;
        for (webhook_type, body) in events {
            crate::webhooks::outbox::enqueue(store, service_id, webhook_type, object_type, body)
                .await?;
            report.emitted += 1;
        }
        store
            .watch()
            .put_seen(object_type, odoo_id, service_id, state, now_micros())
            .await?;
        Ok(())
    }

    async fn poll_subscriptions(
        &self,
        c: &OdooClient,
        report: &mut PollReport,
    ) -> Result<(), BridgeError> {
        let a = &self.bridge;
        let cursor = a.store.rating().cursor("watch.sale.order").await?;
        let orders = c
            .subscriptions()
            .changed_since(self.since(cursor), PAGE)
            .await?;
        let ids: Vec<i64> = orders.iter().map(|o| o.id.0).collect();
        let mut rows: HashMap<i64, _> = a
            .store
            .subscriptions()
            .subscriptions_by_orders(&ids)
            .await?
            .into_iter()
            .filter_map(|r| r.sale_order_id.map(|id| (id, r)))
            .collect();
        let mut newest = cursor;
        for order in &orders {
            if let Some(w) = order.write_date {
                newest = newest.max(to_micros(w));
            }
            let Some(row) = rows.remove(&order.id.0) else {
                continue;
            };
            report.examined += 1;
            let status = lago_status(order);
            let state = json!({ "status": status }).to_string();
            let before: Option<String> = a
                .store
                .watch()
                .seen("subscription", order.id.0)
                .await?
                .and_then(|s| serde_json::from_str::<Value>(&s).ok())
                .and_then(|v| v["status"].as_str().map(String::from));
            if before.as_deref() == Some(status) {
                continue;
            }
            let webhook = match status {
                "active" => Some("subscription.started"),
                "terminated" => Some("subscription.terminated"),
                _ => None,
            };
            let Some(service) = a.store.services().service_by_id(row.service_id).await? else {
                continue;
            };
            let row = a.follow_order(row, order).await;
            let mut events = Vec::new();
            if let Some(t) = webhook {
                let view = a.view(&service, row, Some(order.clone())).await?;
                events.push((
                    t,
                    serde_json::json!(crate::lago::subscription::Subscription::from(&view)),
                ));
            }
            self.emit(
                report,
                ("subscription", order.id.0, service.id),
                &state,
                events,
            )
            .await?;
        }
        // Only move past what was read completely: a full page may have more at the same
        // second, which the overlap covers.
        a.store
            .rating()
            .set_cursor("watch.sale.order", newest)
            .await?;
        Ok(())
    }
}
