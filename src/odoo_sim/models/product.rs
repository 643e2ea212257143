//! `product.template` / `product.product` (`addons/product/models/product_template.py`,
//! `product_product.py`, `addons/account/models/product.py`, `addons/sale/models/product_template.py`):
//! a template creates its single variant (unless context `create_product_product`), a variant
//! created without template creates the template (`_inherits`), new products get the company's
//! default sale tax in `taxes_id`, `invoice_policy` defaults to `order`.

use crate::odoo_sim::error::OResult;
use crate::odoo_sim::state::{Ctx, Record, Sim};
use crate::odoo_sim::value::{as_id, as_ids};
use serde_json::{json, Map, Value};

/// Template defaults (`invoice_policy` precompute = `order`).
pub fn defaults(sim: &Sim, rec: &mut Record) {
    rec.entry("invoice_policy".to_string())
        .or_insert(json!("order"));
    rec.entry("service_type".to_string())
        .or_insert(json!("manual"));
    rec.entry("purchase_ok".to_string()).or_insert(json!(true));
    if sim.with_subscriptions {
        rec.entry("recurring_invoice".to_string())
            .or_insert(json!(false));
    }
}

/// Splits variant values: fields that live on the template are moved to a new template.
pub fn prepare_variant(sim: &mut Sim, vals: &mut Map<String, Value>, ctx: &Ctx) -> OResult<()> {
    if vals.get("product_tmpl_id").and_then(as_id_ref).is_some() {
        return Ok(());
    }
    let variant = sim.model_def("product.product")?.clone();
    let mut tmpl_vals = Map::new();
    let keys: Vec<String> = vals.keys().cloned().collect();
    for k in keys {
        let own = variant
            .field(&k)
            .is_some_and(|f| f.stored && f.related.is_none());
        if !own || k == "active" {
            if let Some(v) = if own {
                vals.get(&k).cloned()
            } else {
                vals.remove(&k)
            } {
                tmpl_vals.insert(k, v);
            }
        }
    }
    let mut tctx = ctx.clone();
    tctx.insert("create_product_product".into(), json!(true));
    let tid = sim.create("product.template", &tmpl_vals, &tctx)?;
    vals.insert("product_tmpl_id".into(), json!(tid));
    Ok(())
}

fn as_id_ref(v: &Value) -> Option<i64> {
    as_id(v)
}

/// Creates the single variant of a new template.
pub fn after_create_template(
    sim: &mut Sim,
    id: i64,
    vals: &Map<String, Value>,
    ctx: &Ctx,
) -> OResult<()> {
    if ctx
        .get("create_product_product")
        .is_some_and(|v| v == &json!(true))
    {
        return Ok(());
    }
    let mut v = Map::new();
    v.insert("product_tmpl_id".into(), json!(id));
    if let Some(code) = vals.get("default_code") {
        v.insert("default_code".into(), code.clone());
    }
    if let Some(a) = vals.get("active") {
        v.insert("active".into(), a.clone());
    }
    sim.create("product.product", &v, &Ctx::new())?;
    Ok(())
}

/// Propagates `active` and `default_code` from a template to its variants.
pub fn after_write_template(sim: &mut Sim, ids: &[i64], keys: &[String], ctx: &Ctx) -> OResult<()> {
    for key in ["active", "default_code"] {
        if !keys.iter().any(|k| k == key) {
            continue;
        }
        for id in ids {
            let value = sim.get("product.template", *id, key);
            let mut c = ctx.clone();
            c.insert("active_test".into(), json!(false));
            let variants = sim.search(
                "product.product",
                &json!([["product_tmpl_id", "=", id]]),
                &c,
                0,
                None,
                Some("id"),
            )?;
            let v: Map<String, Value> = [(
                key.to_string(),
                if value.is_null() { json!(false) } else { value },
            )]
            .into_iter()
            .collect();
            sim.write("product.product", &variants, &v, ctx)?;
        }
    }
    Ok(())
}

/// `[default_code] name` of a variant.
pub fn variant_display_name(sim: &Sim, id: i64) -> Option<String> {
    let name = sim
        .get("product.product", id, "name")
        .as_str()
        .unwrap_or("")
        .to_string();
    Some(
        match sim.get("product.product", id, "default_code").as_str() {
            Some(code) if !code.is_empty() => format!("[{code}] {name}"),
            _ => name,
        },
    )
}

/// Non-stored product fields.
pub fn compute(sim: &Sim, model: &str, id: i64, field: &str) -> Option<Value> {
    match (model, field) {
        ("product.template", "product_variant_id") => {
            let ids = as_ids(&sim.get(model, id, "product_variant_ids"));
            Some(ids.first().map(|i| json!(i)).unwrap_or(Value::Null))
        }
        ("product.template", "product_variant_count") => {
            Some(json!(
                as_ids(&sim.get(model, id, "product_variant_ids")).len()
            ))
        }
        ("product.template", "product_variant_ids") => {
            let ids: Vec<i64> = sim
                .db
                .ids("product.product")
                .into_iter()
                .filter(|v| {
                    sim.db
                        .row("product.product", *v)
                        .and_then(|r| r.get("product_tmpl_id"))
                        .and_then(|x| x.as_i64())
                        == Some(id)
                })
                .filter(|v| {
                    sim.db
                        .row("product.product", *v)
                        .and_then(|r| r.get("active"))
                        != Some(&json!(false))
                })
                .collect();
            Some(json!(ids))
        }
        ("product.template", "currency_id" | "cost_currency_id") => Some(json!(sim.refs.currency)),
        ("product.template", "default_code") => {
            let v = compute(sim, model, id, "product_variant_id")?;
            Some(
                v.as_i64()
                    .map(|p| sim.get("product.product", p, "default_code"))
                    .unwrap_or(Value::Null),
            )
        }
        ("product.product", "lst_price") => Some(sim.get(
            "product.template",
            as_id(&sim.get(model, id, "product_tmpl_id"))?,
            "list_price",
        )),
        ("product.product", "code") => Some(sim.get(model, id, "default_code")),
        ("product.product", "partner_ref") => Some(json!(sim.display_name(model, id))),
        ("product.product", "is_product_variant") => Some(json!(true)),
        ("product.template", "tax_string") => Some(Value::Null),
        _ => None,
    }
}
