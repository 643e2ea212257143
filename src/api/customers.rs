//! `/api/v1/customers` in Lago's shapes (API-NOTES §1; `api:app/controllers/api/v1/
//! customers_controller.rb`, `app/serializers/v1/customer_serializer.rb`,
//! `customers/usage_controller.rb`, `customers/usage_serializer.rb`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::AuthenticatedService;
use super::body::root_object;
use super::error::ApiError;
use super::pagination::PageParams;
use super::state::AppState;
use crate::lago::customer::Customer;
use crate::lago::customer_request::parse_upsert;
use crate::lago::error_code::ErrorCode;
use crate::lago::usage::CustomerUsage;

/// `POST /api/v1/customers`: upsert by `external_id`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let cmd = parse_upsert(&root_object(&body, "customer")?).map_err(ApiError::Validation)?;
    let shown = state.bridge.upsert_shown_customer(&auth.0, &cmd).await?;
    Ok(HttpResponse::Ok().json(Customer::from(&shown).envelope()))
}

/// `GET /api/v1/customers/{external_id}`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let shown = state.bridge.shown_customer(&auth.0, &path).await?;
    Ok(HttpResponse::Ok().json(Customer::from(&shown).envelope()))
}

/// `DELETE /api/v1/customers/{external_id}`: returns the deleted customer.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = state.bridge.delete_customer(&auth.0, &path).await?;
    Ok(HttpResponse::Ok().json(Customer::from(&row).envelope()))
}

/// Query of `GET /customers`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    page: PageParams,
    external_id: Option<String>,
}

/// `GET /api/v1/customers`: `{"customers":[…],"meta":{…}}`.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (rows, total) = state
        .bridge
        .shown_customer_page(
            &auth.0,
            q.external_id.as_deref(),
            q.page.limit(),
            q.page.offset(),
        )
        .await?;
    let customers: Vec<Customer> = rows.iter().map(Customer::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "customers": customers, "meta": q.page.meta(total) })))
}

/// `POST /api/v1/customers/{external_id}/checkout_url`: the Odoo portal page of the
/// customer's newest subscription with this app, where the customer pays and saves a payment
/// method through Odoo's payment providers (Stripe in production). 422
/// `{"base":["no_linked_payment_provider"]}` when the customer has no subscription yet.
pub async fn checkout_url(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let c = state.bridge.customer_checkout(&auth.0, &path).await?;
    Ok(HttpResponse::Ok().json(json!({ "customer": {
        "lago_customer_id": c.customer.lago_id,
        "external_customer_id": c.customer.external_id,
        "payment_provider": "stripe",
        "payment_provider_code": c.payment_provider_code,
        "checkout_url": c.checkout_url,
    }})))
}

/// Query of `current_usage`.
#[derive(Debug, Deserialize)]
pub struct UsageQuery {
    external_subscription_id: Option<String>,
}

/// `GET /api/v1/customers/{external_id}/current_usage?external_subscription_id=…`.
pub async fn current_usage(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let sub = query
        .external_subscription_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::NotFound(ErrorCode::SubscriptionNotFound))?;
    let usage = state.bridge.current_usage(&auth.0, &path, sub).await?;
    Ok(HttpResponse::Ok().json(CustomerUsage::from(&usage).envelope()))
}
