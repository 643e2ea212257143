//! `/api/v1/plans` in Lago's shapes (API-NOTES §5; `api:app/controllers/api/v1/
//! plans_controller.rb`, `app/serializers/v1/plan_serializer.rb`, `charge_serializer.rb`).

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::auth::AuthenticatedService;
use super::body::root_object;
use super::error::ApiError;
use super::pagination::PageParams;
use super::state::AppState;
use crate::lago::plan::Plan;
use crate::lago::plan_request;

/// `POST /api/v1/plans`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = root_object(&body, "plan")?;
    let plan = state
        .bridge
        .create_plan(&auth.0, |ctx| plan_request::plan_input(&input, ctx))
        .await?;
    Ok(HttpResponse::Ok().json(Plan::from(&plan).envelope()))
}

/// `GET /api/v1/plans/{code}`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let plan = state.bridge.plan(&auth.0, &path).await?;
    Ok(HttpResponse::Ok().json(Plan::from(&plan).envelope()))
}

/// `PUT /api/v1/plans/{code}`.
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = root_object(&body, "plan")?;
    let plan = state
        .bridge
        .update_plan(&auth.0, &path, |ctx| plan_request::plan_input(&input, ctx))
        .await?;
    Ok(HttpResponse::Ok().json(Plan::from(&plan).envelope()))
}

/// `DELETE /api/v1/plans/{code}`.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let plan = state.bridge.delete_plan(&auth.0, &path).await?;
    Ok(HttpResponse::Ok().json(Plan::from(&plan).envelope()))
}

/// `GET /api/v1/plans`: `{"plans":[…],"meta":{…}}`.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (rows, total) = state
        .bridge
        .plans(&auth.0, page.limit(), page.offset())
        .await?;
    let plans: Vec<Plan> = rows.iter().map(Plan::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "plans": plans, "meta": page.meta(total) })))
}
