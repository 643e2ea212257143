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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::lines::{charge_lines, LineSpec};
use super::rating_repo::RatingState;
use crate::accounts::plan_repo::PlanRow;
use crate::accounts::rating::RatedCharge;
use crate::accounts::subscription_repo::SubscriptionRow;
use crate::accounts::subscriptions::{add_interval, lago_status};
use crate::accounts::{Accounts, AccountsError};
use crate::billing::checked::Overflow;
use crate::billing::money::{Currency, Money};
use crate::billing::window::BillingWindow;
use crate::meter::time::now_micros;
use crate::odoo::subscriptions::{SaleOrder, SaleOrderLine, UsageLineChange};
use crate::odoo::{ProductId, SaleOrderId};

/// Advisory lock key of the rating cycle (PostgreSQL).
const LOCK_KEY: i64 = 0x6662_7261_7465; // "fbrate"
/// Rows younger than this are not yet trusted by the usage cursor (see
/// [`Store::changed_streams`]).
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct LatePart {
    from: String,
    to: String,
    charge: String,
    cents: i64,
}

/// Desired lines of one subscription, by usage product, in charge order.
type Desired = Vec<(i64, Vec<LineSpec>)>;

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn window_of(from: NaiveDate, to: NaiveDate) -> Option<BillingWindow> {
    BillingWindow::new(
        from.and_hms_opt(0, 0, 0)?.and_utc(),
        to.and_hms_opt(0, 0, 0)?.and_utc(),
    )
    .ok()
}

fn label(r: &RatedCharge) -> String {
    r.charge.invoice_display_name.clone().unwrap_or_else(|| {
        r.metric
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| r.charge.billable_metric_code.clone())
    })
}

fn fingerprint(d: &Desired) -> String {
    let v: Vec<Value> = d
        .iter()
        .map(|(p, lines)| {
            json!([
                p,
                lines
                    .iter()
                    .map(|l| json!([
                        l.name,
                        l.quantity.normalize().to_string(),
                        l.price_unit.normalize().to_string()
                    ]))
                    .collect::<Vec<_>>()
            ])
        })
        .collect();
    hex::encode(Sha256::digest(Value::Array(v).to_string().as_bytes()))
}

fn json_map(s: &str) -> BTreeMap<String, i64> {
    serde_json::from_str(s).unwrap_or_default()
}

/// The usage-line changes turning `existing` lines into `desired` (see module doc):
/// matching lines of each product are rewritten in id order, missing ones created, surplus
/// ones set to zero delivered.
fn commands(desired: &Desired, existing: &[SaleOrderLine]) -> Vec<UsageLineChange> {
    let mut out = Vec::new();
    for (product, specs) in desired {
        let mut mine: Vec<&SaleOrderLine> = existing
            .iter()
            .filter(|l| {
                l.product.as_ref().is_some_and(|p| p.id == *product) && l.display_type.is_none()
            })
            .collect();
        mine.sort_by_key(|l| l.id.0);
        for i in 0..specs.len().max(mine.len()) {
            match (specs.get(i), mine.get(i)) {
                (Some(s), Some(l))
                    if l.name.as_deref() != Some(s.name.as_str())
                        || l.qty_delivered != s.quantity
                        || l.price_unit != s.price_unit =>
                {
                    out.push(UsageLineChange::Rewrite {
                        line: l.id,
                        name: s.name.clone(),
                        delivered: s.quantity,
                        price_unit: s.price_unit,
                    });
                }
                (Some(_), Some(_)) => {}
                (Some(s), None) => out.push(UsageLineChange::Add {
                    product: ProductId(*product),
                    name: s.name.clone(),
                    delivered: s.quantity,
                    price_unit: s.price_unit,
                }),
                (None, Some(l)) if !l.qty_delivered.is_zero() => {
                    out.push(UsageLineChange::ClearDelivered(l.id));
                }
                _ => {}
            }
        }
    }
    out
}

