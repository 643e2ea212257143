//! Payments and portal links: `account.payment.register` (`addons/account/wizard/
//! account_payment_register.py`), `payment.link.wizard` (`addons/payment/wizards/
//! payment_link_wizard.py` + the `account_payment`/`sale` overrides of `_compute_link`) and
//! `portal.mixin.get_portal_url` (`addons/portal/models/portal_mixin.py`).

use super::account_move::{residual, MATCHES};
use super::base::one_of;
use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::state::{Ctx, Record, Sim};
use crate::odoo_sim::value::{as_id, as_ids, dec, dec_val, dec_wire, truthy};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const AM: &str = "account.move";
const REG: &str = "account.payment.register";
const LINK: &str = "payment.link.wizard";

fn active_moves(ctx: &Ctx) -> Vec<i64> {
    if ctx.get("active_model").and_then(|m| m.as_str()) == Some(AM) {
        ctx.get("active_ids").map(as_ids).unwrap_or_default()
    } else {
        vec![]
    }
}

/// `default_get` checks of the payment and reversal wizards on the context's moves.
pub fn check_active_moves(sim: &mut Sim, model: &str, ctx: &Ctx) -> OResult<()> {
    let moves = active_moves(ctx);
    sim.check_exist(AM, &moves)?;
    let unposted = moves
        .iter()
        .any(|m| sim.get(AM, *m, "state").as_str() != Some("posted"));
    // The payment wizard itself accepts draft moves: the "posted only" check lives in
    // `account.move.action_register_payment` (19.0 `account_move.py`); on the real server
    // `create` with a draft invoice in `active_ids` returns an id (DIVERGENCES.md).
    if model == REG {
        if !moves.is_empty() && moves.iter().all(|m| residual(sim, *m).is_zero()) {
            return Err(OdooError::user("There's nothing left to pay for the selected journal items, so no payment registration is necessary. You've got your finances under control like a boss!"));
        }
    } else if model == "account.move.reversal" && unposted {
        return Err(OdooError::user(
            "To reverse a journal entry, it has to be posted first.",
        ));
    }
    Ok(())
}

/// Defaults of the payment register and payment link wizards from the context.
pub fn defaults(sim: &Sim, model: &str, ctx: &Ctx, rec: &mut Record) {
    if model == REG {
        let moves = active_moves(ctx);
        let lines: Vec<i64> = moves
            .iter()
            .flat_map(|m| {
                as_ids(&sim.get(AM, *m, "line_ids"))
                    .into_iter()
                    .filter(|l| {
                        sim.get("account.move.line", *l, "display_type").as_str()
                            == Some("payment_term")
                    })
            })
            .collect();
        rec.insert("line_ids".into(), json!(lines));
        if let Some(first) = moves.first() {
            rec.insert(
                "partner_id".into(),
                sim.get(AM, *first, "commercial_partner_id"),
            );
            rec.insert("currency_id".into(), sim.get(AM, *first, "currency_id"));
            let names: Vec<String> = moves.iter().map(|m| sim.display_name(AM, *m)).collect();
            rec.insert("communication".into(), json!(names.join(" ")));
            let outbound = sim
                .get(AM, *first, "move_type")
                .as_str()
                .is_some_and(|t| t == "out_refund" || t == "in_invoice");
            rec.insert(
                "payment_type".into(),
                json!(if outbound { "outbound" } else { "inbound" }),
            );
            let customer = sim
                .get(AM, *first, "move_type")
                .as_str()
                .is_some_and(|t| t.starts_with("out_"));
            rec.insert(
                "partner_type".into(),
                json!(if customer { "customer" } else { "supplier" }),
            );
        }
        rec.insert("journal_id".into(), json!(sim.refs.bank_journal));
        rec.insert("company_id".into(), json!(sim.refs.company));
        rec.insert("group_payment".into(), json!(false));
        rec.insert("payment_difference_handling".into(), json!("open"));
        rec.insert("installments_mode".into(), json!("full"));
    } else {
        let (Some(m), Some(id)) = (
            ctx.get("active_model").and_then(|m| m.as_str()),
            ctx.get("active_id").and_then(|i| i.as_i64()),
        ) else {
            return;
        };
        rec.insert("res_model".into(), json!(m));
        rec.insert("res_id".into(), json!(id));
        let due = match m {
            AM => dec(&sim.get(AM, id, "amount_residual")),
            "sale.order" => {
                dec(&sim.get("sale.order", id, "amount_total"))
                    - dec(&sim.get("sale.order", id, "amount_invoiced"))
            }
            _ => Decimal::ZERO,
        };
        rec.insert("amount".into(), dec_val(due));
        rec.insert("amount_max".into(), dec_val(due));
        if m == AM || m == "sale.order" {
            rec.insert("currency_id".into(), sim.get(m, id, "currency_id"));
            let partner = if m == AM {
                sim.get(AM, id, "commercial_partner_id")
            } else {
                sim.get(m, id, "partner_id")
            };
            rec.insert("partner_id".into(), partner);
        }
    }
}

