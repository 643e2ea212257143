//! `sale.order`, `sale.order.line` and the `sale.advance.payment.inv` wizard
//! (`addons/sale/models/sale_order.py`, `sale_order_line.py`, `wizard/sale_make_invoice_advance.py`).

use super::base::one_of;
use super::invoice_lines::{invoice_from_order, line_amounts};
use super::subscription;
use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::state::{Ctx, Record, Sim};
use crate::odoo_sim::value::{as_id, as_ids, dec, dec_val, dec_wire, truthy};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

const SO: &str = "sale.order";
const SOL: &str = "sale.order.line";

/// Dynamic defaults of orders and lines.
pub fn defaults(sim: &Sim, model: &str, rec: &mut Record) {
    if model == SO {
        rec.insert("name".into(), json!("New"));
        rec.insert("user_id".into(), json!(sim.uid));
        rec.insert("currency_id".into(), json!(sim.refs.currency));
        rec.insert("journal_id".into(), json!(sim.refs.sale_journal));
        rec.insert("require_signature".into(), json!(true));
        rec.insert("require_payment".into(), json!(false));
        let valid = sim.clock.today() + chrono::Duration::days(30);
        rec.insert(
            "validity_date".into(),
            json!(crate::odoo_sim::clock::fmt_date(valid)),
        );
    } else {
        rec.insert("qty_delivered".into(), json!("0"));
        rec.insert("discount".into(), json!("0"));
        rec.insert("customer_lead".into(), json!("0"));
        rec.insert("qty_delivered_method".into(), json!("manual"));
    }
}

/// Wizard defaults: `sale_order_ids` from context `active_ids` when `active_model` is `sale.order`.
pub fn wizard_defaults(ctx: &Ctx, rec: &mut Record) {
    if ctx.get("active_model").and_then(|m| m.as_str()) == Some(SO) {
        if let Some(ids) = ctx.get("active_ids") {
            rec.insert("sale_order_ids".into(), json!(as_ids(ids)));
        }
    }
}

/// Sequence name, invoice/delivery addresses and subscription state of a new order.
pub fn after_create(sim: &mut Sim, id: i64, vals: &Map<String, Value>) -> OResult<()> {
    let name = sim.get(SO, id, "name");
    if name.as_str().map_or(true, |n| n == "New") {
        let n = sim.db.next_seq("sale.order");
        set(sim, id, "name", json!(format!("S{n:05}")));
    }
    let partner = sim.get(SO, id, "partner_id");
    for f in ["partner_invoice_id", "partner_shipping_id"] {
        if !vals.contains_key(f) || !truthy(&vals[f]) {
            set(sim, id, f, partner.clone());
        }
    }
    subscription::sync_state(sim, id);
    Ok(())
}

/// Subscription fields follow `plan_id`; `state` writes keep `subscription_state` consistent.
pub fn after_write(sim: &mut Sim, ids: &[i64], keys: &[String]) -> OResult<()> {
    if keys.iter().any(|k| k == "plan_id" || k == "state") {
        for id in ids {
            subscription::sync_state(sim, *id);
        }
    }
    Ok(())
}

fn set(sim: &mut Sim, id: i64, field: &str, v: Value) {
    if let Some(r) = sim.db.row_mut(SO, id) {
        r.insert(field.into(), v);
    }
}

