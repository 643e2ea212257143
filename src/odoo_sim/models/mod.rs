//! Model-specific behaviour plugged into the generic ORM: defaults, computed fields, display
//! names, create/write/unlink hooks and public business methods. One file per business object.

pub mod account_move;
pub mod base;
pub mod fiscal;
pub mod invoice_lines;
pub mod ir_model;
pub mod move_actions;
pub mod payment;
pub mod product;
pub mod reversal;
pub mod sale_order;
pub mod subscription;

use super::error::{OResult, OdooError};
use super::state::{Ctx, Record, Sim};
use serde_json::{Map, Value};

/// Dynamic defaults (`default=lambda ...`) filled before the caller's values.
pub fn defaults(sim: &Sim, model: &str, ctx: &Ctx, rec: &mut Record) {
    base::defaults(sim, model, ctx, rec);
    match model {
        "product.template" => product::defaults(sim, rec),
        "sale.order" | "sale.order.line" => sale_order::defaults(sim, model, rec),
        "account.move" | "account.move.line" => account_move::defaults(sim, model, ctx, rec),
        "account.move.reversal" => reversal::defaults(sim, ctx, rec),
        "account.payment.register" | "payment.link.wizard" => {
            payment::defaults(sim, model, ctx, rec)
        }
        "sale.advance.payment.inv" => sale_order::wizard_defaults(ctx, rec),
        _ => {}
    }
}

/// Adjusts the values of a `create` before insertion.
pub fn prepare_create(
    sim: &mut Sim,
    model: &str,
    vals: &mut Map<String, Value>,
    ctx: &Ctx,
) -> OResult<()> {
    match model {
        "product.product" => product::prepare_variant(sim, vals, ctx),
        "ir.model.fields" => ir_model::prepare_field(sim, vals),
        "account.payment.register" => payment::check_active_moves(sim, model, ctx),
        "account.move.reversal" => {
            payment::check_active_moves(sim, model, ctx)?;
            reversal::check_create(sim, vals)
        }
        "payment.link.wizard" => payment::prepare_link(sim, vals, ctx),
        _ => Ok(()),
    }
}

/// Runs after a record and its values are stored.
pub fn after_create(
    sim: &mut Sim,
    model: &str,
    id: i64,
    vals: &Map<String, Value>,
    ctx: &Ctx,
) -> OResult<()> {
    match model {
        "res.partner" => base::check_partner(sim, id),
        "product.template" => product::after_create_template(sim, id, vals, ctx),
        "sale.order" => sale_order::after_create(sim, id, vals),
        "sale.order.line" => sale_order::after_line_change(sim, &[id], vals),
        "account.move" => account_move::after_change(sim, &[id]),
        "account.move.line" => account_move::after_line_change(sim, &[id]),
        "ir.model.fields" => ir_model::after_create_field(sim, id),
        _ => Ok(()),
    }
}

/// Runs before values are written (e.g. to forbid edits).
pub fn before_write(
    sim: &mut Sim,
    model: &str,
    ids: &[i64],
    vals: &Map<String, Value>,
    _ctx: &Ctx,
) -> OResult<()> {
    match model {
        "account.move" => account_move::before_write(sim, ids, vals),
        _ => Ok(()),
    }
}

/// Runs after a `write`.
pub fn after_write(
    sim: &mut Sim,
    model: &str,
    ids: &[i64],
    keys: &[String],
    ctx: &Ctx,
) -> OResult<()> {
    let vals: Map<String, Value> = keys.iter().map(|k| (k.clone(), Value::Null)).collect();
    match model {
        "res.partner" => ids.iter().try_for_each(|id| base::check_partner(sim, *id)),
        "product.template" => product::after_write_template(sim, ids, keys, ctx),
        "sale.order.line" => sale_order::after_line_change(sim, ids, &vals),
        "sale.order" => sale_order::after_write(sim, ids, keys),
        "account.move" => account_move::after_change(sim, ids),
        "account.move.line" => account_move::after_line_change(sim, ids),
        _ => Ok(()),
    }
}

/// Runs before `unlink` (Odoo's `@api.ondelete` checks).
pub fn before_unlink(sim: &mut Sim, model: &str, ids: &[i64], _ctx: &Ctx) -> OResult<()> {
    match model {
        "sale.order" => sale_order::check_unlink(sim, ids),
        "account.move" => account_move::check_unlink(sim, ids),
        "ir.model.fields" => ir_model::before_unlink_fields(sim, ids),
        _ => Ok(()),
    }
}

/// Writes to non-stored fields that have an inverse (`company_type` → `is_company`). Returns
/// true when handled.
pub fn inverse(
    sim: &mut Sim,
    model: &str,
    id: i64,
    field: &str,
    raw: &Value,
    _ctx: &Ctx,
) -> OResult<bool> {
    if model == "ir.model.fields" && field == "selection" {
        if let Some(r) = sim.db.row_mut(model, id) {
            r.insert("selection".into(), raw.clone());
        }
        return Ok(true);
    }
    if model == "res.partner" && field == "company_type" {
        let f = sim.model_def(model)?.field(field).cloned();
        if let Some(f) = f {
            super::orm::convert(model, &f, raw, &sim.clock)?;
        }
        if let Some(r) = sim.db.row_mut(model, id) {
            r.insert(
                "is_company".into(),
                Value::Bool(raw.as_str() == Some("company")),
            );
        }
        return Ok(true);
    }
    Ok(false)
}

