//! `account.move.reversal` wizard (`addons/account/wizard/account_move_reversal.py`, 19.0: no
//! `refund_method`). `refund_moves()` creates draft credit notes with `reversed_entry_id`;
//! `modify_moves()` posts them (reconciling the origin) and opens a new draft copy of the origin.

use super::move_actions::{copy_move, post};
use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::state::{Ctx, Record, Sim};
use crate::odoo_sim::value::{as_id, as_ids, dec, dec_wire, truthy};
use serde_json::{json, Map, Value};

const W: &str = "account.move.reversal";
const AM: &str = "account.move";

/// `move_ids` from context `active_model='account.move'` + `active_ids`. No `journal_id`: on
/// Odoo 19.0 the wizard's `create` without `journal_id` is refused ("Missing required value for
/// the field 'Journal' (journal_id)") whatever the context or `move_ids` say, because the
/// computed default is not applied on `create` over RPC (checked on the real server,
/// DIVERGENCES.md).
pub fn defaults(sim: &Sim, ctx: &Ctx, rec: &mut Record) {
    rec.insert("company_id".into(), json!(sim.refs.company));
    if ctx.get("active_model").and_then(|m| m.as_str()) != Some(AM) {
        return;
    }
    let ids = ctx.get("active_ids").map(as_ids).unwrap_or_default();
    rec.insert("move_ids".into(), json!(ids));
}

/// `create` checks after `default_get`: `journal_id` is required.
pub fn check_create(sim: &Sim, vals: &Map<String, Value>) -> OResult<()> {
    if !vals.get("journal_id").is_some_and(truthy) {
        return Err(sim.missing_required(W, "journal_id"));
    }
    Ok(())
}

/// Non-stored wizard fields.
pub fn compute(sim: &Sim, id: i64, field: &str) -> Option<Value> {
    let moves = as_ids(
        &sim.db
            .row(W, id)?
            .get("move_ids")
            .cloned()
            .unwrap_or(json!([])),
    );
    Some(match field {
        "residual" => crate::odoo_sim::value::dec_val(
            moves
                .iter()
                .map(|m| dec(&sim.get(AM, *m, "amount_residual")))
                .sum(),
        ),
        "currency_id" => moves
            .first()
            .map(|m| sim.get(AM, *m, "currency_id"))
            .unwrap_or(Value::Null),
        "move_type" => moves
            .first()
            .map(|m| sim.get(AM, *m, "move_type"))
            .unwrap_or(Value::Null),
        "available_journal_ids" => json!([sim.refs.sale_journal]),
        _ => return None,
    })
}

fn reverse_type(t: &str) -> &'static str {
    match t {
        "out_invoice" => "out_refund",
        "out_refund" => "out_invoice",
        "in_invoice" => "in_refund",
        "in_refund" => "in_invoice",
        "out_receipt" => "out_invoice",
        "in_receipt" => "in_invoice",
        _ => "entry",
    }
}

fn reverse_one(sim: &mut Sim, wizard: i64, mv: i64) -> OResult<i64> {
    let name = sim.display_name(AM, mv);
    let reason = sim.get(W, wizard, "reason");
    let date = match sim.get(W, wizard, "date") {
        Value::Null => json!(sim.clock.today_str()),
        d => d,
    };
    let t = sim
        .get(AM, mv, "move_type")
        .as_str()
        .unwrap_or("entry")
        .to_string();
    let lines: Vec<Value> = as_ids(&sim.get(AM, mv, "invoice_line_ids"))
        .into_iter()
        .map(|l| {
            let g = |f: &str| sim.get("account.move.line", l, f);
            json!([0, 0, {
                "display_type": g("display_type"),
                "product_id": sim.wire_id("account.move.line", l, "product_id"),
                "name": g("name"),
                "quantity": dec_wire(dec(&g("quantity"))),
                "price_unit": dec_wire(dec(&g("price_unit"))),
                "discount": dec_wire(dec(&g("discount"))),
                "tax_ids": [[6, 0, as_ids(&g("tax_ids"))]],
                "sale_line_ids": [[6, 0, as_ids(&g("sale_line_ids"))]],
            }])
        })
        .collect();
    let mut vals = Map::new();
    vals.insert("move_type".into(), json!(reverse_type(&t)));
    vals.insert("reversed_entry_id".into(), json!(mv));
    vals.insert("partner_id".into(), sim.wire_id(AM, mv, "partner_id"));
    vals.insert("currency_id".into(), sim.wire_id(AM, mv, "currency_id"));
    let journal = match as_id(&sim.get(W, wizard, "journal_id")) {
        Some(j) => json!(j),
        None => sim.wire_id(AM, mv, "journal_id"),
    };
    vals.insert("journal_id".into(), journal);
    vals.insert("invoice_origin".into(), sim.get(AM, mv, "invoice_origin"));
    let r#ref = match reason.as_str() {
        Some(r) if !r.is_empty() => format!("Reversal of: {name}, {r}"),
        _ => format!("Reversal of: {name}"),
    };
    vals.insert("ref".into(), json!(r#ref));
    vals.insert("date".into(), date.clone());
    if t != "entry" {
        vals.insert("invoice_date".into(), date);
    }
    vals.insert("invoice_line_ids".into(), json!(lines));
    let vals: Map<String, Value> = vals
        .into_iter()
        .map(|(k, v)| (k, if v.is_null() { json!(false) } else { v }))
        .collect();
    sim.create(AM, &vals, &Ctx::new())
}

fn action(ids: &[i64], refund: bool) -> Value {
    let ctx = if refund {
        json!({"default_move_type": "out_refund"})
    } else {
        json!({"default_move_type": "out_invoice"})
    };
    match ids {
        [one] => {
            json!({"name": "Reverse Moves", "type": "ir.actions.act_window", "res_model": "account.move", "context": ctx, "view_mode": "form", "res_id": one})
        }
        many => {
            json!({"name": "Reverse Moves", "type": "ir.actions.act_window", "res_model": "account.move", "context": ctx, "view_mode": "list,form", "domain": [["id", "in", many]]})
        }
    }
}

/// `refund_moves`, `modify_moves`, `reverse_moves(is_modify=False)`.
pub fn call(
    sim: &mut Sim,
    method: &str,
    ids: &[i64],
    kw: &Map<String, Value>,
    ctx: &Ctx,
) -> OResult<Option<Value>> {
    let wizard = super::base::one_of(W, ids)?;
    sim.check_exist(W, &[wizard])?;
    let is_modify = match method {
        "refund_moves" => false,
        "modify_moves" => true,
        "reverse_moves" => kw.get("is_modify").is_some_and(truthy),
        other => return Err(super::not_simulated(W, other)),
    };
    let moves = as_ids(&sim.get(W, wizard, "move_ids"));
    if moves
        .iter()
        .any(|m| sim.get(AM, *m, "state").as_str() != Some("posted"))
    {
        return Err(OdooError::user("You can only reverse posted moves."));
    }
    let mut refunds = vec![];
    for mv in &moves {
        refunds.push(reverse_one(sim, wizard, *mv)?);
    }
    let v: Map<String, Value> = [("new_move_ids".to_string(), json!([[6, 0, refunds.clone()]]))]
        .into_iter()
        .collect();
    sim.write(W, &[wizard], &v, ctx)?;
    if !is_modify {
        return Ok(Some(action(&refunds, true)));
    }
    post(sim, &refunds)?;
    let mut copies = vec![];
    for mv in &moves {
        copies.push(copy_move(sim, *mv, None, ctx)?);
    }
    Ok(Some(action(&copies, false)))
}
