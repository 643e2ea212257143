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
use serde_json::json;

use super::auth::AuthenticatedService;
use super::error::ApiError;
use super::pagination::PageParams;
use super::state::AppState;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::lago::webhook_endpoint::WebhookEndpoint;
use crate::lago::webhook_endpoint_request::WebhookEndpointRequest;
use crate::webhooks::endpoint_service::EndpointError;
use crate::webhooks::repo::EndpointWriteError;
use crate::webhooks::ssrf::AllowedNetworks;

impl From<EndpointError> for ApiError {
    fn from(e: EndpointError) -> Self {
        match e {
            EndpointError::Invalid(errors) => ApiError::Validation(errors),
            EndpointError::NotFound => ApiError::NotFound(ErrorCode::WebhookEndpointNotFound),
            EndpointError::Write(EndpointWriteError::DuplicateUrl) => {
                ApiError::field("webhook_url", FieldCode::ValueAlreadyExist)
            }
            EndpointError::Write(EndpointWriteError::LimitReached) => {
                ApiError::field("base", FieldCode::ExceededLimit)
            }
            EndpointError::Write(EndpointWriteError::Store(e)) => ApiError::internal(e),
        }
    }
}

/// The body's `webhook_endpoint` object, read against `webhooks.allowed_networks`.
fn request(state: &AppState, body: &web::Bytes) -> Result<WebhookEndpointRequest, ApiError> {
    let input = super::body::root_object(body, "webhook_endpoint")?;
    let allowed = AllowedNetworks::parse(&state.settings.webhooks.allowed_networks)
        .map_err(ApiError::internal_msg)?;
    Ok(WebhookEndpointRequest::parse(&input, &allowed))
}

/// `POST /api/v1/webhook_endpoints`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let request = request(&state, &body)?;
    let endpoint = state
        .store
        .webhook_endpoints()
        .create_webhook_endpoint(auth.id(), request)
        .await?;
    Ok(HttpResponse::Ok().json(WebhookEndpoint::from(&endpoint).envelope()))
}

/// `GET /api/v1/webhook_endpoints/{lago_id}`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = state
        .store
        .webhook_endpoints()
        .find_webhook_endpoint(auth.id(), &path)
        .await?;
    Ok(HttpResponse::Ok().json(WebhookEndpoint::from(&endpoint).envelope()))
}

/// `PUT /api/v1/webhook_endpoints/{lago_id}`: only the keys present change; an unknown
/// id is 404 before the body is read. A disabled endpoint stays disabled (operators
/// re-enable it with `fusion-billing webhooks enable`).
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let endpoint = state
        .store
        .webhook_endpoints()
        .change_webhook_endpoint(auth.id(), &path, || request(&state, &body))
        .await?;
    Ok(HttpResponse::Ok().json(WebhookEndpoint::from(&endpoint).envelope()))
}

/// `DELETE /api/v1/webhook_endpoints/{lago_id}`: returns the deleted endpoint; its
/// pending deliveries are marked failed.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = state
        .store
        .webhook_endpoints()
        .remove_webhook_endpoint(auth.id(), &path)
        .await?;
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
        .webhook_endpoints()
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
        .webhook_keys()
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
        .webhook_keys()
        .webhook_key_pair()
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(json!({"webhook": {"public_key": pair.public_key_base64()}})))
}
