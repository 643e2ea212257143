//! [`check_body`]: a request body's known fields against their [`Kind`], plus the
//! one-off invoice total and Lago's key/value metadata.

use serde_json::{Map, Value};

use super::spec::{spec, Kind};
use super::tree::check_object;
use super::{
    add, add_value, amount_cents, decimal_of, len_ok, quantity, Errors, MetadataRules,
    MAX_AMOUNT_CENTS, MAX_ID_LEN, MAX_ITEMS, MAX_NAME_LEN, MAX_TEXT_LEN,
};
use crate::lago::error_code::FieldCode;
use rust_decimal::Decimal;

/// Checks the object under a body's root key (`customer`, `plan`, `subscription`, `invoice`,
/// `credit_note`, `billable_metric`, `webhook_endpoint`): the known fields of that resource
/// against their bounds and JSON types, then every string, array and nesting level of the
/// whole object against [`MAX_TEXT_LEN`], [`MAX_ITEMS`] and [`MAX_DEPTH`](super::MAX_DEPTH). Every problem is
/// reported at once.
///
/// # Errors
/// Field → codes (`value_is_out_of_range`, `value_is_too_long`, `value_is_invalid`, `too_many_items`, and Lago's
/// metadata codes).
pub fn check_body(root: &str, obj: &Map<String, Value>) -> Result<(), Errors> {
    let mut errors = Errors::new();
    check_fields(spec(root), obj, &mut errors);
    if root == "invoice" && errors.is_empty() {
        one_off_total(obj, &mut errors);
    }
    check_object(root, obj, 0, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_fields(fields: &[(&str, Kind)], obj: &Map<String, Value>, errors: &mut Errors) {
    for (key, kind) in fields {
        match obj.get(*key) {
            None | Some(Value::Null) => {}
            Some(v) => check_field(key, *kind, v, errors),
        }
    }
}

fn text_of(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(s.as_str().into()),
        Value::Number(n) => Some(n.to_string().into()),
        Value::Bool(b) => Some(b.to_string().into()),
        _ => None,
    }
}

fn check_field(key: &str, kind: Kind, v: &Value, errors: &mut Errors) {
    match kind {
        Kind::Id => string(key, v, MAX_ID_LEN, errors),
        Kind::Name => string(key, v, MAX_NAME_LEN, errors),
        Kind::Text => string(key, v, MAX_TEXT_LEN, errors),
        Kind::Cents => cents(key, v, errors),
        Kind::Quantity => quantity_field(key, v, errors),
        Kind::Metadata(rules) => metadata(key, v, rules, errors),
        Kind::FlatWith(fields) => flat_with(key, v, fields, errors),
        Kind::Str(max) => match v {
            Value::String(s) if !len_ok(s, max) => add(errors, key, FieldCode::ValueIsTooLong),
            Value::String(_) => {}
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::Number(max) => number(key, v, max, errors),
        Kind::Bool => {
            if !v.is_boolean() {
                add(errors, key, FieldCode::ValueIsInvalid)
            }
        }
        Kind::CustomerCountry => customer_country(key, v, errors),
        Kind::LagoEnum(schema, upper) => lago_enum_value(key, v, schema, upper, errors),
        Kind::OneOf(allowed) => match v {
            Value::String(s) if allowed.contains(&s.as_str()) => {}
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::Count(max) => count(key, v, max, errors),
        Kind::Strings => strings(key, v, errors),
        Kind::Items(fields) => match v {
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(o) = item {
                        check_fields(fields, o, errors);
                    }
                }
            }
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
    }
}

/// [`Kind::Id`], [`Kind::Name`], [`Kind::Text`]: a scalar of at most `max` characters.
fn string(key: &str, v: &Value, max: usize, errors: &mut Errors) {
    match text_of(v) {
        Some(s) if !len_ok(&s, max) => add(errors, key, FieldCode::ValueIsTooLong),
        Some(_) => {}
        None => add(errors, key, FieldCode::ValueIsInvalid),
    }
}

/// [`Kind::Cents`].
fn cents(key: &str, v: &Value, errors: &mut Errors) {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(c) if amount_cents(c).is_ok() => {}
            Some(c) if c < 0 => add(errors, key, FieldCode::ValueIsInvalid),
            _ if n.is_f64() => add(errors, key, FieldCode::ValueIsInvalid),
            _ => add(errors, key, FieldCode::ValueIsOutOfRange),
        },
        Value::String(s) => match s.trim().parse::<i128>() {
            Ok(c) if (0..=i128::from(MAX_AMOUNT_CENTS)).contains(&c) => {}
            Ok(c) if c < 0 => add(errors, key, FieldCode::ValueIsInvalid),
            Ok(_) => add(errors, key, FieldCode::ValueIsOutOfRange),
            // Not an integer: the resource's own validation names the field.
            Err(_) if s.trim().chars().all(|c| c.is_ascii_digit()) && !s.trim().is_empty() => {
                add(errors, key, FieldCode::ValueIsOutOfRange)
            }
            Err(_) => {}
        },
        _ => add(errors, key, FieldCode::ValueIsInvalid),
    }
}

