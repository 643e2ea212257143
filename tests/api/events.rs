//! `POST /api/v1/events`, `/events/batch`, `GET /events/{id}` and `GET /events`.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{event, Backend, TestApp};

both_backends!(
    single_event_is_stored_and_shaped_like_lago,
    python_client_nulls_and_string_timestamps_are_accepted,
    identical_replay_returns_stored_event,
    reuse_with_other_content_is_422,
    same_transaction_id_on_other_subscription_is_a_new_event,
    batch_is_all_or_nothing_with_errors_keyed_by_index,
    batch_conflict_rolls_back_whole_batch,
    batch_limits,
    concurrent_identical_requests_store_once,
    list_filters_and_paginates,
);

async fn single_event_is_stored_and_shaped_like_lago(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": {
            "transaction_id": "tx-1", "external_subscription_id": "sub-1", "code": "api_calls",
            "timestamp": "1700000000.123", "properties": {"n": 5},
            "precise_total_amount_cents": "12.50"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let e = &body["event"];
    assert_eq!(e["transaction_id"], "tx-1");
    assert_eq!(e["external_subscription_id"], "sub-1");
    assert_eq!(e["code"], "api_calls");
    assert_eq!(e["timestamp"], "2023-11-14T22:13:20.123Z");
    assert_eq!(e["properties"], json!({"n": 5}));
    assert_eq!(e["precise_total_amount_cents"], "12.5");
    assert!(e["lago_id"].as_str().unwrap().len() == 36);
    assert!(e["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        1
    );

    let (status, shown) = app.call("GET", "/api/v1/events/tx-1", None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["event"], *e);
    let (status, missing) = app.call("GET", "/api/v1/events/nope", None).await;
    assert_eq!(status, 404);
    assert_eq!(
        missing,
        json!({"status":404,"error":"Not Found","code":"event_not_found"})
    );
}

async fn python_client_nulls_and_string_timestamps_are_accepted(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": {
            "transaction_id": "tx-n", "external_subscription_id": "sub-1", "code": "c",
            "timestamp": null, "properties": null, "precise_total_amount_cents": null,
            "external_customer_id": "ignored"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["event"]["properties"], json!({}));
    let ts =
        chrono::DateTime::parse_from_rfc3339(body["event"]["timestamp"].as_str().unwrap()).unwrap();
    assert!(
        (chrono::Utc::now() - ts.with_timezone(&chrono::Utc))
            .num_seconds()
            .abs()
            < 60
    );
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": {
            "transaction_id": "tx-iso", "external_subscription_id": "sub-1", "code": "c",
            "timestamp": "2024-01-01T00:00:00Z"}})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error_details"],
        json!({"timestamp": ["invalid_format"]})
    );
}

async fn identical_replay_returns_stored_event(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ev = json!({"event": event("tx-r", "sub-1", "c", json!({"a": 1, "b": 2}))});
    let (s1, first) = app.call("POST", "/api/v1/events", Some(ev)).await;
    // Same content, keys in another order and the timestamp as a string.
    let replay = json!({"event": {"properties": {"b": 2, "a": 1}, "code": "c",
        "timestamp": "1700000000", "external_subscription_id": "sub-1", "transaction_id": "tx-r"}});
    let (s2, second) = app.call("POST", "/api/v1/events", Some(replay)).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(
        first, second,
        "a replay returns the stored event, lago_id included"
    );
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        1
    );
}

async fn reuse_with_other_content_is_422(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": event("tx", "sub", "c", json!({"n": 1}))})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": event("tx", "sub", "c", json!({"n": 2}))})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        body,
        json!({"status":422,"error":"Unprocessable Entity","code":"validation_errors",
               "error_details":{"transaction_id":["value_already_exist"]}})
    );
    let (_, shown) = app.call("GET", "/api/v1/events/tx", None).await;
    assert_eq!(
        shown["event"]["properties"],
        json!({"n": 1}),
        "first write wins"
    );
}

