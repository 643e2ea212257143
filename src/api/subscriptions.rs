//! `/api/v1/subscriptions` in Lago's shapes (API-NOTES §2; `api:app/controllers/api/v1/
//! subscriptions_controller.rb`, `app/controllers/concerns/subscription_index.rb`,
//! `app/serializers/v1/subscription_serializer.rb`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::auth::AuthenticatedService;
use super::body::{parse_json, root_object};
use super::error::ApiError;
use super::pagination::PageParams;
use super::plans::plan_json;
use super::state::AppState;
use super::timefmt::{iso_millis, iso_seconds};
use crate::accounts::subscription_repo::SubscriptionFilter;
use crate::accounts::subscriptions::SubscriptionView;
use crate::meter::time::to_micros;

/// Lago's subscription JSON with its `plan`.
pub fn subscription_json(v: &SubscriptionView) -> Value {
    let r = &v.row;
    let status = if r.status == "incomplete" {
        "pending"
    } else {
        r.status.as_str()
    };
    let (period_from, period_to) = match v.period {
        Some((f, t)) => (
            Some(iso_seconds(to_micros(f))),
            Some(iso_seconds(to_micros(t) - 1_000_000)),
        ),
        None => (None, None),
    };
    json!({
        "lago_id": r.lago_id,
        "external_id": r.external_id,
        "lago_customer_id": v.customer.lago_id,
        "external_customer_id": v.customer.external_id,
        "name": r.name,
        "plan_code": v.plan.code,
        "plan_amount_cents": v.plan.amount_cents,
        "plan_amount_currency": v.plan.amount_currency,
        "status": status,
        "billing_time": r.billing_time,
        "subscription_at": iso_seconds(r.subscription_at),
        "started_at": r.started_at.map(iso_millis),
        "trial_ended_at": null,
        "ending_at": r.ending_at.map(iso_seconds),
        "terminated_at": r.terminated_at.map(iso_seconds),
        "canceled_at": r.canceled_at.map(iso_seconds),
        "created_at": iso_seconds(r.created_at),
        "previous_plan_code": v.previous_plan_code,
        "next_plan_code": v.next_plan_code,
        "downgrade_plan_date": r.downgrade_plan_date,
        "current_billing_period_started_at": period_from,
        "current_billing_period_ending_at": period_to,
        "on_termination_credit_note": null,
        "on_termination_invoice": "generate",
        "progressive_billing_disabled": false,
        "consolidate_invoice": false,
        "purchase_order_number": null,
        "cancellation_reason": null,
        "activated_at": r.started_at.map(iso_seconds),
        "payment_method": {"payment_method_type": "provider", "payment_method_id": null},
        "activation_rules": [],
        "plan": plan_json(&v.plan),
    })
}

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
    let input = root_object(&body, "subscription")?;
    let v = state.accounts.create_subscription(&auth.0, &input).await?;
    Ok(HttpResponse::Ok().json(json!({ "subscription": subscription_json(&v) })))
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
        .accounts
        .subscription(&auth.0, &path, status.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "subscription": subscription_json(&v) })))
}

/// `PUT /api/v1/subscriptions/{external_id}[?status=…]`.
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = root_object(&body, "subscription")?;
    let status = query_value(&req, "status").into_iter().next();
    let v = state
        .accounts
        .update_subscription(&auth.0, &path, status.as_deref(), &input)
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "subscription": subscription_json(&v) })))
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
        .accounts
        .terminate_subscription(&auth.0, &path, status.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "subscription": subscription_json(&v) })))
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
            .plan_by_code(auth.id(), &p)
            .await
            .map_err(ApiError::internal)?
        {
            Some(p) => filter.plan_id = Some(p.lago_id),
            None => return empty(),
        }
    }
    let (views, total) = state
        .accounts
        .subscriptions(&auth.0, filter, page.limit(), page.offset())
        .await?;
    let subs: Vec<Value> = views.iter().map(subscription_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "subscriptions": subs, "meta": page.meta(total) })))
}
