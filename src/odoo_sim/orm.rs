//! Generic ORM over the in-memory tables: `create`, `write`, `unlink`, value access and the
//! `read` wire conversion. Behaviour and messages follow `odoo/orm/models.py` (19.0) as recorded
//! in `models-19.0.json` (`_about.orm_behaviour`) and CONTRACT.md §3.

use super::clock::{parse_date, SimClock};
use super::domain::Resolver;
use super::error::{missing_record, OResult, OdooError};
use super::models;
use super::schema::{FieldDef, ModelDef};
use super::state::{Ctx, Record, Sim};
use super::value::{as_id, as_ids, dec, dec_val, dec_wire, pystr, truthy};
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

    fn apply_commands(
        &mut self,
        model: &str,
        id: i64,
        f: &FieldDef,
        raw: &Value,
        ctx: &Ctx,
    ) -> OResult<()> {
        let comodel = f.relation.clone().unwrap_or_default();
        let cmds: Vec<Value> = match raw {
            Value::Array(a) if a.iter().all(|x| x.is_i64()) => vec![json!([6, 0, a])],
            Value::Array(a) => a.clone(),
            Value::Bool(false) | Value::Null => vec![json!([5, 0, 0])],
            other => {
                return Err(OdooError::value(format!(
                    "Wrong value for {model}.{}: {}",
                    f.name,
                    super::value::pyrepr(other)
                )))
            }
        };
        let o2m_inv = if f.ftype == "one2many" {
            f.inverse_name.clone()
        } else {
            None
        };
        for c in cmds {
            let a = c.as_array().cloned().unwrap_or_default();
            let code = a.first().and_then(|x| x.as_i64()).unwrap_or(-1);
            let cid = a.get(1).and_then(|x| x.as_i64()).unwrap_or(0);
            let arg = a.get(2).cloned().unwrap_or(Value::Null);
            let current = as_ids(&self.get(model, id, &f.name));
            match code {
                0 => {
                    let mut vals = arg.as_object().cloned().unwrap_or_default();
                    if let Some(inv) = &o2m_inv {
                        vals.insert(inv.clone(), json!(id));
                    }
                    let nid = self.create(&comodel, &vals, &Ctx::new())?;
                    if o2m_inv.is_none() {
                        self.set_m2m(model, id, &f.name, [current, vec![nid]].concat());
                    }
                }
                1 => {
                    let vals = arg.as_object().cloned().unwrap_or_default();
                    self.write(&comodel, &[cid], &vals, ctx)?;
                }
                2 => {
                    self.unlink(&comodel, &[cid], ctx)?;
                    if o2m_inv.is_none() {
                        self.set_m2m(
                            model,
                            id,
                            &f.name,
                            current.into_iter().filter(|x| *x != cid).collect(),
                        );
                    }
                }
                3 | 5 => {
                    let drop: Vec<i64> = if code == 3 {
                        vec![cid]
                    } else {
                        current.clone()
                    };
                    match &o2m_inv {
                        Some(inv) => self.detach(&comodel, inv, &drop, ctx)?,
                        None => self.set_m2m(
                            model,
                            id,
                            &f.name,
                            current.into_iter().filter(|x| !drop.contains(x)).collect(),
                        ),
                    }
                }
                4 | 6 => {
                    let new: Vec<i64> = if code == 4 { vec![cid] } else { as_ids(&arg) };
                    match &o2m_inv {
                        Some(inv) => {
                            if code == 6 {
                                let gone: Vec<i64> = current
                                    .iter()
                                    .copied()
                                    .filter(|x| !new.contains(x))
                                    .collect();
                                self.detach(&comodel, inv, &gone, ctx)?;
                            }
                            let vals: Map<String, Value> =
                                [(inv.clone(), json!(id))].into_iter().collect();
                            self.write(&comodel, &new, &vals, ctx)?;
                        }
                        None => {
                            self.check_exist(&comodel, &new)?;
                            let mut ids = if code == 4 { current } else { vec![] };
                            for n in new {
                                if !ids.contains(&n) {
                                    ids.push(n);
                                }
                            }
                            self.set_m2m(model, id, &f.name, ids);
                        }
                    }
                }
                _ => {
                    return Err(OdooError::value(format!(
                        "Invalid command {} for field {model}.{}",
                        super::value::pyrepr(&c),
                        f.name
                    )));
                }
            }
        }
        Ok(())
    }

    fn detach(&mut self, comodel: &str, inv: &str, ids: &[i64], ctx: &Ctx) -> OResult<()> {
        let required = self
            .schema
            .model(comodel)
            .and_then(|m| m.field(inv))
            .is_some_and(|f| f.required);
        if required {
            self.unlink(comodel, ids, ctx)
        } else {
            let vals: Map<String, Value> = [(inv.to_string(), json!(false))].into_iter().collect();
            self.write(comodel, ids, &vals, ctx)
        }
    }

    fn set_m2m(&mut self, model: &str, id: i64, field: &str, ids: Vec<i64>) {
        if let Some(r) = self.db.row_mut(model, id) {
            r.insert(field.to_string(), json!(ids));
        }
    }
}

