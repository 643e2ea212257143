//! Enterprise `sale_subscription` behaviour on `sale.order` (not public: reproduced from
//! CONTRACT.md §4.4 and the third-party copies of `sale_subscription/models/sale_order.py` it
//! cites). An order with `plan_id` is a subscription: `1_draft` → `3_progress` on confirmation
//! (`start_date`, `next_invoice_date` = start), recurring invoices advance `next_invoice_date` by
//! one plan period and bill delivered quantities of `delivery`-policy lines (then reset),
//! `set_close` → `6_churn` (`5_renewed` with `renew=True`) with `end_date` = today.

use super::invoice_lines::invoice_from_order;
use super::sale_order::action_view_invoice;
use crate::odoo_sim::clock::{add_period, fmt_date, parse_date};
use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::state::{Ctx, Sim};
use crate::odoo_sim::value::{as_id, as_ids, dec, dec_val, truthy};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

const SO: &str = "sale.order";
const SOL: &str = "sale.order.line";

fn put(sim: &mut Sim, id: i64, field: &str, v: Value) {
    sim.store(SO, id, field, v);
}

/// Keeps `subscription_state` consistent with `plan_id` and `state` (stored computed field).
pub fn sync_state(sim: &mut Sim, id: i64) {
    if !sim.with_subscriptions {
        return;
    }
    let has_plan = truthy(&sim.get(SO, id, "plan_id"));
    let cur = sim
        .db
        .row(SO, id)
        .and_then(|r| r.get("subscription_state"))
        .cloned()
        .unwrap_or(Value::Null);
    let state = sim
        .get(SO, id, "state")
        .as_str()
        .unwrap_or("draft")
        .to_string();
    let next = match (has_plan, cur.as_str()) {
        (false, _) => Value::Null,
        (true, None) if matches!(state.as_str(), "draft" | "sent") => json!("1_draft"),
        (true, other) => other.map(|s| json!(s)).unwrap_or(Value::Null),
    };
    put(sim, id, "subscription_state", next);
}

/// Computed subscription fields.
pub fn compute(sim: &Sim, id: i64, field: &str) -> Option<Value> {
    if !sim.with_subscriptions {
        return None;
    }
    match field {
        "is_subscription" => Some(json!(truthy(&sim.get(SO, id, "plan_id")))),
        "recurring_total" | "recurring_monthly" => {
            let total: Decimal = as_ids(&sim.get(SO, id, "order_line"))
                .into_iter()
                .filter(|l| is_recurring(sim, *l))
                .map(|l| super::invoice_lines::line_amounts(sim, SOL, l).0)
                .sum();
            if field == "recurring_total" {
                return Some(dec_val(total));
            }
            let (n, unit) = plan_period(sim, id);
            let months = match unit.as_str() {
                "year" => Decimal::from(12 * n),
                "week" => Decimal::from(n) * Decimal::new(12, 0) / Decimal::new(52, 0),
                _ => Decimal::from(n),
            };
            let r = super::invoice_lines::rounding(sim, Some(sim.refs.currency));
            Some(dec_val(if months.is_zero() {
                Decimal::ZERO
            } else {
                crate::odoo_sim::money::round(total / months, r)
            }))
        }
        _ => None,
    }
}

fn is_recurring(sim: &Sim, line: i64) -> bool {
    as_id(&sim.get(SOL, line, "product_id"))
        .is_some_and(|p| truthy(&sim.get("product.product", p, "recurring_invoice")))
}

fn plan_period(sim: &Sim, order: i64) -> (i64, String) {
    match as_id(&sim.get(SO, order, "plan_id")) {
        Some(p) => (
            sim.get("sale.subscription.plan", p, "billing_period_value")
                .as_i64()
                .unwrap_or(1),
            sim.get("sale.subscription.plan", p, "billing_period_unit")
                .as_str()
                .unwrap_or("month")
                .to_string(),
        ),
        None => (1, "month".into()),
    }
}

