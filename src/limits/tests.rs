//! Unit tests of the bounds.

use super::*;
use rust_decimal_macros::dec;

#[test]
fn constants_are_what_they_say() {
    assert_eq!(MAX_QUANTITY, dec!(1_000_000_000_000_000));
    assert_eq!(MAX_UNIT_PRICE, dec!(1_000_000_000_000));
    assert_eq!(MAX_RATE, dec!(1000));
}

#[test]
fn worst_case_products_fit() {
    // quantity × price × (1 + 13 %) fits a Decimal (its conversion to cents is checked);
    // a percentage charge of the largest quantity at the largest rate fits one too.
    let worst = MAX_QUANTITY
        .checked_mul(MAX_UNIT_PRICE)
        .and_then(|x| x.checked_mul(dec!(1.13)));
    assert!(worst.is_some());
    assert!(MAX_QUANTITY.checked_mul(MAX_RATE).is_some());
    let lines = i128::from(MAX_AMOUNT_CENTS) * 10_000 * 113 / 100;
    assert!(lines < i128::from(i64::MAX));
}

#[test]
fn decimals() {
    assert!(quantity(dec!(1e15)).is_ok());
    assert!(quantity(dec!(1000000000000001)).is_err());
    assert!(quantity(dec!(0.000000000001)).is_ok());
    assert!(quantity(dec!(0.0000000000001)).is_err());
    assert!(quantity(Decimal::new(1, 28)).is_err());
    assert!(quantity(dec!(1.500000000000000000)).is_ok());
    assert!(quantity(dec!(-1)).is_err());
    assert!(quantity(Decimal::MAX).is_err());
}

#[test]
fn bodies() {
    let ok = json!({"external_id": "c1", "name": "Acme", "metadata": [{"key": "k", "value": "v"}]});
    assert!(check_body("customer", ok.as_object().unwrap()).is_ok());
    let long = "x".repeat(256);
    let bad = json!({"external_id": long, "name": {"a": 1}, "metadata": "x",
                     "shipping_address": {"city": {"n": 1}}});
    let e = check_body("customer", bad.as_object().unwrap()).unwrap_err();
    assert_eq!(e["external_id"], json!([FieldCode::ValueIsTooLong]));
    assert_eq!(e["name"], json!([FieldCode::ValueIsInvalid]));
    assert_eq!(e["metadata"], json!([FieldCode::ValueIsInvalid]));
    assert_eq!(
        e["shipping_address"],
        json!(["nested_structure_not_allowed"])
    );
    let fee = json!({"fees": [{"add_on_code": "a", "units": "1e20", "unit_amount_cents": 100}]});
    let e = check_body("invoice", fee.as_object().unwrap()).unwrap_err();
    assert_eq!(e["units"], json!([FieldCode::ValueIsOutOfRange]));
    let fee = json!({"fees": [{"units": "1e12", "unit_amount_cents": 1_000_000}]});
    let e = check_body("invoice", fee.as_object().unwrap()).unwrap_err();
    assert_eq!(e["fees"], json!([FieldCode::ValueIsOutOfRange]));
    let fee = json!({"fees": [{"units": "2.5", "unit_amount_cents": 1_000}]});
    assert!(check_body("invoice", fee.as_object().unwrap()).is_ok());
    let plan = json!({"amount_cents": 9_223_372_036_854_775_807_i64});
    let e = check_body("plan", plan.as_object().unwrap()).unwrap_err();
    assert_eq!(e["amount_cents"], json!([FieldCode::ValueIsOutOfRange]));
    let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}});
    assert!(check_body("plan", deep.as_object().unwrap()).is_err());
}

#[test]
fn event_properties() {
    let ok = json!({"v": 12.5, "s": "abc", "n": "42", "f": 0.30000000000000004,
                    "d": "2024-01-01", "p": "0.0000000000001",
                    "snowflake": "1234567890123456789012", "t": "1e40"});
    assert!(check_event_properties(ok.as_object().unwrap()).is_ok());
    for bad in [
        json!({"v": 1e20}),
        json!({"v": -1e16}),
        json!({"v": [1, 1e300]}),
    ] {
        assert!(
            check_event_properties(bad.as_object().unwrap()).is_err(),
            "{bad}"
        );
    }
}
