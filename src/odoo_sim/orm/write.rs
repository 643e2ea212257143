//! `create`, `write`, `unlink`, single-field stores and required-field checks.

use super::convert::{convert, normalize_default};
use super::LOG_FIELDS;
use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::models;
use crate::odoo_sim::schema::FieldDef;
use crate::odoo_sim::state::{Ctx, Record, Sim};
use crate::odoo_sim::value::{as_id, as_ids, pystr};
use serde_json::{json, Map, Value};

impl Sim {
    /// Unknown keys in `vals`, worded as Odoo 19.0 words them (checked on the real server,
    /// DIVERGENCES.md): `create` raises `ValueError: Invalid field 'x' in 'model'`
    /// (`_add_missing_default_values`), `write` a bare `KeyError: 'x'` (`self._fields[fname]`).
    fn check_keys(&self, model: &str, vals: &Map<String, Value>, on_write: bool) -> OResult<()> {
        let mdef = self.model_def(model)?;
        for k in vals.keys() {
            if !mdef.has_field(k) {
                return Err(if on_write {
                    OdooError::key_error(k)
                } else {
                    OdooError::value(format!("Invalid field {} in {}", pystr(k), pystr(model)))
                });
            }
        }
        Ok(())
    }

    /// `create(vals)` for one record; returns the new id.
    pub fn create(&mut self, model: &str, vals: &Map<String, Value>, ctx: &Ctx) -> OResult<i64> {
        self.check_keys(model, vals, false)?;
        let mut vals = vals.clone();
        for (k, v) in ctx {
            if let Some(f) = k.strip_prefix("default_") {
                if !vals.contains_key(f) && self.model_def(model)?.has_field(f) {
                    vals.insert(f.to_string(), v.clone());
                }
            }
        }
        models::prepare_create(self, model, &mut vals, ctx)?;
        let mdef = self.model_def(model)?.clone();
        let now = self.clock.now_str();
        let table = self.db.table(model);
        table.last_id += 1;
        let id = table.last_id;
        let mut rec = Record::new();
        for f in &mdef.fields {
            if let Some(d) = &f.default {
                rec.insert(f.name.clone(), normalize_default(f, d));
            }
        }
        rec.insert("create_date".into(), json!(now));
        rec.insert("write_date".into(), json!(now));
        rec.insert("create_uid".into(), json!(self.uid));
        rec.insert("write_uid".into(), json!(self.uid));
        models::defaults(self, model, ctx, &mut rec);
        self.db.table(model).rows.insert(id, rec);
        let (x2m, scalars): (Vec<_>, Vec<_>) = vals
            .iter()
            .filter(|(k, _)| !LOG_FIELDS.contains(&k.as_str()))
            .partition(|(k, _)| mdef.field(k).is_some_and(|f| f.is_x2many()));
        for (k, v) in scalars.into_iter().chain(x2m) {
            if let Some(f) = mdef.field(k) {
                if f.precompute && f.readonly {
                    continue;
                }
                self.set_field(model, id, f, v, ctx)?;
            }
        }
        models::after_create(self, model, id, &vals, ctx)?;
        self.check_required(model, id, None)?;
        Ok(id)
    }

    /// `write(vals)` on existing records; bumps `write_date`/`write_uid`.
    pub fn write(
        &mut self,
        model: &str,
        ids: &[i64],
        vals: &Map<String, Value>,
        ctx: &Ctx,
    ) -> OResult<()> {
        self.check_keys(model, vals, true)?;
        self.check_exist(model, ids)?;
        let mdef = self.model_def(model)?.clone();
        models::before_write(self, model, ids, vals, ctx)?;
        for id in ids {
            for (k, v) in vals
                .iter()
                .filter(|(k, _)| !LOG_FIELDS.contains(&k.as_str()))
            {
                if let Some(f) = mdef.field(k) {
                    self.set_field(model, *id, f, v, ctx)?;
                }
            }
            self.touch(model, *id);
        }
        let keys: Vec<String> = vals.keys().cloned().collect();
        models::after_write(self, model, ids, &keys, ctx)?;
        for id in ids {
            self.check_required(model, *id, Some(&keys))?;
        }
        Ok(())
    }

    /// Sets `write_date`/`write_uid` to now/current user.
    pub fn touch(&mut self, model: &str, id: i64) {
        let now = self.clock.now_str();
        let uid = self.uid;
        if let Some(r) = self.db.row_mut(model, id) {
            r.insert("write_date".into(), json!(now));
            r.insert("write_uid".into(), json!(uid));
        }
    }

