//! The rating push (DESIGN "Rating and push"; CONTRACT.md §4.4 usage-based billing): every
//! `rating.interval_secs` each active subscription is rated over its Odoo billing window
//! `[last_invoice_date, next_invoice_date)` and the result is written onto its usage lines
//! (`qty_delivered`, `price_unit`, readable names; [`super::lines`]). Odoo's own recurring
//! invoicing then bills those lines with its taxes and resets the quantities; the gateway
//! never creates the recurring invoice.
//!
//! - **Which subscriptions.** One batched read of the orders per cycle; a subscription is
//!   rated only when its usage stream has new events or counters since the last cycle, or its
//!   window rolled over; it is written only when the lines it should carry changed (a
//!   fingerprint per window), with at most one `write` per subscription.
//! - **Before the first invoice** (no `last_invoice_date`) nothing is pushed: Odoo's first
//!   invoice bills the base fee in advance; usage goes on the next one.
//! - **Rollover and late usage.** When Odoo advances the window, the window's last push is
//!   what Odoo invoiced. Usage that arrives later for an invoiced window is re-rated, and
//!   the difference with what was billed (the last push plus late usage already billed) goes
//!   on a labelled late-usage line of the current window: nothing dropped, nothing billed
//!   twice.
//! - **Failures.** Each subscription is rated and written in isolation: an error or a panic
//!   in one (Odoo refusing its write, usage out of range) is logged with its ids, counted
//!   (`fusion_background_item_failures_total{loop="rating"}`) and kept in `rating_retries`,
//!   so it is rated again on every cycle until it succeeds, while the others go on and the
//!   usage cursor moves forward. Pushed quantities are absolute, so a resend is harmless.
//! - **Replicas.** On PostgreSQL a cycle runs under a session advisory lock: one replica
//!   pushes per cycle, the others skip it.
//!
//! Here the cycle and its retries; `subscription` rates one subscription (rollover, late
//! usage); `desired` holds its lines, their fingerprint and the Odoo line changes.

mod desired;
mod subscription;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use self::desired::{commands, Desired, LatePart};
use super::rating_push_repo::RatingState;
use crate::bridge::plan_repo::PlanRow;
use crate::bridge::subscription_repo::SubscriptionRow;
use crate::bridge::{Bridge, BridgeError};
use crate::meter::time::now_micros;
use crate::odoo::subscriptions::{SaleOrder, SaleOrderLine};
use crate::odoo::{OdooClient, SaleOrderId};

/// Advisory lock key of the rating cycle (PostgreSQL).
const LOCK_KEY: i64 = 0x6662_7261_7465; // "fbrate"
/// Rows younger than this are not yet trusted by the usage cursor (see
/// [`RatingRepo::changed_streams`]).
const SETTLE: Duration = Duration::from_secs(10);
/// Past windows re-rated for late usage.
const LATE_WINDOWS: usize = 12;
/// The loop's name in logs, `/ready` and metrics.
const LOOP: &str = "rating";

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    /// Active subscriptions considered.
    pub subscriptions: usize,
    /// Subscriptions rated this cycle (new usage or new window).
    pub rated: usize,
    /// Subscriptions written to Odoo (one `write` each).
    pub written: usize,
    /// Windows found invoiced (rolled over) this cycle.
    pub rolled_over: usize,
    /// Late-usage lines written.
    pub late_lines: usize,
    /// Writes that failed (retried next cycle).
    pub failed: usize,
    /// True when another replica held the cycle lock.
    pub skipped: bool,
}

/// A subscription to write this cycle.
struct Pending {
    subscription: SubscriptionRow,
    order: SaleOrderId,
    desired: Desired,
    state: RatingState,
}

