//! Lago billable metrics, stored per service (`billable_metrics` table). `code` is unique
//! within a service.

use sqlx::FromRow;

use super::store::{Store, StoreError};
use crate::dispatch;

/// A billable metric as stored. Times are Unix microseconds UTC; `filters` is JSON text
/// (Lago's `[{"key","values"}]`).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct BillableMetricRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub aggregation_type: String,
    pub field_name: Option<String>,
    pub recurring: bool,
    pub weighted_interval: Option<String>,
    pub rounding_function: Option<String>,
    pub rounding_precision: Option<i64>,
    pub expression: Option<String>,
    pub filters: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Failure of a metric write.
#[derive(Debug, thiserror::Error)]
pub enum MetricWriteError {
    /// Another metric of the service already has this code.
    #[error("code already exists")]
    DuplicateCode,
    #[error(transparent)]
    Store(#[from] StoreError),
}

const COLUMNS: &str = "id, code, name, description, aggregation_type, field_name, recurring, \
     weighted_interval, rounding_function, rounding_precision, expression, filters, created_at, updated_at";

fn map_write(e: sqlx::Error) -> MetricWriteError {
    if e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
    {
        MetricWriteError::DuplicateCode
    } else {
        MetricWriteError::Store(StoreError::Database(e))
    }
}

impl BillableMetricRepo<'_> {
    /// Inserts a metric for `service_id`.
    ///
    /// # Errors
    /// [`MetricWriteError::DuplicateCode`], store errors.
    pub async fn insert_metric(
        &self,
        service_id: i64,
        m: &BillableMetricRow,
    ) -> Result<(), MetricWriteError> {
        let sql = format!(
            "INSERT INTO billable_metrics (service_id, {COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        );
        dispatch!(self.0, |p| sqlx::query(&sql)
            .bind(service_id)
            .bind(&m.id)
            .bind(&m.code)
            .bind(&m.name)
            .bind(&m.description)
            .bind(&m.aggregation_type)
            .bind(&m.field_name)
            .bind(m.recurring)
            .bind(&m.weighted_interval)
            .bind(&m.rounding_function)
            .bind(m.rounding_precision)
            .bind(&m.expression)
            .bind(&m.filters)
            .bind(m.created_at)
            .bind(m.updated_at)
            .execute(p)
            .await
            .map_err(map_write)
            .map(|r| r.rows_affected())?);
        Ok(())
    }

    /// Replaces the stored metric whose id is `m.id` (code may change).
    ///
    /// # Errors
    /// [`MetricWriteError::DuplicateCode`], store errors.
    pub async fn update_metric(
        &self,
        service_id: i64,
        m: &BillableMetricRow,
    ) -> Result<(), MetricWriteError> {
        let sql = "UPDATE billable_metrics SET code = $3, name = $4, description = $5, \
             aggregation_type = $6, field_name = $7, recurring = $8, weighted_interval = $9, \
             rounding_function = $10, rounding_precision = $11, expression = $12, filters = $13, \
             updated_at = $14 WHERE service_id = $1 AND id = $2";
        dispatch!(self.0, |p| sqlx::query(sql)
            .bind(service_id)
            .bind(&m.id)
            .bind(&m.code)
            .bind(&m.name)
            .bind(&m.description)
            .bind(&m.aggregation_type)
            .bind(&m.field_name)
            .bind(m.recurring)
            .bind(&m.weighted_interval)
            .bind(&m.rounding_function)
            .bind(m.rounding_precision)
            .bind(&m.expression)
            .bind(&m.filters)
            .bind(m.updated_at)
            .execute(p)
            .await
            .map_err(map_write)
            .map(|r| r.rows_affected())?);
        Ok(())
    }

    /// The metric of `service_id` with `code`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn metric_by_code(
        &self,
        service_id: i64,
        code: &str,
    ) -> Result<Option<BillableMetricRow>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM billable_metrics WHERE service_id = $1 AND code = $2");
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(code)
            .fetch_optional(p)
            .await?))
    }

    /// The metric of `service_id` with this `lago_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn metric_by_id(
        &self,
        service_id: i64,
        lago_id: &str,
    ) -> Result<Option<BillableMetricRow>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM billable_metrics WHERE service_id = $1 AND id = $2");
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(lago_id)
            .fetch_optional(p)
            .await?))
    }

    /// A page of the service's metrics (oldest first) and the total count.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_metrics(
        &self,
        service_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<BillableMetricRow>, i64), StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM billable_metrics WHERE service_id = $1 \
             ORDER BY created_at, code LIMIT $2 OFFSET $3"
        );
        dispatch!(self.0, |p| {
            let rows = sqlx::query_as(&sql)
                .bind(service_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?;
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM billable_metrics WHERE service_id = $1")
                    .bind(service_id)
                    .fetch_one(p)
                    .await?;
            Ok((rows, n))
        })
    }

    /// Deletes the metric of `service_id` with `code`; true if one was deleted. Stored
    /// events keep their `code` and are billed again if a metric with that code returns.
    ///
    /// # Errors
    /// Store errors.
    pub async fn delete_metric(&self, service_id: i64, code: &str) -> Result<bool, StoreError> {
        let done = dispatch!(self.0, |p| sqlx::query(
            "DELETE FROM billable_metrics WHERE service_id = $1 AND code = $2"
        )
        .bind(service_id)
        .bind(code)
        .execute(p)
        .await?
        .rows_affected());
        Ok(done > 0)
    }
}

/// Repository of billable metrics (table `billable_metrics`): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct BillableMetricRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of billable metrics.
    pub fn billable_metrics(&self) -> BillableMetricRepo<'_> {
        BillableMetricRepo(self)
    }
}
