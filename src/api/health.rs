//! Operations endpoints: `GET /health` (process up), `GET /ready` (store reachable and every
//! background loop running), `GET /metrics` (Prometheus text). None needs an API key.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::state::AppState;
use crate::lago::error_code::ErrorCode;

/// `GET /health`: 200 while the process serves requests.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /ready`: 200 when the store answers and every background loop runs (see
/// [`crate::background`]); else 503 in Lago's error shape, code `store_unavailable` or
/// `background_loop_stopped`, with the checks under `checks`.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let store_ok = state.store.ping().await;
    let health = &state.bridge.health;
    let stopped = health.stopped_unexpectedly();
    let ok = store_ok && stopped.is_empty();
    let body = json!({
        "status": if ok { "ready" } else { "unavailable" },
        "store": {"backend": state.store.backend(), "ok": store_ok},
        "ingest_queue": state.ingest.queued(),
        "background": health.snapshot(),
    });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        let code = if store_ok {
            ErrorCode::BackgroundLoopStopped
        } else {
            ErrorCode::StoreUnavailable
        };
        let mut err = super::error::error_body(code.status(), Some(code), None);
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
