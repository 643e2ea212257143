//! `account.move` actions (`addons/account/models/account_move.py` 19.0): `action_post`/`_post`
//! (checks joined in one UserError, invoice date, sequence number `INV/YYYY/NNNNN` or `RINV/…`,
//! credit-note reconciliation), `button_draft`/`button_cancel` (return None), `copy`, and the
//! action-returning helpers.

use super::account_move::{
    add_match, is_invoice, lines_of, mtype, residual, state, sync_lines, unreconcile, AM, AML,
};
use super::base::one_of;
use crate::odoo_sim::clock::parse_date;
use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::state::{Ctx, Sim};
use crate::odoo_sim::value::{as_id, as_ids, dec, truthy};
use chrono::Datelike;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// Posts moves (`action_post` → `_post`): validation, invoice date, sequence number, credit
/// note reconciliation with its origin.
pub fn post(sim: &mut Sim, ids: &[i64]) -> OResult<()> {
    let mut errors = vec![];
    for id in ids {
        let t = mtype(sim, *id);
        if state(sim, *id) != "draft" {
            errors.push(format!(
                "The entry {} (id {id}) must be in draft.",
                sim.display_name(AM, *id)
            ));
        }
        if lines_of(sim, *id, &["product", "tax", "payment_term"]).is_empty()
            || (is_invoice(&t) && lines_of(sim, *id, &["product"]).is_empty())
        {
            errors.push("Even magicians can't post nothing!".into());
        }
        if is_invoice(&t) && !truthy(&sim.get(AM, *id, "partner_id")) {
            let who = if t.starts_with("out_") {
                "Customer"
            } else {
                "Vendor"
            };
            errors.push(format!("The '{who}' field is required to validate the invoice.\nYou probably don't want to explain to your auditor that you invoiced an invisible man :)"));
        }
        if let Some(c) = as_id(&sim.get(AM, *id, "currency_id")) {
            if !truthy(&sim.get("res.currency", c, "active")) {
                errors.push(format!(
                    "You cannot validate a document with an inactive currency: {}",
                    sim.display_name("res.currency", c)
                ));
            }
        }
        if is_invoice(&t) && dec(&sim.get(AM, *id, "amount_total")) < Decimal::ZERO {
            errors.push("You cannot validate an invoice with a negative total amount. You should create a credit note instead. Use the action menu to transform it into a credit note or refund.".into());
        }
    }
    if !errors.is_empty() {
        return Err(OdooError::user(errors.join("\n")));
    }
    let today = sim.clock.today_str();
    for id in ids {
        let t = mtype(sim, *id);
        if is_invoice(&t) && !truthy(&sim.get(AM, *id, "invoice_date")) {
            sim.store(AM, *id, "invoice_date", json!(today));
        }
        if is_invoice(&t) {
            let d = sim.get(AM, *id, "invoice_date");
            sim.store(AM, *id, "date", d.clone());
            if !truthy(
                sim.db
                    .row(AM, *id)
                    .and_then(|r| r.get("invoice_date_due"))
                    .unwrap_or(&Value::Null),
            ) {
                sim.store(AM, *id, "invoice_date_due", d);
            }
        }
        let has_name = sim
            .get(AM, *id, "name")
            .as_str()
            .is_some_and(|n| !n.is_empty() && n != "/");
        if !has_name {
            let name = next_name(sim, *id);
            sim.store(AM, *id, "name", json!(name));
        }
        if !truthy(&sim.get(AM, *id, "payment_reference")) && t.starts_with("out_") {
            let n = sim.get(AM, *id, "name");
            sim.store(AM, *id, "payment_reference", n);
        }
        sim.store(AM, *id, "state", json!("posted"));
        sim.store(AM, *id, "posted_before", json!(true));
        sim.touch(AM, *id);
        sync_lines(sim, *id)?;
        if let Some(origin) = as_id(&sim.get(AM, *id, "reversed_entry_id")) {
            if state(sim, origin) == "posted" {
                let amount = residual(sim, *id).min(residual(sim, origin));
                if amount > Decimal::ZERO {
                    add_match(sim, *id, origin, amount, "refund");
                    add_match(sim, origin, *id, amount, "refund");
                }
            }
        }
    }
    Ok(())
}

fn next_name(sim: &mut Sim, id: i64) -> String {
    let journal = as_id(&sim.get(AM, id, "journal_id")).unwrap_or(sim.refs.sale_journal);
    let code = sim
        .get("account.journal", journal, "code")
        .as_str()
        .unwrap_or("MISC")
        .to_string();
    let refund = mtype(sim, id).ends_with("refund")
        && truthy(&sim.get("account.journal", journal, "refund_sequence"));
    let prefix = if refund { format!("R{code}") } else { code };
    let year = sim
        .get(AM, id, "date")
        .as_str()
        .and_then(parse_date)
        .unwrap_or(sim.clock.today())
        .year();
    let key = format!("{prefix}/{year}");
    let n = sim.db.next_seq(&key);
    format!("{key}/{n:05}")
}

/// Sets a move to cancelled without checks (used when cancelling a sale order).
pub fn cancel(sim: &mut Sim, id: i64) {
    unreconcile(sim, id);
    sim.store(AM, id, "state", json!("cancel"));
}