/// [`Kind::Quantity`].
fn quantity_field(key: &str, v: &Value, errors: &mut Errors) {
    match decimal_of(v) {
        Some(Ok(d)) => {
            if d.is_sign_negative() && !d.is_zero() {
                // Negative: the resource's own validation refuses it (value_is_invalid).
            } else if quantity(d).is_err() {
                add(errors, key, FieldCode::ValueIsOutOfRange);
            }
        }
        Some(Err(())) => add(errors, key, FieldCode::ValueIsOutOfRange),
        None => {}
    }
}

/// [`Kind::FlatWith`]: flat, and its listed keys checked under `<key>.<field>`.
fn flat_with(key: &str, v: &Value, fields: &[(&str, Kind)], errors: &mut Errors) {
    flat(key, v, errors);
    if let Value::Object(m) = v {
        // Named `<object>.<field>` (`shipping_address.country`), not to be taken
        // for the customer's own field of the same name.
        let mut inner = Errors::new();
        check_fields(fields, m, &mut inner);
        for (field, codes) in inner {
            for code in codes.as_array().into_iter().flatten() {
                add_value(errors, &format!("{key}.{field}"), code.clone());
            }
        }
    }
}

/// [`Kind::Number`].
fn number(key: &str, v: &Value, max: i64, errors: &mut Errors) {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(x) if (0.0..=max as f64).contains(&x) => {}
            Some(x) if x > max as f64 => add(errors, key, FieldCode::ValueIsOutOfRange),
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        _ => add(errors, key, FieldCode::ValueIsInvalid),
    }
}

/// [`Kind::CustomerCountry`].
fn customer_country(key: &str, v: &Value, errors: &mut Errors) {
    if let Value::String(s) = v {
        let s = s.trim();
        if s.len() == 2
            && s.chars().all(|c| c.is_ascii_alphabetic())
            && !lago_enum("Country")
                .iter()
                .any(|e| e.eq_ignore_ascii_case(s))
        {
            add(errors, key, FieldCode::CountryCodeInvalid);
        }
    }
}

/// [`Kind::LagoEnum`].
fn lago_enum_value(key: &str, v: &Value, schema: &str, upper: bool, errors: &mut Errors) {
    match v {
        Value::String(s) if s.is_empty() => {}
        Value::String(s) => {
            let s = if upper { s.to_uppercase() } else { s.clone() };
            if !lago_enum(schema).contains(&s) {
                add(errors, key, FieldCode::ValueIsInvalid);
            }
        }
        _ => add(errors, key, FieldCode::ValueIsInvalid),
    }
}

/// [`Kind::Count`].
fn count(key: &str, v: &Value, max: i64, errors: &mut Errors) {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (0..=max).contains(&n) => {}
        Some(n) if n > max => add(errors, key, FieldCode::ValueIsOutOfRange),
        _ => add(errors, key, FieldCode::ValueIsInvalid),
    }
}

/// [`Kind::Strings`].
fn strings(key: &str, v: &Value, errors: &mut Errors) {
    match v {
        Value::Array(items) if items.len() <= MAX_ITEMS => {
            for i in items {
                match i {
                    Value::String(s) if !len_ok(s, MAX_NAME_LEN) => {
                        add(errors, key, FieldCode::ValueIsTooLong)
                    }
                    Value::String(_) => {}
                    _ => add(errors, key, FieldCode::ValueIsInvalid),
                }
            }
        }
        Value::Array(_) => add(errors, key, FieldCode::TooManyItems),
        _ => add(errors, key, FieldCode::ValueIsInvalid),
    }
}