/// The rating push loop over the bridge's store and Odoo.
#[derive(Clone)]
pub struct RatingPush {
    bridge: Bridge,
    lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl RatingPush {
    /// A push over `bridge`.
    pub fn new(bridge: Bridge) -> RatingPush {
        RatingPush {
            bridge,
            lock: std::sync::Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Runs a cycle every `every` (first after one interval) until `stop` turns true,
    /// supervised (see [`crate::background`]); a cycle in progress finishes first, so no Odoo
    /// write is cut half-way.
    pub fn spawn(
        &self,
        every: Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        crate::background::spawn_loop(
            crate::background::LoopSpec {
                name: LOOP,
                every,
                first_after: every,
                wake: None,
            },
            self.bridge.health.clone(),
            stop,
            move || {
                let this = this.clone();
                async move { this.cycle().await }
            },
            |r: &CycleReport| r.written > 0 || r.failed > 0 || r.rolled_over > 0,
        )
    }

    /// One cycle (see the module doc).
    ///
    /// # Errors
    /// Odoo unavailable before any write, store errors. Failed writes are counted in the
    /// report instead.
    pub async fn cycle(&self) -> Result<CycleReport, BridgeError> {
        let _local = self.lock.lock().await;
        self.bridge
            .store
            .exclusively(LOCK_KEY, || self.run())
            .await?
            .unwrap_or_else(|| {
                Ok(CycleReport {
                    skipped: true,
                    ..CycleReport::default()
                })
            })
    }

    async fn run(&self) -> Result<CycleReport, BridgeError> {
        let store = &self.bridge.store;
        let mut report = CycleReport::default();
        let usage = ChangedUsage::since_last_cycle(self).await?;
        let retries: HashSet<String> = store
            .rating()
            .rating_retries()
            .await?
            .into_iter()
            .map(|r| r.subscription_id)
            .collect();
        let subs = store.rating().active_subscriptions().await?;
        report.subscriptions = subs.len();
        if !subs.is_empty() {
            let c = self.bridge.odoo.client().await?;
            let orders = windows_of(&c, &subs).await?;
            let cycle = Cycle {
                changed: &usage.changed,
                retries: &retries,
            };
            let pending = self
                .prepare_all(&subs, &orders, &cycle, &mut report)
                .await?;
            self.write_all(&c, pending, &cycle, &mut report).await?;
        }
        // Failed subscriptions are kept in `rating_retries`, so the cursor moves on for all.
        usage.advance(self).await?;
        Ok(report)
    }

    /// Rates each subscription with an Odoo order in isolation: an error or a panic in one
    /// is logged with its ids, counted and retried next cycle; the others go on. Returns the
    /// subscriptions whose lines must be written.
    async fn prepare_all(
        &self,
        subs: &[SubscriptionRow],
        orders: &HashMap<i64, SaleOrder>,
        cycle: &Cycle<'_>,
        report: &mut CycleReport,
    ) -> Result<Vec<Pending>, BridgeError> {
        let store = &self.bridge.store;
        let mut states: HashMap<String, Vec<RatingState>> = HashMap::new();
        for s in store.rating().rating_states().await? {
            states.entry(s.subscription_id.clone()).or_default().push(s);
        }
        let mut plans: HashMap<String, PlanRow> = HashMap::new();
        let mut pending = Vec::new();
        for sub in subs {
            let Some(order) = sub.sale_order_id.and_then(|id| orders.get(&id)) else {
                continue;
            };
            let mine = states.remove(&sub.lago_id).unwrap_or_default();
            let touched = cycle.retries.contains(&sub.lago_id)
                || cycle
                    .changed
                    .contains(&(sub.service_id, sub.external_id.clone()));
            let step = std::panic::AssertUnwindSafe(
                self.prepare_one(sub, order, mine, touched, &mut plans, report),
            );
            match futures::FutureExt::catch_unwind(step).await {
                Ok(Ok(Some(p))) => pending.push(p),
                Ok(Ok(None)) if cycle.retries.contains(&sub.lago_id) => {
                    store.rating().rating_succeeded(&sub.lago_id).await?;
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => self.failed(sub, &e.to_string(), report).await?,
                Err(panic) => {
                    let msg = crate::background::panic_message(&*panic);
                    self.failed(sub, &format!("panic: {msg}"), report).await?
                }
            }
        }
        Ok(pending)
    }

    /// Writes each pending subscription's line changes (one `write` per order, none when
    /// the lines already match) and stores its rating state; a refused write is a failure
    /// of that subscription only.
    async fn write_all(
        &self,
        c: &OdooClient,
        pending: Vec<Pending>,
        cycle: &Cycle<'_>,
        report: &mut CycleReport,
    ) -> Result<(), BridgeError> {
        let store = &self.bridge.store;
        let mut lines = lines_of(c, &pending).await?;
        for p in pending {
            let existing = lines.remove(&p.order.0).unwrap_or_default();
            let cmds = commands(&p.desired, &existing);
            if !cmds.is_empty() {
                let written = c.subscriptions().write_usage_lines(p.order, &cmds).await;
                if let Err(e) = written.map_err(BridgeError::from) {
                    self.failed(&p.subscription, &e.to_string(), report).await?;
                    continue;
                }
                report.written += 1;
            }
            report.late_lines += serde_json::from_str::<Vec<LatePart>>(&p.state.late)
                .map(|l| l.len())
                .unwrap_or(0);
            store.rating().put_rating_state(&p.state).await?;
            if cycle.retries.contains(&p.subscription.lago_id) {
                store
                    .rating()
                    .rating_succeeded(&p.subscription.lago_id)
                    .await?;
            }
        }
        Ok(())
    }

    /// Records a failed subscription: logged with its ids, counted in the report and in
    /// `fusion_background_item_failures_total{loop="rating"}`, retried every cycle.
    async fn failed(
        &self,
        sub: &SubscriptionRow,
        error: &str,
        report: &mut CycleReport,
    ) -> Result<(), BridgeError> {
        tracing::error!(subscription = %sub.lago_id, service_id = sub.service_id, external_id = %sub.external_id, error = %error, "rating failed for one subscription; retried next cycle");
        report.failed += 1;
        self.bridge.health.item_failed(LOOP);
        self.bridge
            .store
            .rating()
            .rating_failed(&sub.lago_id, error, now_micros())
            .await?;
        Ok(())
    }
}

/// What the cycle knows about usage: the streams with new rows, and where the cursors go
/// once the cycle is done.
struct ChangedUsage {
    /// `(service_id, external_subscription_id)` of the streams with new events or counters.
    changed: HashSet<(i64, String)>,
    new_events_cursor: i64,
    new_counters_cursor: i64,
}

impl ChangedUsage {
    /// The streams changed since the cursors, up to rows older than [`SETTLE`].
    async fn since_last_cycle(push: &RatingPush) -> Result<ChangedUsage, BridgeError> {
        let store = &push.bridge.store;
        let settled = now_micros() - SETTLE.as_micros() as i64;
        let ev_cursor = store.rating().cursor("rating.events").await?;
        let ct_cursor = store.rating().cursor("rating.counters").await?;
        let (streams, new_ev, new_ct) = store
            .rating()
            .changed_streams(ev_cursor, ct_cursor, settled)
            .await?;
        Ok(ChangedUsage {
            changed: streams.into_iter().collect(),
            new_events_cursor: new_ev,
            new_counters_cursor: new_ct,
        })
    }

    /// Moves the cursors past what this cycle saw.
    async fn advance(self, push: &RatingPush) -> Result<(), BridgeError> {
        let store = &push.bridge.store;
        store
            .rating()
            .set_cursor("rating.events", self.new_events_cursor)
            .await?;
        store
            .rating()
            .set_cursor("rating.counters", self.new_counters_cursor)
            .await?;
        Ok(())
    }
}

/// What decides whether a subscription is rated this cycle besides its window.
struct Cycle<'a> {
    /// Streams with new usage (see [`ChangedUsage::changed`]).
    changed: &'a HashSet<(i64, String)>,
    /// Subscriptions that failed before and are retried.
    retries: &'a HashSet<String>,
}

/// The billing windows of the subscriptions' orders, by order id, read in batches.
async fn windows_of(
    c: &OdooClient,
    subs: &[SubscriptionRow],
) -> Result<HashMap<i64, SaleOrder>, BridgeError> {
    let ids: Vec<SaleOrderId> = subs
        .iter()
        .filter_map(|s| s.sale_order_id)
        .map(SaleOrderId)
        .collect();
    let mut orders: HashMap<i64, SaleOrder> = HashMap::new();
    for chunk in ids.chunks(2000) {
        for o in c.subscriptions().windows_of(chunk).await? {
            orders.insert(o.id.0, o);
        }
    }
    Ok(orders)
}

/// The current lines of the pending subscriptions' orders, by order id, read in batches.
async fn lines_of(
    c: &OdooClient,
    pending: &[Pending],
) -> Result<HashMap<i64, Vec<SaleOrderLine>>, BridgeError> {
    let orders_to_read: Vec<SaleOrderId> = pending.iter().map(|p| p.order).collect();
    let mut lines: HashMap<i64, Vec<SaleOrderLine>> = HashMap::new();
    for chunk in orders_to_read.chunks(500) {
        for l in c.subscriptions().lines_of(chunk).await? {
            lines.entry(l.order_id.0).or_default().push(l);
        }
    }
    Ok(lines)
}
