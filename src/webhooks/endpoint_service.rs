//! Webhook endpoints as the API changes them: one call per request, each taking the
//! typed [`WebhookEndpointRequest`] and returning the endpoint as stored
//! (`api:app/services/webhook_endpoints/{create,update,destroy}_service.rb`).

use super::repo::EndpointRepo;
use super::repo::{EndpointRow, EndpointWriteError};
use crate::lago::fields::FieldErrors;
use crate::lago::webhook_endpoint_request::WebhookEndpointRequest;
use crate::meter::time::now_micros;
use crate::meter::StoreError;

/// Why an endpoint could not be created, changed or removed.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The request breaks the rules (422 `validation_errors` with these details).
    #[error("invalid webhook endpoint")]
    Invalid(FieldErrors),
    /// The service has no endpoint with this id (404 `webhook_endpoint_not_found`).
    #[error("webhook endpoint not found")]
    NotFound,
    /// As [`EndpointWriteError`].
    #[error(transparent)]
    Write(#[from] EndpointWriteError),
}

impl From<StoreError> for EndpointError {
    fn from(e: StoreError) -> Self {
        EndpointError::Write(EndpointWriteError::Store(e))
    }
}

/// An endpoint of `service_id` with nothing set yet: a new id, `hmac`, all event types,
/// created and updated now.
fn blank_endpoint(service_id: i64) -> EndpointRow {
    let now = now_micros();
    EndpointRow {
        id: uuid::Uuid::new_v4().to_string(),
        service_id,
        webhook_url: String::new(),
        signature_algo: "hmac".into(),
        name: None,
        event_types: None,
        failed_deliveries: 0,
        disabled_at: None,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    }
}

impl EndpointRepo<'_> {
    /// Creates the endpoint described by `request` for `service_id`.
    ///
    /// # Errors
    /// [`EndpointError::Invalid`], [`EndpointWriteError`]s.
    pub async fn create_webhook_endpoint(
        &self,
        service_id: i64,
        request: WebhookEndpointRequest,
    ) -> Result<EndpointRow, EndpointError> {
        let endpoint = request
            .apply(blank_endpoint(service_id))
            .map_err(EndpointError::Invalid)?;
        self.insert_webhook_endpoint(&endpoint).await?;
        Ok(endpoint)
    }

    /// The endpoint `id` of `service_id`.
    ///
    /// # Errors
    /// [`EndpointError::NotFound`], store errors.
    pub async fn find_webhook_endpoint(
        &self,
        service_id: i64,
        id: &str,
    ) -> Result<EndpointRow, EndpointError> {
        self.webhook_endpoint(service_id, id)
            .await?
            .ok_or(EndpointError::NotFound)
    }

    /// Applies the request to endpoint `id` (only the keys present change) and stores it
    /// with `updated_at` now; a disabled endpoint stays disabled. `request` is read only
    /// once the endpoint is found, so an unknown id is [`EndpointError::NotFound`]
    /// whatever the body holds.
    ///
    /// # Errors
    /// `request`'s error; the [`EndpointError`]s converted into `E`.
    pub async fn change_webhook_endpoint<E: From<EndpointError>>(
        &self,
        service_id: i64,
        id: &str,
        request: impl FnOnce() -> Result<WebhookEndpointRequest, E>,
    ) -> Result<EndpointRow, E> {
        let existing = self.find_webhook_endpoint(service_id, id).await?;
        let mut endpoint = request()?.apply(existing).map_err(EndpointError::Invalid)?;
        endpoint.updated_at = now_micros();
        self.update_webhook_endpoint(&endpoint)
            .await
            .map_err(EndpointError::from)?;
        Ok(endpoint)
    }

    /// Deletes endpoint `id` (its pending deliveries fail) and returns it as it was.
    ///
    /// # Errors
    /// [`EndpointError::NotFound`], store errors.
    pub async fn remove_webhook_endpoint(
        &self,
        service_id: i64,
        id: &str,
    ) -> Result<EndpointRow, EndpointError> {
        let endpoint = self.find_webhook_endpoint(service_id, id).await?;
        self.delete_webhook_endpoint(service_id, &endpoint.id)
            .await?;
        Ok(endpoint)
    }
}
