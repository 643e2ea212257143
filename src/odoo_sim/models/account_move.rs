//! `account.move` / `account.move.line` (`addons/account/models/account_move.py`,
//! `account_move_line.py`, `sequence_mixin.py`): invoice totals with per-line tax rounding,
//! generated tax and receivable (`payment_term`) lines, `action_post` (sequence `INV/YYYY/NNNNN`,
//! credit notes `RINV/…`, draft name `false` — 19.0 `_compute_name` only numbers moves that are not
//! draft), reconciliation bookkeeping and `payment_state`.

use super::invoice_lines::{document_taxes, line_amounts, rounding};
use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::state::{Ctx, Record, Sim};
use crate::odoo_sim::value::{as_id, as_ids, dec, dec_val, truthy};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub(super) const AM: &str = "account.move";
pub(super) const AML: &str = "account.move.line";
/// Internal key holding reconciliations `[{"move": id, "amount": "x", "kind": "refund"|"payment"}]`.
pub const MATCHES: &str = "__matches";

/// Invoice move types (`is_invoice(include_receipts=True)`).
pub fn is_invoice(t: &str) -> bool {
    matches!(
        t,
        "out_invoice" | "out_refund" | "in_invoice" | "in_refund" | "out_receipt" | "in_receipt"
    )
}

pub(super) fn mtype(sim: &Sim, id: i64) -> String {
    sim.get(AM, id, "move_type")
        .as_str()
        .unwrap_or("entry")
        .to_string()
}

pub(super) fn state(sim: &Sim, id: i64) -> String {
    sim.get(AM, id, "state")
        .as_str()
        .unwrap_or("draft")
        .to_string()
}

/// Defaults of moves (date today, company currency) and lines (quantity 1, product line).
pub fn defaults(sim: &Sim, model: &str, _ctx: &Ctx, rec: &mut Record) {
    if model == AM {
        rec.insert("date".into(), json!(sim.clock.today_str()));
        rec.insert("currency_id".into(), json!(sim.refs.currency));
        rec.insert("company_id".into(), json!(sim.refs.company));
    } else {
        rec.insert("display_type".into(), json!("product"));
        rec.insert("quantity".into(), json!("1"));
    }
}

/// Journal by move type, then regenerated tax/receivable lines.
pub fn after_change(sim: &mut Sim, ids: &[i64]) -> OResult<()> {
    for id in ids {
        if !truthy(&sim.get(AM, *id, "journal_id")) {
            let j = if mtype(sim, *id).starts_with("out_") {
                sim.refs.sale_journal
            } else {
                sim.refs.bank_journal
            };
            if let Some(r) = sim.db.row_mut(AM, *id) {
                r.insert("journal_id".into(), json!(j));
            }
        }
        sync_lines(sim, *id)?;
    }
    Ok(())
}

/// Product onchange on new invoice lines, then the parent move's generated lines.
pub fn after_line_change(sim: &mut Sim, ids: &[i64]) -> OResult<()> {
    let mut moves = vec![];
    for id in ids {
        let Some(rec) = sim.db.row(AML, *id).cloned() else {
            continue;
        };
        let mv = as_id(rec.get("move_id").unwrap_or(&Value::Null));
        if let (Some(p), Some(m)) = (as_id(rec.get("product_id").unwrap_or(&Value::Null)), mv) {
            let mut upd: Vec<(&str, Value)> = vec![];
            if !rec.contains_key("name") {
                upd.push(("name", json!(sim.display_name("product.product", p))));
            }
            if !rec.contains_key("price_unit") {
                upd.push((
                    "price_unit",
                    dec_val(dec(&sim.get("product.product", p, "list_price"))),
                ));
            }
            if !rec.contains_key("tax_ids") && mtype(sim, m).starts_with("out_") {
                let partner = as_id(&sim.get(AM, m, "partner_id"));
                let taxes = as_ids(&sim.get("product.product", p, "taxes_id"));
                let fp = super::fiscal::position_for(sim, partner);
                upd.push(("tax_ids", json!(super::fiscal::map_taxes(sim, fp, &taxes))));
            }
            if !rec.contains_key("product_uom_id") {
                upd.push(("product_uom_id", sim.get("product.product", p, "uom_id")));
            }
            if let Some(r) = sim.db.row_mut(AML, *id) {
                for (k, v) in upd {
                    r.insert(k.into(), v);
                }
            }
        }
        if let Some(m) = mv {
            if !moves.contains(&m) {
                moves.push(m);
            }
        }
    }
    for m in moves {
        sync_lines(sim, m)?;
        sim.touch(AM, m);
    }
    Ok(())
}

/// Sign of product lines' balance: revenue is a credit on customer invoices.
fn sign(t: &str) -> Decimal {
    if matches!(t, "out_invoice" | "in_refund" | "out_receipt") {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    }
}