async fn same_transaction_id_on_other_subscription_is_a_new_event(b: Backend) {
    let app = TestApp::spawn(b).await;
    for sub in ["sub-a", "sub-b"] {
        let (s, _) = app
            .call(
                "POST",
                "/api/v1/events",
                Some(json!({"event": event("tx", sub, "c", json!({}))})),
            )
            .await;
        assert_eq!(s, 200);
    }
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        2
    );
}

async fn batch_is_all_or_nothing_with_errors_keyed_by_index(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (s, body) = app
        .call("POST", "/api/v1/events/batch", Some(json!({"events": [
            event("b1", "sub", "c", json!({})),
            {"transaction_id": "b2", "code": "c"},
            event("b3", "sub", "c", json!({})),
            {"transaction_id": "b4", "external_subscription_id": "sub", "code": "c", "timestamp": "soon"},
        ]})))
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        body["error_details"],
        json!({"1": {"external_subscription_id": ["value_is_mandatory"]},
               "3": {"timestamp": ["invalid_format"]}})
    );
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        0
    );

    let (s, body) = app
        .call(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": [
                event("b1", "sub", "c", json!({"i": 1})),
                event("b2", "sub", "c", json!({"i": 2})),
            ]})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["transaction_id"], "b2");
    assert_eq!(events[1]["properties"], json!({"i": 2}));
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        2
    );
}

async fn batch_conflict_rolls_back_whole_batch(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": event("dup", "sub", "c", json!({"v": 1}))})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": [
                event("new-1", "sub", "c", json!({})),
                event("dup", "sub", "c", json!({"v": 2})),
                event("new-2", "sub", "c", json!({})),
            ]})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        body["error_details"],
        json!({"1": {"transaction_id": ["value_already_exist"]}})
    );
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        1,
        "nothing half-written"
    );
    let (s, _) = app.call("GET", "/api/v1/events/new-1", None).await;
    assert_eq!(s, 404);
}

async fn batch_limits(b: Backend) {
    let app = TestApp::spawn(b).await;
    let many: Vec<_> = (0..101)
        .map(|i| event(&format!("t{i}"), "s", "c", json!({})))
        .collect();
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": many})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        body["error_details"],
        json!({"events": ["too_many_events"]})
    );
    let (s, body) = app
        .call("POST", "/api/v1/events/batch", Some(json!({"events": []})))
        .await;
    assert_eq!(s, 422);
    assert_eq!(body["error_details"], json!({"events": ["no_events"]}));
    let hundred: Vec<_> = (0..100)
        .map(|i| event(&format!("t{i}"), "s", "c", json!({})))
        .collect();
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": hundred})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["events"].as_array().unwrap().len(), 100);
}

async fn concurrent_identical_requests_store_once(b: Backend) {
    let app = std::sync::Arc::new(TestApp::spawn(b).await);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.call(
                "POST",
                "/api/v1/events",
                Some(json!({"event": event("same", "sub", "c", json!({"n": 1}))})),
            )
            .await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (s, body) = t.await.unwrap();
        assert_eq!(s, 200, "{body}");
        ids.insert(body["event"]["lago_id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "every answer is the one stored event");
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        1
    );
}

async fn list_filters_and_paginates(b: Backend) {
    let app = TestApp::spawn(b).await;
    let batch: Vec<_> = (0..5)
        .map(|i| json!({"transaction_id": format!("l{i}"), "external_subscription_id": if i < 3 {"s1"} else {"s2"},
                        "code": "c", "timestamp": 1_700_000_000 + i}))
        .collect();
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": batch})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, body) = app
        .call(
            "GET",
            "/api/v1/events?external_subscription_id=s1&per_page=2&page=1",
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    assert_eq!(body["events"][0]["transaction_id"], "l2", "newest first");
    assert_eq!(
        body["meta"],
        json!({"current_page":1,"next_page":2,"prev_page":null,"total_pages":2,"total_count":3})
    );
}
