//! Odoo's wire values → Rust types (`false`/`null` → `None`, any other unexpected shape →
//! [`OdooError::Decode`]).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{decode_err, Many2one};
use crate::odoo::error::OdooError;

/// `false`/`null` → `None`; `[id, "name"]` → `Some`; a bare id (read with `load=None`, webhook
/// payloads) → `Some` with an empty name.
///
/// # Errors
/// [`OdooError::Decode`] for any other shape.
pub fn odoo_m2o(v: &Value) -> Result<Option<Many2one>, OdooError> {
    match v {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(|id| {
                Some(Many2one {
                    id,
                    name: String::new(),
                })
            })
            .ok_or_else(|| decode_err("a many2one id", v)),
        Value::Array(a) if a.len() == 2 => {
            let id = a[0].as_i64().ok_or_else(|| decode_err("[id, name]", v))?;
            let name = match &a[1] {
                Value::String(s) => s.clone(),
                Value::Bool(false) | Value::Null => String::new(),
                _ => return Err(decode_err("[id, name]", v)),
            };
            Ok(Some(Many2one { id, name }))
        }
        _ => Err(decode_err("a many2one ([id, name] or false)", v)),
    }
}

/// Char/text/selection/html: `false`/`null` → `None`, a string → `Some`.
///
/// # Errors
/// [`OdooError::Decode`] when the value is not a string.
pub fn odoo_str(v: &Value) -> Result<Option<String>, OdooError> {
    match v {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(decode_err("a string or false", v)),
    }
}

/// Date `"YYYY-MM-DD"` → [`NaiveDate`]; `false` → `None`.
///
/// # Errors
/// [`OdooError::Decode`] on another shape or format.
pub fn odoo_date(v: &Value) -> Result<Option<NaiveDate>, OdooError> {
    match odoo_str(v)? {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| decode_err("a date YYYY-MM-DD", v)),
    }
}

/// Datetime `"YYYY-MM-DD HH:MM:SS"` (naive, UTC per `odoo/fields.py` `Datetime`) → UTC
/// [`DateTime`]; fractional seconds are accepted; `false` → `None`.
///
/// # Errors
/// [`OdooError::Decode`] on another shape or format.
pub fn odoo_datetime(v: &Value) -> Result<Option<DateTime<Utc>>, OdooError> {
    match odoo_str(v)? {
        None => Ok(None),
        Some(s) => NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f")
            .map(|n| Some(n.and_utc()))
            .map_err(|_| decode_err("a datetime YYYY-MM-DD HH:MM:SS", v)),
    }
}

/// Float/monetary number → [`Decimal`], going through the shortest decimal string that
/// round-trips the `f64` (so `0.1` becomes exactly `0.1`, `113.0` becomes `113`); `false`/`null`
/// → `None`. A numeric string is accepted too.
///
/// # Errors
/// [`OdooError::Decode`] for non-numbers, NaN/infinite or values beyond `Decimal`'s range.
pub fn odoo_decimal(v: &Value) -> Result<Option<Decimal>, OdooError> {
    match v {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Ok(Some(Decimal::from(i)));
            }
            let f = n.as_f64().ok_or_else(|| decode_err("a number", v))?;
            if !f.is_finite() {
                return Err(decode_err("a finite number", v));
            }
            // `Display` for f64 prints the shortest representation that round-trips.
            Decimal::from_str(&format!("{f}"))
                .map(|d| Some(d.normalize()))
                .map_err(|_| decode_err("a number within decimal range", v))
        }
        Value::String(s) => Decimal::from_str(s.trim())
            .map(Some)
            .map_err(|_| decode_err("a decimal number", v)),
        _ => Err(decode_err("a number", v)),
    }
}

/// Integer field → `i64` (`false` → `None`).
///
/// # Errors
/// [`OdooError::Decode`] for non-integers.
pub fn odoo_int(v: &Value) -> Result<Option<i64>, OdooError> {
    match v {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| decode_err("an integer", v)),
        _ => Err(decode_err("an integer", v)),
    }
}

/// Boolean field (`null` → `false`).
///
/// # Errors
/// [`OdooError::Decode`] for non-booleans.
pub fn odoo_bool(v: &Value) -> Result<bool, OdooError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        _ => Err(decode_err("a boolean", v)),
    }
}

/// One2many/many2many → list of ids (`false`/`null` → empty).
///
/// # Errors
/// [`OdooError::Decode`] when not a list of integers.
pub fn odoo_ids(v: &Value) -> Result<Vec<i64>, OdooError> {
    match v {
        Value::Bool(false) | Value::Null => Ok(Vec::new()),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_i64().ok_or_else(|| decode_err("a list of ids", v)))
            .collect(),
        _ => Err(decode_err("a list of ids", v)),
    }
}

/// The result of `create`: an int (JSON-RPC with one dict) or a list of ints (JSON-RPC with a list,
/// JSON-2 always). Source: `odoo/service/model.py` `call_kw`, `addons/rpc/controllers/json2.py`.
///
/// # Errors
/// [`OdooError::Decode`] for any other shape.
pub fn created_ids(v: &Value) -> Result<Vec<i64>, OdooError> {
    match v {
        Value::Number(_) => Ok(vec![odoo_int(v)?.unwrap_or_default()]),
        Value::Array(_) => odoo_ids(v),
        _ => Err(decode_err("created id(s)", v)),
    }
}

/// The record ids named by a window action returned by a button or wizard method
/// (`ir.actions.act_window` with `res_id`, or `domain: [["id", "in", [...]]]`), e.g.
/// `account.move.reversal.refund_moves`, `account.payment.register.action_create_payments`
/// (`addons/account/wizard/*.py`). `act_window_close` and `true` give no ids.
///
/// # Errors
/// [`OdooError::Decode`] when the value is not an action nor a boolean.
pub fn action_record_ids(v: &Value) -> Result<Vec<i64>, OdooError> {
    let obj = match v {
        Value::Object(o) => o,
        Value::Bool(_) | Value::Null => return Ok(Vec::new()),
        _ => return Err(decode_err("a window action", v)),
    };
    if let Some(id) = obj.get("res_id").and_then(Value::as_i64) {
        if id > 0 {
            return Ok(vec![id]);
        }
    }
    if let Some(Value::Array(domain)) = obj.get("domain") {
        for leaf in domain {
            if let Value::Array(t) = leaf {
                if t.len() == 3 && t[0] == "id" && (t[1] == "in" || t[1] == "=") {
                    return match &t[2] {
                        Value::Number(_) => Ok(vec![t[2].as_i64().unwrap_or_default()]),
                        other => odoo_ids(other),
                    };
                }
            }
        }
    }
    Ok(Vec::new())
}
