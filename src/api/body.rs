//! Request bodies: JSON parsed by hand so that every failure is Lago's error shape.
//!
//! Lago sets `wrap_parameters false`: bodies carry a root key (`{"event":{…}}`); a missing
//! one answers `400 "BadRequest: param is missing or the value is empty or invalid: event"`
//! (`api:app/controllers/concerns/api_errors.rb#bad_request_error`). Unknown keys are
//! ignored, as Rails `permit` does.

use serde_json::{Map, Value};

use super::error::ApiError;

/// Parses a JSON body. An empty body is `{}` (clients send body-less POST/PUT actions).
///
/// # Errors
/// 400 with the parser's message when the body is not JSON.
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))
}

/// Takes the root key of a body; it must be present and not empty or null.
///
/// # Errors
/// Lago's 400 "param is missing or the value is empty or invalid: `<root>`".
pub fn root(body: Value, key: &str) -> Result<Value, ApiError> {
    let missing = || {
        ApiError::BadRequest(format!(
            "param is missing or the value is empty or invalid: {key}"
        ))
    };
    match body {
        Value::Object(mut map) => match map.remove(key) {
            None | Some(Value::Null) => Err(missing()),
            Some(Value::Object(m)) if m.is_empty() => Err(missing()),
            Some(Value::Array(a)) if a.is_empty() => Err(missing()),
            Some(Value::String(s)) if s.is_empty() => Err(missing()),
            Some(v) => Ok(v),
        },
        _ => Err(missing()),
    }
}

pub use crate::lago::fields::{opt_bool, opt_string, InvalidValue};

/// Parses a body and takes its root key, which must be a JSON object within the input
/// bounds of that resource ([`crate::limits::check_body`]).
///
/// # Errors
/// As [`parse_json`] and [`root`]; a root that is not an object is the same 400; a value
/// out of bounds or of the wrong type is a 422 naming the field.
pub fn root_object(body: &[u8], key: &str) -> Result<Map<String, Value>, ApiError> {
    match root(parse_json(body)?, key)? {
        Value::Object(m) => {
            bounded(key, &m)?;
            Ok(m)
        }
        _ => Err(ApiError::BadRequest(format!(
            "param is missing or the value is empty or invalid: {key}"
        ))),
    }
}

/// Checks the object under root key `key` against [`crate::limits::check_body`].
///
/// # Errors
/// 422 `validation_errors` with the fields out of bounds.
pub fn bounded(key: &str, obj: &Map<String, Value>) -> Result<(), ApiError> {
    crate::limits::check_body(key, obj).map_err(ApiError::Validation)
}