pub(super) fn lines_of(sim: &Sim, id: i64, types: &[&str]) -> Vec<i64> {
    sim.db
        .ids(AML)
        .into_iter()
        .filter(|l| {
            sim.db
                .row(AML, *l)
                .and_then(|r| r.get("move_id"))
                .and_then(|v| v.as_i64())
                == Some(id)
        })
        .filter(|l| {
            types.contains(
                &sim.get(AML, *l, "display_type")
                    .as_str()
                    .unwrap_or("product"),
            )
        })
        .collect()
}

/// `(untaxed, tax by tax id)` of a move's product lines.
fn totals(sim: &Sim, id: i64) -> (Decimal, BTreeMap<i64, Decimal>) {
    let r = rounding(sim, as_id(&sim.get(AM, id, "currency_id")));
    let lines = lines_of(sim, id, &["product"]);
    let untaxed = lines.iter().map(|l| line_amounts(sim, AML, *l).0).sum();
    let taxes: BTreeMap<i64, Decimal> = document_taxes(sim, AML, &lines, r);
    (untaxed, taxes)
}

/// Regenerates the tax lines (one per tax) and the receivable line of an invoice.
pub(super) fn sync_lines(sim: &mut Sim, id: i64) -> OResult<()> {
    let t = mtype(sim, id);
    if !is_invoice(&t) {
        return Ok(());
    }
    let s = sign(&t);
    let (untaxed, taxes) = totals(sim, id);
    let total: Decimal = untaxed + taxes.values().copied().sum::<Decimal>();
    let mut existing = lines_of(sim, id, &["tax"]);
    for (tax, amount) in &taxes {
        let pos = existing
            .iter()
            .position(|l| as_id(&sim.get(AML, *l, "tax_line_id")) == Some(*tax));
        let line = match pos {
            Some(p) => existing.remove(p),
            None => new_line(sim, id, "tax")?,
        };
        let name = sim.get("account.tax", *tax, "name");
        if let Some(r) = sim.db.row_mut(AML, line) {
            r.insert("tax_line_id".into(), json!(tax));
            r.insert("name".into(), name);
            r.insert("balance".into(), dec_val(s * amount));
        }
    }
    if !existing.is_empty() {
        if let Some(tb) = sim.db.tables.get_mut(AML) {
            for l in existing {
                tb.rows.remove(&l);
            }
        }
    }
    let term = match lines_of(sim, id, &["payment_term"]).first() {
        Some(l) => *l,
        None => new_line(sim, id, "payment_term")?,
    };
    let name = sim.get(AM, id, "name");
    let due = sim.get(AM, id, "invoice_date_due");
    if let Some(r) = sim.db.row_mut(AML, term) {
        r.insert("balance".into(), dec_val(-s * total));
        r.insert(
            "name".into(),
            if name.is_string() { name } else { json!("") },
        );
        r.insert("date_maturity".into(), due);
    }
    Ok(())
}

fn new_line(sim: &mut Sim, move_id: i64, display_type: &str) -> OResult<i64> {
    let now = sim.clock.now_str();
    let tb = sim.db.table(AML);
    tb.last_id += 1;
    let id = tb.last_id;
    let mut r = Record::new();
    r.insert("move_id".into(), json!(move_id));
    r.insert("display_type".into(), json!(display_type));
    r.insert("quantity".into(), json!("0"));
    r.insert("create_date".into(), json!(now));
    r.insert("write_date".into(), json!(now));
    tb.rows.insert(id, r);
    Ok(id)
}

pub(super) fn matched(sim: &Sim, id: i64) -> Vec<Value> {
    sim.db
        .row(AM, id)
        .and_then(|r| r.get(MATCHES))
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default()
}

/// Amount still due (posted: total less reconciled amounts).
pub fn residual(sim: &Sim, id: i64) -> Decimal {
    let total = dec(&sim.get(AM, id, "amount_total"));
    let paid: Decimal = matched(sim, id).iter().map(|m| dec(&m["amount"])).sum();
    total - paid
}

/// Records a reconciliation of `amount` between two moves (or a move and a payment).
pub fn add_match(sim: &mut Sim, id: i64, other: i64, amount: Decimal, kind: &str) {
    let mut m = matched(sim, id);
    m.push(json!({"move": other, "amount": amount.to_string(), "kind": kind}));
    if let Some(r) = sim.db.row_mut(AM, id) {
        r.insert(MATCHES.into(), json!(m));
    }
    sim.touch(AM, id);
}

