//! Operations: health, readiness, metrics, the `service` CLI against a running gateway,
//! and back-pressure (429 + Retry-After) when the ingest queue is full.

use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{cli, event, fresh_store_url, Backend, ServerProcess, TestApp};

both_backends!(
    health_ready_and_metrics,
    key_from_cli_works_on_running_gateway_at_once
);

async fn health_ready_and_metrics(b: Backend) {
    let app = TestApp::spawn(b).await;
    let get = |p: &str| app.client.get(format!("{}{p}", app.address)).send();
    let r = get("/health").await.unwrap();
    assert_eq!(r.status(), 200);
    let r = get("/ready").await.unwrap();
    assert_eq!(r.status(), 200);
    let ready: serde_json::Value = r.json().await.unwrap();
    assert_eq!(ready["store"]["ok"], true);

    let (s, _) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": event("m1", "s", "c", json!({}))})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": event("m1", "s", "c", json!({}))})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": {"code": "c"}})),
        )
        .await;
    assert_eq!(s, 422);
    let text = get("/metrics").await.unwrap().text().await.unwrap();
    for line in [
        "fusion_events_total{outcome=\"accepted\"} 1",
        "fusion_events_total{outcome=\"duplicate\"} 1",
        "fusion_events_total{outcome=\"rejected\"} 1",
        "fusion_ingest_commit_seconds_count",
        "fusion_ingest_commit_items_bucket",
        "fusion_ingest_queue_depth",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

async fn key_from_cli_works_on_running_gateway_at_once(b: Backend) {
    let (url, _dir) = fresh_store_url(b).await;
    let server = ServerProcess::start(&url);
    let out = cli(&url, &["service", "add", "hosting", "--json"]);
    let creds: serde_json::Value =
        serde_json::from_str(out.trim()).expect("exactly one JSON object");
    let obj = creds.as_object().unwrap();
    assert_eq!(obj.len(), 2, "{out}");
    let key = obj["api_key"].as_str().unwrap();
    assert!(obj["webhook_secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/api/v1/billable_metrics", server.address))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "no restart needed");
    let listed = cli(&url, &["service", "list", "--json"]);
    assert!(listed.contains("\"hosting\""));

    let rotated: serde_json::Value =
        serde_json::from_str(cli(&url, &["service", "rotate-key", "hosting", "--json"]).trim())
            .unwrap();
    let new_key = rotated["api_key"].as_str().unwrap();
    for k in [key, new_key] {
        let r = client
            .get(format!("{}/api/v1/billable_metrics", server.address))
            .bearer_auth(k)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "old key works during the grace period");
    }
    cli(&url, &["service", "revoke-key", "hosting"]);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = client
        .get(format!("{}/api/v1/billable_metrics", server.address))
        .bearer_auth(new_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// With the SQLite write lock held elsewhere the writer blocks; one job waits in a
/// channel of capacity 1 and the next request is refused with 429 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_ingest_queue_answers_429_with_retry_after() {
    use sqlx::Connection;
    let app = std::sync::Arc::new(
        TestApp::spawn_with(Backend::Sqlite, |s| s.ingest.channel_capacity = 1).await,
    );
    let path = app.store_url.trim_start_matches("sqlite://").to_string();
    let mut locker = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut locker)
        .await
        .unwrap();

    let post = |id: &'static str| {
        let app = app.clone();
        tokio::spawn(async move {
            app.call(
                "POST",
                "/api/v1/events",
                Some(json!({"event": event(id, "s", "c", json!({}))})),
            )
            .await
        })
    };
    let blocked = post("q1"); // taken by the writer, which waits for the lock
    tokio::time::sleep(Duration::from_millis(300)).await;
    let queued = post("q2"); // fills the channel
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = app
        .client
        .post(format!("{}/api/v1/events", app.address))
        .bearer_auth(&app.api_key)
        .json(&json!({"event": event("q3", "s", "c", json!({}))}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status":429,"error":"Too Many Requests","code":"too_many_requests"})
    );

    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    assert_eq!(blocked.await.unwrap().0, 200);
    assert_eq!(queued.await.unwrap().0, 200);
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        2
    );
}

#[test]
fn invalid_configuration_fails_at_start_naming_the_key() {
    let out = std::process::Command::new(crate::helpers::binary())
        .args(["migrate"])
        .env("FUSION__RATING__INTERVAL_SECS", "often")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interval_secs"), "{err}");
}
