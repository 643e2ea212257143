//! `POST/GET/PUT/DELETE /api/v1/webhook_endpoints[/{lago_id}]`, the list, and
//! `GET /api/v1/webhooks/public_key` / `json_public_key`, in Lago's shapes
//! (`api:app/controllers/api/v1/webhook_endpoints_controller.rb`,
//! `app/models/webhook_endpoint.rb`, `app/controllers/api/v1/webhooks_controller.rb`;
//! API-NOTES §8).
//!
//! Body: `{"webhook_endpoint":{"webhook_url","signature_algo","name","event_types"}}`.
//! Answer: `{"webhook_endpoint":{"lago_id","lago_organization_id","webhook_url",
//! "signature_algo","name","event_types","created_at"}}`.
//!
//! Differences from Lago, on purpose:
//! - `signature_algo` defaults to `hmac` (Lago: `jwt`), so an app can verify with the
//!   `webhook_secret` it was given without fetching a public key.
//! - `webhook_url` must pass the SSRF guard ([`crate::webhooks::ssrf`]): `https`, no
//!   literal internal address (422 `url_is_invalid`), except inside
//!   `webhooks.allowed_networks`.
//! - `event_types` entries are not checked against Lago's catalogue; any non-empty
//!   string is kept (`*` or null = all types).
//! - `lago_organization_id` is [`crate::webhooks::outbox::organization_id`] of the
//!   calling service.
//!
//! Each endpoint belongs to the service whose key created it: another service's key
//! gets 404 `webhook_endpoint_not_found` for it, on every route.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::auth::AuthenticatedService;
use super::body::{opt_string, InvalidValue};
use super::error::{ApiError, FieldErrors};
use super::pagination::PageParams;
use super::state::AppState;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::lago::webhook_endpoint::WebhookEndpoint;
use crate::meter::time::now_micros;
use crate::webhooks::repo::{EndpointRow, EndpointWriteError};
use crate::webhooks::ssrf::{check_registration, AllowedNetworks};

fn add(errors: &mut FieldErrors, field: &str, code: FieldCode) {
    let entry = errors.entry(field.to_string()).or_insert_with(|| json!([]));
    if let Value::Array(a) = entry {
        a.push(json!(code));
    }
}

/// Applies the keys present in `input` onto `e` and validates the result.
fn apply(
    input: &Map<String, Value>,
    mut e: EndpointRow,
    allowed: &AllowedNetworks,
) -> Result<EndpointRow, ApiError> {
    let mut errors = FieldErrors::new();
    if input.contains_key("webhook_url") {
        match opt_string(input, "webhook_url") {
            Ok(Some(u)) if !u.trim().is_empty() => match check_registration(&u, allowed) {
                // Kept as given (Lago echoes it); delivery parses it the same way.
                Ok(_) => e.webhook_url = u.trim().to_string(),
                Err(err) => {
                    tracing::info!(reason = %err, "webhook_url refused");
                    add(&mut errors, "webhook_url", FieldCode::UrlIsInvalid);
                }
            },
            Ok(_) => e.webhook_url.clear(),
            Err(InvalidValue) => add(&mut errors, "webhook_url", FieldCode::UrlIsInvalid),
        }
    }
    if e.webhook_url.is_empty() && !errors.contains_key("webhook_url") {
        add(&mut errors, "webhook_url", FieldCode::ValueIsMandatory);
    }
    if input.contains_key("signature_algo") {
        match opt_string(input, "signature_algo") {
            Ok(None) => {}
            Ok(Some(a)) if a == "hmac" || a == "jwt" => e.signature_algo = a,
            _ => add(&mut errors, "signature_algo", FieldCode::ValueIsInvalid),
        }
    }
    if input.contains_key("name") {
        match opt_string(input, "name") {
            Ok(n) => e.name = n,
            Err(InvalidValue) => add(&mut errors, "name", FieldCode::ValueIsInvalid),
        }
    }
    if let Some(v) = input.get("event_types") {
        match v {
            Value::Null => e.event_types = None,
            Value::Array(items) => {
                let ok = items
                    .iter()
                    .all(|t| t.as_str().is_some_and(|s| !s.trim().is_empty()));
                if ok {
                    e.event_types = Some(v.to_string());
                } else {
                    add(&mut errors, "event_types", FieldCode::InvalidTypes);
                }
            }
            _ => add(&mut errors, "event_types", FieldCode::MustBeArray),
        }
    }
    if errors.is_empty() {
        Ok(e)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn write_error(e: EndpointWriteError) -> ApiError {
    match e {
        EndpointWriteError::DuplicateUrl => {
            ApiError::field("webhook_url", FieldCode::ValueAlreadyExist)
        }
        EndpointWriteError::LimitReached => ApiError::field("base", FieldCode::ExceededLimit),
        EndpointWriteError::Store(e) => ApiError::internal(e),
    }
}

fn input_object(body: &web::Bytes) -> Result<Map<String, Value>, ApiError> {
    super::body::root_object(body, "webhook_endpoint")
}

fn allowed(state: &AppState) -> Result<AllowedNetworks, ApiError> {
    AllowedNetworks::parse(&state.settings.webhooks.allowed_networks)
        .map_err(ApiError::internal_msg)
}

/// `POST /api/v1/webhook_endpoints`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = input_object(&body)?;
    let now = now_micros();
    let blank = EndpointRow {
        id: uuid::Uuid::new_v4().to_string(),
        service_id: auth.id(),
        webhook_url: String::new(),
        signature_algo: "hmac".into(),
        name: None,
        event_types: None,
        failed_deliveries: 0,
        disabled_at: None,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    };
    let endpoint = apply(&input, blank, &allowed(&state)?)?;
    state
        .store
        .insert_webhook_endpoint(&endpoint)
        .await
        .map_err(write_error)?;
    Ok(HttpResponse::Ok().json(WebhookEndpoint::from(&endpoint).envelope()))
}

async fn find(state: &AppState, service_id: i64, id: &str) -> Result<EndpointRow, ApiError> {
    state
        .store
        .webhook_endpoint(service_id, id)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::NotFound(ErrorCode::WebhookEndpointNotFound))
}

