//! Operations endpoints: `GET /health` (process up), `GET /ready` (store reachable),
//! `GET /metrics` (Prometheus text). None needs an API key.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::state::AppState;

/// `GET /health`: 200 while the process serves requests.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /ready`: 200 when the store answers, else 503 in Lago's error shape.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let store_ok = state.store.ping().await;
    let body = json!({
        "status": if store_ok { "ready" } else { "unavailable" },
        "store": {"backend": state.store.backend(), "ok": store_ok},
        "ingest_queue": state.ingest.queued(),
    });
    if store_ok {
        HttpResponse::Ok().json(body)
    } else {
        let mut err = super::error::error_body(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            Some("store_unavailable"),
            None,
        );
        err["checks"] = body;
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(err)
    }
}

/// `GET /metrics`: Prometheus exposition format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
