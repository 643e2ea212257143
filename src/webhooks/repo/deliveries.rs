//! The delivery outbox: rows written, claimed under a lease, attempts recorded, failed,
//! read back, and re-queued for a replay.

use super::{AttemptRecord, DeliveryRow, NextState, DELIVERY_COLUMNS};
use crate::dispatch;
use crate::meter::time::now_micros;
use crate::meter::{BeginWrite, Store, StoreError};

impl DeliveryRepo<'_> {
    /// Writes outbox rows in one transaction (all or none).
    ///
    /// # Errors
    /// Store errors.
    pub async fn insert_webhook_deliveries(&self, rows: &[DeliveryRow]) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        dispatch!(self.0, |p| {
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
        let due: Option<(String,)> = dispatch!(self.0, |p| {
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
        let lock = match self.0 {
            Store::Sqlite(_) => "",
            Store::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET next_attempt_at = $2, updated_at = $1 WHERE id IN \
             (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
              ORDER BY next_attempt_at LIMIT $3 {lock}) RETURNING {DELIVERY_COLUMNS}"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
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
        dispatch!(self.0, |p| {
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
        dispatch!(self.0, |p| sqlx::query(
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
        Ok(dispatch!(self.0, |p| {
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
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
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
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(limit)
            .fetch_all(p)
            .await?))
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
        let rows: Vec<(String,)> = dispatch!(self.0, |p| {
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
}

/// Repository of the webhook outbox: deliveries and their attempts: a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of the webhook outbox: deliveries and their attempts.
    pub fn webhook_deliveries(&self) -> DeliveryRepo<'_> {
        DeliveryRepo(self)
    }
}