/// A subscription to write this cycle.
struct Pending {
    subscription: SubscriptionRow,
    order: SaleOrderId,
    desired: Desired,
    state: RatingState,
}

/// The rating push loop over the accounts' store and Odoo.
#[derive(Clone)]
pub struct RatingPush {
    accounts: Accounts,
    lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl RatingPush {
    /// A push over `accounts`.
    pub fn new(accounts: Accounts) -> RatingPush {
        RatingPush {
            accounts,
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
            self.accounts.health.clone(),
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
    pub async fn cycle(&self) -> Result<CycleReport, AccountsError> {
        let _local = self.lock.lock().await;
        self.accounts
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

    async fn run(&self) -> Result<CycleReport, AccountsError> {
        let a = &self.accounts;
        let store = &a.store;
        let mut report = CycleReport::default();
        let settled = now_micros() - SETTLE.as_micros() as i64;
        let ev_cursor = store.cursor("rating.events").await?;
        let ct_cursor = store.cursor("rating.counters").await?;
        let (streams, new_ev, new_ct) =
            store.changed_streams(ev_cursor, ct_cursor, settled).await?;
        let changed: HashSet<(i64, String)> = streams.into_iter().collect();
        let retries: HashSet<String> = store
            .rating_retries()
            .await?
            .into_iter()
            .map(|r| r.subscription_id)
            .collect();
        let subs = store.active_subscriptions().await?;
        report.subscriptions = subs.len();
        if subs.is_empty() {
            store.set_cursor("rating.events", new_ev).await?;
            store.set_cursor("rating.counters", new_ct).await?;
            return Ok(report);
        }
        let c = a.odoo.client().await?;
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
        let mut states: HashMap<String, Vec<RatingState>> = HashMap::new();
        for s in store.rating_states().await? {
            states.entry(s.subscription_id.clone()).or_default().push(s);
        }
        let mut plans: HashMap<String, PlanRow> = HashMap::new();
        let mut pending = Vec::new();
        for sub in &subs {
            let Some(order) = sub.sale_order_id.and_then(|id| orders.get(&id)) else {
                continue;
            };
            let mine = states.remove(&sub.lago_id).unwrap_or_default();
            let touched = retries.contains(&sub.lago_id)
                || changed.contains(&(sub.service_id, sub.external_id.clone()));
            // Each subscription in isolation: an error or a panic in one is logged with its
            // ids, counted and retried next cycle; the others go on.
            let step = std::panic::AssertUnwindSafe(self.prepare_one(
                sub,
                order,
                mine,
                touched,
                &mut plans,
                &mut report,
            ));
            match futures::FutureExt::catch_unwind(step).await {
                Ok(Ok(Some(p))) => pending.push(p),
                Ok(Ok(None)) if retries.contains(&sub.lago_id) => {
                    store.rating_succeeded(&sub.lago_id).await?;
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => self.failed(sub, &e.to_string(), &mut report).await?,
                Err(panic) => {
                    let msg = crate::background::panic_message(&*panic);
                    self.failed(sub, &format!("panic: {msg}"), &mut report)
                        .await?
                }
            }
        }
        let orders_to_read: Vec<SaleOrderId> = pending.iter().map(|p| p.order).collect();
        let mut lines: HashMap<i64, Vec<SaleOrderLine>> = HashMap::new();
        for chunk in orders_to_read.chunks(500) {
            for l in c.subscriptions().lines_of(chunk).await? {
                lines.entry(l.order_id.0).or_default().push(l);
            }
        }
        for p in pending {
            let existing = lines.remove(&p.order.0).unwrap_or_default();
            let cmds = commands(&p.desired, &existing);
            if !cmds.is_empty() {
                let written = c.subscriptions().write_usage_lines(p.order, &cmds).await;
                if let Err(e) = written.map_err(AccountsError::from) {
                    self.failed(&p.subscription, &e.to_string(), &mut report)
                        .await?;
                    continue;
                }
                report.written += 1;
            }
            report.late_lines += serde_json::from_str::<Vec<LatePart>>(&p.state.late)
                .map(|l| l.len())
                .unwrap_or(0);
            store.put_rating_state(&p.state).await?;
            if retries.contains(&p.subscription.lago_id) {
                store.rating_succeeded(&p.subscription.lago_id).await?;
            }
        }
        // Failed subscriptions are kept in `rating_retries`, so the cursor moves on for all.
        store.set_cursor("rating.events", new_ev).await?;
        store.set_cursor("rating.counters", new_ct).await?;
        Ok(report)
    }

    /// Records a failed subscription: logged with its ids, counted in the report and in
    /// `fusion_background_item_failures_total{loop="rating"}`, retried every cycle.
    async fn failed(
        &self,
        sub: &SubscriptionRow,
        error: &str,
        report: &mut CycleReport,
    ) -> Result<(), AccountsError> {
        tracing::error!(subscription = %sub.lago_id, service_id = sub.service_id, external_id = %sub.external_id, error = %error, "rating failed for one subscription; retried next cycle");
        report.failed += 1;
        self.accounts.health.item_failed(LOOP);
        self.accounts
            .store
            .rating_failed(&sub.lago_id, error, now_micros())
            .await?;
        Ok(())
    }

    /// Rolls `sub`'s windows over and rates it when it has new usage (`touched`) or a new
    /// window; `None` when there is nothing to write.
    async fn prepare_one(
        &self,
        sub: &SubscriptionRow,
        order: &SaleOrder,
        mut mine: Vec<RatingState>,
        touched: bool,
        plans: &mut HashMap<String, PlanRow>,
        report: &mut CycleReport,
    ) -> Result<Option<Pending>, AccountsError> {
        if lago_status(order) != "active" {
            return Ok(None);
        }
        let Some(from) = order.last_invoice_date else {
            return Ok(None);
        };
        report.rolled_over += self.roll_over(&mut mine, &from.to_string()).await?;
        let is_new = !mine.iter().any(|s| s.window_from == from.to_string());
        if !is_new && !touched {
            return Ok(None);
        }
        if !plans.contains_key(&sub.plan_id) {
            plans.insert(sub.plan_id.clone(), self.accounts.plan_of(sub).await?);
        }
        let plan = &plans[&sub.plan_id];
        let to = order
            .next_invoice_date
            .filter(|t| *t > from)
            .unwrap_or_else(|| add_interval(from, &plan.interval));
        report.rated += 1;
        self.rate_one(sub, plan, from, to, &mine, is_new).await
    }

    /// Marks windows other than `current` as invoiced; the late parts they carried become
    /// billed late usage of their own windows. Returns how many rolled over.
    async fn roll_over(
        &self,
        mine: &mut [RatingState],
        current: &str,
    ) -> Result<usize, AccountsError> {
        let mut rolled = 0;
        let mut billed: Vec<LatePart> = Vec::new();
        for s in mine.iter_mut() {
            if !s.invoiced && s.window_from != current {
                s.invoiced = true;
                rolled += 1;
                billed.extend(serde_json::from_str::<Vec<LatePart>>(&s.late).unwrap_or_default());
            }
        }
        for part in billed {
            if let Some(s) = mine.iter_mut().find(|s| s.window_from == part.from) {
                let mut b = json_map(&s.late_billed);
                let slot = b.entry(part.charge.clone()).or_insert(0);
                *slot = slot
                    .checked_add(part.cents)
                    .ok_or(Overflow("billed late usage"))?;
                s.late_billed = serde_json::to_string(&b).unwrap_or_else(|_| "{}".into());
            }
        }
        if rolled > 0 {
            for s in mine.iter() {
                self.accounts.store.put_rating_state(s).await?;
            }
        }
        Ok(rolled)
    }

    /// Rates one subscription's window and its late usage; `None` when nothing needs writing.
    async fn rate_one(
        &self,
        sub: &SubscriptionRow,
        plan: &PlanRow,
        from: NaiveDate,
        to: NaiveDate,
        mine: &[RatingState],
        is_new: bool,
    ) -> Result<Option<Pending>, AccountsError> {
        let a = &self.accounts;
        let currency = Currency::parse(&plan.amount_currency).unwrap_or(Currency::CAD);
        let Some(window) = window_of(from, to) else {
            return Ok(None);
        };
        let rated = a
            .rate(sub.service_id, &sub.external_id, plan, &window)
            .await?;
        let mut desired: Desired = Vec::new();
        let mut amounts: BTreeMap<String, i64> = BTreeMap::new();
        for r in &rated {
            amounts.insert(r.charge.lago_id.clone(), r.amount_cents);
            desired.push((
                r.charge.odoo_product_id,
                charge_lines(&label(r), &r.result.lines, currency),
            ));
        }
        let mut late = Vec::new();
        let mut past: Vec<&RatingState> = mine
            .iter()
            .filter(|s| s.invoiced && s.window_from < from.to_string())
            .collect();
        past.sort_by(|x, y| y.window_from.cmp(&x.window_from));
        for p in past.into_iter().take(LATE_WINDOWS) {
            let (Some(pf), Some(pt)) = (date(&p.window_from), date(&p.window_to)) else {
                continue;
            };
            let Some(pw) = window_of(pf, pt) else {
                continue;
            };
            let billed = json_map(&p.charges);
            let late_billed = json_map(&p.late_billed);
            for r in a.rate(sub.service_id, &sub.external_id, plan, &pw).await? {
                let id = &r.charge.lago_id;
                let delta = r
                    .amount_cents
                    .checked_sub(billed.get(id).copied().unwrap_or(0))
                    .and_then(|d| d.checked_sub(late_billed.get(id).copied().unwrap_or(0)))
                    .ok_or(Overflow("late usage amount"))?;
                if delta <= 0 {
                    continue;
                }
                let spec = LineSpec {
                    name: format!(
                        "Late usage {} to {}: {}",
                        pf.format("%Y-%m-%d"),
                        (pt - chrono::Duration::days(1)).format("%Y-%m-%d"),
                        label(&r)
                    ),
                    quantity: Decimal::ONE,
                    price_unit: Money::from_cents(delta, currency).amount,
                };
                if let Some((_, specs)) = desired
                    .iter_mut()
                    .find(|(prod, _)| *prod == r.charge.odoo_product_id)
                {
                    specs.push(spec);
                } else {
                    desired.push((r.charge.odoo_product_id, vec![spec]));
                }
                late.push(LatePart {
                    from: p.window_from.clone(),
                    to: p.window_to.clone(),
                    charge: id.clone(),
                    cents: delta,
                });
            }
        }
        let fp = fingerprint(&desired);
        let current = mine.iter().find(|s| s.window_from == from.to_string());
        if current.is_some_and(|c| c.fingerprint == fp) {
            return Ok(None);
        }
        let empty = desired.iter().all(|(_, l)| l.is_empty());
        let state = RatingState {
            subscription_id: sub.lago_id.clone(),
            window_from: from.to_string(),
            window_to: to.to_string(),
            fingerprint: fp,
            charges: serde_json::to_string(&amounts).unwrap_or_else(|_| "{}".into()),
            late: serde_json::to_string(&late).unwrap_or_else(|_| "[]".into()),
            late_billed: current
                .map(|c| c.late_billed.clone())
                .unwrap_or_else(|| "{}".into()),
            invoiced: false,
            pushed_at: now_micros(),
        };
        if empty && is_new {
            // A fresh window without usage: Odoo reset the quantities when it invoiced.
            a.store.put_rating_state(&state).await?;
            return Ok(None);
        }
        Ok(Some(Pending {
            subscription: sub.clone(),
            order: SaleOrderId(sub.sale_order_id.unwrap_or_default()),
            desired,
            state,
        }))
    }
}
