//! `POST /odoo/nudge?token=…`: the URL an Odoo automation rule ("Send Webhook Notification",
//! CONTRACT.md §5) posts to when an invoice or subscription changes. It only wakes the
//! watcher for an immediate poll — the body is ignored, Odoo's records stay the source of
//! truth. Odoo's webhook action cannot send headers, so the shared secret
//! (`watcher.nudge_token`) is in the query; it is compared in constant time and never logged.
//! An empty token disables the route (404).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::state::AppState;
use crate::lago::error_code::ErrorCode;

/// Query of the nudge route.
#[derive(Debug, Deserialize)]
pub struct NudgeQuery {
    token: Option<String>,
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `POST /odoo/nudge`: 200 `{"nudged":true}`; 401 for a wrong token; 404 when disabled.
pub async fn nudge(
    state: web::Data<AppState>,
    query: web::Query<NudgeQuery>,
) -> Result<HttpResponse, ApiError> {
    let expected = state.settings.watcher.nudge_token.as_bytes();
    if expected.is_empty() {
        return Err(ApiError::NotFound(ErrorCode::ResourceNotFound));
    }
    let given = query.token.as_deref().unwrap_or("").as_bytes();
    if !same(given, expected) {
        return Err(ApiError::Unauthorized);
    }
    state.watcher.nudge();
    Ok(HttpResponse::Ok().json(json!({"nudged": true})))
}
