//! Table tests loaded from `fixtures/charges/<model>.json`, one file per model, plus
//! properties every priced charge must have.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

use super::*;
use crate::billing::metric::AggregationType;

const MODELS: [&str; 5] = ["standard", "package", "graduated", "volume", "percentage"];

fn fixture(model: &str) -> Value {
    let path = format!(
        "{}/fixtures/charges/{model}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().expect("decimals are strings in fixtures")).unwrap()
}

fn aggregation(v: &Value) -> AggregationType {
    v.get("aggregation")
        .and_then(Value::as_str)
        .map(|s| s.parse().unwrap())
        .unwrap_or(AggregationType::Sum)
}

/// Compares the keys present in `expected` with the serialised `actual` line.
fn assert_line(expected: &Value, actual: &TierLine, at: &str) {
    let actual = serde_json::to_value(actual).unwrap();
    for (key, want) in expected.as_object().unwrap() {
        let got = &actual[key];
        match key.as_str() {
            "kind" => assert_eq!(got["type"], *want, "{at}: kind"),
            _ if want.is_null() => assert!(got.is_null(), "{at}: {key} = {got}"),
            _ => assert_eq!(dec(got), dec(want), "{at}: {key}"),
        }
    }
}

#[test]
fn fixtures_price_as_hand_computed() {
    for model in MODELS {
        let file = fixture(model);
        assert_eq!(file["charge_model"], model);
        let currency =
            crate::billing::money::Currency::parse(file["currency"].as_str().unwrap()).unwrap();
        for charge in file["charges"].as_array().unwrap() {
            let name = charge["name"].as_str().unwrap();
            let parsed = Charge::from_lago(model, &charge["properties"], aggregation(charge))
                .unwrap_or_else(|e| panic!("{model}/{name}: {e}"));
            assert_eq!(parsed.charge_model(), model);
            for case in charge["cases"].as_array().unwrap() {
                let at = format!("{model}/{name}/{}", case["name"].as_str().unwrap());
                let ctx = PriceContext {
                    events_count: case["events_count"].as_u64().unwrap_or(0),
                    event_values: case
                        .get("event_values")
                        .and_then(Value::as_array)
                        .map(|vs| vs.iter().map(dec).collect())
                        .unwrap_or_default(),
                };
                let result = parsed.price(dec(&case["units"]), &ctx).expect("in range");
                assert_eq!(result.amount, dec(&case["amount"]), "{at}: amount");
                let line_total: Decimal = result.lines.iter().map(|l| l.amount).sum();
                assert_eq!(line_total, result.amount, "{at}: lines add up");
                if let Some(cents) = case.get("amount_cents") {
                    let got = result.to_money(currency).to_cents().unwrap();
                    assert_eq!(Some(got), cents.as_i64(), "{at}: cents");
                }
                if let Some(lines) = case.get("lines").and_then(Value::as_array) {
                    assert_eq!(result.lines.len(), lines.len(), "{at}: {:?}", result.lines);
                    for (want, got) in lines.iter().zip(&result.lines) {
                        assert_line(want, got, &at);
                    }
                }
            }
        }
    }
}

#[test]
fn fixtures_reject_invalid_properties_with_lago_codes() {
    for model in MODELS {
        for case in fixture(model)["invalid"].as_array().unwrap() {
            let at = format!("{model}/{}", case["name"].as_str().unwrap());
            let charge_model = case
                .get("charge_model")
                .and_then(Value::as_str)
                .unwrap_or(model);
            let errors = Charge::from_lago(charge_model, &case["properties"], aggregation(case))
                .expect_err(&at);
            assert_eq!(
                serde_json::to_value(&errors).unwrap(),
                case["errors"],
                "{at}"
            );
        }
    }
}

#[test]
fn lago_properties_round_trip() {
    for model in MODELS {
        for charge in fixture(model)["charges"].as_array().unwrap() {
            let agg = aggregation(charge);
            let parsed = Charge::from_lago(model, &charge["properties"], agg).unwrap();
            let again = Charge::from_lago(model, &parsed.to_lago_properties(), agg).unwrap();
            assert_eq!(parsed, again, "{model}/{}", charge["name"]);
        }
    }
}

fn graduated() -> Charge {
    let file = fixture("graduated");
    Charge::from_lago(
        "graduated",
        &file["charges"][0]["properties"],
        AggregationType::Sum,
    )
    .unwrap()
}

proptest! {
    #[test]
    fn graduated_never_decreases_and_lines_cover_usage(a in 0_i64..100_000, b in 0_i64..100_000) {
        let charge = graduated();
        let (lo, hi) = (Decimal::new(a.min(b), 2), Decimal::new(a.max(b), 2));
        let ctx = PriceContext::default();
        let (p_lo, p_hi) = (charge.price(lo, &ctx).expect("in range"), charge.price(hi, &ctx).expect("in range"));
        prop_assert!(p_lo.amount <= p_hi.amount);
        let covered: Decimal = p_hi.lines.iter().map(|l| l.units).sum();
        prop_assert_eq!(covered, hi);
    }
}
