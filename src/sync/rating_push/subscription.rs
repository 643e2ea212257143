//! Rating one subscription in a cycle: rolling its windows over when Odoo invoiced,
//! rating its current window, re-rating its invoiced windows for late usage, and deciding
//! whether its lines must be written (see [`super`]).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::desired::{date, fingerprint, json_map, label, window_of, Desired, LatePart};
use super::{CycleReport, Pending, RatingPush, LATE_WINDOWS};
use crate::billing::checked::Overflow;
use crate::billing::money::{Currency, Money};
use crate::bridge::plan_repo::PlanRow;
use crate::bridge::rating::RatedCharge;
use crate::bridge::subscription_repo::SubscriptionRow;
use crate::bridge::subscriptions::{add_interval, lago_status};
use crate::bridge::BridgeError;
use crate::meter::time::now_micros;
use crate::odoo::subscriptions::SaleOrder;
use crate::odoo::SaleOrderId;
use crate::sync::lines::{charge_lines, LineSpec};
use crate::sync::rating_push_repo::RatingState;

impl RatingPush {
    /// Rolls `sub`'s windows over and rates it when it has new usage (`touched`) or a new
    /// window; `None` when there is nothing to write.
    pub(super) async fn prepare_one(
        &self,
        sub: &SubscriptionRow,
        order: &SaleOrder,
        mut mine: Vec<RatingState>,
        touched: bool,
        plans: &mut HashMap<String, PlanRow>,
        report: &mut CycleReport,
    ) -> Result<Option<Pending>, BridgeError> {
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
            plans.insert(sub.plan_id.clone(), self.bridge.plan_of(sub).await?);
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
    ) -> Result<usize, BridgeError> {
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
                self.bridge.store.rating().put_rating_state(s).await?;
            }
        }
        Ok(rolled)
    }

    /// Rates one subscription's window and its late usage; `None` when nothing needs writing.
    pub(super) async fn rate_one(
        &self,
        sub: &SubscriptionRow,
        plan: &PlanRow,
        from: NaiveDate,
        to: NaiveDate,
        mine: &[RatingState],
        is_new: bool,
    ) -> Result<Option<Pending>, BridgeError> {
        let a = &self.bridge;
        let currency = plan.currency();
        let Some(window) = window_of(from, to) else {
            return Ok(None);
        };
        let rated = a
            .rate(sub.service_id, &sub.external_id, plan, &window)
            .await?;
        let (mut desired, amounts) = window_lines(&rated, currency);
        let late = self
            .late_usage(sub, plan, from, mine, currency, &mut desired)
            .await?;
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
            a.store.rating().put_rating_state(&state).await?;
            return Ok(None);
        }
        Ok(Some(Pending {
            subscription: sub.clone(),
            order: SaleOrderId(sub.sale_order_id.unwrap_or_default()),
            desired,
            state,
        }))
    }

    /// Re-rates the last [`LATE_WINDOWS`] invoiced windows before `from`; what each charge
    /// now comes to beyond what was billed (the last push plus late usage already billed)
    /// is added to `desired` as a labelled late-usage line of its product. Returns the late
    /// parts added.
    async fn late_usage(
        &self,
        sub: &SubscriptionRow,
        plan: &PlanRow,
        from: NaiveDate,
        mine: &[RatingState],
        currency: Currency,
        desired: &mut Desired,
    ) -> Result<Vec<LatePart>, BridgeError> {
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
            for r in self
                .bridge
                .rate(sub.service_id, &sub.external_id, plan, &pw)
                .await?
            {
                let id = &r.charge.lago_id;
                let delta = r
                    .amount_cents
                    .checked_sub(billed.get(id).copied().unwrap_or(0))
                    .and_then(|d| d.checked_sub(late_billed.get(id).copied().unwrap_or(0)))
                    .ok_or(Overflow("late usage amount"))?;
                if delta <= 0 {
                    continue;
                }
                add_line(
                    desired,
                    r.charge.odoo_product_id,
                    late_line(&r, pf, pt, delta, currency),
                );
                late.push(LatePart {
                    from: p.window_from.clone(),
                    to: p.window_to.clone(),
                    charge: id.clone(),
                    cents: delta,
                });
            }
        }
        Ok(late)
    }
}

/// The lines of the current window by usage product, in charge order, and each charge's
/// amount in cents by charge `lago_id`.
fn window_lines(rated: &[RatedCharge], currency: Currency) -> (Desired, BTreeMap<String, i64>) {
    let mut desired: Desired = Vec::new();
    let mut amounts: BTreeMap<String, i64> = BTreeMap::new();
    for r in rated {
        amounts.insert(r.charge.lago_id.clone(), r.amount_cents);
        desired.push((
            r.charge.odoo_product_id,
            charge_lines(&label(r), &r.result.lines, currency),
        ));
    }
    (desired, amounts)
}

/// `Late usage <from> to <last day>: <charge>`, one unit at `delta` cents.
fn late_line(
    r: &RatedCharge,
    from: NaiveDate,
    to: NaiveDate,
    delta: i64,
    currency: Currency,
) -> LineSpec {
    LineSpec {
        name: format!(
            "Late usage {} to {}: {}",
            from.format("%Y-%m-%d"),
            (to - chrono::Duration::days(1)).format("%Y-%m-%d"),
            label(r)
        ),
        quantity: Decimal::ONE,
        price_unit: Money::from_cents(delta, currency).amount,
    }
}

/// Appends `spec` to the lines of `product`, or adds the product with it.
fn add_line(desired: &mut Desired, product: i64, spec: LineSpec) {
    if let Some((_, specs)) = desired.iter_mut().find(|(prod, _)| *prod == product) {
        specs.push(spec);
    } else {
        desired.push((product, vec![spec]));
    }
}
