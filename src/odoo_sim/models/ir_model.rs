//! `ir.model` / `ir.model.fields` (`odoo/addons/base/models/ir_model.py`): manual `x_` fields
//! created over RPC become real fields of their model (readable, writable, searchable, listed by
//! `fields_get`); unlinking them removes the column.

use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::schema::FieldDef;
use crate::odoo_sim::state::Sim;
use crate::odoo_sim::value::{as_id, truthy};
use serde_json::{json, Map, Value};

const F: &str = "ir.model.fields";

/// Fills `model` from `model_id` and enforces the constraints `_name_manual_field`,
/// `_name_unique` and the relation check.
pub fn prepare_field(sim: &mut Sim, vals: &mut Map<String, Value>) -> OResult<()> {
    if let Some(mid) = vals.get("model_id").and_then(as_id_ref) {
        sim.check_exist("ir.model", &[mid])?;
        let m = sim.get("ir.model", mid, "model");
        vals.insert("model".into(), m);
    }
    let name = vals
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("x_")
        .to_string();
    let manual = vals
        .get("state")
        .and_then(|s| s.as_str())
        .unwrap_or("manual")
        == "manual";
    if manual && !name.starts_with("x_") {
        return Err(OdooError::validation("The operation cannot be completed: Custom fields must have a name that starts with 'x_'!"));
    }
    if let Some(model) = vals.get("model").and_then(|m| m.as_str()) {
        if sim.schema.model(model).is_some_and(|m| m.has_field(&name)) {
            return Err(OdooError::validation(
                "The operation cannot be completed: Field names must be unique per model.",
            ));
        }
    }
    let ttype = vals.get("ttype").and_then(|t| t.as_str()).unwrap_or("");
    if matches!(ttype, "many2one" | "one2many" | "many2many") {
        let rel = vals.get("relation").and_then(|r| r.as_str()).unwrap_or("");
        if sim.schema.model(rel).is_none() {
            return Err(OdooError::user(format!("Model {rel} does not exist!")));
        }
    }
    Ok(())
}

fn as_id_ref(v: &Value) -> Option<i64> {
    as_id(v)
}

/// Parses `"[('a', 'A'), ('b', 'B')]"` into the keys `a`, `b`.
pub fn selection_keys(src: &str) -> Vec<String> {
    let mut keys = vec![];
    for part in src.split('(').skip(1) {
        let p = part.trim_start();
        let q = p.chars().next().unwrap_or('\'');
        if q != '\'' && q != '"' {
            continue;
        }
        if let Some(end) = p[1..].find(q) {
            keys.push(p[1..1 + end].to_string());
        }
    }
    keys
}

/// Adds the new manual field to its model.
pub fn after_create_field(sim: &mut Sim, id: i64) -> OResult<()> {
    let g = |f: &str| sim.get(F, id, f);
    let (Some(model), Some(name)) = (
        g("model").as_str().map(String::from),
        g("name").as_str().map(String::from),
    ) else {
        return Ok(());
    };
    let ttype = g("ttype").as_str().unwrap_or("char").to_string();
    let f = FieldDef {
        name: name.clone(),
        ftype: ttype.clone(),
        relation: g("relation").as_str().map(String::from),
        inverse_name: g("relation_field").as_str().map(String::from),
        selection: if ttype == "selection" {
            Some(selection_keys(g("selection").as_str().unwrap_or("")))
        } else {
            None
        },
        required: truthy(&g("required")),
        readonly: truthy(&g("readonly")),
        computed: false,
        stored: true,
        precompute: false,
        default: None,
        default_dynamic: false,
        related: None,
        string: g("field_description").as_str().unwrap_or(&name).to_string(),
        module: None,
        manual: true,
    };
    if let Some(m) = sim.schema.models.get_mut(&model) {
        m.add_field(f);
    }
    Ok(())
}

/// Only manual fields can be removed; their values disappear with them.
pub fn before_unlink_fields(sim: &mut Sim, ids: &[i64]) -> OResult<()> {
    for id in ids {
        if sim.get(F, *id, "state").as_str() != Some("manual") {
            return Err(OdooError::user(
                "This column contains module data and cannot be removed!",
            ));
        }
    }
    for id in ids {
        let model = sim.get(F, *id, "model").as_str().unwrap_or("").to_string();
        let name = sim.get(F, *id, "name").as_str().unwrap_or("").to_string();
        if let Some(m) = sim.schema.models.get_mut(&model) {
            m.fields.retain(|f| f.name != name);
            m.index = m
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.clone(), i))
                .collect();
        }
        if let Some(t) = sim.db.tables.get_mut(&model) {
            let ids: Vec<i64> = t.rows.keys().copied().collect();
            for id in ids {
                if let Some(r) = t.rows.get_mut(&id) {
                    r.remove(&name);
                }
            }
        }
    }
    Ok(())
}

/// Creates the `ir.model` rows (one per model) and `ir.model.fields` rows (one per field).
pub fn seed(sim: &mut Sim) {
    let models: Vec<_> = sim.schema.models.values().cloned().collect();
    for m in models {
        let mid = insert(
            sim,
            "ir.model",
            vec![
                ("name", json!(m.description)),
                ("model", json!(m.name)),
                ("order", json!("id")),
                ("state", json!("base")),
                ("transient", json!(m.transient)),
            ],
        );
        for f in &m.fields {
            insert(
                sim,
                F,
                vec![
                    ("name", json!(f.name)),
                    ("model", json!(m.name)),
                    ("model_id", json!(mid)),
                    ("field_description", json!(f.string)),
                    ("ttype", json!(f.ftype)),
                    (
                        "relation",
                        f.relation.clone().map(Value::from).unwrap_or(Value::Null),
                    ),
                    ("required", json!(f.required)),
                    ("readonly", json!(f.readonly)),
                    ("store", json!(f.stored)),
                    ("state", json!("base")),
                ],
            );
        }
    }
}

fn insert(sim: &mut Sim, model: &str, pairs: Vec<(&str, Value)>) -> i64 {
    let now = sim.clock.now_str();
    let t = sim.db.table(model);
    t.last_id += 1;
    let id = t.last_id;
    let mut r: crate::odoo_sim::state::Record =
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    r.insert("create_date".into(), json!(now));
    r.insert("write_date".into(), json!(now));
    r.insert("create_uid".into(), json!(1));
    r.insert("write_uid".into(), json!(1));
    t.rows.insert(id, r);
    id
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_selection_literals() {
        assert_eq!(
            super::selection_keys("[('a', 'A'), (\"b\", 'B')]"),
            vec!["a", "b"]
        );
        assert!(super::selection_keys("").is_empty());
    }
}