/// Product onchange on lines (name, price, taxes, unit), accountable-line constraint, and the
/// order's `write_date` bump (its stored totals are recomputed).
pub fn after_line_change(sim: &mut Sim, ids: &[i64], vals: &Map<String, Value>) -> OResult<()> {
    for id in ids {
        let product = as_id(&sim.get(SOL, *id, "product_id"));
        if let (Some(p), true) = (product, vals.contains_key("product_id")) {
            let fill = |k: &str| !vals.contains_key(k) || vals[k].is_null();
            let mut upd: Vec<(&str, Value)> = vec![];
            if fill("name") {
                let mut name = sim.display_name("product.product", p);
                if let Some(d) = sim.get("product.product", p, "description_sale").as_str() {
                    name = format!("{name}\n{d}");
                }
                upd.push(("name", json!(name)));
            }
            if fill("price_unit") {
                upd.push((
                    "price_unit",
                    dec_val(dec(&sim.get("product.product", p, "list_price"))),
                ));
            }
            if fill("tax_ids") {
                let order = as_id(&sim.get(SOL, *id, "order_id"));
                let partner = order.and_then(|o| as_id(&sim.get(SO, o, "partner_id")));
                let taxes = as_ids(&sim.get("product.product", p, "taxes_id"));
                let fp = super::fiscal::position_for(sim, partner);
                upd.push(("tax_ids", json!(super::fiscal::map_taxes(sim, fp, &taxes))));
            }
            if fill("product_uom_id") {
                upd.push(("product_uom_id", sim.get("product.product", p, "uom_id")));
            }
            if let Some(r) = sim.db.row_mut(SOL, *id) {
                for (k, v) in upd {
                    r.insert(k.into(), v);
                }
            }
        }
        let accountable = !truthy(&sim.get(SOL, *id, "display_type"))
            && !truthy(&sim.get(SOL, *id, "is_downpayment"));
        if accountable && product.is_none() {
            return Err(OdooError::validation("The operation cannot be completed: Missing required fields on accountable sale order line."));
        }
        if accountable && !truthy(&sim.get(SOL, *id, "product_uom_id")) {
            let uom = json!(sim.refs.uom_unit);
            if let Some(r) = sim.db.row_mut(SOL, *id) {
                r.insert("product_uom_id".into(), uom);
            }
        }
        if let Some(o) = as_id(&sim.get(SOL, *id, "order_id")) {
            sim.touch(SO, o);
        }
    }
    Ok(())
}

/// `_unlink_except_draft_or_cancel`.
pub fn check_unlink(sim: &Sim, ids: &[i64]) -> OResult<()> {
    for id in ids {
        let st = sim.get(SO, *id, "state");
        if !matches!(st.as_str(), Some("draft") | Some("cancel")) {
            return Err(OdooError::user("You can not delete a sent quotation or a confirmed sales order. You must first cancel it."));
        }
    }
    Ok(())
}

/// `[order] product` label of a line.
pub fn line_display_name(sim: &Sim, id: i64) -> Option<String> {
    let order = as_id(&sim.get(SOL, id, "order_id"))?;
    let name = sim
        .get(SOL, id, "name")
        .as_str()
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    Some(format!("{} - {}", sim.display_name(SO, order), name))
}

/// Invoiced quantity of a line: posted and draft (not cancelled) invoice lines, refunds negative.
pub fn qty_invoiced(sim: &Sim, line: i64) -> Decimal {
    let mut q = Decimal::ZERO;
    for aml in sim.db.ids("account.move.line") {
        if !as_ids(&sim.get("account.move.line", aml, "sale_line_ids")).contains(&line) {
            continue;
        }
        let Some(mv) = as_id(&sim.get("account.move.line", aml, "move_id")) else {
            continue;
        };
        if sim.get("account.move", mv, "state").as_str() == Some("cancel") {
            continue;
        }
        let qty = dec(&sim.get("account.move.line", aml, "quantity"));
        q += if sim.get("account.move", mv, "move_type").as_str() == Some("out_refund") {
            -qty
        } else {
            qty
        };
    }
    q
}

/// Quantity still to invoice (ordered or delivered policy) of a confirmed order's line.
pub fn qty_to_invoice(sim: &Sim, line: i64) -> Decimal {
    if sim.get(SOL, line, "state").as_str() != Some("sale")
        || truthy(&sim.get(SOL, line, "display_type"))
        || truthy(&sim.get(SOL, line, "is_downpayment"))
    {
        return Decimal::ZERO;
    }
    let policy = as_id(&sim.get(SOL, line, "product_id"))
        .map(|p| sim.get("product.product", p, "invoice_policy"));
    let base = if policy.as_ref().and_then(|v| v.as_str()) == Some("delivery") {
        "qty_delivered"
    } else {
        "product_uom_qty"
    };
    dec(&sim.get(SOL, line, base)) - qty_invoiced(sim, line)
}

