//! Decoding of Odoo's wire values into Rust types, and encoding of the few values we send.
//!
//! Odoo's `read`/`search_read` conventions (CONTRACT.md §3.3; `odoo/orm/fields*.py`
//! `convert_to_read`): empty char/text/selection/date/datetime/many2one values are `false`
//! (never `null` or `""`), many2one is `[id, "display name"]`, x2many is a list of ids, date is
//! `"YYYY-MM-DD"`, datetime is `"YYYY-MM-DD HH:MM:SS"` in UTC, float/monetary are JSON numbers.
//! Everything here maps `false` (and `null`) to `None`; any other unexpected shape is an
//! [`OdooError::Decode`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::error::OdooError;

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for Value {
            fn from(id: $name) -> Value {
                Value::from(id.0)
            }
        }
    )*};
}

typed_id!(
    /// Id of a `res.partner` (customer/contact).
    PartnerId,
    /// Id of a `product.product` (the variant that goes on order and invoice lines).
    ProductId,
    /// Id of a `product.template`.
    ProductTemplateId,
    /// Id of a `sale.subscription.plan` (recurring plan, enterprise `sale_subscription`).
    PlanId,
    /// Id of a `sale.order` (a subscription when `is_subscription`).
    SaleOrderId,
    /// Id of a `sale.order.line`.
    SaleOrderLineId,
    /// Id of an `account.move` (invoice, credit note, entry).
    MoveId,
    /// Id of an `account.move.line`.
    MoveLineId,
    /// Id of an `account.tax`.
    TaxId,
    /// Id of a `res.currency`.
    CurrencyId,
    /// Id of a `res.country`.
    CountryId,
    /// Id of a `res.country.state` (a province).
    StateId,
    /// Id of a `res.company`.
    CompanyId,
    /// Id of an `account.journal`.
    JournalId,
    /// Id of an `account.payment`.
    PaymentId,
    /// Id of a `res.users`.
    UserId,
    /// Id of a `sale.order.close.reason`.
    CloseReasonId,
);

/// A many2one value as read: `[id, "display name"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Many2one {
    /// Id of the related record.
    pub id: i64,
    /// Its `display_name` at read time (in the request language; empty when read with `load=None`).
    pub name: String,
}

fn decode_err(what: &str, v: &Value) -> OdooError {
    let mut shown = v.to_string();
    if shown.len() > 120 {
        shown.truncate(120);
        shown.push('…');
    }
    OdooError::Decode(format!("expected {what}, got {shown}"))
}

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

/// `NaiveDate` → Odoo's `"YYYY-MM-DD"`.
pub fn to_odoo_date(d: NaiveDate) -> Value {
    Value::String(d.format("%Y-%m-%d").to_string())
}

