//! Field readers shared by the request parsers of plans, subscriptions, invoices and credit
//! notes: how today's handlers read a Lago body's loosely typed fields (numbers sent as text,
//! blank strings as absent), kept in one place so every parser reads them alike.

use serde_json::{Map, Value};

/// A text field: a non-blank string (trimmed) or a number's text; anything else is absent.
pub fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A non-negative integer field (JSON integer or integer text); `Ok(None)` when absent or
/// null, `Err(())` for anything else (a negative, a fraction, another type).
#[allow(clippy::result_unit_err)]
pub fn non_negative_int(m: &Map<String, Value>, k: &str) -> Result<Option<i64>, ()> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().filter(|v| *v >= 0).map(Some).ok_or(()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(Some)
            .ok_or(()),
        _ => Err(()),
    }
}

/// A string field that must be a JSON string: non-blank, trimmed; anything else is absent.
pub fn string(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}
