//! Rust values → what Odoo's fields take, and x2many commands.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

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