pub(super) fn unreconcile(sim: &mut Sim, id: i64) {
    for m in matched(sim, id) {
        if m["kind"] == "refund" {
            if let Some(other) = m["move"].as_i64() {
                let keep: Vec<Value> = matched(sim, other)
                    .into_iter()
                    .filter(|x| x["move"] != json!(id))
                    .collect();
                if let Some(r) = sim.db.row_mut(AM, other) {
                    r.insert(MATCHES.into(), json!(keep));
                }
                sim.touch(AM, other);
            }
        }
    }
    if let Some(r) = sim.db.row_mut(AM, id) {
        r.remove(MATCHES);
    }
}

fn payment_state(sim: &Sim, id: i64) -> &'static str {
    let t = mtype(sim, id);
    if state(sim, id) != "posted" || !is_invoice(&t) {
        return "not_paid";
    }
    if truthy(&sim.get(AM, id, "__blocked")) {
        return "blocked";
    }
    let total = dec(&sim.get(AM, id, "amount_total"));
    let res = residual(sim, id);
    let ms = matched(sim, id);
    if res.is_zero() {
        let all_refunds = !ms.is_empty() && ms.iter().all(|m| m["kind"] == "refund");
        if all_refunds && matches!(t.as_str(), "out_invoice" | "out_receipt") {
            "reversed"
        } else {
            "paid"
        }
    } else if res != total {
        "partial"
    } else {
        "not_paid"
    }
}

