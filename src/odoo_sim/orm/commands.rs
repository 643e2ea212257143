//! x2many commands (`[[0, 0, vals]]`, `[[6, 0, ids]]`, …) on one2many and many2many fields.

use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::schema::FieldDef;
use crate::odoo_sim::state::{Ctx, Sim};
use crate::odoo_sim::value::as_ids;
use serde_json::{json, Map, Value};

impl Sim {
    pub(super) fn apply_commands(
        &mut self,
        model: &str,
        id: i64,
        f: &FieldDef,
        raw: &Value,
        ctx: &Ctx,
    ) -> OResult<()> {
        let comodel = f.relation.clone().unwrap_or_default();
        let cmds = command_list(model, f, raw)?;
        let o2m_inv = inverse_of(f);
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
                    self.link(model, id, f, new, code == 6, ctx)?;
                }
                _ => {
                    return Err(OdooError::value(format!(
                        "Invalid command {} for field {model}.{}",
                        crate::odoo_sim::value::pyrepr(&c),
                        f.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Commands 4 (link `new`) and 6 (`replace`: set the field to exactly `new`): a one2many
    /// sets the inverse field on `new` (and detaches the others on 6); a many2many rewrites
    /// its id list.
    fn link(
        &mut self,
        model: &str,
        id: i64,
        f: &FieldDef,
        new: Vec<i64>,
        replace: bool,
        ctx: &Ctx,
    ) -> OResult<()> {
        let comodel = f.relation.clone().unwrap_or_default();
        let current = as_ids(&self.get(model, id, &f.name));
        match inverse_of(f) {
            Some(inv) => {
                if replace {
                    let gone: Vec<i64> = current
                        .iter()
                        .copied()
                        .filter(|x| !new.contains(x))
                        .collect();
                    self.detach(&comodel, &inv, &gone, ctx)?;
                }
                let vals: Map<String, Value> = [(inv.clone(), json!(id))].into_iter().collect();
                self.write(&comodel, &new, &vals, ctx)?;
            }
            None => {
                self.check_exist(&comodel, &new)?;
                let mut ids = if replace { vec![] } else { current };
                for n in new {
                    if !ids.contains(&n) {
                        ids.push(n);
                    }
                }
                self.set_m2m(model, id, &f.name, ids);
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

/// The inverse field of a one2many (`None` for a many2many).
fn inverse_of(f: &FieldDef) -> Option<String> {
    if f.ftype == "one2many" {
        f.inverse_name.clone()
    } else {
        None
    }
}

/// The commands a written x2many value stands for: a list of ids is `[[6, 0, ids]]`,
/// `false`/`null` is `[[5, 0, 0]]`, a list of commands is itself.
fn command_list(model: &str, f: &FieldDef, raw: &Value) -> OResult<Vec<Value>> {
    Ok(match raw {
        Value::Array(a) if a.iter().all(|x| x.is_i64()) => vec![json!([6, 0, a])],
        Value::Array(a) => a.clone(),
        Value::Bool(false) | Value::Null => vec![json!([5, 0, 0])],
        other => {
            return Err(OdooError::value(format!(
                "Wrong value for {model}.{}: {}",
                f.name,
                crate::odoo_sim::value::pyrepr(other)
            )))
        }
    })
}
