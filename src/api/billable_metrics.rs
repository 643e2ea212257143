//! `POST/GET/PUT/DELETE /api/v1/billable_metrics[/{code}]` and the list, in Lago's shapes
//! (`api:app/controllers/api/v1/billable_metrics_controller.rb`,
//! `app/models/billable_metric.rb`, `app/serializers/v1/billable_metric_serializer.rb`).

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::auth::AuthenticatedService;
use super::error::ApiError;
use super::pagination::PageParams;
use super::state::AppState;
use crate::lago::billable_metric::BillableMetric;
use crate::lago::billable_metric_request::BillableMetricRequest;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::metric_service::MetricError;

impl From<MetricError> for ApiError {
    fn from(e: MetricError) -> Self {
        match e {
            MetricError::Invalid(errors) => ApiError::Validation(errors),
            MetricError::NotFound => ApiError::NotFound(ErrorCode::BillableMetricNotFound),
            MetricError::DuplicateCode => ApiError::field("code", FieldCode::ValueAlreadyExist),
            MetricError::Store(e) => ApiError::internal(e),
        }
    }
}

fn request(body: &web::Bytes) -> Result<BillableMetricRequest, ApiError> {
    let input = super::body::root_object(body, "billable_metric")?;
    Ok(BillableMetricRequest::parse(&input))
}

/// `POST /api/v1/billable_metrics`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let metric = state
        .store
        .billable_metrics()
        .create_metric(auth.id(), request(&body)?)
        .await?;
    Ok(HttpResponse::Ok().json(BillableMetric::from(&metric).envelope()))
}

/// `GET /api/v1/billable_metrics/{code}`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let metric = state
        .store
        .billable_metrics()
        .find_metric(auth.id(), &path)
        .await?;
    Ok(HttpResponse::Ok().json(BillableMetric::from(&metric).envelope()))
}

/// `PUT /api/v1/billable_metrics/{code}`: only the keys present change; an unknown code
/// is 404 before the body is read.
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let metric = state
        .store
        .billable_metrics()
        .change_metric(auth.id(), &path, || request(&body))
        .await?;
    Ok(HttpResponse::Ok().json(BillableMetric::from(&metric).envelope()))
}

/// `DELETE /api/v1/billable_metrics/{code}`: returns the deleted metric.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let metric = state
        .store
        .billable_metrics()
        .remove_metric(auth.id(), &path)
        .await?;
    Ok(HttpResponse::Ok().json(BillableMetric::from(&metric).envelope()))
}

/// `GET /api/v1/billable_metrics`: `{"billable_metrics":[…],"meta":{…}}`.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (rows, total) = state
        .store
        .billable_metrics()
        .list_metrics(auth.id(), page.limit(), page.offset())
        .await
        .map_err(ApiError::internal)?;
    let metrics: Vec<BillableMetric> = rows.iter().map(BillableMetric::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "billable_metrics": metrics, "meta": page.meta(total) })))
}
