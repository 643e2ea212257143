//! Reading the fields of a Lago request object (`{"<root>": {…}}` after the root key is
//! taken) the way Rails' strong parameters cast them, and collecting every field error
//! at once into the `error_details` of Lago's 422 body
//! (`api:app/controllers/concerns/api_errors.rb#validation_errors`).

use serde_json::{json, Map, Value};

use super::error_code::FieldCode;

/// `error_details` of a 422: field name → array of [`FieldCode`]s (as JSON strings), in
/// the order they were found.
pub type FieldErrors = Map<String, Value>;

/// Appends `code` to the codes of `field`.
pub fn add(errors: &mut FieldErrors, field: &str, code: FieldCode) {
    let entry = errors.entry(field.to_string()).or_insert_with(|| json!([]));
    if let Value::Array(a) = entry {
        a.push(json!(code));
    }
}

/// A field whose JSON type or text cannot be what the API expects there
/// (answered as `value_is_invalid` or `invalid_format` by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidValue;

/// A string field as Rails would permit it: strings as is, numbers and booleans as their
/// text, null/absent as `None`; objects and arrays are [`InvalidValue`].
pub fn opt_string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, InvalidValue> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(InvalidValue),
    }
}

/// A boolean field: JSON booleans, and the strings/numbers Rails casts (`"true"`, `"1"`…).
pub fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, InvalidValue> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.as_str() {
            "true" | "1" | "t" | "on" => Ok(Some(true)),
            "false" | "0" | "f" | "off" => Ok(Some(false)),
            _ => Err(InvalidValue),
        },
        Some(Value::Number(n)) => match n.as_i64() {
            Some(1) => Ok(Some(true)),
            Some(0) => Ok(Some(false)),
            _ => Err(InvalidValue),
        },
        Some(_) => Err(InvalidValue),
    }
}

// Loosely typed readers (numbers sent as text, blank strings as absent), as the plan,
// subscription, invoice and credit-note parsers read their bodies.
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