fn line_status(sim: &Sim, line: i64) -> &'static str {
    if sim.get(SOL, line, "state").as_str() != Some("sale")
        || truthy(&sim.get(SOL, line, "display_type"))
    {
        return "no";
    }
    if !qty_to_invoice(sim, line).is_zero() {
        "to invoice"
    } else if qty_invoiced(sim, line) >= dec(&sim.get(SOL, line, "product_uom_qty")) {
        "invoiced"
    } else {
        "no"
    }
}

/// Invoices linked to an order through its lines.
pub fn order_invoices(sim: &Sim, order: i64) -> Vec<i64> {
    let lines = as_ids(&sim.get(SO, order, "order_line"));
    let mut out = vec![];
    for aml in sim.db.ids("account.move.line") {
        if as_ids(&sim.get("account.move.line", aml, "sale_line_ids"))
            .iter()
            .any(|l| lines.contains(l))
        {
            if let Some(m) = as_id(&sim.get("account.move.line", aml, "move_id")) {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
    }
    out
}

/// Computed fields of orders and lines.
pub fn compute(sim: &Sim, model: &str, id: i64, field: &str) -> Option<Value> {
    if model == SOL {
        let amounts = || line_amounts(sim, SOL, id);
        return Some(match field {
            "price_subtotal" | "price_reduce_taxexcl" => dec_val(amounts().0),
            "price_tax" => dec_val(amounts().1),
            "price_total" | "price_reduce_taxinc" => dec_val(amounts().2),
            "qty_invoiced" => dec_val(qty_invoiced(sim, id)),
            "qty_to_invoice" => dec_val(qty_to_invoice(sim, id)),
            "invoice_status" => json!(line_status(sim, id)),
            "product_template_id" => as_id(&sim.get(SOL, id, "product_id"))
                .map(|p| sim.get("product.product", p, "product_tmpl_id"))
                .unwrap_or(Value::Null),
            "untaxed_amount_to_invoice" | "amount_to_invoice" => {
                let price = dec(&sim.get(SOL, id, "price_unit"));
                dec_val(qty_to_invoice(sim, id) * price)
            }
            _ => return None,
        });
    }
    let lines = || as_ids(&sim.get(SO, id, "order_line"));
    let sum = |i: usize| -> Decimal {
        lines()
            .iter()
            .map(|l| {
                let a = line_amounts(sim, SOL, *l);
                [a.0, a.1, a.2][i]
            })
            .sum()
    };
    let tax = || -> Decimal {
        let r = super::invoice_lines::rounding(sim, as_id(&sim.get(SO, id, "currency_id")));
        super::invoice_lines::document_taxes(sim, SOL, &lines(), r)
            .values()
            .copied()
            .sum()
    };
    Some(match field {
        "amount_untaxed" => dec_val(sum(0)),
        "amount_tax" => dec_val(tax()),
        "amount_total" => dec_val(sum(0) + tax()),
        "invoice_ids" => json!(order_invoices(sim, id)),
        "invoice_count" => json!(order_invoices(sim, id).len()),
        "invoice_status" => {
            if sim.get(SO, id, "state").as_str() != Some("sale") {
                json!("no")
            } else {
                let st: Vec<&str> = lines().iter().map(|l| line_status(sim, *l)).collect();
                json!(if st.contains(&"to invoice") {
                    "to invoice"
                } else if !st.is_empty() && st.iter().all(|s| *s == "invoiced") {
                    "invoiced"
                } else {
                    "no"
                })
            }
        }
        "amount_invoiced" => {
            let inv: Decimal = order_invoices(sim, id)
                .iter()
                .filter(|m| sim.get("account.move", **m, "state").as_str() == Some("posted"))
                .map(|m| dec(&sim.get("account.move", *m, "amount_total")))
                .sum();
            dec_val(inv)
        }
        "access_url" => json!(format!("/my/orders/{id}")),
        "type_name" => json!(if matches!(
            sim.get(SO, id, "state").as_str(),
            Some("draft") | Some("sent")
        ) {
            "Quotation"
        } else {
            "Sales Order"
        }),
        "is_subscription" | "subscription_state" | "recurring_total" | "recurring_monthly" => {
            return subscription::compute(sim, id, field)
        }
        _ => return None,
    })
}

/// `action_view_invoice(invoices)`: form action on one invoice, list action on several, close
/// action on none.
pub fn action_view_invoice(invoices: &[i64]) -> Value {
    match invoices {
        [] => json!({"type": "ir.actions.act_window_close"}),
        [one] => json!({
            "type": "ir.actions.act_window", "name": "Invoices", "res_model": "account.move",
            "view_mode": "form", "views": [[false, "form"]], "res_id": one, "target": "current",
            "context": {"default_move_type": "out_invoice"}, "domain": [["move_type", "=", "out_invoice"]],
        }),
        many => json!({
            "type": "ir.actions.act_window", "name": "Invoices", "res_model": "account.move",
            "view_mode": "list,kanban,form,activity", "views": [[false, "list"], [false, "kanban"], [false, "form"], [false, "activity"]],
            "domain": [["id", "in", many]], "target": "current", "context": {"default_move_type": "out_invoice"},
        }),
    }
}

/// Public `sale.order` methods.
pub fn call(
    sim: &mut Sim,
    method: &str,
    ids: &[i64],
    kw: &Map<String, Value>,
    ctx: &Ctx,
) -> OResult<Option<Value>> {
    sim.check_exist(SO, ids)?;
    let write = |sim: &mut Sim, ids: &[i64], pairs: Vec<(&str, Value)>| -> OResult<()> {
        let v: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        sim.write(SO, ids, &v, ctx)
    };
    match method {
        "action_confirm" => {
            for id in ids {
                if !matches!(
                    sim.get(SO, *id, "state").as_str(),
                    Some("draft") | Some("sent")
                ) {
                    return Err(OdooError::user(
                        "Some orders are not in a state requiring confirmation.",
                    ));
                }
                let missing = as_ids(&sim.get(SO, *id, "order_line"))
                    .into_iter()
                    .any(|l| {
                        !truthy(&sim.get(SOL, l, "display_type"))
                            && !truthy(&sim.get(SOL, l, "product_id"))
                    });
                if missing {
                    return Err(OdooError::user(
                        "A line on these orders missing a product, you cannot confirm it.",
                    ));
                }
            }
            write(
                sim,
                ids,
                vec![
                    ("state", json!("sale")),
                    ("date_order", json!(sim.clock.now_str())),
                ],
            )?;
            for id in ids {
                subscription::on_confirm(sim, *id)?;
            }
            Ok(Some(json!(true)))
        }
        "action_cancel" => {
            for id in ids {
                if truthy(&sim.get(SO, *id, "locked")) {
                    return Err(OdooError::user(
                        "You cannot cancel a locked order. Please unlock it first.",
                    ));
                }
                for inv in order_invoices(sim, *id) {
                    if sim.get("account.move", inv, "state").as_str() == Some("draft") {
                        super::move_actions::cancel(sim, inv);
                    }
                }
            }
            write(sim, ids, vec![("state", json!("cancel"))])?;
            Ok(Some(json!(true)))
        }
        "action_draft" => {
            let ok: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|i| {
                    matches!(
                        sim.get(SO, *i, "state").as_str(),
                        Some("cancel") | Some("sent")
                    )
                })
                .collect();
            write(sim, &ok, vec![("state", json!("draft"))])?;
            Ok(Some(json!(true)))
        }
        "action_quotation_sent" => {
            if ids
                .iter()
                .any(|i| sim.get(SO, *i, "state").as_str() != Some("draft"))
            {
                return Err(OdooError::user(
                    "Only draft orders can be marked as sent directly.",
                ));
            }
            write(sim, ids, vec![("state", json!("sent"))])?;
            Ok(Some(json!(true)))
        }
        "action_lock" | "action_unlock" => {
            write(sim, ids, vec![("locked", json!(method == "action_lock"))])?;
            Ok(None)
        }
        "action_view_invoice" => {
            let inv = match kw.get("invoices") {
                Some(v) if truthy(v) => crate::odoo_sim::call::ids_of(v),
                _ => ids.iter().flat_map(|i| order_invoices(sim, *i)).collect(),
            };
            Ok(Some(action_view_invoice(&inv)))
        }
        _ => subscription::call(sim, method, ids, kw, ctx),
    }
}

/// `sale.advance.payment.inv.create_invoices` / `view_draft_invoices`.
pub fn call_wizard(sim: &mut Sim, method: &str, ids: &[i64], _ctx: &Ctx) -> OResult<Option<Value>> {
    const W: &str = "sale.advance.payment.inv";
    let id = one_of(W, ids)?;
    sim.check_exist(W, &[id])?;
    let orders = as_ids(&sim.get(W, id, "sale_order_ids"));
    if method == "view_draft_invoices" {
        let drafts: Vec<i64> = orders
            .iter()
            .flat_map(|o| order_invoices(sim, *o))
            .filter(|m| sim.get("account.move", *m, "state").as_str() == Some("draft"))
            .collect();
        return Ok(Some(
            json!({"type": "ir.actions.act_window", "name": "Draft Invoices", "res_model": "account.move", "view_mode": "list", "domain": [["id", "in", drafts]]}),
        ));
    }
    if method != "create_invoices" {
        return Err(super::not_simulated(W, method));
    }
    let mode = sim
        .get(W, id, "advance_payment_method")
        .as_str()
        .unwrap_or("delivered")
        .to_string();
    let mut invoices = vec![];
    for o in orders {
        if sim.get(SO, o, "state").as_str() != Some("sale") {
            return Err(OdooError::user(
                "You can only invoice sales orders that are confirmed.",
            ));
        }
        let lines: Vec<(i64, Decimal)> = if mode == "delivered" {
            as_ids(&sim.get(SO, o, "order_line"))
                .into_iter()
                .map(|l| (l, qty_to_invoice(sim, l)))
                .filter(|(_, q)| !q.is_zero())
                .collect()
        } else {
            vec![]
        };
        if mode == "delivered" {
            if lines.is_empty() {
                return Err(OdooError::user("There is no invoiceable line. If a product has a Delivered quantities invoicing policy, please make sure that a quantity has been delivered."));
            }
            invoices.push(invoice_from_order(sim, o, &lines, "")?);
        } else {
            invoices.push(down_payment_invoice(sim, id, o, &mode)?);
        }
    }
    Ok(Some(action_view_invoice(&invoices)))
}

fn down_payment_invoice(sim: &mut Sim, wizard: i64, order: i64, mode: &str) -> OResult<i64> {
    const W: &str = "sale.advance.payment.inv";
    let untaxed = dec(&sim.get(SO, order, "amount_untaxed"));
    let amount = if mode == "percentage" {
        untaxed * dec(&sim.get(W, wizard, "amount")) / Decimal::ONE_HUNDRED
    } else {
        dec(&sim.get(W, wizard, "fixed_amount"))
    };
    if amount <= Decimal::ZERO {
        return Err(OdooError::user(
            "The value of the down payment amount must be positive.",
        ));
    }
    let r = super::invoice_lines::rounding(sim, Some(sim.refs.currency));
    let amount = crate::odoo_sim::money::round(amount, r);
    let line = sim.create(
        SOL,
        &[
            ("order_id", json!(order)),
            ("name", json!("Down Payment")),
            ("is_downpayment", json!(true)),
            ("product_uom_qty", json!(0.0)),
            ("price_unit", dec_wire(amount)),
            ("tax_ids", json!([[6, 0, []]])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        &Ctx::new(),
    )?;
    invoice_from_order(sim, order, &[(line, Decimal::ONE)], "")
}
