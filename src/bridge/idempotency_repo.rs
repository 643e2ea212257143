//! `idempotency_keys` table (migration 0005): the `Idempotency-Key` of a POST per service,
//! the hash of its request and, once answered with a non-5xx status, the response to replay.
//! Rows older than [`KEEP_MICROS`] are purged opportunistically.

use sqlx::FromRow;

use crate::dispatch;
use crate::meter::{Store, StoreError};

/// How long a key is kept: 24 hours, in microseconds.
pub const KEEP_MICROS: i64 = 24 * 3600 * 1_000_000;

/// A stored key.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct IdempotencyRow {
    /// Owning service: keys are per service.
    pub service_id: i64,
    /// The `Idempotency-Key` header value.
    pub key: String,
    /// `METHOD path` of the first request.
    pub route: String,
    /// SHA-256 (hex) of method, path and body of the first request.
    pub request_hash: String,
    /// HTTP status of the stored answer; `None` while the first request runs (a request that
    /// fails with a 5xx deletes the row: the key is not burnt).
    pub status: Option<i64>,
    /// Body of the stored answer (may be empty: `head :ok`).
    pub response: Option<String>,
    /// Unix microseconds: when the key was claimed (or taken over).
    pub created_at: i64,
}

impl IdempotencyRepo<'_> {
    /// Claims `key` for a request with `request_hash` (no-op when it exists), after purging
    /// keys older than [`KEEP_MICROS`]; returns the stored row and whether this call inserted
    /// it.
    ///
    /// # Errors
    /// Store errors.
    pub async fn claim_idempotency_key(
        &self,
        service_id: i64,
        key: &str,
        route: &str,
        request_hash: &str,
        now: i64,
    ) -> Result<(IdempotencyRow, bool), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "DELETE FROM idempotency_keys WHERE created_at < $1"
        )
        .bind(now - KEEP_MICROS)
        .execute(p)
        .await
        .map(|_| ())?);
        let inserted = dispatch!(self.0, |p| sqlx::query(
            "INSERT INTO idempotency_keys \
             (service_id, key, route, request_hash, status, response, created_at) \
             VALUES ($1, $2, $3, $4, NULL, NULL, $5) ON CONFLICT DO NOTHING"
        )
        .bind(service_id)
        .bind(key)
        .bind(route)
        .bind(request_hash)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected() == 1)?);
        let row: IdempotencyRow = dispatch!(self.0, |p| sqlx::query_as(
            "SELECT service_id, key, route, request_hash, status, response, created_at \
             FROM idempotency_keys WHERE service_id = $1 AND key = $2"
        )
        .bind(service_id)
        .bind(key)
        .fetch_one(p)
        .await?);
        Ok((row, inserted))
    }

    /// Takes over an unanswered key whose holder started at `started_at` (crashed or timed
    /// out): moves its start to `now` unless someone else did first. Returns whether this call
    /// won.
    ///
    /// # Errors
    /// Store errors.
    pub async fn take_over_idempotency_key(
        &self,
        service_id: i64,
        key: &str,
        started_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(dispatch!(self.0, |p| sqlx::query(
            "UPDATE idempotency_keys SET created_at = $1 \
             WHERE service_id = $2 AND key = $3 AND created_at = $4 AND status IS NULL"
        )
        .bind(now)
        .bind(service_id)
        .bind(key)
        .bind(started_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected() == 1)?))
    }

    /// Starts `key` afresh at `now` (an implicit key whose answer is older than its window):
    /// the stored answer is dropped and the key is unanswered again.
    ///
    /// # Errors
    /// Store errors.
    pub async fn renew_idempotency_key(
        &self,
        service_id: i64,
        key: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "UPDATE idempotency_keys SET status = NULL, response = NULL, created_at = $1 \
             WHERE service_id = $2 AND key = $3"
        )
        .bind(now)
        .bind(service_id)
        .bind(key)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Releases an unanswered key (its request failed with a 5xx), so a retry runs again.
    ///
    /// # Errors
    /// Store errors.
    pub async fn release_idempotency_key(
        &self,
        service_id: i64,
        key: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "DELETE FROM idempotency_keys WHERE service_id = $1 AND key = $2 AND status IS NULL"
        )
        .bind(service_id)
        .bind(key)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Stores the answer of the request holding `key`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn store_idempotent_response(
        &self,
        service_id: i64,
        key: &str,
        status: i64,
        response: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "UPDATE idempotency_keys SET status = $1, response = $2 \
             WHERE service_id = $3 AND key = $4"
        )
        .bind(status)
        .bind(response)
        .bind(service_id)
        .bind(key)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }
}

/// Repository of `Idempotency-Key` claims and stored answers (table `idempotency_keys`): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of `Idempotency-Key` claims and stored answers.
    pub fn idempotency(&self) -> IdempotencyRepo<'_> {
        IdempotencyRepo(self)
    }
}
