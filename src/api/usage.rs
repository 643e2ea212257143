//! `POST /api/v1/usage` (also `/api/billing/v1/usage`): aggregate push, the seed's own
//! ingestion style. Apps send periodic counters instead of raw events:
//!
//! ```json
//! {"usage": [{"external_subscription_id": "sub_1", "code": "api_calls",
//!             "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-11-02T00:00:00Z",
//!             "quantity": "1250", "idempotency_key": "sub_1/api_calls/2026-11-01"}]}
//! ```
//!
//! `period_start`/`period_end` are ISO-8601 or Unix seconds, `[start, end)` half-open;
//! `quantity` is a non-negative decimal (string or number) within
//! [`crate::limits::MAX_QUANTITY`] and [`crate::limits::MAX_SCALE`] decimals. Each counter is idempotent per
//! (subscription, metric code, `idempotency_key`): a resend with the same content returns
//! the stored counter, the same key with other content is
//! `422 {"<index>":{"idempotency_key":["value_already_exist"]}}`. A request is
//! all-or-nothing, with errors keyed by index like `POST /events/batch`. How a counter
//! combines with raw events per aggregation type is documented in `billing::aggregation`.

use actix_web::{web, HttpResponse};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::auth::AuthenticatedService;
use super::batch::{rows_or_conflicts, validate_all};
use super::body::{opt_string, parse_json, InvalidValue};
use super::error::{ApiError, FieldErrors};
use super::events::ingest_error;
use super::state::AppState;
use crate::lago::counter::Counter;
use crate::lago::error_code::FieldCode;
use crate::lago::event_request::{parse_decimal, parse_timestamp, MAX_ID_LEN};
use crate::meter::events::{canonical_json, StoredCounter};
use crate::meter::time::now_micros;

fn time_field(obj: &Map<String, Value>, key: &str, errors: &mut FieldErrors) -> Option<i64> {
    let v = obj.get(key);
    if let Some(Value::String(s)) = v {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s.trim()) {
            return Some(t.timestamp_micros());
        }
    }
    match parse_timestamp(v) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            errors.insert(key.into(), json!([FieldCode::ValueIsMandatory]));
            None
        }
        Err(InvalidValue) => {
            errors.insert(key.into(), json!([FieldCode::InvalidDate]));
            None
        }
    }
}

fn id_field(obj: &Map<String, Value>, key: &str, errors: &mut FieldErrors) -> Option<String> {
    match opt_string(obj, key) {
        Ok(Some(s)) if !s.is_empty() && crate::limits::len_ok(&s, MAX_ID_LEN) => Some(s),
        Ok(Some(s)) if !s.is_empty() => {
            errors.insert(key.into(), json!([FieldCode::ValueIsTooLong]));
            None
        }
        Ok(_) => {
            errors.insert(key.into(), json!([FieldCode::ValueIsMandatory]));
            None
        }
        Err(InvalidValue) => {
            errors.insert(key.into(), json!([FieldCode::ValueIsInvalid]));
            None
        }
    }
}

/// Validates one counter; `now` (Unix microseconds) becomes `created_at`.
///
/// # Errors
/// Field → codes (`value_is_mandatory`, `value_is_invalid`, `invalid_date`).
pub fn validate_counter(input: &Value, now: i64) -> Result<StoredCounter, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = input.as_object() else {
        errors.insert("usage".into(), json!([FieldCode::ValueIsInvalid]));
        return Err(errors);
    };
    let sub = id_field(obj, "external_subscription_id", &mut errors);
    let code = id_field(obj, "code", &mut errors);
    let key = id_field(obj, "idempotency_key", &mut errors);
    let start = time_field(obj, "period_start", &mut errors);
    let end = time_field(obj, "period_end", &mut errors);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.insert("period_end".into(), json!([FieldCode::ValueIsInvalid]));
        }
    }
    let quantity = match obj.get("quantity") {
        None | Some(Value::Null) => {
            errors.insert("quantity".into(), json!([FieldCode::ValueIsMandatory]));
            None
        }
        Some(v @ (Value::String(_) | Value::Number(_))) => {
            let text = match v {
                Value::String(s) => s.trim().to_string(),
                other => other.to_string(),
            };
            let parsed = parse_decimal(&text);
            if parsed.is_none() && crate::limits::is_number_text(&text) {
                // Numeric but beyond `Decimal` (e.g. `1e40`).
                errors.insert("quantity".into(), json!([FieldCode::ValueIsOutOfRange]));
            }
            parsed
        }
        Some(_) => None,
    };
    let quantity = match quantity {
        Some(q) if q >= Decimal::ZERO => match crate::limits::quantity(q) {
            Ok(q) => Some(q),
            Err(code) => {
                errors.insert("quantity".into(), json!([code]));
                None
            }
        },
        Some(_) => {
            errors.insert("quantity".into(), json!([FieldCode::ValueIsInvalid]));
            None
        }
        None => {
            errors
                .entry("quantity")
                .or_insert_with(|| json!([FieldCode::ValueIsInvalid]));
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(sub), Some(code), Some(key), Some(start), Some(end), Some(quantity)) =
        (sub, code, key, start, end, quantity)
    else {
        unreachable!("missing fields are reported above");
    };
    let quantity = quantity.to_string();
    let fingerprint = hex::encode(Sha256::digest(
        canonical_json(&json!([start, end, quantity])).as_bytes(),
    ));
    Ok(StoredCounter {
        lago_id: uuid::Uuid::new_v4().to_string(),
        external_subscription_id: sub,
        code,
        period_start: start,
        period_end: end,
        quantity,
        idempotency_key: key,
        fingerprint,
        created_at: now,
    })
}