/// Computed move and line fields.
pub fn compute(sim: &Sim, model: &str, id: i64, field: &str) -> Option<Value> {
    if model == AML {
        return compute_line(sim, id, field);
    }
    let t = mtype(sim, id);
    let out_sign = if matches!(t.as_str(), "out_refund" | "in_invoice" | "in_receipt") {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    if !AMOUNT_FIELDS.contains(&field) {
        return compute_other(sim, id, field, &t);
    }
    let (untaxed, taxes) = {
        let (u, tx) = totals(sim, id);
        (u, tx.values().copied().sum::<Decimal>())
    };
    Some(match field {
        "amount_untaxed" => dec_val(untaxed),
        "amount_tax" => dec_val(taxes),
        "amount_total" => dec_val(untaxed + taxes),
        "amount_residual" => dec_val(if state(sim, id) == "posted" {
            residual(sim, id)
        } else {
            untaxed + taxes
        }),
        "amount_untaxed_signed" | "amount_untaxed_in_currency_signed" => {
            dec_val(out_sign * untaxed)
        }
        "amount_tax_signed" => dec_val(out_sign * taxes),
        "amount_total_signed" | "amount_total_in_currency_signed" => {
            dec_val(out_sign * (untaxed + taxes))
        }
        "amount_residual_signed" => dec_val(out_sign * dec(&sim.get(AM, id, "amount_residual"))),
        "amount_paid" => dec_val(untaxed + taxes - dec(&sim.get(AM, id, "amount_residual"))),
        _ => return None,
    })
}

const AMOUNT_FIELDS: &[&str] = &[
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "amount_untaxed_signed",
    "amount_untaxed_in_currency_signed",
    "amount_tax_signed",
    "amount_total_signed",
    "amount_total_in_currency_signed",
    "amount_residual_signed",
    "amount_paid",
];

fn compute_other(sim: &Sim, id: i64, field: &str, t: &str) -> Option<Value> {
    Some(match field {
        "payment_state" => json!(payment_state(sim, id)),
        "status_in_payment" => json!(if state(sim, id) == "posted" {
            payment_state(sim, id).to_string()
        } else {
            state(sim, id)
        }),
        "invoice_line_ids" => json!(lines_of(
            sim,
            id,
            &["product", "line_section", "line_subsection", "line_note"]
        )),
        "commercial_partner_id" => as_id(&sim.get(AM, id, "partner_id"))
            .map(|p| sim.get("res.partner", p, "commercial_partner_id"))
            .unwrap_or(Value::Null),
        "invoice_partner_display_name" => as_id(&sim.get(AM, id, "partner_id"))
            .map(|p| json!(sim.display_name("res.partner", p)))
            .unwrap_or(Value::Null),
        "access_url" => json!(format!("/my/invoices/{id}")),
        "invoice_date_due" => {
            let d = sim.get(AM, id, "invoice_date");
            if d.is_null() {
                sim.get(AM, id, "date")
            } else {
                d
            }
        }
        "type_name" => json!(match t {
            "out_invoice" => "Invoice",
            "out_refund" => "Credit Note",
            "in_invoice" => "Vendor Bill",
            "in_refund" => "Vendor Credit Note",
            "entry" => "Journal Entry",
            _ => "Receipt",
        }),
        "matched_payment_ids" => json!(matched(sim, id)
            .iter()
            .filter(|m| m["kind"] == "payment")
            .filter_map(|m| m["payment"].as_i64())
            .collect::<Vec<_>>()),
        "reconciled_payment_ids" => json!(matched(sim, id)
            .iter()
            .filter(|m| m["kind"] == "payment")
            .filter_map(|m| m["payment"].as_i64())
            .collect::<Vec<_>>()),
        "payment_count" => json!(matched(sim, id)
            .iter()
            .filter(|m| m["kind"] == "payment")
            .count()),
        "sale_order_count" => {
            let mut orders: Vec<i64> = vec![];
            for l in lines_of(sim, id, &["product"]) {
                for sl in as_ids(&sim.get(AML, l, "sale_line_ids")) {
                    if let Some(o) = as_id(&sim.get("sale.order.line", sl, "order_id")) {
                        if !orders.contains(&o) {
                            orders.push(o);
                        }
                    }
                }
            }
            json!(orders.len())
        }
        "company_currency_id" => json!(sim.refs.currency),
        "invoice_currency_rate" => json!("1"),
        _ => return None,
    })
}

fn compute_line(sim: &Sim, id: i64, field: &str) -> Option<Value> {
    let mv = as_id(
        &sim.db
            .row(AML, id)?
            .get("move_id")
            .cloned()
            .unwrap_or(Value::Null),
    )?;
    let product = sim.get(AML, id, "display_type").as_str() == Some("product");
    let balance = || -> Decimal {
        if product {
            sign(&mtype(sim, mv)) * line_amounts(sim, AML, id).0
        } else {
            dec(&sim
                .db
                .row(AML, id)
                .and_then(|r| r.get("balance"))
                .cloned()
                .unwrap_or(Value::Null))
        }
    };
    Some(match field {
        "price_subtotal" => dec_val(if product {
            line_amounts(sim, AML, id).0
        } else {
            Decimal::ZERO
        }),
        "price_total" => dec_val(if product {
            line_amounts(sim, AML, id).2
        } else {
            Decimal::ZERO
        }),
        "balance" | "amount_currency" => dec_val(balance()),
        "debit" => dec_val(balance().max(Decimal::ZERO)),
        "credit" => dec_val((-balance()).max(Decimal::ZERO)),
        "currency_id" => sim.get(AM, mv, "currency_id"),
        "partner_id" => sim.get(AM, mv, "commercial_partner_id"),
        "discount" => json!("0"),
        "amount_residual" | "amount_residual_currency" => {
            if sim.get(AML, id, "display_type").as_str() == Some("payment_term") {
                let s = -sign(&mtype(sim, mv));
                dec_val(
                    s * if state(sim, mv) == "posted" {
                        residual(sim, mv)
                    } else {
                        dec(&sim.get(AM, mv, "amount_total"))
                    },
                )
            } else {
                json!("0")
            }
        }
        "reconciled" => json!(
            sim.get(AML, id, "display_type").as_str() == Some("payment_term")
                && state(sim, mv) == "posted"
                && residual(sim, mv).is_zero()
        ),
        "is_refund" => json!(mtype(sim, mv).ends_with("refund")),
        _ => return None,
    })
}

/// `display_name`: `Draft Invoice (* 5)` for unnumbered drafts, else the number.
pub fn display_name(sim: &Sim, id: i64) -> Option<String> {
    let name = sim
        .db
        .row(AM, id)?
        .get("name")
        .and_then(|v| v.as_str())
        .filter(|n| *n != "/")
        .map(String::from);
    let mut out = String::new();
    if state(sim, id) == "draft" {
        out.push_str(match mtype(sim, id).as_str() {
            "out_invoice" => "Draft Invoice",
            "out_refund" => "Draft Credit Note",
            "in_invoice" => "Draft Bill",
            "in_refund" => "Draft Vendor Credit Note",
            "out_receipt" => "Draft Sales Receipt",
            "in_receipt" => "Draft Purchase Receipt",
            _ => "Draft Entry",
        });
        out.push(' ');
    }
    match name {
        Some(n) => out.push_str(&n),
        None => out.push_str(&format!("(* {id})")),
    }
    Some(out)
}

/// Writes that would break a posted entry are refused (`_check_fiscal_lock_dates` aside).
pub fn before_write(sim: &mut Sim, ids: &[i64], vals: &Map<String, Value>) -> OResult<()> {
    for id in ids {
        if state(sim, *id) == "posted"
            && (vals.contains_key("invoice_line_ids") || vals.contains_key("line_ids"))
        {
            return Err(OdooError::user(
                "You cannot modify a posted entry of this journal because it is in strict mode.",
            ));
        }
    }
    Ok(())
}

/// `_unlink_forbid_parts_of_chain` / posted check.
pub fn check_unlink(sim: &Sim, ids: &[i64]) -> OResult<()> {
    for id in ids {
        if state(sim, *id) == "posted" || truthy(&sim.get(AM, *id, "posted_before")) {
            return Err(OdooError::user(
                "You cannot delete an entry which has been posted once.",
            ));
        }
    }
    Ok(())
}
