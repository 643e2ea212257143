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
    let app = TestApp::spawn_with_odoo(b).await;
    app.subscribe("sub-1", "api_calls", "calls").await;
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
        .events()
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

both_backends!(store_aggregates_events_and_counters_over_a_window);

/// Events and counters stored through the API, aggregated over a half-open window.
async fn store_aggregates_events_and_counters_over_a_window(b: Backend) {
    use fusion_billing::billing::metric::{AggregationType, MetricSpec};
    use fusion_billing::billing::window::BillingWindow;
    use rust_decimal::Decimal;

    let app = TestApp::spawn_with_odoo(b).await;
    app.subscribe("sub-1", "storage", "gb").await;
    // Window [2026-11-01, 2026-12-01) in Unix seconds.
    let (from, to) = (1_793_491_200i64, 1_796_083_200i64);
    let events: Vec<_> = [
        ("in-1", from, json!(2)),
        ("in-2", to - 1, json!("3.5")),
        ("at-end", to, json!(100)), // excluded: windows are half-open
        ("before", from - 1, json!(1000)), // excluded
        ("no-value", from + 10, json!(null)),
    ]
    .iter()
    .map(|(id, ts, v)| {
        json!({"transaction_id": id, "external_subscription_id": "sub-1",
                               "code": "storage", "timestamp": ts, "properties": {"gb": v}})
    })
    .collect();
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": events})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(json!({"usage": [
            {"external_subscription_id": "sub-1", "code": "storage", "period_start": from + 86_400,
             "period_end": from + 2 * 86_400, "quantity": "10", "idempotency_key": "d2"},
            {"external_subscription_id": "sub-1", "code": "storage", "period_start": to,
             "period_end": to + 86_400, "quantity": "99", "idempotency_key": "next-window"}]})),
        )
        .await;
    assert_eq!(s, 200);
    let window = BillingWindow::new(
        chrono::DateTime::from_timestamp(from, 0).unwrap(),
        chrono::DateTime::from_timestamp(to, 0).unwrap(),
    )
    .unwrap();
    let sum = MetricSpec {
        aggregation: AggregationType::Sum,
        field_name: Some("gb".into()),
        recurring: false,
    };
    let agg = app
        .store
        .usage()
        .aggregate_usage(app.service_id, "sub-1", "storage", &sum, &window)
        .await
        .unwrap();
    assert_eq!(agg.units, Decimal::new(155, 1), "2 + 3.5 + counter 10");
    assert_eq!(agg.events_count, 2);
    let count = MetricSpec {
        aggregation: AggregationType::Count,
        field_name: None,
        recurring: false,
    };
    let agg = app
        .store
        .usage()
        .aggregate_usage(app.service_id, "sub-1", "storage", &count, &window)
        .await
        .unwrap();
    assert_eq!(
        agg.units,
        Decimal::from(13),
        "3 events in the window + counter 10"
    );
    let max = MetricSpec {
        aggregation: AggregationType::Max,
        field_name: Some("gb".into()),
        recurring: false,
    };
    let agg = app
        .store
        .usage()
        .aggregate_usage(app.service_id, "sub-1", "storage", &max, &window)
        .await
        .unwrap();
    assert_eq!(agg.units, Decimal::from(10));
    // Another subscription and another app see nothing.
    let agg = app
        .store
        .usage()
        .aggregate_usage(app.service_id, "sub-2", "storage", &sum, &window)
        .await
        .unwrap();
    assert_eq!(agg.units, Decimal::ZERO);
    let agg = app
        .store
        .usage()
        .aggregate_usage(app.service_id + 1, "sub-1", "storage", &sum, &window)
        .await
        .unwrap();
    assert_eq!(agg.units, Decimal::ZERO);
}

both_backends!(counters_need_a_live_subscription_and_metric_of_the_app);

/// Review findings C2/C4: a pushed counter is authorized item by item: the subscription must
/// be a live one of this app and the code one of its metrics; nothing of the push is stored
/// otherwise.
async fn counters_need_a_live_subscription_and_metric_of_the_app(b: Backend) {
    let app = TestApp::spawn_with_odoo(b).await;
    app.subscribe("sub-1", "api_calls", "calls").await;
    let other = app.add_service("chat").await;
    let c = |sub: &str, code: &str, key: &str| {
        json!({"external_subscription_id": sub, "code": code, "period_start": "2026-11-01T00:00:00Z",
               "period_end": "2026-11-02T00:00:00Z", "quantity": "1", "idempotency_key": key})
    };
    let (s, body) = app
        .call("POST", "/api/v1/usage", Some(json!({"usage": [
            c("sub-1", "api_calls", "ok"), c("ghost", "api_calls", "k2"), c("sub-1", "nope", "k3")]})))
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        body["error_details"],
        json!({"1": {"external_subscription_id": ["subscription_not_found"]},
               "2": {"code": ["billable_metric_not_found"]}})
    );
    assert!(app
        .store
        .events()
        .counters_overlapping(app.service_id, "sub-1", "api_calls", 0, i64::MAX)
        .await
        .unwrap()
        .is_empty());
    // Another app cannot push onto this app's subscription.
    let (s, body) = app
        .call_as(
            &other,
            "POST",
            "/api/v1/usage",
            Some(json!({"usage": [c("sub-1", "api_calls", "x")]})),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        body["error_details"]["0"]["external_subscription_id"],
        json!(["subscription_not_found"])
    );
    // A terminated subscription takes no more counters.
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(json!({"usage": [c("sub-1", "api_calls", "ok")]})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call("DELETE", "/api/v1/subscriptions/sub-1", None)
        .await;
    assert_eq!(s, 200);
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(json!({"usage": [c("sub-1", "api_calls", "late")]})),
        )
        .await;
    assert_eq!(s, 422, "{body}");
}