fn pay_moves(sim: &Sim, id: i64) -> Vec<i64> {
    let mut out = vec![];
    for l in as_ids(&sim.get(REG, id, "line_ids")) {
        if let Some(m) = as_id(&sim.get("account.move.line", l, "move_id")) {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// Computed wizard fields (`amount` = residual when not set, `link`).
pub fn compute(sim: &Sim, model: &str, id: i64, field: &str) -> Option<Value> {
    if model == REG {
        let due: Decimal = pay_moves(sim, id).iter().map(|m| residual(sim, *m)).sum();
        return Some(match field {
            "amount" | "source_amount" | "source_amount_currency" => dec_val(due),
            "payment_difference" => dec_val(due - dec(&sim.get(REG, id, "amount"))),
            "company_currency_id" | "source_currency_id" => json!(sim.refs.currency),
            "can_edit_wizard" => json!(pay_moves(sim, id).len() == 1),
            "can_group_payments" => json!(pay_moves(sim, id).len() > 1),
            _ => return None,
        });
    }
    match field {
        "link" => Some(json!(payment_link(sim, id))),
        "partner_email" => {
            as_id(&sim.get(LINK, id, "partner_id")).map(|p| sim.get("res.partner", p, "email"))
        }
        "company_id" => Some(json!(sim.refs.company)),
        "invoice_amount_due" => Some(dec_val(dec(&sim.get(LINK, id, "amount_max")))),
        _ => None,
    }
}

fn py_float(d: Decimal) -> String {
    let s = dec_wire(d).to_string();
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

fn payment_link(sim: &Sim, id: i64) -> String {
    let model = sim
        .get(LINK, id, "res_model")
        .as_str()
        .unwrap_or("")
        .to_string();
    let res_id = sim.get(LINK, id, "res_id").as_i64().unwrap_or(0);
    let amount = py_float(dec(&sim.get(LINK, id, "amount")));
    let partner = as_id(&sim.get(LINK, id, "partner_id")).unwrap_or(0);
    let currency = as_id(&sim.get(LINK, id, "currency_id")).unwrap_or(0);
    let token = link_token(sim, partner, &amount, currency);
    let base = &sim.base_url();
    match model.as_str() {
        AM => format!("{base}/{}&move_id={res_id}&amount={amount}&payment_token={token}&payment=True#portal_pay", portal_url(sim, AM, res_id, &Map::new())),
        "sale.order" => format!("{base}{}&payment_amount={amount}", portal_url(sim, "sale.order", res_id, &Map::new())),
        _ => format!("{base}/payment/pay?amount={amount}&access_token={token}&currency_id={currency}&partner_id={partner}&company_id={}", sim.refs.company),
    }
}

/// `payment_utils.generate_access_token(partner_id, amount, currency_id)` stand-in: a SHA-256 of
/// the values and the database name.
pub fn link_token(sim: &Sim, partner: i64, amount: &str, currency: i64) -> String {
    let mut h = Sha256::new();
    h.update(format!("{}|{partner}|{amount}|{currency}", sim.database));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn access_url(model: &str, id: i64) -> String {
    if model == AM {
        format!("/my/invoices/{id}")
    } else {
        format!("/my/orders/{id}")
    }
}

/// The portal URL from an existing token (no write).
pub fn portal_url(sim: &Sim, model: &str, id: i64, kw: &Map<String, Value>) -> String {
    let token = sim
        .get(model, id, "access_token")
        .as_str()
        .unwrap_or("")
        .to_string();
    let s = |k: &str| {
        kw.get(k)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    format!(
        "{}{}?access_token={token}{}{}{}{}",
        access_url(model, id),
        s("suffix").unwrap_or_default(),
        s("report_type")
            .map(|r| format!("&report_type={r}"))
            .unwrap_or_default(),
        if kw.get("download").is_some_and(truthy) {
            "&download=true"
        } else {
            ""
        },
        s("query_string").unwrap_or_default(),
        s("anchor").map(|a| format!("#{a}")).unwrap_or_default(),
    )
}

/// `_portal_ensure_token`: creates `access_token` (uuid4) when missing.
pub fn ensure_token(sim: &mut Sim, model: &str, id: i64) {
    if !truthy(&sim.get(model, id, "access_token")) {
        let t = uuid::Uuid::new_v4().to_string();
        if let Some(r) = sim.db.row_mut(model, id) {
            r.insert("access_token".into(), json!(t));
        }
    }
}

/// `get_portal_url(suffix, report_type, download, query_string, anchor)` (ensure_one).
pub fn get_portal_url(
    sim: &mut Sim,
    model: &str,
    ids: &[i64],
    kw: &Map<String, Value>,
) -> OResult<Value> {
    let id = one_of(model, ids)?;
    sim.check_exist(model, &[id])?;
    ensure_token(sim, model, id);
    Ok(json!(portal_url(sim, model, id, kw)))
}

/// Ensures the linked document has a portal token before a payment link is computed.
pub fn prepare_link(sim: &mut Sim, vals: &Map<String, Value>, ctx: &Ctx) -> OResult<()> {
    let model = vals
        .get("res_model")
        .or(ctx.get("active_model"))
        .and_then(|m| m.as_str())
        .map(String::from);
    let id = vals
        .get("res_id")
        .or(ctx.get("active_id"))
        .and_then(|m| m.as_i64());
    if let (Some(m), Some(id)) = (model, id) {
        if m == AM || m == "sale.order" {
            sim.check_exist(&m, &[id])?;
            ensure_token(sim, &m, id);
        }
    }
    Ok(())
}

/// `action_create_payments()`.
pub fn call_register(
    sim: &mut Sim,
    method: &str,
    ids: &[i64],
    ctx: &Ctx,
) -> OResult<Option<Value>> {
    if method != "action_create_payments" {
        return Err(super::not_simulated(REG, method));
    }
    let id = one_of(REG, ids)?;
    sim.check_exist(REG, &[id])?;
    let moves = pay_moves(sim, id);
    if moves.is_empty() {
        return Err(OdooError::user("You can't register a payment because there is nothing left to pay on the selected journal items."));
    }
    let amount = dec(&sim.get(REG, id, "amount"));
    if moves.len() == 1 && amount <= Decimal::ZERO {
        return Err(OdooError::user("The amount must be positive."));
    }
    let date = sim.get(REG, id, "payment_date");
    let memo = sim.get(REG, id, "communication");
    let mut payments = vec![];
    for m in &moves {
        let due = residual(sim, *m);
        let paid = if moves.len() == 1 {
            amount.min(due)
        } else {
            due
        };
        let tb = sim.db.table("account.payment");
        tb.last_id += 1;
        let pid = tb.last_id;
        let mut r = Record::new();
        r.insert(
            "amount".into(),
            dec_val(if moves.len() == 1 { amount } else { due }),
        );
        r.insert("date".into(), date.clone());
        r.insert("memo".into(), memo.clone());
        r.insert("move_id".into(), json!(m));
        tb.rows.insert(pid, r);
        let mut ms = sim
            .db
            .row(AM, *m)
            .and_then(|r| r.get(MATCHES))
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        ms.push(
            json!({"move": null, "payment": pid, "amount": paid.to_string(), "kind": "payment"}),
        );
        if let Some(r) = sim.db.row_mut(AM, *m) {
            r.insert(MATCHES.into(), json!(ms));
        }
        sim.touch(AM, *m);
        payments.push(pid);
    }
    if ctx.get("dont_redirect_to_payments").is_some_and(truthy) {
        return Ok(Some(json!(true)));
    }
    Ok(Some(match payments.as_slice() {
        [one] => {
            json!({"name": "Payments", "type": "ir.actions.act_window", "res_model": "account.payment", "context": {"create": false}, "view_mode": "form", "res_id": one})
        }
        many => {
            json!({"name": "Payments", "type": "ir.actions.act_window", "res_model": "account.payment", "context": {"create": false}, "view_mode": "list,form", "domain": [["id", "in", many]]})
        }
    }))
}