    /// Stores a value computed by the server (stored computed field); bumps `write_date` only
    /// when it changes, as Odoo's recomputation does.
    pub fn store(&mut self, model: &str, id: i64, field: &str, v: Value) {
        let changed = self
            .db
            .row(model, id)
            .map(|r| r.get(field) != Some(&v))
            .unwrap_or(false);
        if changed {
            if let Some(r) = self.db.row_mut(model, id) {
                r.insert(field.to_string(), v);
            }
            self.touch(model, id);
        }
    }

    /// `unlink()`: deletes the records and the one2many children whose inverse is required.
    pub fn unlink(&mut self, model: &str, ids: &[i64], ctx: &Ctx) -> OResult<()> {
        self.check_exist(model, ids)?;
        models::before_unlink(self, model, ids, ctx)?;
        let mdef = self.model_def(model)?.clone();
        for f in mdef.fields.iter().filter(|f| f.ftype == "one2many") {
            let (Some(c), Some(inv)) = (&f.relation, &f.inverse_name) else {
                continue;
            };
            let cascade = self
                .schema
                .model(c)
                .and_then(|m| m.field(inv))
                .is_some_and(|x| x.required);
            for id in ids {
                let children = as_ids(&self.get(model, *id, &f.name));
                if cascade && !children.is_empty() && c != model {
                    let alive: Vec<i64> = children
                        .into_iter()
                        .filter(|x| self.exists(c, *x))
                        .collect();
                    if let Some(t) = self.db.tables.get_mut(c.as_str()) {
                        for x in alive {
                            t.rows.remove(&x);
                        }
                    }
                }
            }
        }
        if let Some(t) = self.db.tables.get_mut(model) {
            for id in ids {
                t.rows.remove(id);
            }
        }
        Ok(())
    }

    fn check_required(&self, model: &str, id: i64, only: Option<&[String]>) -> OResult<()> {
        let mdef = self.model_def(model)?;
        for f in mdef
            .fields
            .iter()
            .filter(|f| f.required && f.stored && !f.is_x2many() && f.ftype != "boolean")
        {
            if let Some(keys) = only {
                if !keys.contains(&f.name) {
                    continue;
                }
            } else if f.default.is_some() || f.default_dynamic || f.computed {
                continue;
            }
            let v = self.get(model, id, &f.name);
            if matches!(v, Value::Null | Value::Bool(false)) {
                return Err(self.missing_required(model, &f.name));
            }
        }
        Ok(())
    }

    /// The `ValidationError` of a required field left empty (the NOT NULL violation as
    /// `odoo/service/model.py` words it).
    pub fn missing_required(&self, model: &str, field: &str) -> OdooError {
        let (string, description) = match self.schema.model(model) {
            Some(m) => (
                m.field(field)
                    .map_or(field.to_string(), |f| f.string.clone()),
                m.description.clone(),
            ),
            None => (field.to_string(), model.to_string()),
        };
        OdooError::validation(format!(
            "The operation cannot be completed: Missing required value for the field '{string}' ({field}).\nModel: '{description}' ({model})\n- create/update: a mandatory field is not set\n- delete: another model requires the record being deleted, you can archive it instead\n"
        ))
    }

    /// Converts and stores one incoming value (CONTRACT.md §3.4), applying x2many commands.
    pub fn set_field(
        &mut self,
        model: &str,
        id: i64,
        f: &FieldDef,
        raw: &Value,
        ctx: &Ctx,
    ) -> OResult<()> {
        if models::inverse(self, model, id, &f.name, raw, ctx)? {
            return Ok(());
        }
        if !f.stored {
            if let Some(rel) = &f.related {
                if let Some((head, rest)) = rel.split_once('.') {
                    let target = as_id(&self.get(model, id, head));
                    let comodel = self
                        .model_def(model)?
                        .field(head)
                        .and_then(|x| x.relation.clone());
                    if let (Some(t), Some(c)) = (target, comodel) {
                        let vals: Map<String, Value> =
                            [(rest.to_string(), raw.clone())].into_iter().collect();
                        return self.write(&c, &[t], &vals, ctx);
                    }
                }
            }
            return Ok(());
        }
        if f.is_x2many() {
            return self.apply_commands(model, id, f, raw, ctx);
        }
        let v = convert(model, f, raw, &self.clock)?;
        if let Some(r) = self.db.row_mut(model, id) {
            r.insert(f.name.clone(), v);
        }
        Ok(())
    }
}
