//! Bearer-key authentication and tenant isolation.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{event, Backend, TestApp};

both_backends!(
    missing_unknown_and_revoked_keys_are_401,
    rotated_key_keeps_working_during_grace,
    services_see_only_their_own_data,
);

async fn missing_unknown_and_revoked_keys_are_401(b: Backend) {
    let app = TestApp::spawn(b).await;
    let unauthorized = json!({"status": 401, "error": "Unauthorized"});
    let resp = app
        .client
        .get(format!("{}/api/v1/billable_metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        unauthorized
    );
    let (s, body) = app
        .call_as("fb_nope", "GET", "/api/v1/billable_metrics", None)
        .await;
    assert_eq!((s, body), (401, unauthorized.clone()));
    // Lago ignores the scheme word: "Token <key>" works like "Bearer <key>".
    let resp = app
        .client
        .get(format!("{}/api/v1/billable_metrics", app.address))
        .header("Authorization", format!("Token {}", app.api_key))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let key = app.add_service("revoked-app").await;
    let (s, _) = app
        .call_as(&key, "GET", "/api/v1/billable_metrics", None)
        .await;
    assert_eq!(s, 200, "a new key works at once");
    assert_eq!(
        app.store
            .services()
            .revoke_keys("revoked-app", None)
            .await
            .unwrap(),
        1
    );
    // The positive cache lives auth.cache_ttl_secs (2 s by default).
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (s, body) = app
        .call_as(&key, "GET", "/api/v1/billable_metrics", None)
        .await;
    assert_eq!((s, body), (401, unauthorized));
}

async fn rotated_key_keeps_working_during_grace(b: Backend) {
    let app = TestApp::spawn(b).await;
    let new = app.store.services().rotate_key("app", 3600).await.unwrap();
    for key in [&app.api_key, &new.api_key] {
        let (s, _) = app
            .call_as(key, "GET", "/api/v1/billable_metrics", None)
            .await;
        assert_eq!(s, 200);
    }
    // A zero grace ends the old keys at once (the new one keeps working).
    let newer = app.store.services().rotate_key("app", 0).await.unwrap();
    assert!(app
        .store
        .services()
        .service_for_key(&new.api_key)
        .await
        .unwrap()
        .is_none());
    assert!(app
        .store
        .services()
        .service_for_key(&newer.api_key)
        .await
        .unwrap()
        .is_some());
}

async fn services_see_only_their_own_data(b: Backend) {
    let app = TestApp::spawn(b).await;
    let other = app.add_service("other-app").await;
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric":
            {"name": "Calls", "code": "calls", "aggregation_type": "count_agg"}})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": event("mine", "sub", "calls", json!({}))})),
        )
        .await;
    assert_eq!(s, 200);

    let (s, body) = app
        .call_as(&other, "GET", "/api/v1/events/mine", None)
        .await;
    assert_eq!((s, body["code"].as_str()), (404, Some("event_not_found")));
    let (s, body) = app
        .call_as(&other, "GET", "/api/v1/billable_metrics/calls", None)
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (404, Some("billable_metric_not_found"))
    );
    let (s, _) = app
        .call_as(
            &other,
            "PUT",
            "/api/v1/billable_metrics/calls",
            Some(json!({"billable_metric": {"name": "x"}})),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .call_as(&other, "DELETE", "/api/v1/billable_metrics/calls", None)
        .await;
    assert_eq!(s, 404);
    let (_, list) = app
        .call_as(&other, "GET", "/api/v1/billable_metrics", None)
        .await;
    assert_eq!(list["billable_metrics"], json!([]));
    let (_, list) = app.call_as(&other, "GET", "/api/v1/events", None).await;
    assert_eq!(list["events"], json!([]));
    // The same code and transaction id are free in the other tenant.
    let (s, _) = app
        .call_as(
            &other,
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric":
            {"name": "Calls", "code": "calls", "aggregation_type": "count_agg"}})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, body) = app
        .call_as(
            &other,
            "POST",
            "/api/v1/events",
            Some(json!({"event": event("mine", "sub", "calls", json!({"x": 1}))})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, mine) = app.call("GET", "/api/v1/events/mine", None).await;
    assert_eq!(
        mine["event"]["properties"],
        json!({}),
        "unchanged by the other app"
    );
}
