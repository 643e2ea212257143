//! Store queries of the webhooks module (tables of `migrations/*/0003_webhooks.sql`):
//! endpoints per service, the delivery outbox, attempts, and the instance key pair.
//! Written once with `$N` placeholders and run on SQLite and PostgreSQL through
//! [`crate::dispatch!`]; the claim query differs (PostgreSQL adds `FOR UPDATE SKIP LOCKED`).
//!
//! This file holds the row types; the `impl Store` queries are split by job: `endpoints`
//! (endpoint CRUD, failure count, disable/enable), `deliveries` (the outbox: insert, claim,
//! attempts, replay) and `instance` (the key pair, service by name).

use sqlx::FromRow;

use crate::meter::StoreError;

mod deliveries;
mod endpoints;

pub use deliveries::DeliveryRepo;
pub use endpoints::EndpointRepo;
pub use instance::WebhookKeyRepo;
mod instance;

/// Most endpoints one service may have (Lago: 10 per organisation, `exceeded_limit`).
pub const MAX_ENDPOINTS_PER_SERVICE: i64 = 10;

/// A webhook endpoint as stored. Times are Unix microseconds UTC; `event_types` is a
/// JSON array text or `None` (all types).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EndpointRow {
    /// The `lago_id` (UUID).
    pub id: String,
    /// Store id of the owning service (tenant).
    pub service_id: i64,
    /// The receiver URL as registered (passed the SSRF registration check).
    pub webhook_url: String,
    /// `hmac` or `jwt`.
    pub signature_algo: String,
    /// Optional label given by the app.
    pub name: Option<String>,
    /// JSON array of wanted `webhook_type`s; `None` = all.
    pub event_types: Option<String>,
    /// Consecutive deliveries that exhausted every attempt.
    pub failed_deliveries: i64,
    /// Set when the endpoint was disabled (410 Gone or sustained failure).
    pub disabled_at: Option<i64>,
    /// Why it was disabled, for operators.
    pub disabled_reason: Option<String>,
    /// Creation time, Unix micros UTC.
    pub created_at: i64,
    /// Last change, Unix micros UTC.
    pub updated_at: i64,
}

impl EndpointRow {
    /// True when the endpoint wants `webhook_type` (`event_types` null, `["*"]`, or
    /// containing it).
    pub fn wants(&self, webhook_type: &str) -> bool {
        let Some(text) = &self.event_types else {
            return true;
        };
        let types: Vec<String> = serde_json::from_str(text).unwrap_or_default();
        types.is_empty() || types.iter().any(|t| t == "*" || t == webhook_type)
    }
}

/// One outbox row: one message for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DeliveryRow {
    /// The delivery id (UUID): `X-Lago-Unique-Key` and `webhook-id`, stable across retries.
    pub id: String,
    /// Store id of the owning service (tenant).
    pub service_id: i64,
    /// The endpoint (`lago_id`) this row is for.
    pub endpoint_id: String,
    /// Lago `webhook_type`, e.g. `invoice.created`.
    pub webhook_type: String,
    /// Lago `object_type`, the key of the object in the body, e.g. `invoice`.
    pub object_type: String,
    /// The exact JSON text that is POSTed and signed.
    pub body: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made so far (reset to 0 by a replay).
    pub attempts: i64,
    /// When the row is due (or its lease ends), Unix micros UTC.
    pub next_attempt_at: i64,
    /// HTTP status of the last attempt (`None`: no answer).
    pub last_status_code: Option<i64>,
    /// Error of the last attempt or why the row failed, without secrets.
    pub last_error: Option<String>,
    /// Creation time, Unix micros UTC.
    pub created_at: i64,
    /// Last change, Unix micros UTC.
    pub updated_at: i64,
}

/// Failure of an endpoint write.
#[derive(Debug, thiserror::Error)]
pub enum EndpointWriteError {
    /// The service already has an endpoint with this URL (`value_already_exist`).
    #[error("webhook_url already registered")]
    DuplicateUrl,
    /// The service has [`MAX_ENDPOINTS_PER_SERVICE`] endpoints (`exceeded_limit`).
    #[error("too many endpoints")]
    LimitReached,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn map_write(e: sqlx::Error) -> EndpointWriteError {
    if e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
    {
        EndpointWriteError::DuplicateUrl
    } else {
        EndpointWriteError::Store(StoreError::Database(e))
    }
}

/// What the worker does with a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextState {
    /// 2xx: done.
    Delivered,
    /// Try again at this time (Unix micros).
    Retry { at: i64 },
    /// No attempt left, or the endpoint is gone/disabled.
    Failed,
}

/// One attempt as recorded in `webhook_attempts` (no secrets, no body).
#[derive(Debug, Clone, FromRow)]
pub struct AttemptRecord {
    /// 1-based attempt number.
    pub attempt: i64,
    /// When the attempt started, Unix micros UTC.
    pub attempted_at: i64,
    /// HTTP status answered (`None`: no answer: timeout, refused, SSRF).
    pub status_code: Option<i64>,
    /// What went wrong (`HTTP 500`, `timeout`, …), without URL or secrets.
    pub error: Option<String>,
    /// How long the attempt took, milliseconds.
    pub duration_ms: i64,
}

const ENDPOINT_COLUMNS: &str = "id, service_id, webhook_url, signature_algo, name, event_types, \
     failed_deliveries, disabled_at, disabled_reason, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, service_id, endpoint_id, webhook_type, object_type, body, \
     status, attempts, next_attempt_at, last_status_code, last_error, created_at, updated_at";

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(event_types: Option<&str>) -> EndpointRow {
        EndpointRow {
            id: "e".into(),
            service_id: 1,
            webhook_url: "https://example.com/".into(),
            signature_algo: "hmac".into(),
            name: None,
            event_types: event_types.map(str::to_string),
            failed_deliveries: 0,
            disabled_at: None,
            disabled_reason: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn event_type_filter() {
        assert!(endpoint(None).wants("invoice.created"));
        assert!(endpoint(Some(r#"["*"]"#)).wants("invoice.created"));
        assert!(endpoint(Some("[]")).wants("invoice.created"));
        let only = endpoint(Some(r#"["invoice.created","invoice.voided"]"#));
        assert!(only.wants("invoice.voided"));
        assert!(!only.wants("subscription.started"));
    }
}
