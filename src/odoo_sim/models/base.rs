//! Base models: generic dynamic defaults, `res.partner` (display name, commercial entity,
//! `_check_name` constraint — `odoo/addons/base/models/res_partner.py`), `res.users.context_get`,
//! `res.currency.round`, `ir.config_parameter.get_param/set_param`.

use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::money;
use crate::odoo_sim::state::{Ctx, Record, Sim};
use crate::odoo_sim::value::{as_id, dec, dec_wire, truthy};
use serde_json::{json, Map, Value};

/// Dynamic defaults common to many models (company, currency, unit, today).
pub fn defaults(sim: &Sim, model: &str, _ctx: &Ctx, rec: &mut Record) {
    let Some(m) = sim.schema.model(model) else {
        return;
    };
    for f in m.fields.iter().filter(|f| f.default_dynamic) {
        let v = match (f.name.as_str(), f.ftype.as_str()) {
            ("company_id", "many2one") => json!(sim.refs.company),
            ("company_ids", _) => json!([sim.refs.company]),
            ("currency_id", "many2one") => json!(sim.refs.currency),
            ("uom_id", _) => json!(sim.refs.uom_unit),
            ("taxes_id", _) => json!([sim.refs.sale_tax]),
            (_, "date") => json!(sim.clock.today_str()),
            (_, "datetime") => json!(sim.clock.now_str()),
            ("invoice_reference_model", _) => json!("odoo"),
            _ => continue,
        };
        rec.insert(f.name.clone(), v);
    }
}

/// `display_name` of a partner: `Company, Contact` for a person under a company.
pub fn partner_display_name(sim: &Sim, id: i64) -> Option<String> {
    let name = sim
        .db
        .row("res.partner", id)?
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let parent = as_id(&sim.get("res.partner", id, "parent_id"));
    let is_company = truthy(&sim.get("res.partner", id, "is_company"));
    match parent {
        Some(p) if !is_company && p != id => {
            let pname = sim
                .db
                .row("res.partner", p)?
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            Some(if name.is_empty() {
                pname
            } else {
                format!("{pname}, {name}")
            })
        }
        _ => Some(name),
    }
}

