//! `/api/v1/plans` in Lago's shapes (API-NOTES §5; `api:app/controllers/api/v1/
//! plans_controller.rb`, `app/serializers/v1/plan_serializer.rb`, `charge_serializer.rb`).

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::auth::AuthenticatedService;
use super::body::root_object;
use super::error::ApiError;
use super::pagination::PageParams;
use super::state::AppState;
use super::timefmt::iso_seconds;
use crate::accounts::plan_repo::PlanRow;
use crate::accounts::plans::charges_of;

/// Lago's plan JSON, with its charges.
pub fn plan_json(p: &PlanRow) -> Value {
    let attrs: Map<String, Value> = serde_json::from_str(&p.attributes).unwrap_or_default();
    let a = |k: &str| attrs.get(k).cloned().unwrap_or(Value::Null);
    let created = iso_seconds(p.created_at);
    let charges: Vec<Value> = charges_of(p)
        .iter()
        .map(|c| {
            json!({
                "lago_id": c.lago_id,
                "lago_billable_metric_id": c.billable_metric_id,
                "billable_metric_code": c.billable_metric_code,
                "code": c.code,
                "invoice_display_name": c.invoice_display_name,
                "created_at": created,
                "charge_model": c.charge_model,
                "invoiceable": c.invoiceable,
                "regroup_paid_fees": null,
                "pay_in_advance": c.pay_in_advance,
                "prorated": c.prorated,
                "min_amount_cents": c.min_amount_cents,
                "properties": c.properties,
                "filters": [],
                "taxes": [],
            })
        })
        .collect();
    json!({
        "lago_id": p.lago_id,
        "name": p.name,
        "invoice_display_name": a("invoice_display_name"),
        "created_at": created,
        "code": p.code,
        "interval": p.interval,
        "description": a("description"),
        "amount_cents": p.amount_cents,
        "amount_currency": p.amount_currency,
        "trial_period": a("trial_period"),
        "pay_in_advance": p.pay_in_advance,
        "bill_charges_monthly": a("bill_charges_monthly"),
        "customers_count": 0,
        "active_subscriptions_count": 0,
        "draft_invoices_count": 0,
        "parent_id": null,
        "pending_deletion": p.deleted_at.is_some(),
        "charges": charges,
        "usage_thresholds": [],
        "taxes": [],
    })
}

/// `POST /api/v1/plans`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = root_object(&body, "plan")?;
    let plan = state.accounts.create_plan(&auth.0, &input).await?;
    Ok(HttpResponse::Ok().json(json!({ "plan": plan_json(&plan) })))
}

/// `GET /api/v1/plans/{code}`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let plan = state.accounts.plan(&auth.0, &path).await?;
    Ok(HttpResponse::Ok().json(json!({ "plan": plan_json(&plan) })))
}

/// `PUT /api/v1/plans/{code}`.
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = root_object(&body, "plan")?;
    let plan = state.accounts.update_plan(&auth.0, &path, &input).await?;
    Ok(HttpResponse::Ok().json(json!({ "plan": plan_json(&plan) })))
}

/// `DELETE /api/v1/plans/{code}`.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let plan = state.accounts.delete_plan(&auth.0, &path).await?;
    Ok(HttpResponse::Ok().json(json!({ "plan": plan_json(&plan) })))
}

/// `GET /api/v1/plans`: `{"plans":[…],"meta":{…}}`.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (rows, total) = state
        .store
        .list_plans(auth.id(), page.limit(), page.offset())
        .await
        .map_err(ApiError::internal)?;
    let plans: Vec<Value> = rows.iter().map(plan_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "plans": plans, "meta": page.meta(total) })))
}