/// `GET /api/v1/webhook_endpoints/{lago_id}`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = find(&state, auth.id(), &path).await?;
    Ok(HttpResponse::Ok().json(WebhookEndpoint::from(&endpoint).envelope()))
}

/// `PUT /api/v1/webhook_endpoints/{lago_id}`: only the keys present change. A disabled
/// endpoint stays disabled (operators re-enable it with `fusion-billing webhooks enable`).
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let existing = find(&state, auth.id(), &path).await?;
    let input = input_object(&body)?;
    let mut endpoint = apply(&input, existing, &allowed(&state)?)?;
    endpoint.updated_at = now_micros();
    state
        .store
        .update_webhook_endpoint(&endpoint)
        .await
        .map_err(write_error)?;
    Ok(HttpResponse::Ok().json(WebhookEndpoint::from(&endpoint).envelope()))
}

/// `DELETE /api/v1/webhook_endpoints/{lago_id}`: returns the deleted endpoint; its
/// pending deliveries are marked failed.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = find(&state, auth.id(), &path).await?;
    state
        .store
        .delete_webhook_endpoint(auth.id(), &endpoint.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(WebhookEndpoint::from(&endpoint).envelope()))
}

/// `GET /api/v1/webhook_endpoints`: `{"webhook_endpoints":[…],"meta":{…}}`.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (rows, total) = state
        .store
        .list_webhook_endpoints(auth.id(), page.limit(), page.offset())
        .await
        .map_err(ApiError::internal)?;
    let items: Vec<WebhookEndpoint> = rows.iter().map(WebhookEndpoint::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "webhook_endpoints": items, "meta": page.meta(total) })))
}

/// `GET /api/v1/webhooks/public_key`: `text/plain`, the RSA public key PEM Base64-encoded
/// as Ruby's `Base64.encode64` (60-character lines). The key pair is made on first use
/// and shared by all replicas through the store.
pub async fn public_key(
    _auth: AuthenticatedService,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pair = state
        .store
        .webhook_key_pair()
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(pair.public_key_encode64()))
}

/// `GET /api/v1/webhooks/json_public_key`: `{"webhook":{"public_key":"<Base64 of PEM>"}}`
/// (the Python client Base64-decodes it).
pub async fn json_public_key(
    _auth: AuthenticatedService,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pair = state
        .store
        .webhook_key_pair()
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(json!({"webhook": {"public_key": pair.public_key_base64()}})))
}
