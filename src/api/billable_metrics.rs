//! `POST/GET/PUT/DELETE /api/v1/billable_metrics[/{code}]` and the list, in Lago's shapes
//! (`api:app/controllers/api/v1/billable_metrics_controller.rb`,
//! `app/models/billable_metric.rb`, `app/serializers/v1/billable_metric_serializer.rb`).

use std::str::FromStr;

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::auth::AuthenticatedService;
use super::body::{opt_bool, opt_string, InvalidValue};
use super::error::{ApiError, FieldErrors};
use super::pagination::PageParams;
use super::state::AppState;
use crate::billing::metric::{AggregationType, MetricSpec};
use crate::lago::billable_metric::BillableMetric;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::metrics_repo::{BillableMetricRow, MetricWriteError};
use crate::meter::time::now_micros;

fn add(errors: &mut FieldErrors, field: &str, code: FieldCode) {
    let entry = errors.entry(field.to_string()).or_insert_with(|| json!([]));
    if let Value::Array(a) = entry {
        a.push(json!(code));
    }
}

/// Applies the keys present in `input` onto `base` (a new metric or the stored one) and
/// validates the result with Lago's rules.
fn apply(
    input: &Map<String, Value>,
    mut m: BillableMetricRow,
) -> Result<BillableMetricRow, ApiError> {
    let mut errors = FieldErrors::new();
    let text = |key: &str, target: &mut Option<String>, errors: &mut FieldErrors| {
        if input.contains_key(key) {
            match opt_string(input, key) {
                Ok(v) => *target = v,
                Err(InvalidValue) => add(errors, key, FieldCode::ValueIsInvalid),
            }
        }
    };
    let mut name = Some(m.name.clone()).filter(|s| !s.is_empty());
    let mut code = Some(m.code.clone()).filter(|s| !s.is_empty());
    let mut aggregation = Some(m.aggregation_type.clone()).filter(|s| !s.is_empty());
    text("name", &mut name, &mut errors);
    text("code", &mut code, &mut errors);
    text("aggregation_type", &mut aggregation, &mut errors);
    text("description", &mut m.description, &mut errors);
    text("field_name", &mut m.field_name, &mut errors);
    text("weighted_interval", &mut m.weighted_interval, &mut errors);
    text("rounding_function", &mut m.rounding_function, &mut errors);
    text("expression", &mut m.expression, &mut errors);
    if input.contains_key("recurring") {
        match opt_bool(input, "recurring") {
            Ok(v) => m.recurring = v.unwrap_or(false),
            Err(InvalidValue) => add(&mut errors, "recurring", FieldCode::ValueIsInvalid),
        }
    }
    if let Some(v) = input.get("rounding_precision") {
        match v {
            Value::Null => m.rounding_precision = None,
            Value::Number(n) if n.as_i64().is_some() => m.rounding_precision = n.as_i64(),
            Value::String(s) if s.parse::<i64>().is_ok() => m.rounding_precision = s.parse().ok(),
            _ => add(&mut errors, "rounding_precision", FieldCode::ValueIsInvalid),
        }
    }
    if let Some(v) = input.get("filters") {
        match validate_filters(v) {
            Some(f) => m.filters = f.to_string(),
            None => add(&mut errors, "filters", FieldCode::ValueIsInvalid),
        }
    }
    match name.as_deref() {
        Some(n) if !n.trim().is_empty() => m.name = n.to_string(),
        _ => add(&mut errors, "name", FieldCode::ValueIsMandatory),
    }
    match code.as_deref() {
        Some(c) if !c.trim().is_empty() && c.len() <= 255 => m.code = c.to_string(),
        Some(c) if c.len() > 255 => add(&mut errors, "code", FieldCode::ValueIsInvalid),
        _ => add(&mut errors, "code", FieldCode::ValueIsMandatory),
    }
    let agg = match aggregation.as_deref() {
        None | Some("") => {
            add(&mut errors, "aggregation_type", FieldCode::ValueIsMandatory);
            None
        }
        Some(a) => match AggregationType::from_str(a) {
            Ok(t) => Some(t),
            Err(_) => {
                add(&mut errors, "aggregation_type", FieldCode::ValueIsInvalid);
                None
            }
        },
    };
    if let Some(agg) = agg {
        m.aggregation_type = agg.as_str().to_string();
        if agg == AggregationType::Count {
            m.field_name = None;
        }
        let spec = MetricSpec {
            aggregation: agg,
            field_name: m.field_name.clone(),
            recurring: m.recurring,
        };
        if let Err(spec_errors) = spec.validate() {
            for (field, codes) in spec_errors.iter() {
                for code in codes {
                    add(&mut errors, field, *code);
                }
            }
        }
        if agg == AggregationType::WeightedSum {
            if m.weighted_interval.as_deref() != Some("seconds") {
                add(&mut errors, "weighted_interval", FieldCode::ValueIsInvalid);
            }
        } else {
            m.weighted_interval = None;
        }
    }
    if let Some(f) = m.rounding_function.as_deref() {
        if !matches!(f, "round" | "ceil" | "floor") {
            add(&mut errors, "rounding_function", FieldCode::ValueIsInvalid);
        }
    }
    if errors.is_empty() {
        Ok(m)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Lago filters: `[{"key": "region", "values": ["eu", "us"]}]` (strings, non-empty).
fn validate_filters(v: &Value) -> Option<Value> {
    let items = match v {
        Value::Null => return Some(json!([])),
        Value::Array(a) => a,
        _ => return None,
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let key = item.get("key")?.as_str().filter(|k| !k.is_empty())?;
        let values = item.get("values")?.as_array()?;
        if values.is_empty()
            || !values
                .iter()
                .all(|x| x.as_str().is_some_and(|s| !s.is_empty()))
        {
            return None;
        }
        out.push(json!({"key": key, "values": values}));
    }
    Some(Value::Array(out))
}

fn write_error(e: MetricWriteError) -> ApiError {
    match e {
        MetricWriteError::DuplicateCode => ApiError::field("code", FieldCode::ValueAlreadyExist),
        MetricWriteError::Store(e) => ApiError::internal(e),
    }
}

fn input_object(body: &web::Bytes) -> Result<Map<String, Value>, ApiError> {
    super::body::root_object(body, "billable_metric")
}

/// `POST /api/v1/billable_metrics`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = input_object(&body)?;
    let now = now_micros();
    let blank = BillableMetricRow {
        id: uuid::Uuid::new_v4().to_string(),
        code: String::new(),
        name: String::new(),
        description: None,
        aggregation_type: String::new(),
        field_name: None,
        recurring: false,
        weighted_interval: None,
        rounding_function: None,
        rounding_precision: None,
        expression: None,
        filters: "[]".into(),
        created_at: now,
        updated_at: now,
    };
    let metric = apply(&input, blank)?;
    state
        .store
        .insert_metric(auth.id(), &metric)
        .await
        .map_err(write_error)?;
    Ok(HttpResponse::Ok().json(BillableMetric::from(&metric).envelope()))
}

async fn find(
    state: &AppState,
    service_id: i64,
    code: &str,
) -> Result<BillableMetricRow, ApiError> {
    state
        .store
        .metric_by_code(service_id, code)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::NotFound(ErrorCode::BillableMetricNotFound))
}

/// `GET /api/v1/billable_metrics/{code}`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let metric = find(&state, auth.id(), &path).await?;
    Ok(HttpResponse::Ok().json(BillableMetric::from(&metric).envelope()))
}

/// `PUT /api/v1/billable_metrics/{code}`: only the keys present change.
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let existing = find(&state, auth.id(), &path).await?;
    let input = input_object(&body)?;
    let mut metric = apply(&input, existing)?;
    metric.updated_at = now_micros();
    state
        .store
        .update_metric(auth.id(), &metric)
        .await
        .map_err(write_error)?;
    Ok(HttpResponse::Ok().json(BillableMetric::from(&metric).envelope()))
}

/// `DELETE /api/v1/billable_metrics/{code}`: returns the deleted metric.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let metric = find(&state, auth.id(), &path).await?;
    state
        .store
        .delete_metric(auth.id(), &metric.code)
        .await
        .map_err(ApiError::internal)?;
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
        .list_metrics(auth.id(), page.limit(), page.offset())
        .await
        .map_err(ApiError::internal)?;
    let metrics: Vec<BillableMetric> = rows.iter().map(BillableMetric::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "billable_metrics": metrics, "meta": page.meta(total) })))
}
