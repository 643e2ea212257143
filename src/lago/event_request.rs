//! Validation of one Lago event input into a [`NewEvent`]
//! (`api:app/services/events/create_service.rb`, `create_batch_service.rb`).
//!
//! Accepts what the official clients send: `timestamp` as a JSON number or a numeric
//! string of Unix seconds with optional fractions, or null/absent (= now); `properties`
//! null (= `{}`); unset keys as null. `external_customer_id` is ignored, as Lago does.

use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::error_code::FieldCode;
use super::fields::{opt_string, FieldErrors, InvalidValue};
pub use crate::limits::MAX_ID_LEN;
use crate::meter::events::{canonical_json, NewEvent};

/// Validates `input` (the object under `event`, or one element of `events`).
/// `now` is Unix microseconds, used for a missing timestamp and `created_at`.
///
/// # Errors
/// Field → codes: `value_is_mandatory` (missing ids/code), `invalid_format` (timestamp),
/// `value_is_invalid` (wrong types, non-object properties, non-decimal
/// `precise_total_amount_cents`), `value_is_too_long` (ids over
/// [`crate::limits::MAX_ID_LEN`]), `value_is_out_of_range` (numeric property values or
/// `precise_total_amount_cents` beyond [`crate::limits::MAX_QUANTITY`]), and the other bounds
/// of [`crate::limits::check_event_properties`] under `properties`.
pub fn validate_event(input: &Value, now: i64) -> Result<NewEvent, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = input.as_object() else {
        errors.insert("event".into(), json!([FieldCode::ValueIsInvalid]));
        return Err(errors);
    };
    let transaction_id = required_id(obj, "transaction_id", &mut errors);
    let external_subscription_id = required_id(obj, "external_subscription_id", &mut errors);
    let code = required_id(obj, "code", &mut errors);

    let timestamp = event_timestamp(obj, &mut errors);
    let properties = event_properties(obj, &mut errors);
    let precise = precise_total_amount_cents(obj, &mut errors);
    // `required_id` has recorded why an id is missing, so `errors` is never empty here then.
    let (Some(transaction_id), Some(external_subscription_id), Some(code), true) = (
        transaction_id,
        external_subscription_id,
        code,
        errors.is_empty(),
    ) else {
        return Err(errors);
    };
    Ok(new_event(
        Ids {
            transaction_id,
            external_subscription_id,
            code,
        },
        timestamp,
        properties,
        precise,
        now,
    ))
}

/// The three ids of a valid event.
struct Ids {
    transaction_id: String,
    external_subscription_id: String,
    code: String,
}

/// The event to store: `properties` in canonical JSON, the fingerprint of its content
/// (code, timestamp as given, properties, precise amount), a new `lago_id`, a missing
/// timestamp set to `now`.
fn new_event(
    ids: Ids,
    timestamp: Option<i64>,
    properties: Value,
    precise: Option<String>,
    now: i64,
) -> NewEvent {
    let properties_text = canonical_json(&properties);
    let fingerprint = {
        let content = json!([ids.code, timestamp, properties, precise]);
        hex::encode(Sha256::digest(canonical_json(&content).as_bytes()))
    };
    NewEvent {
        lago_id: uuid::Uuid::new_v4().to_string(),
        external_subscription_id: ids.external_subscription_id,
        transaction_id: ids.transaction_id,
        code: ids.code,
        timestamp: timestamp.unwrap_or(now),
        properties: properties_text,
        precise_total_amount_cents: precise,
        fingerprint,
        created_at: now,
    }
}

/// `timestamp` as [`parse_timestamp`]; `invalid_format` otherwise.
fn event_timestamp(obj: &Map<String, Value>, errors: &mut FieldErrors) -> Option<i64> {
    match parse_timestamp(obj.get("timestamp")) {
        Ok(t) => t,
        Err(InvalidValue) => {
            errors.insert("timestamp".into(), json!([FieldCode::InvalidFormat]));
            None
        }
    }
}

/// `properties`: an object within [`crate::limits::check_event_properties`], null = `{}`;
/// anything else is `value_is_invalid`.
fn event_properties(obj: &Map<String, Value>, errors: &mut FieldErrors) -> Value {
    match obj.get("properties") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(m)) => {
            if let Err(e) = crate::limits::check_event_properties(m) {
                errors.extend(e);
            }
            v.clone()
        }
        Some(_) => {
            errors.insert("properties".into(), json!([FieldCode::ValueIsInvalid]));
            Value::Null
        }
    }
}

/// `precise_total_amount_cents`: a decimal (number or string, blank = none) within
/// [`crate::limits::MAX_QUANTITY`], kept normalized as text.
fn precise_total_amount_cents(
    obj: &Map<String, Value>,
    errors: &mut FieldErrors,
) -> Option<String> {
    const KEY: &str = "precise_total_amount_cents";
    let text = match obj.get(KEY) {
        None | Some(Value::Null) => return None,
        Some(Value::String(s)) if s.trim().is_empty() => return None,
        Some(Value::String(s)) => s.trim().to_string(),
        Some(v @ Value::Number(_)) => v.to_string(),
        Some(_) => {
            errors.insert(KEY.into(), json!([FieldCode::ValueIsInvalid]));
            return None;
        }
    };
    match parse_decimal(&text) {
        Some(d) if d.abs() > crate::limits::MAX_QUANTITY => {
            errors.insert(KEY.into(), json!([FieldCode::ValueIsOutOfRange]));
            None
        }
        Some(d) => Some(d.normalize().to_string()),
        None => {
            errors.insert(KEY.into(), json!([FieldCode::ValueIsInvalid]));
            None
        }
    }
}

