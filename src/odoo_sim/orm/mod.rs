//! Generic ORM over the in-memory tables: `create`, `write`, `unlink`, value access and the
//! `read` wire conversion. Behaviour and messages follow `odoo/orm/models.py` (19.0) as recorded
//! in `models-19.0.json` (`_about.orm_behaviour`) and CONTRACT.md §3.
//!
//! By job: value access, `read` and the domain resolver here; `write` (create, write, unlink,
//! required fields); `commands` (x2many commands); `convert` (a written value → what is stored).

mod commands;
mod convert;
mod write;

pub use convert::convert;

use crate::odoo_sim::domain::Resolver;
use crate::odoo_sim::error::{missing_record, OResult, OdooError};
use crate::odoo_sim::models;
use crate::odoo_sim::schema::{FieldDef, ModelDef};
use crate::odoo_sim::state::Sim;
use crate::odoo_sim::value::{as_id, as_ids, dec, dec_wire, pystr, truthy};
use serde_json::{json, Map, Value};

/// Log-access columns the ORM fills itself; values given to `create`/`write` are dropped.
pub const LOG_FIELDS: &[&str] = &["id", "create_date", "create_uid", "write_date", "write_uid"];

impl Sim {
    /// The model, or `UserError("Object <model> doesn't exist")` (`odoo/service/model.py`).
    pub fn model_def(&self, model: &str) -> OResult<&ModelDef> {
        self.schema
            .model(model)
            .ok_or_else(|| OdooError::user(format!("Object {model} doesn't exist")))
    }

    /// True when `model(id)` exists.
    pub fn exists(&self, model: &str, id: i64) -> bool {
        self.db.row(model, id).is_some()
    }

    /// MissingError unless every id exists.
    pub fn check_exist(&self, model: &str, ids: &[i64]) -> OResult<()> {
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|i| !self.exists(model, *i))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing_record(model, &missing, self.uid))
        }
    }

    /// Stored-form value of `model(id).field`: the stored value, else the model's computed
    /// value, else the related path, else a one2many's inverse lookup, else `null`.
    pub fn get(&self, model: &str, id: i64, field: &str) -> Value {
        if field == "id" {
            return json!(id);
        }
        if let Some(v) = self.db.row(model, id).and_then(|r| r.get(field)) {
            return v.clone();
        }
        if let Some(v) = models::compute(self, model, id, field) {
            return v;
        }
        let Some(f) = self.schema.model(model).and_then(|m| m.field(field)) else {
            return Value::Null;
        };
        if let Some(rel) = &f.related {
            return self.get_path(model, id, rel);
        }
        if f.ftype == "one2many" {
            if let (Some(c), Some(inv)) = (&f.relation, &f.inverse_name) {
                let ids: Vec<i64> = self
                    .db
                    .ids(c)
                    .into_iter()
                    .filter(|cid| as_id(&self.get(c, *cid, inv)) == Some(id))
                    .collect();
                return json!(ids);
            }
        }
        if f.ftype == "many2many" {
            return json!([]);
        }
        Value::Null
    }

    /// Follows a dotted many2one path (`order_id.currency_id`).
    pub fn get_path(&self, model: &str, id: i64, path: &str) -> Value {
        let mut parts = path.splitn(2, '.');
        let head = parts.next().unwrap_or_default();
        let v = self.get(model, id, head);
        match parts.next() {
            None => v,
            Some(rest) => {
                let comodel = self
                    .schema
                    .model(model)
                    .and_then(|m| m.field(head))
                    .and_then(|f| f.relation.clone());
                match (comodel, as_id(&v)) {
                    (Some(c), Some(cid)) => self.get_path(&c, cid, rest),
                    _ => Value::Null,
                }
            }
        }
    }

    /// `display_name` of a record.
    pub fn display_name(&self, model: &str, id: i64) -> String {
        if let Some(s) = models::display_name(self, model, id) {
            return s;
        }
        match self.get(model, id, "name") {
            Value::String(s) => s,
            _ => format!("{model},{id}"),
        }
    }

    /// The wire form of one field value as `read` returns it (CONTRACT.md §3.3).
    pub fn wire(&self, f: &FieldDef, v: &Value, load_names: bool) -> Value {
        match f.ftype.as_str() {
            "many2one" => match (as_id(v), &f.relation) {
                (Some(id), Some(c)) if load_names => json!([id, self.display_name(c, id)]),
                (Some(id), _) => json!(id),
                _ => json!(false),
            },
            "one2many" | "many2many" => json!(as_ids(v)),
            "float" | "monetary" => dec_wire(dec(v)),
            "integer" => json!(v.as_i64().unwrap_or(0)),
            "boolean" => json!(truthy(v)),
            _ => match v {
                Value::Null => json!(false),
                other => other.clone(),
            },
        }
    }

    /// `read(ids, fields, load)`: list of dicts with `id` first-class. Unknown field →
    /// `ValueError: Invalid field 'x' on 'model'`. Ids that do not exist are left out of the
    /// answer, without an error (`BaseModel._read_format` drops records whose values raised
    /// MissingError; checked on Odoo 19.0: `read([999999999])` → `[]`, DIVERGENCES.md).
    pub fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: Option<&[String]>,
        load_names: bool,
    ) -> OResult<Vec<Value>> {
        let mdef = self.model_def(model)?;
        let names: Vec<String> = match fields {
            Some(fs) if !fs.is_empty() => {
                for f in fs {
                    if !mdef.has_field(f) {
                        return Err(OdooError::value(format!(
                            "Invalid field {} on {}",
                            pystr(f),
                            pystr(model)
                        )));
                    }
                }
                fs.to_vec()
            }
            _ => mdef.fields.iter().map(|f| f.name.clone()).collect(),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.iter().filter(|i| self.exists(model, **i)) {
            let mut o = Map::new();
            o.insert("id".into(), json!(id));
            for n in &names {
                let v = match mdef.field(n) {
                    Some(f) => self.wire(f, &self.get(model, *id, n), load_names),
                    None => json!(false),
                };
                o.insert(n.clone(), v);
            }
            out.push(Value::Object(o));
        }
        Ok(out)
    }
}

impl Resolver for Sim {
    fn field_info(&self, model: &str, field: &str) -> Option<(String, Option<String>)> {
        let m = self.schema.model(model)?;
        match m.field(field) {
            Some(f) => Some((f.ftype.clone(), f.relation.clone())),
            None if m.other_fields.contains(field) => Some(("char".into(), None)),
            None => None,
        }
    }
    fn get(&self, model: &str, id: i64, field: &str) -> Value {
        Sim::get(self, model, id, field)
    }
    fn display_name(&self, model: &str, id: i64) -> String {
        Sim::display_name(self, model, id)
    }
    fn child_of(&self, model: &str, ids: &[i64]) -> Vec<i64> {
        self.db
            .ids(model)
            .into_iter()
            .filter(|i| {
                let mut cur = Some(*i);
                let mut hops = 0;
                while let Some(c) = cur {
                    if ids.contains(&c) {
                        return true;
                    }
                    hops += 1;
                    cur = if hops > 50 {
                        None
                    } else {
                        as_id(&Sim::get(self, model, c, "parent_id"))
                    };
                }
                false
            })
            .collect()
    }
}
