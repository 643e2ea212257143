//! Value helpers: Python `repr` of wire values (Odoo quotes Python objects in error messages),
//! Decimal conversion of numeric fields, and falsy tests as Python sees them.

use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// Python `repr()` of a JSON value: `'text'`, `True`, `None`, `[1, 2]`, `('a', '=', 1)` for tuples.
pub fn pyrepr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => pystr(s),
        Value::Array(a) => format!("[{}]", a.iter().map(pyrepr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", pystr(k), pyrepr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python `repr()` of a str (single quotes unless the text holds one).
pub fn pystr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// Python `repr()` of a tuple of values, e.g. a domain condition `('x', '=', 1)`.
pub fn pytuple(items: &[Value]) -> String {
    format!(
        "({})",
        items.iter().map(pyrepr).collect::<Vec<_>>().join(", ")
    )
}

/// Python truthiness of a stored value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(true) => true,
    }
}

/// A stored numeric value as Decimal (numbers are parsed from their decimal text, not via f64
/// arithmetic; decimal strings are accepted too). Non-numbers give zero.
pub fn dec(v: &Value) -> Decimal {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .unwrap_or_default(),
        Value::String(s) => Decimal::from_str(s).unwrap_or_default(),
        Value::Bool(true) => Decimal::ONE,
        _ => Decimal::ZERO,
    }
}

/// Decimal as the stored form of float/monetary fields: its normalised decimal text.
pub fn dec_val(d: Decimal) -> Value {
    Value::String(d.normalize().to_string())
}

/// Decimal as a JSON float the way Odoo's wire shows floats (`113.0`, `0.0`).
pub fn dec_wire(d: Decimal) -> Value {
    let f: f64 = d.normalize().to_string().parse().unwrap_or(0.0);
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The id held by a stored many2one (`Null`/`false` → None).
pub fn as_id(v: &Value) -> Option<i64> {
    v.as_i64().filter(|i| *i > 0)
}

/// Ids held by a stored x2many value.
pub fn as_ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repr_like_python() {
        assert_eq!(
            pytuple(&[json!("x_foo"), json!("="), json!(1)]),
            "('x_foo', '=', 1)"
        );
        assert_eq!(pyrepr(&json!([true, null, "a"])), "[True, None, 'a']");
        assert_eq!(pystr("it's"), "\"it's\"");
    }

    #[test]
    fn decimals() {
        assert_eq!(dec(&json!(113.0)), Decimal::from(113));
        assert_eq!(dec(&json!("0.10")).to_string(), "0.10");
        assert_eq!(dec_wire(Decimal::new(11300, 2)), json!(113.0));
    }
}