/// An object of ≤ [`MAX_ITEMS`] keys whose values are scalars (strings ≤ [`MAX_NAME_LEN`])
/// or lists of scalars.
fn flat(key: &str, v: &Value, errors: &mut Errors) {
    let Value::Object(m) = v else {
        add(errors, key, FieldCode::ValueIsInvalid);
        return;
    };
    if m.len() > MAX_ITEMS {
        add(errors, key, FieldCode::TooManyItems);
    }
    let scalars = |a: &Vec<Value>| {
        a.len() <= MAX_ITEMS
            && a.iter()
                .all(|i| !matches!(i, Value::Object(_) | Value::Array(_)))
    };
    for (k, x) in m {
        match x {
            // A list of scalars (`provider_payment_methods: ["card"]`) is flat.
            Value::Array(a) if scalars(a) => {}
            Value::Object(_) | Value::Array(_) => {
                add(errors, key, FieldCode::NestedStructureNotAllowed)
            }
            Value::String(s) if !len_ok(s, MAX_NAME_LEN) => {
                add(errors, key, FieldCode::ValueIsTooLong)
            }
            _ if !len_ok(k, MAX_ID_LEN) => add(errors, key, FieldCode::ValueIsTooLong),
            _ => {}
        }
    }
}

/// The `enum` of schema `name` in Lago's spec (the document the gateway serves), read once.
fn lago_enum(name: &str) -> &'static [String] {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static ENUMS: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    let enums = ENUMS.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(crate::lago::openapi::LAGO_SUBSET).unwrap_or(Value::Null);
        let mut out = HashMap::new();
        for schema in ["Country", "Timezone"] {
            let values = doc
                .pointer(&format!("/components/schemas/{schema}/enum"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            out.insert(schema.to_string(), values);
        }
        out
    });
    enums.get(name).map(Vec::as_slice).unwrap_or(&[])
}

/// A one-off invoice's fees: each `units × unit_amount_cents`, and their sum, must stay
/// within [`MAX_AMOUNT_CENTS`] (`fees: value_is_out_of_range`). Fields that are not numbers
/// are left to the invoice's own validation.
fn one_off_total(obj: &Map<String, Value>, errors: &mut Errors) {
    let Some(Value::Array(fees)) = obj.get("fees") else {
        return;
    };
    let max = Decimal::from(MAX_AMOUNT_CENTS);
    let mut total = Decimal::ZERO;
    for fee in fees {
        let units = match fee.get("units").and_then(decimal_of) {
            Some(Ok(d)) => d,
            _ => Decimal::ONE,
        };
        let cents = match fee.get("unit_amount_cents").and_then(decimal_of) {
            Some(Ok(d)) => d,
            _ => Decimal::ZERO,
        };
        let line = units.checked_mul(cents);
        match line.and_then(|l| total.checked_add(l)) {
            Some(t) if line.is_some_and(|l| l <= max) && t <= max => total = t,
            _ => {
                add(errors, "fees", FieldCode::ValueIsOutOfRange);
                return;
            }
        }
    }
}

/// Lago's key/value metadata: an array of `{"key", "value"[, "display_in_invoice"|"id"]}`
/// objects, at most `rules.max_entries`, keys and values within their lengths, values
/// scalars.
fn metadata(field: &str, v: &Value, rules: MetadataRules, errors: &mut Errors) {
    let Value::Array(items) = v else {
        add(errors, field, FieldCode::ValueIsInvalid);
        return;
    };
    if items.len() > rules.max_entries {
        add(errors, field, FieldCode::TooManyKeys);
    }
    for item in items {
        let Value::Object(entry) = item else {
            add(errors, field, FieldCode::InvalidKeyValuePair);
            continue;
        };
        match entry.get("key") {
            Some(Value::String(k)) if !len_ok(k, rules.max_key_len) => {
                add(errors, field, FieldCode::KeyTooLong)
            }
            Some(Value::String(k)) if !k.trim().is_empty() => {}
            _ => add(errors, field, FieldCode::InvalidKeyValuePair),
        }
        // Lago requires a present value; the gateway echoes it, so it must be a string.
        match entry.get("value") {
            Some(Value::Object(_) | Value::Array(_)) => {
                add(errors, field, FieldCode::NestedStructureNotAllowed)
            }
            Some(Value::String(s)) if !len_ok(s, rules.max_value_len) => {
                add(errors, field, FieldCode::ValueTooLong)
            }
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            _ => add(errors, field, FieldCode::InvalidKeyValuePair),
        }
    }
}
