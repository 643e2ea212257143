//! Every failure answers Lago's JSON error body, never HTML or empty.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(error_bodies_are_lago_json);

async fn raw(app: &TestApp, method: &str, path: &str, body: &'static [u8]) -> (u16, Value) {
    let resp = app
        .client
        .request(method.parse().unwrap(), format!("{}{}", app.address, path))
        .bearer_auth(&app.api_key)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/json",
        "{method} {path}"
    );
    (status, resp.json().await.unwrap())
}

async fn error_bodies_are_lago_json(b: Backend) {
    let app = TestApp::spawn(b).await;
    assert_eq!(
        raw(&app, "GET", "/api/v1/does_not_exist", b"").await,
        (
            404,
            json!({"status":404,"error":"Not Found","code":"resource_not_found"})
        )
    );
    assert_eq!(
        raw(&app, "GET", "/nowhere", b"").await,
        (
            404,
            json!({"status":404,"error":"Not Found","code":"resource_not_found"})
        )
    );
    assert_eq!(
        raw(&app, "DELETE", "/api/v1/events", b"").await,
        (
            405,
            json!({"status":405,"error":"Method Not Allowed","code":"method_not_allowed"})
        )
    );
    let (s, body) = raw(&app, "POST", "/api/v1/events", b"{not json").await;
    assert_eq!(s, 400);
    assert!(
        body["error"].as_str().unwrap().starts_with("BadRequest: "),
        "{body}"
    );
    assert_eq!(body["status"], 400);
    assert_eq!(
        raw(&app, "POST", "/api/v1/events", b"{\"evnt\":{}}").await,
        (
            400,
            json!({"status":400,"error":"BadRequest: param is missing or the value is empty or invalid: event"})
        )
    );
    assert_eq!(
        raw(&app, "POST", "/api/v1/billable_metrics", b"").await,
        (
            400,
            json!({"status":400,"error":"BadRequest: param is missing or the value is empty or invalid: billable_metric"})
        )
    );
    static BIG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let big: &'static [u8] = BIG.get_or_init(|| vec![b' '; 3 * 1024 * 1024]);
    assert_eq!(
        raw(&app, "POST", "/api/v1/events/batch", big).await,
        (
            413,
            json!({"status":413,"error":"Payload Too Large","code":"payload_too_large"})
        )
    );
}
