//! The walk over any JSON value: string lengths, array sizes, nesting depth, and the numbers
//! of event properties.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::{
    add, add_value, len_ok, Errors, MAX_DEPTH, MAX_ID_LEN, MAX_ITEMS, MAX_QUANTITY, MAX_TEXT_LEN,
};
use crate::lago::error_code::FieldCode;

/// Every string ≤ [`MAX_TEXT_LEN`], every array ≤ [`MAX_ITEMS`], nesting ≤ [`MAX_DEPTH`];
/// errors are named by the key that holds the value.
fn check_tree(key: &str, v: &Value, depth: usize, errors: &mut Errors) {
    if depth > MAX_DEPTH {
        add(errors, key, FieldCode::ValueIsInvalid);
        return;
    }
    match v {
        Value::String(s) if !len_ok(s, MAX_TEXT_LEN) => add(errors, key, FieldCode::ValueIsTooLong),
        Value::Array(items) => {
            if items.len() > MAX_ITEMS {
                add(errors, key, FieldCode::TooManyItems);
                return;
            }
            for item in items {
                check_tree(key, item, depth + 1, errors);
            }
        }
        Value::Object(m) => check_object(key, m, depth, errors),
        _ => {}
    }
}

/// [`check_tree`] of an object: ≤ 10 × [`MAX_ITEMS`] keys of ≤ [`MAX_ID_LEN`] characters.
pub(super) fn check_object(key: &str, m: &Map<String, Value>, depth: usize, errors: &mut Errors) {
    if depth > MAX_DEPTH {
        add(errors, key, FieldCode::ValueIsInvalid);
        return;
    }
    if m.len() > MAX_ITEMS * 10 {
        add(errors, key, FieldCode::TooManyItems);
        return;
    }
    for (k, x) in m {
        if !len_ok(k, MAX_ID_LEN) {
            add(errors, key, FieldCode::ValueIsTooLong);
            continue;
        }
        check_tree(k, x, depth + 1, errors);
    }
}

/// Event `properties`: nesting ≤ [`MAX_DEPTH`], keys ≤ [`MAX_ID_LEN`], strings ≤
/// [`MAX_TEXT_LEN`], arrays ≤ [`MAX_ITEMS`], and every JSON number (the values an
/// aggregation sums) within ±[`MAX_QUANTITY`]. Strings are not bounded in magnitude, even
/// numeric ones: they are ids as often as quantities (an id beyond 2⁵³ cannot even travel as
/// a JSON number through JavaScript), and a sum over them is checked where it is computed.
/// Precision is not bounded here: clients send floats' digits (`0.30000000000000004`), and
/// sums round their last digits rather than overflow.
///
/// # Errors
/// `properties` → `value_is_out_of_range` / `value_is_too_long` / `value_is_invalid` / `too_many_items`.
pub fn check_event_properties(props: &Map<String, Value>) -> Result<(), Errors> {
    let mut errors = Errors::new();
    check_object("properties", props, 1, &mut errors);
    // Errors of the tree walk are reported under `properties`, whatever the key.
    let mut out = Errors::new();
    if !errors.is_empty() {
        for codes in errors.values() {
            if let Value::Array(codes) = codes {
                for c in codes {
                    add_value(&mut out, "properties", c.clone());
                }
            }
        }
    }
    for v in props.values() {
        property_numbers(v, &mut out);
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

fn property_numbers(v: &Value, errors: &mut Errors) {
    match v {
        Value::Number(n) => {
            let ok = match Decimal::from_str(&n.to_string())
                .or_else(|_| Decimal::from_scientific(&n.to_string()))
            {
                Ok(d) => d.abs() <= MAX_QUANTITY,
                Err(_) => false,
            };
            if !ok {
                add(errors, "properties", FieldCode::ValueIsOutOfRange);
            }
        }
        // Text is text: ids such as 19-digit snowflakes (for `unique_count_agg`), phone
        // numbers and the like are not quantities. A metric that sums a numeric text beyond
        // `Decimal`'s range gets a checked overflow, isolated to that subscription
        // (`crate::billing::checked`), never a panic.
        Value::String(_) => {}
        Value::Array(items) => items.iter().for_each(|x| property_numbers(x, errors)),
        Value::Object(m) => m.values().for_each(|x| property_numbers(x, errors)),
        _ => {}
    }
}