/// `copy()` of an invoice: header and invoice lines, as a new draft.
pub fn copy_move(sim: &mut Sim, id: i64, default: Option<&Value>, ctx: &Ctx) -> OResult<i64> {
    sim.check_exist(AM, &[id])?;
    let mut vals = Map::new();
    for f in [
        "move_type",
        "partner_id",
        "currency_id",
        "journal_id",
        "ref",
        "invoice_origin",
        "narration",
        "invoice_payment_term_id",
    ] {
        let v = sim.get(AM, id, f);
        vals.insert(f.into(), if v.is_null() { json!(false) } else { v });
    }
    let lines: Vec<Value> = lines_of(sim, id, &["product", "line_section", "line_note"])
        .into_iter()
        .map(|l| {
            json!([0, 0, {
                "display_type": sim.get(AML, l, "display_type"),
                "product_id": sim.wire_id(AML, l, "product_id"),
                "name": sim.get(AML, l, "name"),
                "quantity": crate::odoo_sim::value::dec_wire(dec(&sim.get(AML, l, "quantity"))),
                "price_unit": crate::odoo_sim::value::dec_wire(dec(&sim.get(AML, l, "price_unit"))),
                "tax_ids": [[6, 0, as_ids(&sim.get(AML, l, "tax_ids"))]],
            }])
        })
        .collect();
    vals.insert("invoice_line_ids".into(), json!(lines));
    if let Some(Value::Object(d)) = default {
        for (k, v) in d {
            vals.insert(k.clone(), v.clone());
        }
    }
    sim.create(AM, &vals, ctx)
}

/// Public `account.move` methods.
pub fn call(
    sim: &mut Sim,
    method: &str,
    ids: &[i64],
    kw: &Map<String, Value>,
    ctx: &Ctx,
) -> OResult<Option<Value>> {
    if method != "get_invoice_types" {
        sim.check_exist(AM, ids)?;
    }
    let receipts = kw.get("include_receipts").is_some_and(truthy);
    match method {
        "action_post" => {
            post(sim, ids)?;
            Ok(Some(json!(false)))
        }
        "button_draft" => {
            for id in ids {
                if !matches!(state(sim, *id).as_str(), "posted" | "cancel") {
                    return Err(OdooError::user(
                        "Only posted/cancelled journal entries can be reset to draft.",
                    ));
                }
                unreconcile(sim, *id);
                sim.store(AM, *id, "state", json!("draft"));
                sim.touch(AM, *id);
            }
            Ok(None)
        }
        "button_cancel" => {
            for id in ids {
                if state(sim, *id) == "posted" {
                    unreconcile(sim, *id);
                    sim.store(AM, *id, "state", json!("draft"));
                }
                if state(sim, *id) != "draft" {
                    return Err(OdooError::user(
                        "Only draft journal entries can be cancelled.",
                    ));
                }
                sim.store(AM, *id, "state", json!("cancel"));
                sim.store(AM, *id, "auto_post", json!("no"));
                sim.touch(AM, *id);
            }
            Ok(None)
        }
        "action_reverse" => Ok(Some(json!({
            "name": "Credit Note", "type": "ir.actions.act_window", "res_model": "account.move.reversal",
            "view_mode": "form", "views": [[false, "form"]], "target": "new",
            "context": {"active_model": "account.move", "active_ids": ids},
        }))),
        "action_register_payment" | "action_force_register_payment" => {
            if method == "action_register_payment"
                && ids
                    .iter()
                    .any(|i| sim.get(AM, *i, "state").as_str() != Some("posted"))
            {
                return Err(OdooError::user(
                    "You can only register payment for posted journal entries.",
                ));
            }
            Ok(Some(json!({
            "name": "Pay", "type": "ir.actions.act_window", "res_model": "account.payment.register",
            "view_mode": "form", "views": [[false, "form"]], "target": "new",
            "context": {"active_model": "account.move", "active_ids": ids},
            })))
        }
        "action_invoice_download_pdf" => {
            let list = ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let target = kw
                .get("target")
                .and_then(|t| t.as_str())
                .unwrap_or("download");
            Ok(Some(
                json!({"type": "ir.actions.act_url", "url": format!("/account/download_invoice_documents/{list}/pdf"), "target": target}),
            ))
        }
        "action_toggle_block_payment" => {
            for id in ids {
                let b = truthy(&sim.get(AM, *id, "__blocked"));
                if let Some(r) = sim.db.row_mut(AM, *id) {
                    r.insert("__blocked".into(), json!(!b));
                }
                sim.touch(AM, *id);
            }
            Ok(None)
        }
        "action_activate_currency" => {
            let cur: Vec<i64> = ids
                .iter()
                .filter_map(|i| as_id(&sim.get(AM, *i, "currency_id")))
                .collect();
            let v: Map<String, Value> = [("active".to_string(), json!(true))].into_iter().collect();
            sim.write("res.currency", &cur, &v, ctx)?;
            Ok(None)
        }
        "action_duplicate" => {
            let id = one_of(AM, ids)?;
            let new = copy_move(sim, id, None, ctx)?;
            Ok(Some(
                json!({"type": "ir.actions.act_window", "res_model": "account.move", "res_id": new, "view_mode": "form", "views": [[false, "form"]], "context": {}}),
            ))
        }
        "is_invoice" => {
            let id = one_of(AM, ids)?;
            let t = mtype(sim, id);
            Ok(Some(json!(if receipts {
                is_invoice(&t)
            } else {
                is_invoice(&t) && !t.ends_with("receipt")
            })))
        }
        "get_invoice_types" => {
            let mut v = vec!["out_invoice", "out_refund", "in_refund", "in_invoice"];
            if receipts {
                v.extend(["out_receipt", "in_receipt"]);
            }
            Ok(Some(json!(v)))
        }
        _ => Err(super::not_simulated(AM, method)),
    }
}