fn required_id(obj: &Map<String, Value>, key: &str, errors: &mut FieldErrors) -> Option<String> {
    match opt_string(obj, key) {
        Ok(Some(s)) if s.is_empty() => {
            errors.insert(key.into(), json!([FieldCode::ValueIsMandatory]));
            None
        }
        Ok(Some(s)) if !crate::limits::len_ok(&s, MAX_ID_LEN) => {
            errors.insert(key.into(), json!([FieldCode::ValueIsTooLong]));
            None
        }
        Ok(Some(s)) => Some(s),
        Ok(None) => {
            errors.insert(key.into(), json!([FieldCode::ValueIsMandatory]));
            None
        }
        Err(InvalidValue) => {
            errors.insert(key.into(), json!([FieldCode::ValueIsInvalid]));
            None
        }
    }
}

/// Parses a decimal in plain or scientific notation (`"1700000000.5"`, `"1.7e9"`).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text)
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

/// Unix seconds (number or numeric string, fractions allowed) → Unix microseconds.
/// `Ok(None)` for null/absent; `Err` for anything else (an ISO string included, as Lago).
pub fn parse_timestamp(v: Option<&Value>) -> Result<Option<i64>, InvalidValue> {
    let text = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(InvalidValue),
    };
    let secs = parse_decimal(&text).ok_or(InvalidValue)?;
    // Years 0001..=9999, as chrono and every client can represent them.
    let micros = secs
        .checked_mul(Decimal::from(1_000_000))
        .ok_or(InvalidValue)?
        .trunc()
        .to_i64()
        .ok_or(InvalidValue)?;
    if !(-62_135_596_800_000_000..=253_402_300_799_000_000).contains(&micros) {
        return Err(InvalidValue);
    }
    Ok(Some(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_clients_send_them() {
        assert_eq!(
            parse_timestamp(Some(&json!(1700000000))),
            Ok(Some(1_700_000_000_000_000))
        );
        assert_eq!(
            parse_timestamp(Some(&json!("1700000000"))),
            Ok(Some(1_700_000_000_000_000))
        );
        assert_eq!(
            parse_timestamp(Some(&json!("1700000000.123"))),
            Ok(Some(1_700_000_000_123_000))
        );
        assert_eq!(
            parse_timestamp(Some(&json!(1700000000.5))),
            Ok(Some(1_700_000_000_500_000))
        );
        assert_eq!(parse_timestamp(Some(&Value::Null)), Ok(None));
        assert_eq!(parse_timestamp(None), Ok(None));
        assert_eq!(
            parse_timestamp(Some(&json!("2024-01-01T00:00:00Z"))),
            Err(InvalidValue)
        );
        assert_eq!(parse_timestamp(Some(&json!(true))), Err(InvalidValue));
        assert_eq!(parse_timestamp(Some(&json!("1e30"))), Err(InvalidValue));
        // Beyond Decimal once scaled to microseconds: refused, not a panic.
        assert_eq!(
            parse_timestamp(Some(&json!(143030884259980115968000_f64))),
            Err(InvalidValue)
        );
    }

    #[test]
    fn null_keys_from_python_client_are_accepted() {
        let e = validate_event(
            &json!({"transaction_id":"t1","external_subscription_id":"s1","code":"calls",
                    "timestamp":null,"properties":null,"precise_total_amount_cents":null}),
            42,
        )
        .unwrap();
        assert_eq!(e.timestamp, 42);
        assert_eq!(e.properties, "{}");
        assert_eq!(e.precise_total_amount_cents, None);
    }

    #[test]
    fn missing_and_invalid_fields_are_reported_together() {
        let errs = validate_event(
            &json!({"code":"", "timestamp":"yesterday", "properties":[1]}),
            0,
        )
        .unwrap_err();
        assert_eq!(errs["transaction_id"], json!(["value_is_mandatory"]));
        assert_eq!(
            errs["external_subscription_id"],
            json!(["value_is_mandatory"])
        );
        assert_eq!(errs["code"], json!(["value_is_mandatory"]));
        assert_eq!(errs["timestamp"], json!(["invalid_format"]));
        assert_eq!(errs["properties"], json!(["value_is_invalid"]));
    }

    #[test]
    fn fingerprint_ignores_property_order_but_not_values() {
        let a = validate_event(
            &json!({"transaction_id":"t","external_subscription_id":"s","code":"c",
            "timestamp":1,"properties":{"a":1,"b":2}}),
            0,
        )
        .unwrap();
        let b = validate_event(
            &json!({"transaction_id":"t","external_subscription_id":"s","code":"c",
            "timestamp":"1","properties":{"b":2,"a":1}}),
            5,
        )
        .unwrap();
        let c = validate_event(
            &json!({"transaction_id":"t","external_subscription_id":"s","code":"c",
            "timestamp":1,"properties":{"a":1,"b":3}}),
            0,
        )
        .unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
    }
}
