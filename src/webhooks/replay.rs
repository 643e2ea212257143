//! Re-queueing deliveries (`fusion-billing webhooks replay`) and the operator's view of
//! a service's endpoints (`webhooks list`, `webhooks enable`).
//!
//! A replay keeps each delivery's id (receivers de-duplicate on `X-Lago-Unique-Key` /
//! `webhook-id`), restarts its attempt count and makes it due now. It enables nothing:
//! deliveries whose endpoint is disabled or deleted are counted in the report and will
//! fail again until the endpoint is enabled.

use std::collections::HashMap;

use super::repo::EndpointRow;
use crate::meter::{Store, StoreError};

/// Which deliveries to replay.
#[derive(Debug, Clone)]
pub enum ReplaySelection {
    /// One delivery by id (delivered or failed).
    Id(String),
    /// Failed deliveries created at or after this time (Unix micros), plus delivered
    /// ones when `include_delivered`.
    Since {
        /// Earliest `created_at`, Unix micros UTC.
        since: i64,
        /// Replay delivered deliveries too.
        include_delivered: bool,
    },
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplayReport {
    /// Deliveries made due now.
    pub requeued: usize,
    /// Of those, how many target a disabled endpoint (they will fail again).
    pub to_disabled_endpoints: usize,
    /// Of those, how many target an endpoint that no longer exists.
    pub to_deleted_endpoints: usize,
}

/// Errors of the operator commands.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// No service has this name.
    #[error("no service named {0:?}")]
    UnknownService(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn service_id(store: &Store, name: &str) -> Result<i64, ReplayError> {
    store
        .webhook_keys()
        .service_id_by_name(name)
        .await?
        .ok_or_else(|| ReplayError::UnknownService(name.to_string()))
}

/// Re-queues the selected deliveries of the service named `service`.
///
/// # Errors
/// [`ReplayError::UnknownService`], store errors.
pub async fn replay(
    store: &Store,
    service: &str,
    selection: &ReplaySelection,
) -> Result<ReplayReport, ReplayError> {
    let sid = service_id(store, service).await?;
    let endpoint_ids = match selection {
        ReplaySelection::Id(id) => {
            store
                .webhook_deliveries()
                .replay_webhook_deliveries(sid, Some(id), 0, true)
                .await?
        }
        ReplaySelection::Since {
            since,
            include_delivered,
        } => {
            store
                .webhook_deliveries()
                .replay_webhook_deliveries(sid, None, *since, *include_delivered)
                .await?
        }
    };
    let endpoints: HashMap<String, EndpointRow> = store
        .webhook_endpoints()
        .webhook_endpoints_of(sid)
        .await?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    let mut report = ReplayReport {
        requeued: endpoint_ids.len(),
        ..Default::default()
    };
    for id in &endpoint_ids {
        match endpoints.get(id) {
            None => report.to_deleted_endpoints += 1,
            Some(e) if e.disabled_at.is_some() => report.to_disabled_endpoints += 1,
            Some(_) => {}
        }
    }
    Ok(report)
}

/// The endpoints of the service named `service`.
///
/// # Errors
/// [`ReplayError::UnknownService`], store errors.
pub async fn endpoints(store: &Store, service: &str) -> Result<Vec<EndpointRow>, ReplayError> {
    let sid = service_id(store, service).await?;
    Ok(store.webhook_endpoints().webhook_endpoints_of(sid).await?)
}

/// Re-enables endpoint `endpoint_id` of the service named `service`; true if it was
/// disabled.
///
/// # Errors
/// [`ReplayError::UnknownService`], store errors.
pub async fn enable(store: &Store, service: &str, endpoint_id: &str) -> Result<bool, ReplayError> {
    let sid = service_id(store, service).await?;
    Ok(store
        .webhook_endpoints()
        .enable_webhook_endpoint(sid, endpoint_id)
        .await?)
}