/// Computed values that are not stored on the record.
pub fn compute(sim: &Sim, model: &str, id: i64, field: &str) -> Option<Value> {
    if field == "display_name" {
        return Some(Value::String(sim.display_name(model, id)));
    }
    if field == "fiscal_position_id" && (model == "sale.order" || model == "account.move") {
        let partner = super::value::as_id(&sim.get(model, id, "partner_id"));
        return Some(fiscal::position_for(sim, partner).map_or(Value::Bool(false), Value::from));
    }
    match model {
        "res.partner" | "res.currency" | "res.users" | "res.company" | "sale.subscription.plan" => {
            base::compute(sim, model, id, field)
        }
        "product.template" | "product.product" => product::compute(sim, model, id, field),
        "sale.order" | "sale.order.line" => sale_order::compute(sim, model, id, field),
        "account.move" | "account.move.line" => account_move::compute(sim, model, id, field),
        "payment.link.wizard" | "account.payment.register" => {
            payment::compute(sim, model, id, field)
        }
        "account.move.reversal" => reversal::compute(sim, id, field),
        _ => None,
    }
}

/// `display_name` when it is not simply `name`.
pub fn display_name(sim: &Sim, model: &str, id: i64) -> Option<String> {
    match model {
        "res.partner" => base::partner_display_name(sim, id),
        "product.product" => product::variant_display_name(sim, id),
        "account.move" => account_move::display_name(sim, id),
        "res.country.state" => {
            let country = super::value::as_id(&sim.get(model, id, "country_id"))
                .map(|c| sim.get("res.country", c, "code"));
            match (sim.get(model, id, "name"), country) {
                (Value::String(n), Some(Value::String(c))) => Some(format!("{n} ({c})")),
                _ => None,
            }
        }
        "sale.order.line" => sale_order::line_display_name(sim, id),
        "ir.model.fields" => sim
            .get(model, id, "field_description")
            .as_str()
            .map(String::from),
        "res.users" => sim
            .get("res.users", id, "partner_id")
            .as_i64()
            .map(|p| sim.display_name("res.partner", p)),
        _ => None,
    }
}

/// `_rec_name` used by `name_search`/`name_create`.
pub fn rec_name(model: &str) -> &'static str {
    match model {
        "ir.config_parameter" => "key",
        "ir.model" => "model",
        "res.users" => "login",
        _ => "name",
    }
}

/// Human label of a selection key for `fields_get` (known Odoo labels; the key otherwise).
pub fn selection_label(key: &str) -> String {
    match key {
        "draft" => "Draft",
        "posted" => "Posted",
        "cancel" => "Cancelled",
        "sale" => "Sales Order",
        "sent" => "Quotation Sent",
        "not_paid" => "Not Paid",
        "in_payment" => "In Payment",
        "paid" => "Paid",
        "partial" => "Partially Paid",
        "reversed" => "Reversed",
        "out_invoice" => "Customer Invoice",
        "out_refund" => "Customer Credit Note",
        "order" => "Ordered quantities",
        "delivery" => "Delivered quantities",
        "consu" => "Goods",
        "service" => "Service",
        "combo" => "Combo",
        "1_draft" => "Quotation",
        "2_renewal" => "Renewal Quotation",
        "3_progress" => "In Progress",
        "4_paused" => "Paused",
        "5_renewed" => "Renewed",
        "6_churn" => "Churned",
        "7_upsell" => "Upsell",
        "month" => "Months",
        "year" => "Years",
        "week" => "Weeks",
        "percent" => "Percentage of Price",
        "fixed" => "Fixed",
        other => return other.to_string(),
    }
    .to_string()
}

/// `copy(default)` for the models where copying is simulated.
pub fn copy(
    sim: &mut Sim,
    model: &str,
    id: i64,
    default: Option<&Value>,
    ctx: &Ctx,
) -> OResult<Value> {
    let id = match model {
        "account.move" => move_actions::copy_move(sim, id, default, ctx)?,
        _ => base::copy_plain(sim, model, id, default, ctx)?,
    };
    Ok(Value::from(id))
}

/// Dispatches a model-specific public method.
pub fn call_method(
    sim: &mut Sim,
    model: &str,
    method: &str,
    ids: &[i64],
    kw: &Map<String, Value>,
    ctx: &Ctx,
) -> OResult<Option<Value>> {
    if method == "get_portal_url" {
        return payment::get_portal_url(sim, model, ids, kw).map(Some);
    }
    match model {
        "sale.order" => return sale_order::call(sim, method, ids, kw, ctx),
        "account.move" => return move_actions::call(sim, method, ids, kw, ctx),
        "account.move.reversal" => return reversal::call(sim, method, ids, kw, ctx),
        "account.payment.register" => return payment::call_register(sim, method, ids, ctx),
        "sale.advance.payment.inv" => return sale_order::call_wizard(sim, method, ids, ctx),
        "res.users" | "res.currency" | "ir.config_parameter" | "res.partner" => {
            if let Some(r) = base::call(sim, model, method, ids, kw, ctx)? {
                return Ok(r);
            }
        }
        _ => {}
    }
    Err(not_simulated(model, method))
}

/// The error for a public Odoo method the simulator does not reproduce.
pub fn not_simulated(model: &str, method: &str) -> OdooError {
    let mut e = OdooError::value(format!("odoo-sim does not simulate {model}.{method}"));
    e.name = "builtins.NotImplementedError".into();
    e
}
