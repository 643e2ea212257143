//! Billable metrics as the API changes them: one call per request, each taking the typed
//! [`BillableMetricRequest`] and returning the metric as stored
//! (`api:app/services/billable_metrics/{create,update,destroy}_service.rb`).

use super::billable_metric_repo::BillableMetricRepo;
use super::billable_metric_repo::{BillableMetricRow, MetricWriteError};
use super::store::StoreError;
use super::time::now_micros;
use crate::lago::billable_metric_request::BillableMetricRequest;
use crate::lago::fields::FieldErrors;

/// Why a metric could not be created, changed or removed.
#[derive(Debug, thiserror::Error)]
pub enum MetricError {
    /// The request breaks Lago's rules (422 `validation_errors` with these details).
    #[error("invalid billable metric")]
    Invalid(FieldErrors),
    /// No metric of the service has this code (404 `billable_metric_not_found`).
    #[error("billable metric not found")]
    NotFound,
    /// Another metric of the service already has this code.
    #[error("code already exists")]
    DuplicateCode,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<MetricWriteError> for MetricError {
    fn from(e: MetricWriteError) -> Self {
        match e {
            MetricWriteError::DuplicateCode => MetricError::DuplicateCode,
            MetricWriteError::Store(e) => MetricError::Store(e),
        }
    }
}

/// A metric with nothing set yet: a new id, created and updated now, no filters.
fn blank_metric() -> BillableMetricRow {
    let now = now_micros();
    BillableMetricRow {
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
    }
}

impl BillableMetricRepo<'_> {
    /// Creates the metric described by `request` for `service_id`.
    ///
    /// # Errors
    /// [`MetricError::Invalid`], [`MetricError::DuplicateCode`], store errors.
    pub async fn create_metric(
        &self,
        service_id: i64,
        request: BillableMetricRequest,
    ) -> Result<BillableMetricRow, MetricError> {
        let metric = request
            .apply(blank_metric())
            .map_err(MetricError::Invalid)?;
        self.insert_metric(service_id, &metric).await?;
        Ok(metric)
    }

    /// The metric of `service_id` with `code`.
    ///
    /// # Errors
    /// [`MetricError::NotFound`], store errors.
    pub async fn find_metric(
        &self,
        service_id: i64,
        code: &str,
    ) -> Result<BillableMetricRow, MetricError> {
        self.metric_by_code(service_id, code)
            .await?
            .ok_or(MetricError::NotFound)
    }

    /// Applies the request to the metric with `code` (only the keys present change) and
    /// stores it with `updated_at` now. `request` is read only once the metric is found,
    /// so an unknown code is [`MetricError::NotFound`] whatever the body holds.
    ///
    /// # Errors
    /// `request`'s error; [`MetricError::NotFound`], [`MetricError::Invalid`],
    /// [`MetricError::DuplicateCode`] and store errors converted into `E`.
    pub async fn change_metric<E: From<MetricError>>(
        &self,
        service_id: i64,
        code: &str,
        request: impl FnOnce() -> Result<BillableMetricRequest, E>,
    ) -> Result<BillableMetricRow, E> {
        let existing = self.find_metric(service_id, code).await?;
        let mut metric = request()?.apply(existing).map_err(MetricError::Invalid)?;
        metric.updated_at = now_micros();
        self.update_metric(service_id, &metric)
            .await
            .map_err(MetricError::from)?;
        Ok(metric)
    }

    /// Deletes the metric with `code` and returns it as it was.
    ///
    /// # Errors
    /// [`MetricError::NotFound`], store errors.
    pub async fn remove_metric(
        &self,
        service_id: i64,
        code: &str,
    ) -> Result<BillableMetricRow, MetricError> {
        let metric = self.find_metric(service_id, code).await?;
        self.delete_metric(service_id, &metric.code).await?;
        Ok(metric)
    }
}
