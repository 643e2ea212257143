//! `POST /api/v1/events`, `POST /api/v1/events/batch`, `GET /api/v1/events/{transaction_id}`,
//! `GET /api/v1/events` (`api:app/controllers/api/v1/events_controller.rb`,
//! `app/serializers/v1/event_serializer.rb`).
//!
//! Events are stored through the group-commit writer; a response is sent only after the
//! event's commit. An identical replay of a `transaction_id` (same subscription) is a
//! success returning the stored event; the same id with other content is
//! `422 {"transaction_id":["value_already_exist"]}`. A batch is all-or-nothing with
//! errors keyed by index.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::AuthenticatedService;
use super::batch::{rows_or_conflicts, validate_all};
use super::body::{parse_json, root, InvalidValue};
use super::error::ApiError;
use super::pagination::PageParams;
use super::state::AppState;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::lago::event::Event;
use crate::lago::event_request::{parse_timestamp, validate_event};
use crate::meter::events::{EventFilter, ItemOutcome};
use crate::meter::time::now_micros;
use crate::meter::writer::IngestError;

/// Maps a writer failure to the client's answer.
pub fn ingest_error(e: IngestError, retry_after_secs: u64) -> ApiError {
    match e {
        IngestError::Busy => ApiError::TooManyRequests { retry_after_secs },
        IngestError::Stopped => ApiError::Unavailable {
            code: ErrorCode::ShuttingDown,
            retry_after_secs,
        },
        IngestError::Store(err) => {
            tracing::error!(error = %err, "event commit failed");
            ApiError::Unavailable {
                code: ErrorCode::StoreUnavailable,
                retry_after_secs,
            }
        }
    }
}

/// `POST /api/v1/events`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = root(parse_json(&body)?, "event")?;
    let event = validate_event(&input, now_micros()).map_err(|errs| {
        state.metrics.ingest.rejected(1);
        ApiError::Validation(errs)
    })?;
    let result = state
        .ingest
        .write_events(auth.id(), vec![event])
        .await
        .map_err(|e| ingest_error(e, state.settings.ingest.retry_after_secs))?;
    if result.conflict {
        return Err(ApiError::field(
            "transaction_id",
            FieldCode::ValueAlreadyExist,
        ));
    }
    let stored = result
        .outcomes
        .into_iter()
        .next()
        .and_then(ItemOutcome::into_row)
        .ok_or_else(|| ApiError::internal_msg("writer returned no outcome"))?;
    Ok(HttpResponse::Ok().json(Event::from(&stored).envelope()))
}

/// `POST /api/v1/events/batch`: at most `ingest.batch_max_events` events, all or nothing.
pub async fn create_batch(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body = parse_json(&body)?;
    let items = match body.get("events") {
        None | Some(Value::Null) => return Err(ApiError::field("events", FieldCode::NoEvents)),
        Some(Value::Array(a)) if a.is_empty() => {
            return Err(ApiError::field("events", FieldCode::NoEvents))
        }
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ApiError::field("events", FieldCode::ValueIsInvalid)),
    };
    if items.len() > state.settings.ingest.batch_max_events {
        state.metrics.ingest.rejected(items.len() as u64);
        return Err(ApiError::field("events", FieldCode::TooManyEvents));
    }
    let now = now_micros();
    let events = validate_all(&state, items, |item| validate_event(item, now))?;
    let result = state
        .ingest
        .write_events(auth.id(), events)
        .await
        .map_err(|e| ingest_error(e, state.settings.ingest.retry_after_secs))?;
    let out: Vec<Event> = rows_or_conflicts(result, "transaction_id")?
        .iter()
        .map(Event::from)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "events": out })))
}

/// `GET /api/v1/events/{transaction_id}`; 404 `event_not_found`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = state
        .store
        .events()
        .event_by_transaction_id(auth.id(), &path.into_inner())
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::NotFound(ErrorCode::EventNotFound))?;
    Ok(HttpResponse::Ok().json(Event::from(&event).envelope()))
}

/// Query of `GET /api/v1/events`: Lago's filters plus pagination.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub external_subscription_id: Option<String>,
    pub code: Option<String>,
    /// Unix seconds or ISO-8601, inclusive.
    pub timestamp_from: Option<String>,
    /// Unix seconds or ISO-8601, inclusive.
    pub timestamp_to: Option<String>,
    #[serde(flatten)]
    pub page: PageParams,
}

fn query_time(field: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    let Some(text) = v.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t.timestamp_micros()));
    }
    parse_timestamp(Some(&Value::String(text.to_string())))
        .map_err(|InvalidValue| ApiError::field(field, FieldCode::InvalidDate))
}

/// `GET /api/v1/events`: this service's events, newest first.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filter = EventFilter {
        external_subscription_id: q.external_subscription_id.clone(),
        code: q.code.clone(),
        timestamp_from: query_time("timestamp_from", &q.timestamp_from)?,
        timestamp_to: query_time("timestamp_to", &q.timestamp_to)?,
    };
    let (rows, total) = state
        .store
        .events()
        .list_events(auth.id(), &filter, q.page.limit(), q.page.offset())
        .await
        .map_err(ApiError::internal)?;
    let events: Vec<Event> = rows.iter().map(Event::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "events": events, "meta": q.page.meta(total) })))
}