fn normalize_default(f: &FieldDef, d: &Value) -> Value {
    match f.ftype.as_str() {
        "float" | "monetary" => dec_val(dec(d)),
        _ if matches!(d, Value::Bool(false)) && f.ftype != "boolean" => Value::Null,
        _ => d.clone(),
    }
}

/// Decimals of the "Product Unit" precision (`decimal.precision`, 2 in a default Odoo 19).
const PRODUCT_UNIT_DIGITS: u32 = 2;

/// Quantities Odoo stores at the "Product Unit" precision, rounded half-up: real Odoo 19
/// reads `qty_delivered` 2.555 back as 2.56 (DIVERGENCES.md).
fn is_product_unit(model: &str, field: &str) -> bool {
    matches!(
        (model, field),
        (
            "sale.order.line",
            "product_uom_qty" | "qty_delivered" | "qty_invoiced" | "qty_to_invoice"
        ) | ("account.move.line", "quantity")
    )
}

/// Converts an incoming scalar to its stored form, validating selections and dates.
pub fn convert(model: &str, f: &FieldDef, raw: &Value, _clock: &SimClock) -> OResult<Value> {
    let falsy = matches!(raw, Value::Null | Value::Bool(false));
    Ok(match f.ftype.as_str() {
        "many2one" => match raw {
            Value::Number(n) if n.as_i64().is_some() => Value::Number(n.clone()),
            _ if falsy => Value::Null,
            other => {
                return Err(OdooError::type_error(format!(
                    "unsupported value {} for many2one field {model}.{}",
                    super::value::pyrepr(other),
                    f.name
                )))
            }
        },
        "selection" => {
            if falsy {
                Value::Null
            } else {
                let ok = match (&f.selection, raw.as_str()) {
                    (Some(keys), Some(s)) => keys.iter().any(|k| k == s),
                    (None, Some(_)) => true,
                    _ => false,
                };
                if !ok {
                    return Err(OdooError::value(format!(
                        "Wrong value for {model}.{}: {}",
                        f.name,
                        super::value::pyrepr(raw)
                    )));
                }
                raw.clone()
            }
        }
        "float" if is_product_unit(model, &f.name) => dec_val(super::money::round(
            dec(raw),
            rust_decimal::Decimal::new(1, PRODUCT_UNIT_DIGITS),
        )),
        "float" | "monetary" => dec_val(dec(raw)),
        "integer" => json!(if falsy {
            0
        } else {
            dec(raw).trunc().to_string().parse::<i64>().unwrap_or(0)
        }),
        "boolean" => json!(truthy(raw)),
        "date" => match raw.as_str() {
            _ if falsy => Value::Null,
            Some(s) if parse_date(s).is_some() => json!(s[..10].to_string()),
            _ => {
                return Err(OdooError::value(format!(
                    "time data {} does not match format '%Y-%m-%d'",
                    super::value::pyrepr(raw)
                )))
            }
        },
        "datetime" => match raw.as_str() {
            _ if falsy => Value::Null,
            Some(s) if s.len() == 10 && parse_date(s).is_some() => json!(format!("{s} 00:00:00")),
            Some(s) if chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok() => {
                raw.clone()
            }
            _ => {
                return Err(OdooError::value(format!(
                    "time data {} does not match format '%Y-%m-%d %H:%M:%S'",
                    super::value::pyrepr(raw)
                )))
            }
        },
        "char" | "text" | "html" => match raw {
            _ if falsy => Value::Null,
            Value::String(_) => raw.clone(),
            other => json!(other.to_string()),
        },
        _ if falsy => Value::Null,
        _ => raw.clone(),
    })
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