/// Non-stored computed fields of base models.
pub fn compute(sim: &Sim, model: &str, id: i64, field: &str) -> Option<Value> {
    match (model, field) {
        ("res.partner", "company_type") => {
            Some(json!(if truthy(&sim.get(model, id, "is_company")) {
                "company"
            } else {
                "person"
            }))
        }
        ("res.partner", "commercial_partner_id") => {
            let mut cur = id;
            for _ in 0..20 {
                if truthy(&sim.get(model, cur, "is_company")) {
                    break;
                }
                match as_id(&sim.get(model, cur, "parent_id")) {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            Some(json!(cur))
        }
        ("res.partner", "complete_name") => Some(json!(sim.display_name(model, id))),
        ("res.partner", "currency_id") => Some(json!(sim.refs.currency)),
        ("res.partner", "email_normalized") => Some(
            sim.get(model, id, "email")
                .as_str()
                .map(|e| json!(e.trim().to_lowercase()))
                .unwrap_or(Value::Null),
        ),
        ("res.partner", "lang") => Some(json!("en_US")),
        ("res.currency", "decimal_places") => Some(json!(money::decimal_places(dec(
            &sim.get(model, id, "rounding")
        )))),
        ("res.currency", "rate" | "inverse_rate") => Some(json!("1")),
        ("res.currency", "is_current_company_currency") => Some(json!(id == sim.refs.currency)),
        ("res.company", "country_id" | "state_id") => Some(sim.get(
            "res.partner",
            as_id(&sim.get(model, id, "partner_id"))?,
            field,
        )),
        ("res.company", "name") => Some(sim.get(
            "res.partner",
            as_id(&sim.get(model, id, "partner_id"))?,
            "name",
        )),
        ("res.users", "name" | "email") => Some(sim.get(
            "res.partner",
            as_id(&sim.get(model, id, "partner_id"))?,
            field,
        )),
        ("sale.subscription.plan", "billing_period_display") => {
            let n = sim
                .get(model, id, "billing_period_value")
                .as_i64()
                .unwrap_or(1);
            let unit = sim
                .get(model, id, "billing_period_unit")
                .as_str()
                .unwrap_or("month")
                .to_string();
            Some(json!(format!(
                "{n} {}",
                if n == 1 { unit } else { format!("{unit}s") }
            )))
        }
        _ => None,
    }
}

/// SQL constraint `_check_name`: "Contacts require a name".
pub fn check_partner(sim: &Sim, id: i64) -> OResult<()> {
    let t = sim.get("res.partner", id, "type");
    if t.as_str().unwrap_or("contact") == "contact" && !truthy(&sim.get("res.partner", id, "name"))
    {
        return Err(OdooError::validation(
            "The operation cannot be completed: Contacts require a name",
        ));
    }
    Ok(())
}

/// Copies a record with its stored scalar values (x2many links are kept for many2many only).
pub fn copy_plain(
    sim: &mut Sim,
    model: &str,
    id: i64,
    default: Option<&Value>,
    ctx: &Ctx,
) -> OResult<i64> {
    sim.check_exist(model, &[id])?;
    let mdef = sim.model_def(model)?.clone();
    let mut vals = Map::new();
    for f in mdef.fields.iter().filter(|f| {
        f.stored
            && f.ftype != "one2many"
            && !crate::odoo_sim::orm::LOG_FIELDS.contains(&f.name.as_str())
    }) {
        if let Some(v) = sim.db.row(model, id).and_then(|r| r.get(&f.name)) {
            let wire = sim.wire(f, v, false);
            let wire = if f.ftype == "many2many" {
                json!([[6, 0, wire]])
            } else {
                wire
            };
            vals.insert(f.name.clone(), wire);
        }
    }
    if let Some(n) = vals.get("name").and_then(|n| n.as_str()) {
        if model == "res.partner" || model == "product.template" {
            vals.insert("name".into(), json!(format!("{n} (copy)")));
        }
    }
    if let Some(Value::Object(d)) = default {
        for (k, v) in d {
            vals.insert(k.clone(), v.clone());
        }
    }
    sim.create(model, &vals, ctx)
}

/// Public methods of base models; `Ok(None)` when not handled here.
pub fn call(
    sim: &mut Sim,
    model: &str,
    method: &str,
    ids: &[i64],
    kw: &Map<String, Value>,
    ctx: &Ctx,
) -> OResult<Option<Option<Value>>> {
    Ok(Some(match (model, method) {
        ("res.users", "context_get") => {
            Some(json!({"lang": "en_US", "tz": "America/Toronto", "uid": sim.uid}))
        }
        ("res.users", "get_company_currency_id") => Some(json!(sim.refs.currency)),
        ("res.users", "has_group") => Some(json!(true)),
        ("res.currency", "round") => {
            let id = one(ids)?;
            let r = dec(&sim.get(model, id, "rounding"));
            Some(dec_wire(money::round(
                dec(kw.get("amount").unwrap_or(&json!(0))),
                r,
            )))
        }
        ("res.currency", "is_zero") => {
            let id = one(ids)?;
            let r = dec(&sim.get(model, id, "rounding"));
            Some(json!(money::round(
                dec(kw.get("amount").unwrap_or(&json!(0))),
                r
            )
            .is_zero()))
        }
        ("ir.config_parameter", "get_param") => {
            let key = kw.get("key").cloned().unwrap_or(Value::Null);
            let found = sim.search(model, &json!([["key", "=", key]]), ctx, 0, Some(1), None)?;
            Some(match found.first() {
                Some(i) => sim.get(model, *i, "value"),
                None => kw.get("default").cloned().unwrap_or(json!(false)),
            })
        }
        ("ir.config_parameter", "set_param") => {
            let key = kw.get("key").cloned().unwrap_or(Value::Null);
            let value = kw.get("value").cloned().unwrap_or(Value::Null);
            let found = sim.search(model, &json!([["key", "=", key]]), ctx, 0, Some(1), None)?;
            let old = found
                .first()
                .map(|i| sim.get(model, *i, "value"))
                .unwrap_or(json!(false));
            let vals: Map<String, Value> = [("key".to_string(), key), ("value".to_string(), value)]
                .into_iter()
                .collect();
            match found.first() {
                Some(i) => sim.write(model, &[*i], &vals, ctx)?,
                None => {
                    sim.create(model, &vals, ctx)?;
                }
            }
            Some(old)
        }
        _ => return Ok(None),
    }))
}

/// `ensure_one()`: `ValueError: Expected singleton: model(1, 2)`.
pub fn one(ids: &[i64]) -> OResult<i64> {
    match ids {
        [one] => Ok(*one),
        _ => Err(OdooError::value(format!(
            "Expected singleton: record({})",
            ids.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `ensure_one()` with the model name in the message.
pub fn one_of(model: &str, ids: &[i64]) -> OResult<i64> {
    one(ids).map_err(|_| {
        let shown = ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let shown = if ids.len() == 1 {
            format!("{shown},")
        } else {
            shown
        };
        OdooError::value(format!("Expected singleton: {model}({shown})"))
    })
}