/// `POST /api/v1/usage`.
pub async fn push(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body = parse_json(&body)?;
    let items = match body.get("usage") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        None | Some(Value::Null) => {
            return Err(ApiError::BadRequest(
                "param is missing or the value is empty or invalid: usage".into(),
            ))
        }
        Some(Value::Array(_)) => return Err(ApiError::field("usage", FieldCode::NoUsage)),
        Some(_) => return Err(ApiError::field("usage", FieldCode::ValueIsInvalid)),
    };
    if items.len() > state.settings.ingest.usage_max_counters {
        state.metrics.ingest.rejected(items.len() as u64);
        return Err(ApiError::field("usage", FieldCode::TooManyCounters));
    }
    let now = now_micros();
    let counters = validate_all(&state, items, |item| validate_counter(item, now))?;
    authorize(&state, auth.id(), &counters).await?;
    let result = state
        .ingest
        .write_counters(auth.id(), counters)
        .await
        .map_err(|e| ingest_error(e, state.settings.ingest.retry_after_secs))?;
    let out: Vec<Counter> = rows_or_conflicts(result, "idempotency_key")?
        .iter()
        .map(Counter::from)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "usage": out })))
}

/// Each counter must name a live subscription of this app (hence a linked customer and an
/// Odoo subscription) and one of its billable metrics (review findings C2/C4: a push is
/// authorized item by item). Errors are keyed by index, as validation errors.
///
/// # Errors
/// 422 `{"<i>":{"external_subscription_id":["subscription_not_found"]}}` or
/// `{"<i>":{"code":["billable_metric_not_found"]}}`; store errors.
async fn authorize(
    state: &AppState,
    service_id: i64,
    counters: &[StoredCounter],
) -> Result<(), ApiError> {
    use std::collections::HashMap;
    let mut subs: HashMap<&str, bool> = HashMap::new();
    let mut codes: HashMap<&str, bool> = HashMap::new();
    let mut errors = FieldErrors::new();
    for (i, c) in counters.iter().enumerate() {
        let sub_ok = match subs.get(c.external_subscription_id.as_str()) {
            Some(ok) => *ok,
            None => {
                let ok = state
                    .store
                    .subscriptions()
                    .live_subscription(service_id, &c.external_subscription_id)
                    .await
                    .map_err(ApiError::internal)?
                    .is_some_and(|s| s.status == "active" || s.status == "pending");
                subs.insert(&c.external_subscription_id, ok);
                ok
            }
        };
        let code_ok = match codes.get(c.code.as_str()) {
            Some(ok) => *ok,
            None => {
                let ok = state
                    .store
                    .billable_metrics()
                    .metric_by_code(service_id, &c.code)
                    .await
                    .map_err(ApiError::internal)?
                    .is_some();
                codes.insert(&c.code, ok);
                ok
            }
        };
        let mut e = FieldErrors::new();
        if !sub_ok {
            e.insert(
                "external_subscription_id".into(),
                json!([FieldCode::SubscriptionNotFound]),
            );
        }
        if !code_ok {
            e.insert("code".into(), json!([FieldCode::BillableMetricNotFound]));
        }
        if !e.is_empty() {
            errors.insert(i.to_string(), Value::Object(e));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        state.metrics.ingest.rejected(counters.len() as u64);
        Err(ApiError::Validation(errors))
    }
}
