//! [`Record`]: one record of a `read`/`search_read` answer.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::decode::*;
use super::Many2one;
use crate::odoo::error::OdooError;

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
                crate::odoo::error::truncate(&other.to_string(), 120)
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
                crate::odoo::error::truncate(&other.to_string(), 120)
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