/// Confirmation of a subscription: `3_progress`, `start_date`/`next_invoice_date` default today.
pub fn on_confirm(sim: &mut Sim, id: i64) -> OResult<()> {
    if !sim.with_subscriptions || !truthy(&sim.get(SO, id, "plan_id")) {
        return Ok(());
    }
    let today = sim.clock.today_str();
    if !truthy(&sim.get(SO, id, "start_date")) {
        put(sim, id, "start_date", json!(today));
    }
    if !truthy(&sim.get(SO, id, "first_contract_date")) {
        let s = sim.get(SO, id, "start_date");
        put(sim, id, "first_contract_date", s);
    }
    if !truthy(&sim.get(SO, id, "next_invoice_date")) {
        let s = sim.get(SO, id, "start_date");
        put(sim, id, "next_invoice_date", s);
    }
    put(sim, id, "subscription_state", json!("3_progress"));
    Ok(())
}

/// Creates and posts the recurring invoice of one subscription period, advances
/// `next_invoice_date` and resets delivered quantities. `Ok(None)` when nothing is billable.
pub fn invoice_period(sim: &mut Sim, id: i64) -> OResult<Option<i64>> {
    let start = sim
        .get(SO, id, "next_invoice_date")
        .as_str()
        .and_then(parse_date)
        .unwrap_or(sim.clock.today());
    let (n, unit) = plan_period(sim, id);
    let next = add_period(start, &unit, n);
    let mut lines = vec![];
    let mut delivered = vec![];
    for l in as_ids(&sim.get(SO, id, "order_line")) {
        if truthy(&sim.get(SOL, l, "display_type")) || !truthy(&sim.get(SOL, l, "product_id")) {
            continue;
        }
        let p = as_id(&sim.get(SOL, l, "product_id")).unwrap_or(0);
        let postpaid = sim.get("product.product", p, "invoice_policy").as_str() == Some("delivery");
        let qty = if postpaid {
            dec(&sim.get(SOL, l, "qty_delivered"))
        } else {
            dec(&sim.get(SOL, l, "product_uom_qty"))
        };
        if postpaid {
            delivered.push(l);
        }
        if !qty.is_zero() && (postpaid || is_recurring(sim, l)) {
            lines.push((l, qty));
        }
    }
    let end = next - chrono::Duration::days(1);
    let label = format!(
        "\n{} to {}",
        start.format("%m/%d/%Y"),
        end.format("%m/%d/%Y")
    );
    let invoice = if lines.is_empty() {
        None
    } else {
        let inv = invoice_from_order(sim, id, &lines, &label)?;
        let date: Map<String, Value> = [("invoice_date".to_string(), json!(fmt_date(start)))]
            .into_iter()
            .collect();
        sim.write("account.move", &[inv], &date, &Ctx::new())?;
        super::move_actions::post(sim, &[inv])?;
        Some(inv)
    };
    for l in delivered {
        sim.store(SOL, l, "qty_delivered", json!("0"));
    }
    put(sim, id, "next_invoice_date", json!(fmt_date(next)));
    if invoice.is_some() {
        put(sim, id, "last_invoice_date", json!(fmt_date(start)));
    }
    Ok(invoice)
}

/// The invoicing cron: every in-progress subscription whose `next_invoice_date` ≤ today is
/// invoiced, period after period until its next date is in the future; subscriptions whose
/// `end_date` has passed are closed. Returns the invoices created.
pub fn run_cron(sim: &mut Sim) -> OResult<Vec<i64>> {
    let mut created = vec![];
    if !sim.with_subscriptions {
        return Ok(created);
    }
    let today = sim.clock.today();
    for id in sim.db.ids(SO) {
        if sim.get(SO, id, "subscription_state").as_str() != Some("3_progress") {
            continue;
        }
        for _ in 0..1000 {
            let due = sim
                .get(SO, id, "next_invoice_date")
                .as_str()
                .and_then(parse_date);
            let ended = sim
                .get(SO, id, "end_date")
                .as_str()
                .and_then(parse_date)
                .is_some_and(|e| due.is_some_and(|d| d > e));
            match due {
                Some(d) if d <= today && !ended => created.extend(invoice_period(sim, id)?),
                _ => break,
            }
        }
        if sim
            .get(SO, id, "end_date")
            .as_str()
            .and_then(parse_date)
            .is_some_and(|e| e <= today)
        {
            put(sim, id, "subscription_state", json!("6_churn"));
        }
    }
    Ok(created)
}

