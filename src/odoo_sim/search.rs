//! `search` with `order`/`offset`/`limit`, `active_test`, `name_search`, `fields_get` and
//! `default_get` (`odoo/orm/models.py` 19.0: `_search`, `_order_to_sql`, `name_search`,
//! `fields_get`, `default_get`).

use super::domain::{self, Dom};
use super::error::{OResult, OdooError};
use super::models;
use super::state::{Ctx, Sim};
use super::value::{dec, pystr};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// `_order` of the seeded models (Odoo's defaults; `id` otherwise).
pub fn default_order(model: &str) -> &'static str {
    match model {
        "res.partner" => "complete_name asc, id desc",
        "sale.order" => "date_order desc, id desc",
        "sale.order.line" => "order_id, sequence, id",
        "account.move" => "date desc, name desc, invoice_date desc, id desc",
        "account.move.line" => "date desc, move_name desc, id",
        "product.template" => "is_favorite desc, sequence, name, id",
        "product.product" => "default_code, name, id",
        "account.tax" => "sequence, id",
        "account.journal" => "sequence, type, code",
        "res.currency" => "active desc, name",
        "ir.model" => "model",
        "ir.model.fields" => "name",
        _ => "id",
    }
}

fn mentions_active(d: &Dom) -> bool {
    match d {
        Dom::And(v) | Dom::Or(v) => v.iter().any(mentions_active),
        Dom::Not(x) => mentions_active(x),
        Dom::Leaf { path, .. } => path[0] == "active",
        _ => false,
    }
}

impl Sim {
    /// `search(domain, offset, limit, order)` → ids. Archived records are hidden unless the
    /// domain mentions `active` or the context has `active_test: false`.
    pub fn search(
        &self,
        model: &str,
        domain: &Value,
        ctx: &Ctx,
        offset: usize,
        limit: Option<usize>,
        order: Option<&str>,
    ) -> OResult<Vec<i64>> {
        let mdef = self.model_def(model)?;
        let mut dom = domain::parse(domain)?;
        domain::validate(self, model, &dom)?;
        let active_test = ctx
            .get("active_test")
            .map(|v| v != &json!(false))
            .unwrap_or(true);
        if active_test && mdef.field("active").is_some() && !mentions_active(&dom) {
            dom = Dom::And(vec![dom, domain::parse(&json!([["active", "=", true]]))?]);
        }
        let mut ids: Vec<i64> = self
            .db
            .ids(model)
            .into_iter()
            .filter(|id| domain::eval(self, model, *id, &dom))
            .collect();
        let order = order
            .filter(|o| !o.trim().is_empty())
            .unwrap_or(default_order(model));
        let keys = self.parse_order(model, order)?;
        ids.sort_by(|a, b| self.compare(model, *a, *b, &keys));
        Ok(ids
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect())
    }

    fn parse_order(&self, model: &str, order: &str) -> OResult<Vec<(String, bool)>> {
        let mdef = self.model_def(model)?;
        let mut keys = vec![];
        for part in order.split(',') {
            let words: Vec<&str> = part.split_whitespace().collect();
            let Some(field) = words.first() else {
                return Err(OdooError::value(format!("Invalid \"order\" specified ({order}). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)")));
            };
            let desc = match words.get(1).map(|w| w.to_lowercase()) {
                None => false,
                Some(w) if w == "asc" => false,
                Some(w) if w == "desc" => true,
                Some(_) => {
                    return Err(OdooError::value(format!("Invalid \"order\" specified ({order}). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)")));
                }
            };
            let fname = field.split('.').next().unwrap_or(field);
            if fname != "id" && !mdef.has_field(fname) {
                return Err(OdooError::value(format!(
                    "Invalid field {} on model {}",
                    pystr(fname),
                    pystr(model)
                )));
            }
            keys.push((fname.to_string(), desc));
        }
        Ok(keys)
    }

    fn sort_key(&self, model: &str, id: i64, field: &str) -> Value {
        let v = self.get(model, id, field);
        let f = self.schema.model(model).and_then(|m| m.field(field));
        match f.map(|f| (f.ftype.as_str(), f.relation.clone())) {
            Some(("many2one", Some(c))) => match v.as_i64() {
                Some(i) => json!(self.display_name(&c, i)),
                None => Value::Null,
            },
            Some(("float" | "monetary" | "integer", _)) if !v.is_null() => {
                json!(dec(&v).to_string())
            }
            _ if field == "complete_name" => json!(self.display_name(model, id)),
            _ => v,
        }
    }

