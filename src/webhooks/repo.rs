//! Store queries of the webhooks module (tables of `migrations/*/0003_webhooks.sql`):
//! endpoints per service, the delivery outbox, attempts, and the instance key pair.
//! Written once with `$N` placeholders and run on SQLite and PostgreSQL through
//! [`dispatch!`]; the claim query differs (PostgreSQL adds `FOR UPDATE SKIP LOCKED`).

use sqlx::FromRow;

use super::signing::{KeyError, KeyPairPem};
use crate::dispatch;
use crate::meter::time::now_micros;
use crate::meter::{BeginWrite, Store, StoreError};

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

impl Store {
    /// Inserts an endpoint, refusing a duplicate URL or an 11th endpoint of the service.
    ///
    /// # Errors
    /// [`EndpointWriteError`].
    pub async fn insert_webhook_endpoint(&self, e: &EndpointRow) -> Result<(), EndpointWriteError> {
        let sql = format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        dispatch!(self, |p| {
            let mut tx = p.begin_write().await.map_err(map_write)?;
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM webhook_endpoints WHERE service_id = $1")
                    .bind(e.service_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(map_write)?;
            if n >= MAX_ENDPOINTS_PER_SERVICE {
                return Err(EndpointWriteError::LimitReached);
            }
            sqlx::query(&sql)
                .bind(&e.id)
                .bind(e.service_id)
                .bind(&e.webhook_url)
                .bind(&e.signature_algo)
                .bind(&e.name)
                .bind(&e.event_types)
                .bind(e.failed_deliveries)
                .bind(e.disabled_at)
                .bind(&e.disabled_reason)
                .bind(e.created_at)
                .bind(e.updated_at)
                .execute(&mut *tx)
                .await
                .map_err(map_write)?;
            tx.commit().await.map_err(map_write)?;
        });
        Ok(())
    }

    /// Replaces URL, algorithm, name and event types of the endpoint `e.id` of
    /// `e.service_id` (never another service's).
    ///
    /// # Errors
    /// [`EndpointWriteError::DuplicateUrl`], store errors.
    pub async fn update_webhook_endpoint(&self, e: &EndpointRow) -> Result<(), EndpointWriteError> {
        dispatch!(self, |p| sqlx::query(
            "UPDATE webhook_endpoints SET webhook_url = $3, signature_algo = $4, name = $5, \
             event_types = $6, updated_at = $7 WHERE service_id = $1 AND id = $2"
        )
        .bind(e.service_id)
        .bind(&e.id)
        .bind(&e.webhook_url)
        .bind(&e.signature_algo)
        .bind(&e.name)
        .bind(&e.event_types)
        .bind(e.updated_at)
        .execute(p)
        .await
        .map_err(map_write)
        .map(|_| ()))
    }

    /// The endpoint `id` of `service_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn webhook_endpoint(
        &self,
        service_id: i64,
        id: &str,
    ) -> Result<Option<EndpointRow>, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE service_id = $1 AND id = $2"
        );
        Ok(dispatch!(self, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(id)
            .fetch_optional(p)
            .await?))
    }

    /// A page of the service's endpoints (oldest first) and the total count.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_webhook_endpoints(
        &self,
        service_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EndpointRow>, i64), StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE service_id = $1 \
             ORDER BY created_at, id LIMIT $2 OFFSET $3"
        );
        dispatch!(self, |p| {
            let rows = sqlx::query_as(&sql)
                .bind(service_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?;
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM webhook_endpoints WHERE service_id = $1")
                    .bind(service_id)
                    .fetch_one(p)
                    .await?;
            Ok((rows, n))
        })
    }

    /// Deletes the endpoint `id` of `service_id`; its pending deliveries become `failed`
    /// ("endpoint deleted"), so nothing waits for an endpoint that no longer exists.
    /// Returns true if one was deleted.
    ///
    /// # Errors
    /// Store errors.
    pub async fn delete_webhook_endpoint(
        &self,
        service_id: i64,
        id: &str,
    ) -> Result<bool, StoreError> {
        let now = now_micros();
        dispatch!(self, |p| {
            let mut tx = p.begin_write().await?;
            let done =
                sqlx::query("DELETE FROM webhook_endpoints WHERE service_id = $1 AND id = $2")
                    .bind(service_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', \
                 updated_at = $3 WHERE service_id = $1 AND endpoint_id = $2 AND status = 'pending'",
            )
            .bind(service_id)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(done > 0)
        })
    }

    /// Every endpoint of the service (at most [`MAX_ENDPOINTS_PER_SERVICE`]).
    ///
    /// # Errors
    /// Store errors.
    pub async fn webhook_endpoints_of(
        &self,
        service_id: i64,
    ) -> Result<Vec<EndpointRow>, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE service_id = $1 ORDER BY created_at, id"
        );
        Ok(dispatch!(self, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .fetch_all(p)
            .await?))
    }

    /// Writes outbox rows in one transaction (all or none).
    ///
    /// # Errors
    /// Store errors.
    pub async fn insert_webhook_deliveries(&self, rows: &[DeliveryRow]) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        dispatch!(self, |p| {
            let mut tx = p.begin_write().await?;
            for d in rows {
                sqlx::query(&sql)
                    .bind(&d.id)
                    .bind(d.service_id)
                    .bind(&d.endpoint_id)
                    .bind(&d.webhook_type)
                    .bind(&d.object_type)
                    .bind(&d.body)
                    .bind(&d.status)
                    .bind(d.attempts)
                    .bind(d.next_attempt_at)
                    .bind(d.last_status_code)
                    .bind(&d.last_error)
                    .bind(d.created_at)
                    .bind(d.updated_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Claims up to `limit` due pending deliveries: their `next_attempt_at` moves to
    /// `lease_until`, so no other worker takes them until then (a worker that dies
    /// leaves them due again). PostgreSQL skips rows another replica is claiming
    /// (`FOR UPDATE SKIP LOCKED`); SQLite serialises writers.
    ///
    /// # Errors
    /// Store errors.
    pub async fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        // Read first: an idle poll takes no write lock (SQLite has one writer at a time).
        let due: Option<(String,)> = dispatch!(self, |p| {
            sqlx::query_as(
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 LIMIT 1"
        )
        .bind(now)
        .fetch_optional(p)
        .await?
        });
        if due.is_none() {
            return Ok(Vec::new());
        }
        let lock = match self {
            Store::Sqlite(_) => "",
            Store::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET next_attempt_at = $2, updated_at = $1 WHERE id IN \
             (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
              ORDER BY next_attempt_at LIMIT $3 {lock}) RETURNING {DELIVERY_COLUMNS}"
        );
        Ok(dispatch!(self, |p| sqlx::query_as(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(limit)
            .fetch_all(p)
            .await?))
    }

    /// Records one attempt of delivery `id` and moves it to `next`, in one transaction.
    ///
    /// # Errors
    /// Store errors.
    pub async fn record_webhook_attempt(
        &self,
        id: &str,
        a: &AttemptRecord,
        next: &NextState,
    ) -> Result<(), StoreError> {
        let (status, next_at) = match next {
            NextState::Delivered => ("delivered", a.attempted_at),
            NextState::Retry { at } => ("pending", *at),
            NextState::Failed => ("failed", a.attempted_at),
        };
        let now = now_micros();
        dispatch!(self, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, \
                 error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(a.attempt)
            .bind(a.attempted_at)
            .bind(a.status_code)
            .bind(&a.error)
            .bind(a.duration_ms)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, \
                 last_status_code = $5, last_error = $6, updated_at = $7 WHERE id = $1",
            )
            .bind(id)
            .bind(status)
            .bind(a.attempt)
            .bind(next_at)
            .bind(a.status_code)
            .bind(&a.error)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Marks a delivery `failed` without an attempt (endpoint deleted or disabled).
    ///
    /// # Errors
    /// Store errors.
    pub async fn fail_webhook_delivery(&self, id: &str, reason: &str) -> Result<(), StoreError> {
        dispatch!(self, |p| sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', last_error = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'pending'"
        )
        .bind(id)
        .bind(reason)
        .bind(now_micros())
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// The attempts of a delivery, in order.
    ///
    /// # Errors
    /// Store errors.
    pub async fn webhook_attempts(
        &self,
        delivery_id: &str,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        Ok(dispatch!(self, |p| {
            sqlx::query_as(
                "SELECT attempt, attempted_at, status_code, error, duration_ms FROM webhook_attempts \
                 WHERE delivery_id = $1 ORDER BY id",
            )
            .bind(delivery_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// A delivery by id (any service: for operators and tests).
    ///
    /// # Errors
    /// Store errors.
    pub async fn webhook_delivery(&self, id: &str) -> Result<Option<DeliveryRow>, StoreError> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
        Ok(dispatch!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await?))
    }

    /// The service's deliveries, newest first, at most `limit`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn recent_webhook_deliveries(
        &self,
        service_id: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE service_id = $1 \
             ORDER BY created_at DESC, id LIMIT $2"
        );
        Ok(dispatch!(self, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(limit)
            .fetch_all(p)
            .await?))
    }

    /// After a 2xx: the endpoint's run of failed deliveries is over.
    ///
    /// # Errors
    /// Store errors.
    pub async fn reset_endpoint_failures(&self, endpoint_id: &str) -> Result<(), StoreError> {
        dispatch!(self, |p| {
            sqlx::query(
            "UPDATE webhook_endpoints SET failed_deliveries = 0 WHERE id = $1 AND failed_deliveries <> 0"
        )
        .bind(endpoint_id)
        .execute(p)
        .await
        .map(|_| ())?
        });
        Ok(())
    }

    /// After a delivery exhausted its attempts: counts it and returns the endpoint's run
    /// of consecutive failed deliveries.
    ///
    /// # Errors
    /// Store errors.
    pub async fn count_endpoint_failure(&self, endpoint_id: &str) -> Result<i64, StoreError> {
        let row: Option<(i64,)> = dispatch!(self, |p| sqlx::query_as(
            "UPDATE webhook_endpoints SET failed_deliveries = failed_deliveries + 1 \
             WHERE id = $1 RETURNING failed_deliveries"
        )
        .bind(endpoint_id)
        .fetch_optional(p)
        .await?);
        Ok(row.map_or(0, |r| r.0))
    }

    /// Disables an endpoint (`reason` is shown to operators); true if it was enabled.
    ///
    /// # Errors
    /// Store errors.
    pub async fn disable_webhook_endpoint(
        &self,
        endpoint_id: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let now = now_micros();
        let done = dispatch!(self, |p| {
            sqlx::query(
            "UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3, updated_at = $2 \
             WHERE id = $1 AND disabled_at IS NULL"
        )
        .bind(endpoint_id)
        .bind(now)
        .bind(reason)
        .execute(p)
        .await?
        .rows_affected()
        });
        Ok(done > 0)
    }

    /// Re-enables an endpoint of `service_id` and clears its failure run; true if it was
    /// disabled. Deliveries that failed meanwhile stay failed (replay them).
    ///
    /// # Errors
    /// Store errors.
    pub async fn enable_webhook_endpoint(
        &self,
        service_id: i64,
        endpoint_id: &str,
    ) -> Result<bool, StoreError> {
        let done = dispatch!(self, |p| sqlx::query(
            "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, \
             failed_deliveries = 0, updated_at = $3 \
             WHERE service_id = $1 AND id = $2 AND disabled_at IS NOT NULL"
        )
        .bind(service_id)
        .bind(endpoint_id)
        .bind(now_micros())
        .execute(p)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// Re-queues deliveries of `service_id` for an attempt now, keeping their ids; the
    /// attempt count restarts (the attempt history stays). `id` selects one delivery in
    /// any state except pending; otherwise every `failed` delivery created at or after
    /// `since` (Unix micros), plus `delivered` ones when `include_delivered`. Returns the
    /// endpoint id of each re-queued delivery.
    ///
    /// # Errors
    /// Store errors.
    pub async fn replay_webhook_deliveries(
        &self,
        service_id: i64,
        id: Option<&str>,
        since: i64,
        include_delivered: bool,
    ) -> Result<Vec<String>, StoreError> {
        let now = now_micros();
        let rows: Vec<(String,)> = dispatch!(self, |p| {
            sqlx::query_as(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, \
             updated_at = $1 WHERE service_id = $2 AND status <> 'pending' AND \
             (($3 IS NOT NULL AND id = $3) OR ($3 IS NULL AND created_at >= $4 \
              AND (status = 'failed' OR ($5 AND status = 'delivered')))) RETURNING endpoint_id"
        )
        .bind(now)
        .bind(service_id)
        .bind(id)
        .bind(since)
        .bind(include_delivered)
        .fetch_all(p)
        .await?
        });
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The instance RSA key pair for JWT signatures, generated and stored on first use
    /// (concurrent first uses converge on one stored pair).
    ///
    /// # Errors
    /// Store errors, or [`StoreError::Corrupt`] when generation fails.
    pub async fn webhook_key_pair(&self) -> Result<KeyPairPem, StoreError> {
        if let Some(k) = self.stored_key_pair().await? {
            return Ok(k);
        }
        let generated = tokio::task::spawn_blocking(KeyPairPem::generate)
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .map_err(|e: KeyError| StoreError::Corrupt(e.to_string()))?;
        dispatch!(self, |p| sqlx::query(
            "INSERT INTO webhook_signing_keys (id, private_key_pem, public_key_pem, created_at) \
             VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING"
        )
        .bind(&generated.private_pem)
        .bind(&generated.public_pem)
        .bind(now_micros())
        .execute(p)
        .await
        .map(|_| ())?);
        self.stored_key_pair()
            .await?
            .ok_or_else(|| StoreError::Corrupt("webhook signing key missing after insert".into()))
    }

    async fn stored_key_pair(&self) -> Result<Option<KeyPairPem>, StoreError> {
        let row: Option<(String, String)> = dispatch!(self, |p| sqlx::query_as(
            "SELECT private_key_pem, public_key_pem FROM webhook_signing_keys WHERE id = 1"
        )
        .fetch_optional(p)
        .await?);
        Ok(row.map(|(private_pem, public_pem)| KeyPairPem {
            private_pem,
            public_pem,
        }))
    }

    /// The id of the service named `name`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn service_id_by_name(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = dispatch!(self, |p| sqlx::query_as(
            "SELECT id FROM services WHERE name = $1"
        )
        .bind(name)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|r| r.0))
    }
}

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
