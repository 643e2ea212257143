//! `Idempotency-Key` on `POST /invoices`, `POST /credit_notes` and
//! `POST /invoices/{id}/retry_payment` (a gateway extension: Lago has no such header).
//!
//! - Same key, same request (method, path and JSON body, compared after parsing) → the first
//!   answer is replayed: same status, same body (an empty body stays empty).
//! - Same key, another request → 422 `{"idempotency_key":["value_already_exist"]}`.
//! - An answer with a 5xx status (Odoo down: 503) is not stored, so the key is not burnt: the
//!   retry runs again and, because the flows derive their Odoo references from the key (see
//!   [`request_id`]), resumes what the failed attempt wrote instead of duplicating it.
//! - A retry that arrives while the first request is still running gets
//!   `409 {"status":409,"error":"Conflict","code":"idempotency_key_in_use"}` with
//!   `Retry-After: 1`; after [`IN_FLIGHT_MICROS`] without an answer (the holder crashed) the
//!   next request takes the key over.
//! - Keys are per service and kept 24 hours (older ones are purged on the next claim).
//!
//! Without the header, identical requests (same service, method, path and JSON body) within
//! `idempotency.implicit_window_secs` (default 10 s) are one intent: they are serialized
//! under one intent lease (`crate::bridge::lease`, shared by replicas), the first runs, and
//! the others get its stored answer — thirty impatient copies move money once. The stored
//! answer is kept under the key `implicit:<request hash>`; a 5xx is not stored (the next copy
//! runs again). With the window at 0, every such request is a new intent with a fresh id.

use std::future::Future;

use actix_web::body::{to_bytes, MessageBody};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use super::body::parse_json;
use super::error::ApiError;
use super::state::AppState;
use crate::bridge::invoice_repo::stable_uuid;
use crate::bridge::lease::names as lease_names;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;

/// Name of the header.
pub const HEADER: &str = "Idempotency-Key";

/// How long an unanswered key blocks a concurrent retry (60 s, in microseconds).
pub const IN_FLIGHT_MICROS: i64 = 60 * 1_000_000;

/// Longest key accepted (longer keys get 422 `{"idempotency_key":["value_is_invalid"]}`).
pub const MAX_KEY_LEN: usize = 255;

/// The request id a flow derives its Odoo references from: a UUID of (service, key), so two
/// services using the same key never meet.
pub fn request_id(service: &ServiceRef, key: &str) -> String {
    stable_uuid(&["idempotency", &service.id.to_string(), key])
}

fn request_hash(req: &HttpRequest, body: &[u8]) -> String {
    let canonical = match parse_json(body) {
        Ok(v) => v.to_string(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let mut h = Sha256::new();
    h.update(req.method().as_str().as_bytes());
    h.update(b" ");
    h.update(req.path().as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

fn replay(status: i64, body: &str) -> HttpResponse {
    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    let mut resp = HttpResponse::build(status);
    if body.is_empty() {
        resp.finish()
    } else {
        resp.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(body.to_string())
    }
}

/// Runs `run(request_id)` under the request's `Idempotency-Key`, if any (see the module doc).
///
/// # Errors
/// 422 `idempotency_key` `value_already_exist` (key reused with another request) or
/// `value_is_invalid` (empty or longer than [`MAX_KEY_LEN`]); 503 when the store fails; the
/// errors of `run` are answered (and stored unless 5xx) as responses.
pub async fn idempotent<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    service: &ServiceRef,
    body: &[u8],
    run: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<HttpResponse, ApiError>>,
{
    let Some(raw) = req.headers().get(HEADER) else {
        return implicit(req, state, service, body, run).await;
    };
    let key = raw.to_str().map(str::trim).unwrap_or("");
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(ApiError::field(
            "idempotency_key",
            FieldCode::ValueIsInvalid,
        ));
    }
    let route = format!("{} {}", req.method(), req.path());
    let hash = request_hash(req, body);
    let now = now_micros();
    let (row, inserted) = state
        .store
        .idempotency()
        .claim_idempotency_key(service.id, key, &route, &hash, now)
        .await
        .map_err(ApiError::internal)?;
    if row.request_hash != hash {
        return Err(ApiError::field(
            "idempotency_key",
            FieldCode::ValueAlreadyExist,
        ));
    }
    if let Some(status) = row.status {
        return Ok(replay(status, row.response.as_deref().unwrap_or("")));
    }
    if !inserted {
        let stale = now - row.created_at > IN_FLIGHT_MICROS;
        let won = stale
            && state
                .store
                .idempotency()
                .take_over_idempotency_key(service.id, key, row.created_at, now)
                .await
                .map_err(ApiError::internal)?;
        if !won {
            // Answered, not raised: the caller must not store or log it as a failure.
            return Ok(ApiError::Conflict {
                code: ErrorCode::IdempotencyKeyInUse,
                retry_after_secs: 1,
            }
            .error_response());
        }
    }
    let resp = match run(request_id(service, key)).await {
        Ok(r) => r,
        Err(e) => e.error_response(),
    };
    finish(state, service, key, resp).await
}

/// A request without the header (see the module doc).
async fn implicit<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    service: &ServiceRef,
    body: &[u8],
    run: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<HttpResponse, ApiError>>,
{
    let window_secs = state.settings.idempotency.implicit_window_secs;
    if window_secs == 0 {
        return run(uuid::Uuid::new_v4().to_string()).await;
    }
    let window = i64::try_from(window_secs)
        .unwrap_or(i64::MAX / 1_000_000)
        .saturating_mul(1_000_000);
    let hash = request_hash(req, body);
    let key = format!("implicit:{hash}");
    let route = format!("{} {}", req.method(), req.path());
    let guard = state
        .store
        .leases()
        .lease(lease_names::request(service.id, &hash))
        .await?;
    let out = async {
        let now = now_micros();
        let (row, inserted) = state
            .store
            .idempotency()
            .claim_idempotency_key(service.id, &key, &route, &hash, now)
            .await
            .map_err(ApiError::internal)?;
        if !inserted {
            match row.status {
                Some(status) if now - row.created_at <= window => {
                    return Ok(replay(status, row.response.as_deref().unwrap_or("")));
                }
                // An older answer, or a holder that died: this copy is a new intent.
                _ => {
                    state
                        .store
                        .idempotency()
                        .renew_idempotency_key(service.id, &key, now)
                        .await
                        .map_err(ApiError::internal)?;
                }
            }
        }
        let resp = match run(uuid::Uuid::new_v4().to_string()).await {
            Ok(r) => r,
            Err(e) => e.error_response(),
        };
        finish(state, service, &key, resp).await
    }
    .await;
    guard.release().await;
    out
}

/// Stores a non-5xx answer under `key` and returns it; releases the key after a 5xx.
async fn finish(
    state: &AppState,
    service: &ServiceRef,
    key: &str,
    resp: HttpResponse,
) -> Result<HttpResponse, ApiError> {
    let status = resp.status();
    if status.is_server_error() {
        if let Err(e) = state
            .store
            .idempotency()
            .release_idempotency_key(service.id, key)
            .await
        {
            tracing::warn!(error = %e, "cannot release an idempotency key after a 5xx");
        }
        return Ok(resp);
    }
    let bytes = to_bytes(resp.into_body().boxed())
        .await
        .map_err(|e| ApiError::internal_msg(format!("cannot read response body: {e}")))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    state
        .store
        .idempotency()
        .store_idempotent_response(service.id, key, i64::from(status.as_u16()), &text)
        .await
        .map_err(ApiError::internal)?;
    Ok(replay(i64::from(status.as_u16()), &text))
}