    fn compare(&self, model: &str, a: i64, b: i64, keys: &[(String, bool)]) -> Ordering {
        for (field, desc) in keys {
            let numeric = self
                .schema
                .model(model)
                .and_then(|m| m.field(field))
                .is_some_and(|f| matches!(f.ftype.as_str(), "float" | "monetary" | "integer"));
            let (x, y) = (
                self.sort_key(model, a, field),
                self.sort_key(model, b, field),
            );
            // PostgreSQL: NULLS LAST for ASC, NULLS FIRST for DESC.
            let o = match (
                x.is_null() || x == json!(false),
                y.is_null() || y == json!(false),
            ) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ if field == "id" => a.cmp(&b),
                _ if numeric => dec(&x).cmp(&dec(&y)),
                _ => match (&x, &y) {
                    (Value::String(s), Value::String(t)) => s.to_lowercase().cmp(&t.to_lowercase()),
                    (Value::Bool(s), Value::Bool(t)) => s.cmp(t),
                    _ => x.to_string().cmp(&y.to_string()),
                },
            };
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.cmp(&b)
    }

    /// `name_search(name, domain, operator, limit)` → `[[id, display_name], ...]`.
    pub fn name_search(
        &self,
        model: &str,
        name: &str,
        domain: &Value,
        operator: &str,
        limit: Option<usize>,
        ctx: &Ctx,
    ) -> OResult<Value> {
        let mut dom = match domain {
            Value::Array(a) => a.clone(),
            _ => vec![],
        };
        if !name.is_empty() || !matches!(operator, "ilike" | "like" | "=like" | "=ilike") {
            dom.push(json!([models::rec_name(model), operator, name]));
        }
        let ids = self.search(model, &Value::Array(dom), ctx, 0, limit.or(Some(100)), None)?;
        Ok(json!(ids
            .iter()
            .map(|i| json!([i, self.display_name(model, *i)]))
            .collect::<Vec<_>>()))
    }

    /// `fields_get(allfields, attributes)`: `{field: {attr: value}}` for modelled fields.
    pub fn fields_get(
        &self,
        model: &str,
        allfields: Option<&[String]>,
        attributes: Option<&[String]>,
    ) -> OResult<Value> {
        let mdef = self.model_def(model)?;
        let mut out = Map::new();
        for f in &mdef.fields {
            if let Some(only) = allfields {
                if !only.is_empty() && !only.contains(&f.name) {
                    continue;
                }
            }
            let mut d = Map::new();
            d.insert("type".into(), json!(f.ftype));
            d.insert("string".into(), json!(f.string));
            d.insert("required".into(), json!(f.required));
            d.insert("readonly".into(), json!(f.readonly));
            d.insert("store".into(), json!(f.stored));
            d.insert("searchable".into(), json!(true));
            d.insert("sortable".into(), json!(f.stored));
            d.insert("manual".into(), json!(f.manual));
            d.insert("company_dependent".into(), json!(false));
            if let Some(r) = &f.relation {
                d.insert("relation".into(), json!(r));
            }
            if let Some(inv) = &f.inverse_name {
                d.insert("relation_field".into(), json!(inv));
            }
            if let Some(rel) = &f.related {
                d.insert("related".into(), json!(rel));
            }
            if f.ftype == "selection" {
                let sel: Vec<Value> = f
                    .selection
                    .clone()
                    .unwrap_or_default()
                    .iter()
                    .map(|k| json!([k, models::selection_label(k)]))
                    .collect();
                d.insert("selection".into(), json!(sel));
            }
            if let Some(attrs) = attributes {
                if !attrs.is_empty() {
                    d.retain(|k, _| attrs.contains(k));
                }
            }
            out.insert(f.name.clone(), Value::Object(d));
        }
        Ok(Value::Object(out))
    }

    /// `default_get(fields)`: literal defaults, dynamic defaults and context `default_*` keys.
    pub fn default_get(&mut self, model: &str, fields: &[String], ctx: &Ctx) -> OResult<Value> {
        let mdef = self.model_def(model)?.clone();
        let mut rec = super::state::Record::new();
        for f in &mdef.fields {
            if let Some(d) = &f.default {
                rec.insert(f.name.clone(), d.clone());
            }
        }
        models::defaults(self, model, ctx, &mut rec);
        let mut out = Map::new();
        for name in fields {
            let Some(f) = mdef.field(name) else { continue };
            let v = ctx
                .get(&format!("default_{name}"))
                .cloned()
                .or_else(|| rec.get(name).cloned());
            if let Some(v) = v {
                if f.ftype == "many2one" {
                    out.insert(
                        name.clone(),
                        v.as_i64().map(|i| json!(i)).unwrap_or(json!(false)),
                    );
                } else if v.is_null() {
                    continue;
                } else {
                    out.insert(name.clone(), self.wire(f, &v, false));
                }
            }
        }
        Ok(Value::Object(out))
    }
}
