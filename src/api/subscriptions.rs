//! `/api/v1/subscriptions` in Lago's shapes (API-NOTES §2; `api:app/controllers/api/v1/
//! subscriptions_controller.rb`, `app/controllers/concerns/subscription_index.rb`,
//! `app/serializers/v1/subscription_serializer.rb`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::auth::AuthenticatedService;
use super::body::{parse_json, root_object};
use super::error::ApiError;
use super::pagination::PageParams;
use super::state::AppState;
use crate::bridge::subscription_repo::SubscriptionFilter;
use crate::lago::subscription::Subscription;
use crate::lago::subscription_request;

fn query_value(req: &HttpRequest, key: &str) -> Vec<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == key || *k == format!("{key}[]"))
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// `POST /api/v1/subscriptions`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let new = subscription_request::new_subscription(&root_object(&body, "subscription")?)?;
    let v = state.bridge.create_subscription(&auth.0, &new).await?;
    Ok(HttpResponse::Ok().json(Subscription::from(&v).envelope()))
}

/// `GET /api/v1/subscriptions/{external_id}[?status=…]`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let status = query_value(&req, "status").into_iter().next();
    let v = state
        .bridge
        .subscription(&auth.0, &path, status.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(Subscription::from(&v).envelope()))
}

/// `PUT /api/v1/subscriptions/{external_id}[?status=…]`.
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let change = subscription_request::subscription_change(&root_object(&body, "subscription")?)?;
    let status = query_value(&req, "status").into_iter().next();
    let v = state
        .bridge
        .update_subscription(&auth.0, &path, status.as_deref(), &change)
        .await?;
    Ok(HttpResponse::Ok().json(Subscription::from(&v).envelope()))
}

/// `DELETE /api/v1/subscriptions/{external_id}[?status=pending]`: terminates (or cancels a
/// pending one). `status` may also come in a JSON body.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let mut status = query_value(&req, "status").into_iter().next();
    if status.is_none() {
        if let Ok(Value::Object(m)) = parse_json(&body) {
            status = m.get("status").and_then(Value::as_str).map(String::from);
        }
    }
    let v = state
        .bridge
        .terminate_subscription(&auth.0, &path, status.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(Subscription::from(&v).envelope()))
}

/// `GET /api/v1/subscriptions`: filters `external_customer_id`, `plan_code`, `status[]`
/// (default `active`); `{"subscriptions":[…],"meta":{…}}`.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    page: web::Query<PageParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut filter = SubscriptionFilter {
        statuses: query_value(&req, "status"),
        ..SubscriptionFilter::default()
    };
    if filter.statuses.is_empty() {
        filter.statuses = vec!["active".into()];
    }
    let empty = || Ok(HttpResponse::Ok().json(json!({"subscriptions": [], "meta": page.meta(0)})));
    if let Some(c) = query_value(&req, "external_customer_id").into_iter().next() {
        match state
            .store
            .customers()
            .customer_by_external(auth.id(), &c)
            .await
            .map_err(ApiError::internal)?
        {
            Some(c) => filter.customer_id = Some(c.lago_id),
            None => return empty(),
        }
    }
    if let Some(p) = query_value(&req, "plan_code").into_iter().next() {
        match state
            .store
            .plans()
            .plan_by_code(auth.id(), &p)
            .await
            .map_err(ApiError::internal)?
        {
            Some(p) => filter.plan_id = Some(p.lago_id),
            None => return empty(),
        }
    }
    let (views, total) = state
        .bridge
        .subscriptions(&auth.0, filter, page.limit(), page.offset())
        .await?;
    let subs: Vec<Subscription> = views.iter().map(Subscription::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "subscriptions": subs, "meta": page.meta(total) })))
}
