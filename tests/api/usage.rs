//! `POST /api/v1/usage`: aggregate counters, idempotent per (subscription, metric, key).

use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(counters_are_idempotent_and_all_or_nothing);

fn counter(key: &str, qty: serde_json::Value) -> serde_json::Value {
    json!({"external_subscription_id": "sub-1", "code": "api_calls",
           "period_start": "2026-11-01T00:00:00Z", "period_end": 1_793_577_600,
           "quantity": qty, "idempotency_key": key})
}

async fn counters_are_idempotent_and_all_or_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(json!({"usage": [counter("k1", json!("12.50")), counter("k2", json!(3))]})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let first = body["usage"][0].clone();
    assert_eq!(first["quantity"], "12.5");
    assert_eq!(first["period_start"], "2026-11-01T00:00:00Z");
    assert_eq!(first["period_end"], "2026-11-02T00:00:00Z");

    // Same key, same content, through the seed's path: the stored counter comes back.
    let (s, body) = app
        .call(
            "POST",
            "/api/billing/v1/usage",
            Some(json!({"usage": [counter("k1", json!("12.5"))]})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["usage"][0], first);

    // Same key, other quantity: refused, and the new counter beside it is not stored.
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(json!({"usage": [counter("k3", json!(1)), counter("k1", json!(13))]})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        body["error_details"],
        json!({"1": {"idempotency_key": ["value_already_exist"]}})
    );
    let rows = app
        .store
        .counters_overlapping(app.service_id, "sub-1", "api_calls", 0, i64::MAX)
        .await
        .unwrap();
    let mut keys: Vec<_> = rows.iter().map(|c| c.idempotency_key.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["k1", "k2"]);

    // Validation is per index.
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(json!({"usage": [
            {"external_subscription_id": "s", "code": "c", "period_start": "2026-11-02T00:00:00Z",
             "period_end": "2026-11-01T00:00:00Z", "quantity": "-1", "idempotency_key": "x"},
            {"code": "c", "period_start": "yesterday", "period_end": 1, "quantity": "abc"}]})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        body["error_details"],
        json!({"0": {"period_end": ["value_is_invalid"], "quantity": ["value_is_invalid"]},
               "1": {"external_subscription_id": ["value_is_mandatory"], "idempotency_key": ["value_is_mandatory"],
                     "period_start": ["invalid_date"], "quantity": ["value_is_invalid"]}})
    );
}
