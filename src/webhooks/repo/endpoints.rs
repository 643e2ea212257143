//! Endpoint rows: create, update, read, list and delete per service, and the run of failed
//! deliveries that disables an endpoint (and the CLI's enable).

use super::{
    map_write, EndpointRow, EndpointWriteError, ENDPOINT_COLUMNS, MAX_ENDPOINTS_PER_SERVICE,
};
use crate::dispatch;
use crate::meter::time::now_micros;
use crate::meter::{BeginWrite, Store, StoreError};

impl EndpointRepo<'_> {
    /// Inserts an endpoint, refusing a duplicate URL or an 11th endpoint of the service.
    ///
    /// # Errors
    /// [`EndpointWriteError`].
    pub async fn insert_webhook_endpoint(&self, e: &EndpointRow) -> Result<(), EndpointWriteError> {
        let sql = format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        dispatch!(self.0, |p| {
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
        dispatch!(self.0, |p| sqlx::query(
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
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
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
        dispatch!(self.0, |p| {
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
        dispatch!(self.0, |p| {
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
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .fetch_all(p)
            .await?))
    }

    /// After a 2xx: the endpoint's run of failed deliveries is over.
    ///
    /// # Errors
    /// Store errors.
    pub async fn reset_endpoint_failures(&self, endpoint_id: &str) -> Result<(), StoreError> {
        dispatch!(self.0, |p| {
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
        let row: Option<(i64,)> = dispatch!(self.0, |p| sqlx::query_as(
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
        let done = dispatch!(self.0, |p| {
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
        let done = dispatch!(self.0, |p| sqlx::query(
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
}

/// Repository of webhook endpoints (table `webhook_endpoints`): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct EndpointRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of webhook endpoints.
    pub fn webhook_endpoints(&self) -> EndpointRepo<'_> {
        EndpointRepo(self)
    }
}
