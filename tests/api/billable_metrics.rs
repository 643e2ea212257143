//! `/api/v1/billable_metrics` CRUD in Lago's shapes and rules.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(crud_round_trip, validation_follows_lago);

async fn crud_round_trip(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (s, created) = app
        .call(
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric": {
            "name": "Storage", "code": "storage_gb", "aggregation_type": "sum_agg",
            "field_name": "gb", "recurring": true, "description": "GB stored",
            "filters": [{"key": "region", "values": ["ca", "us"]}], "unknown_key": 1}})),
        )
        .await;
    assert_eq!(s, 200, "{created}");
    let m = &created["billable_metric"];
    for (k, v) in [
        ("name", json!("Storage")),
        ("code", json!("storage_gb")),
        ("aggregation_type", json!("sum_agg")),
        ("field_name", json!("gb")),
        ("recurring", json!(true)),
        (
            "filters",
            json!([{"key": "region", "values": ["ca", "us"]}]),
        ),
    ] {
        assert_eq!(m[k], v, "{k}");
    }
    assert!(m["lago_id"].is_string() && m["created_at"].is_string());

    let (s, shown) = app
        .call("GET", "/api/v1/billable_metrics/storage_gb", None)
        .await;
    assert_eq!((s, &shown["billable_metric"]), (200, m));

    let (s, updated) = app
        .call(
            "PUT",
            "/api/v1/billable_metrics/storage_gb",
            Some(json!({"billable_metric": {"name": "Disk"}})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(updated["billable_metric"]["name"], "Disk");
    assert_eq!(
        updated["billable_metric"]["field_name"], "gb",
        "absent keys unchanged"
    );

    let (s, dup) = app
        .call(
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric": {
            "name": "Again", "code": "storage_gb", "aggregation_type": "count_agg"}})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        dup["error_details"],
        json!({"code": ["value_already_exist"]})
    );

    let (s, list) = app
        .call("GET", "/api/v1/billable_metrics?per_page=10", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["billable_metrics"].as_array().unwrap().len(), 1);
    assert_eq!(list["meta"]["total_count"], 1);

    let (s, deleted) = app
        .call("DELETE", "/api/v1/billable_metrics/storage_gb", None)
        .await;
    assert_eq!(
        (s, deleted["billable_metric"]["code"].as_str()),
        (200, Some("storage_gb"))
    );
    let (s, _) = app
        .call("GET", "/api/v1/billable_metrics/storage_gb", None)
        .await;
    assert_eq!(s, 404);
}

async fn validation_follows_lago(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cases = [
        (
            json!({"code": "x", "aggregation_type": "count_agg"}),
            json!({"name": ["value_is_mandatory"]}),
        ),
        (
            json!({"name": "X", "aggregation_type": "count_agg"}),
            json!({"code": ["value_is_mandatory"]}),
        ),
        (
            json!({"name": "X", "code": "x", "aggregation_type": "median_agg"}),
            json!({"aggregation_type": ["value_is_invalid"]}),
        ),
        (
            json!({"name": "X", "code": "x", "aggregation_type": "sum_agg"}),
            json!({"field_name": ["value_is_mandatory"]}),
        ),
        (
            json!({"name": "X", "code": "x", "aggregation_type": "max_agg", "field_name": "v", "recurring": true}),
            json!({"recurring": ["not_compatible_with_aggregation_type"]}),
        ),
        (
            json!({"name": "X", "code": "x", "aggregation_type": "weighted_sum_agg", "field_name": "v"}),
            json!({"weighted_interval": ["value_is_invalid"]}),
        ),
    ];
    for (input, details) in cases {
        let (s, body) = app
            .call(
                "POST",
                "/api/v1/billable_metrics",
                Some(json!({"billable_metric": input})),
            )
            .await;
        assert_eq!(s, 422, "{input}");
        assert_eq!(body["error_details"], details, "{input}");
        assert_eq!(body["code"], "validation_errors");
    }
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric": {
            "name": "Seats", "code": "seats", "aggregation_type": "weighted_sum_agg",
            "field_name": "seats", "weighted_interval": "seconds"}})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}