/// UTC datetime → Odoo's `"YYYY-MM-DD HH:MM:SS"` (second precision, as Odoo stores it).
pub fn to_odoo_datetime(d: DateTime<Utc>) -> Value {
    Value::String(d.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// Decimal → the JSON number Odoo's float/monetary fields take (its shortest `f64`).
pub fn to_odoo_float(d: Decimal) -> Value {
    use rust_decimal::prelude::ToPrimitive;
    d.to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// `Option<String>` → the string, or `false` to clear the field (an empty string clears too).
pub fn to_odoo_str(s: Option<&str>) -> Value {
    match s {
        Some(s) if !s.is_empty() => Value::String(s.to_string()),
        _ => Value::Bool(false),
    }
}

/// x2many write commands (CONTRACT.md §3.4; `odoo/orm/commands.py`), always as 3-element lists.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `[0, 0, vals]`: create a linked record.
    Create(Map<String, Value>),
    /// `[1, id, vals]`: write on a linked record.
    Update(i64, Map<String, Value>),
    /// `[2, id, 0]`: delete the record.
    Delete(i64),
    /// `[3, id, 0]`: unlink without deleting (for many2many).
    Unlink(i64),
    /// `[4, id, 0]`: link an existing record.
    Link(i64),
    /// `[5, 0, 0]`: unlink all.
    Clear,
    /// `[6, 0, ids]`: replace all links.
    Set(Vec<i64>),
}

impl Command {
    /// The wire triple.
    pub fn to_value(&self) -> Value {
        match self {
            Command::Create(v) => json!([0, 0, v]),
            Command::Update(id, v) => json!([1, id, v]),
            Command::Delete(id) => json!([2, id, 0]),
            Command::Unlink(id) => json!([3, id, 0]),
            Command::Link(id) => json!([4, id, 0]),
            Command::Clear => json!([5, 0, 0]),
            Command::Set(ids) => json!([6, 0, ids]),
        }
    }

    /// A list of commands as the field value.
    pub fn list(cmds: &[Command]) -> Value {
        Value::Array(cmds.iter().map(Command::to_value).collect())
    }
}

/// One record of a `read`/`search_read` result, with typed getters that name the field in errors.
///
/// A field that was requested but is absent from the answer is a decode error: we always name the
/// fields we read (`id` is always present, `odoo/orm/models.py` `read`).
#[derive(Debug, Clone)]
pub struct Record {
    model: &'static str,
    fields: Map<String, Value>,
}

impl Record {
    /// Wraps a JSON object returned for `model`.
    ///
    /// # Errors
    /// [`OdooError::Decode`] when `v` is not an object.
    pub fn new(model: &'static str, v: Value) -> Result<Record, OdooError> {
        match v {
            Value::Object(fields) => Ok(Record { model, fields }),
            other => Err(OdooError::Decode(format!(
                "{model}: expected a record object, got {}",
                super::error::truncate(&other.to_string(), 120)
            ))),
        }
    }

    /// Wraps every element of a `search_read`/`read` list.
    ///
    /// # Errors
    /// [`OdooError::Decode`] when `v` is not a list of objects.
    pub fn list(model: &'static str, v: Value) -> Result<Vec<Record>, OdooError> {
        match v {
            Value::Array(items) => items.into_iter().map(|i| Record::new(model, i)).collect(),
            Value::Null => Ok(Vec::new()),
            other => Err(OdooError::Decode(format!(
                "{model}: expected a list of records, got {}",
                super::error::truncate(&other.to_string(), 120)
            ))),
        }
    }

    /// The raw value of `field` (`Null` when absent), for decoders inside `odoo/` only.
    pub(crate) fn raw_value(&self, field: &str) -> Value {
        self.fields.get(field).cloned().unwrap_or(Value::Null)
    }

    /// True when the answer carries `field`.
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    fn get(&self, field: &str) -> Result<&Value, OdooError> {
        self.fields
            .get(field)
            .ok_or_else(|| OdooError::Decode(format!("{}: field {field} missing", self.model)))
    }

    fn ctx<T>(&self, field: &str, r: Result<T, OdooError>) -> Result<T, OdooError> {
        r.map_err(|e| match e {
            OdooError::Decode(m) => OdooError::Decode(format!("{}.{field}: {m}", self.model)),
            other => other,
        })
    }

    /// The record id.
    ///
    /// # Errors
    /// [`OdooError::Decode`] when `id` is missing or not an integer.
    pub fn id(&self) -> Result<i64, OdooError> {
        self.int("id")?
            .ok_or_else(|| OdooError::Decode(format!("{}: record without id", self.model)))
    }

    /// See [`odoo_str`].
    pub fn str(&self, field: &str) -> Result<Option<String>, OdooError> {
        self.ctx(field, odoo_str(self.get(field)?))
    }

    /// A required char field: `false` is a decode error.
    pub fn string(&self, field: &str) -> Result<String, OdooError> {
        self.str(field)?
            .ok_or_else(|| OdooError::Decode(format!("{}.{field}: empty", self.model)))
    }

    /// See [`odoo_m2o`].
    pub fn m2o(&self, field: &str) -> Result<Option<Many2one>, OdooError> {
        self.ctx(field, odoo_m2o(self.get(field)?))
    }

    /// See [`odoo_date`].
    pub fn date(&self, field: &str) -> Result<Option<NaiveDate>, OdooError> {
        self.ctx(field, odoo_date(self.get(field)?))
    }

    /// See [`odoo_datetime`].
    pub fn datetime(&self, field: &str) -> Result<Option<DateTime<Utc>>, OdooError> {
        self.ctx(field, odoo_datetime(self.get(field)?))
    }

    /// See [`odoo_decimal`]; a numeric field is never `false`, so `None` becomes zero.
    pub fn decimal(&self, field: &str) -> Result<Decimal, OdooError> {
        Ok(self
            .ctx(field, odoo_decimal(self.get(field)?))?
            .unwrap_or_default())
    }

    /// See [`odoo_int`].
    pub fn int(&self, field: &str) -> Result<Option<i64>, OdooError> {
        self.ctx(field, odoo_int(self.get(field)?))
    }

    /// See [`odoo_bool`].
    pub fn bool(&self, field: &str) -> Result<bool, OdooError> {
        self.ctx(field, odoo_bool(self.get(field)?))
    }

    /// See [`odoo_ids`].
    pub fn ids(&self, field: &str) -> Result<Vec<i64>, OdooError> {
        self.ctx(field, odoo_ids(self.get(field)?))
    }

    /// Char custom fields present in the answer, by name (`false` → `None`); absent ones are skipped.
    pub fn custom_strs(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, Option<String>>, OdooError> {
        let mut out = BTreeMap::new();
        for n in names {
            if self.has(n) {
                let v = self.get(n)?;
                let s = match v {
                    Value::Number(num) => Some(num.to_string()),
                    Value::Bool(true) => Some("true".to_string()),
                    _ => self.ctx(n, odoo_str(v))?,
                };
                out.insert(n.clone(), s);
            }
        }
        Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn false_is_none_everywhere() {
        let f = Value::Bool(false);
        assert_eq!(odoo_str(&f).unwrap(), None);
        assert_eq!(odoo_m2o(&f).unwrap(), None);
        assert_eq!(odoo_date(&f).unwrap(), None);
        assert_eq!(odoo_datetime(&f).unwrap(), None);
        assert_eq!(odoo_decimal(&f).unwrap(), None);
        assert!(odoo_ids(&f).unwrap().is_empty());
    }

    #[test]
    fn many2one_pairs() {
        let m = odoo_m2o(&json!([21, "Belgium"])).unwrap().unwrap();
        assert_eq!((m.id, m.name.as_str()), (21, "Belgium"));
        assert_eq!(odoo_m2o(&json!(7)).unwrap().unwrap().id, 7);
        assert!(odoo_m2o(&json!("x")).is_err());
        assert!(odoo_m2o(&json!([1, 2, 3])).is_err());
    }

    #[test]
    fn floats_become_exact_decimals() {
        assert_eq!(odoo_decimal(&json!(0.1)).unwrap(), Some(dec!(0.1)));
        assert_eq!(odoo_decimal(&json!(113.0)).unwrap(), Some(dec!(113)));
        assert_eq!(odoo_decimal(&json!(14.975)).unwrap(), Some(dec!(14.975)));
        assert_eq!(
            odoo_decimal(&json!(0.30000000000000004)).unwrap(),
            Some(dec!(0.30000000000000004))
        );
        assert_eq!(odoo_decimal(&json!(12)).unwrap(), Some(dec!(12)));
        assert!(odoo_decimal(&json!("abc")).is_err());
    }

    #[test]
    fn dates_and_datetimes_are_utc() {
        let d = odoo_date(&json!("2025-06-01")).unwrap().unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
        let t = odoo_datetime(&json!("2025-06-01 14:03:22"))
            .unwrap()
            .unwrap();
        assert_eq!(t.to_rfc3339(), "2025-06-01T14:03:22+00:00");
        assert!(odoo_date(&json!("01/06/2025")).is_err());
        assert_eq!(to_odoo_datetime(t), json!("2025-06-01 14:03:22"));
        assert_eq!(to_odoo_date(d), json!("2025-06-01"));
    }

    #[test]
    fn create_results() {
        assert_eq!(created_ids(&json!(5)).unwrap(), vec![5]);
        assert_eq!(created_ids(&json!([5, 6])).unwrap(), vec![5, 6]);
        assert!(created_ids(&json!({"id": 5})).is_err());
    }

    #[test]
    fn action_ids() {
        assert_eq!(
            action_record_ids(&json!({"type": "ir.actions.act_window", "res_id": 9})).unwrap(),
            vec![9]
        );
        assert_eq!(
            action_record_ids(&json!({"domain": [["id", "in", [3, 4]]]})).unwrap(),
            vec![3, 4]
        );
        assert!(action_record_ids(&json!(true)).unwrap().is_empty());
    }

    #[test]
    fn record_errors_name_the_field() {
        let r = Record::new("res.partner", json!({"id": 1, "name": 5})).unwrap();
        let e = r.str("name").unwrap_err().to_string();
        assert!(e.contains("res.partner.name"), "{e}");
        assert!(r.str("email").unwrap_err().to_string().contains("missing"));
    }

    #[test]
    fn commands_are_triples() {
        assert_eq!(Command::Set(vec![1, 2]).to_value(), json!([6, 0, [1, 2]]));
        assert_eq!(Command::Delete(3).to_value(), json!([2, 3, 0]));
    }
}