/// Public subscription methods of `sale.order`.
pub fn call(
    sim: &mut Sim,
    method: &str,
    ids: &[i64],
    kw: &Map<String, Value>,
    ctx: &Ctx,
) -> OResult<Option<Value>> {
    if !sim.with_subscriptions {
        return Err(super::not_simulated(SO, method));
    }
    let today = sim.clock.today_str();
    match method {
        "set_close" => {
            let renew = kw.get("renew").is_some_and(truthy);
            for id in ids {
                if let Some(r) = kw.get("close_reason_id").and_then(|v| v.as_i64()) {
                    put(sim, *id, "close_reason_id", json!(r));
                }
                put(sim, *id, "end_date", json!(today));
                put(
                    sim,
                    *id,
                    "subscription_state",
                    json!(if renew { "5_renewed" } else { "6_churn" }),
                );
            }
            Ok(Some(json!(true)))
        }
        "set_open" | "resume_subscription" => {
            for id in ids {
                put(sim, *id, "subscription_state", json!("3_progress"));
                if method == "set_open" {
                    put(sim, *id, "end_date", Value::Null);
                    put(sim, *id, "close_reason_id", Value::Null);
                }
            }
            Ok(Some(json!(true)))
        }
        "pause_subscription" => {
            for id in ids {
                put(sim, *id, "subscription_state", json!("4_paused"));
            }
            Ok(Some(json!(true)))
        }
        "action_invoice_subscription" => {
            let mut invoices = vec![];
            for id in ids {
                if sim.get(SO, *id, "subscription_state").as_str() != Some("3_progress") {
                    continue;
                }
                invoices.extend(invoice_period(sim, *id)?);
            }
            if invoices.is_empty() {
                return Err(OdooError::user("There is nothing to invoice."));
            }
            Ok(Some(action_view_invoice(&invoices)))
        }
        "prepare_renewal_order" | "prepare_upsell_order" => {
            let id = super::base::one_of(SO, ids)?;
            let renew = method == "prepare_renewal_order";
            let lines: Vec<Value> = as_ids(&sim.get(SO, id, "order_line"))
                .into_iter()
                .filter(|l| truthy(&sim.get(SOL, *l, "product_id")))
                .map(|l| {
                    json!([0, 0, {
                        "product_id": sim.get(SOL, l, "product_id"),
                        "product_uom_qty": if renew { crate::odoo_sim::value::dec_wire(dec(&sim.get(SOL, l, "product_uom_qty"))) } else { json!(0.0) },
                        "price_unit": crate::odoo_sim::value::dec_wire(dec(&sim.get(SOL, l, "price_unit"))),
                    }])
                })
                .collect();
            let vals: Map<String, Value> = [
                ("partner_id", sim.get(SO, id, "partner_id")),
                ("plan_id", sim.get(SO, id, "plan_id")),
                ("subscription_id", json!(id)),
                (
                    "origin_order_id",
                    json!(as_id(&sim.get(SO, id, "origin_order_id")).unwrap_or(id)),
                ),
                (
                    "start_date",
                    if renew {
                        sim.get(SO, id, "next_invoice_date")
                    } else {
                        json!(today)
                    },
                ),
                ("next_invoice_date", sim.get(SO, id, "next_invoice_date")),
                ("order_line", json!(lines)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), if v.is_null() { json!(false) } else { v }))
            .collect();
            let new = sim.create(SO, &vals, ctx)?;
            put(
                sim,
                new,
                "subscription_state",
                json!(if renew { "2_renewal" } else { "7_upsell" }),
            );
            Ok(Some(
                json!({"type": "ir.actions.act_window", "res_model": "sale.order", "res_id": new, "views": [[false, "form"]], "name": if renew { "Renewal Quotation" } else { "Upsell" }}),
            ))
        }
        _ => Err(super::not_simulated(SO, method)),
    }
}
