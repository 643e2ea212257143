//! The delivery worker: claims due outbox rows, POSTs them, records every attempt and
//! schedules retries.
//!
//! One attempt (`api:app/services/webhooks/send_http_service.rb` for Lago's behaviour):
//! - The endpoint's host is resolved once and checked by [`super::ssrf`]; the client
//!   connects only to the addresses that passed (`resolve_to_addrs`), never through a
//!   proxy, never following redirects.
//! - `POST <webhook_url>` with the stored body and the headers `Content-Type:
//!   application/json`, `User-Agent: fusion-billing-webhooks/<version>`,
//!   `X-Lago-Signature`, `X-Lago-Signature-Algorithm` (`hmac`|`jwt`), `X-Lago-Unique-Key`
//!   (delivery id), `webhook-id` (delivery id), `webhook-timestamp` (Unix seconds of this
//!   attempt), `webhook-signature` (`v1,…`); see [`super::signing`].
//! - Timeout `webhooks.timeout_secs` (default 15 s) for the whole exchange; at most
//!   `webhooks.max_response_bytes` of the answer are read.
//! - 2xx: delivered. 410 Gone: the endpoint is disabled and the delivery failed.
//!   Anything else (3xx included), a timeout, a connection error or an SSRF refusal:
//!   retried per `webhooks.retry_schedule` (±10 % jitter, `Retry-After` honoured up to
//!   the longest step); after the last attempt the delivery is failed, and after
//!   `webhooks.disable_after_failed_deliveries` such deliveries in a row the endpoint is
//!   disabled (warn log, `fusion_webhook_endpoints_disabled_total`).
//!
//! The worker is a plain tokio task with a stop signal; each iteration is safe to kill
//! (a claimed row whose attempt never finished comes due again when its lease ends, and
//! is sent again with the same id: receivers de-duplicate on it).

mod send;

use send::Outcome;

use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;

use super::repo::{AttemptRecord, DeliveryRow, EndpointRow, NextState};
use super::schedule::RetrySchedule;
use super::signing::JwtSigner;
use super::ssrf::AllowedNetworks;
use crate::configuration::WebhookSettings;
use crate::meter::time::now_micros;
use crate::meter::{Store, StoreError};
use crate::telemetry::metrics::WebhookMetrics;

/// `User-Agent` of every delivery.
pub const USER_AGENT: &str = concat!("fusion-billing-webhooks/", env!("CARGO_PKG_VERSION"));

/// The worker's settings, parsed from `[webhooks]`.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// `webhooks.allowed_networks`: internal networks allowed, also over http.
    pub allowed: AllowedNetworks,
    /// `webhooks.retry_schedule`: waits between attempts.
    pub schedule: RetrySchedule,
    /// `webhooks.timeout_secs`: limit of one whole attempt.
    pub timeout: Duration,
    /// `webhooks.max_response_bytes`: most bytes of an answer read.
    pub max_response_bytes: usize,
    /// `webhooks.poll_interval_ms`: pause between idle polls.
    pub poll_interval: Duration,
    /// `webhooks.batch_size`: deliveries claimed (and attempted concurrently) per poll.
    pub batch_size: i64,
    /// `webhooks.lease_secs`: how long a claimed delivery stays invisible to other workers.
    pub lease: Duration,
    /// `webhooks.disable_after_failed_deliveries`: failed deliveries in a row that disable an endpoint.
    pub disable_after_failed_deliveries: i64,
    /// `webhooks.jwt_issuer`: the `iss` claim of JWT signatures.
    pub jwt_issuer: String,
}

impl DeliveryConfig {
    /// Parses `[webhooks]`.
    ///
    /// # Errors
    /// A message naming the bad key (settings are also validated at load).
    pub fn from_settings(s: &WebhookSettings) -> Result<Self, String> {
        Ok(DeliveryConfig {
            allowed: AllowedNetworks::parse(&s.allowed_networks)
                .map_err(|e| format!("webhooks.allowed_networks: {e}"))?,
            schedule: RetrySchedule::parse(&s.retry_schedule)
                .map_err(|e| format!("webhooks.retry_schedule: {e}"))?,
            timeout: Duration::from_secs(s.timeout_secs),
            max_response_bytes: s.max_response_bytes,
            poll_interval: Duration::from_millis(s.poll_interval_ms),
            batch_size: s.batch_size.max(1),
            lease: Duration::from_secs(s.lease_secs),
            disable_after_failed_deliveries: s.disable_after_failed_deliveries.max(1),
            jwt_issuer: s.jwt_issuer.clone(),
        })
    }
}

/// What the worker shares across attempts.
struct Worker {
    store: Store,
    config: DeliveryConfig,
    metrics: WebhookMetrics,
    signer: Mutex<Option<JwtSigner>>,
}

/// A running worker; [`WorkerHandle::stop`] ends it.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    grace: Duration,
}

impl WorkerHandle {
    /// Signals the worker and waits for the attempts in flight (at most the attempt
    /// timeout plus 5 s; then the task is aborted, and its claimed rows come due again
    /// when their lease ends).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(self.grace, &mut task).await.is_err() {
            tracing::warn!("webhook worker did not stop in time; aborted");
            task.abort();
        }
    }
}

/// Starts the delivery worker on the current tokio runtime.
pub fn spawn_worker(store: Store, config: DeliveryConfig, metrics: WebhookMetrics) -> WorkerHandle {
    let (tx, rx) = watch::channel(false);
    let grace = config.timeout + Duration::from_secs(5);
    let worker = Worker {
        store,
        config,
        metrics,
        signer: Mutex::new(None),
    };
    let task = tokio::spawn(async move { worker.run(rx).await });
    WorkerHandle {
        stop: tx,
        task,
        grace,
    }
}

/// Runs one pass outside a worker task: claims what is due and attempts it. Returns
/// how many deliveries were attempted. (Used by tests and one-shot tools.)
///
/// # Errors
/// Store errors of the claim.
pub async fn run_once(
    store: &Store,
    config: &DeliveryConfig,
    metrics: &WebhookMetrics,
) -> Result<usize, StoreError> {
    let worker = Worker {
        store: store.clone(),
        config: config.clone(),
        metrics: metrics.clone(),
        signer: Mutex::new(None),
    };
    worker.pass().await
}

impl Worker {
    async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!("webhook delivery worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.pass().await {
                Ok(n) => n as i64 >= self.config.batch_size,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook outbox claim failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                changed = stop.changed() => {
                    // An Err means the handle is gone: nobody can stop us any more.
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        tracing::info!("webhook delivery worker stopped");
    }

    async fn pass(&self) -> Result<usize, StoreError> {
        let now = now_micros();
        let lease_until = now + self.config.lease.as_micros() as i64;
        let claimed = self
            .store
            .webhook_deliveries()
            .claim_webhook_deliveries(now, lease_until, self.config.batch_size)
            .await?;
        let n = claimed.len();
        futures::stream::iter(claimed)
            .for_each_concurrent(None, |d| async move {
                if let Err(e) = self.deliver(&d).await {
                    // The row stays leased and comes due again after the lease.
                    tracing::warn!(delivery_id = %d.id, error = %e, "webhook bookkeeping failed");
                }
            })
            .await;
        Ok(n)
    }

    async fn signer(&self) -> Result<JwtSigner, String> {
        let mut guard = self.signer.lock().await;
        if let Some(s) = guard.as_ref() {
            return Ok(s.clone());
        }
        let pair = self
            .store
            .webhook_keys()
            .webhook_key_pair()
            .await
            .map_err(|e| e.to_string())?;
        let signer = pair.signer().map_err(|e| e.to_string())?;
        *guard = Some(signer.clone());
        Ok(signer)
    }

    #[tracing::instrument(skip_all, fields(delivery_id = %d.id, endpoint_id = %d.endpoint_id))]
    async fn deliver(&self, d: &DeliveryRow) -> Result<(), StoreError> {
        let Some((endpoint, secret)) = self.target(d).await? else {
            return Ok(());
        };
        let attempt = d.attempts + 1;
        let attempted_at = now_micros();
        let started = Instant::now();
        let outcome = self.send(d, &endpoint, &secret).await;
        let record = AttemptRecord {
            attempt,
            attempted_at,
            status_code: outcome.status_code,
            error: outcome.error.clone(),
            duration_ms: started.elapsed().as_millis() as i64,
        };
        let next = self.next_state(attempt, &outcome);
        self.store
            .webhook_deliveries()
            .record_webhook_attempt(&d.id, &record, &next)
            .await?;
        self.metrics
            .attempts
            .with_label_values(&[if outcome.success() {
                "success"
            } else {
                "failure"
            }])
            .inc();
        self.settle(&endpoint, attempt, &next, &outcome).await
    }

    /// The endpoint and signing secret of `d`; `None` when the delivery cannot be made
    /// (endpoint deleted or disabled, service missing), after marking it failed.
    async fn target(&self, d: &DeliveryRow) -> Result<Option<(EndpointRow, String)>, StoreError> {
        let endpoint = self
            .store
            .webhook_endpoints()
            .webhook_endpoint(d.service_id, &d.endpoint_id)
            .await?;
        let reason = match endpoint {
            None => "endpoint deleted",
            Some(ref e) if e.disabled_at.is_some() => "endpoint disabled",
            Some(e) => match self.store.services().webhook_secret(d.service_id).await? {
                Some(secret) => return Ok(Some((e, secret))),
                None => "service missing",
            },
        };
        self.store
            .webhook_deliveries()
            .fail_webhook_delivery(&d.id, reason)
            .await?;
        self.metrics.deliveries.with_label_values(&["failed"]).inc();
        Ok(None)
    }

    /// Delivered on 2xx; failed on 410 or when the schedule has no attempt left; else
    /// retried after the schedule's delay (or the receiver's `Retry-After`).
    fn next_state(&self, attempt: i64, outcome: &Outcome) -> NextState {
        if outcome.success() {
            return NextState::Delivered;
        }
        if outcome.gone() {
            return NextState::Failed;
        }
        match self
            .config
            .schedule
            .next_delay(attempt, outcome.retry_after)
        {
            Some(wait) => NextState::Retry {
                at: now_micros() + wait.as_micros() as i64,
            },
            None => NextState::Failed,
        }
    }

    /// Counts and logs the attempt's result; a delivery that failed for good disables
    /// the endpoint on 410 or after `disable_after_failed_deliveries` failed deliveries in
    /// a row; a delivered one resets that run.
    async fn settle(
        &self,
        endpoint: &EndpointRow,
        attempt: i64,
        next: &NextState,
        outcome: &Outcome,
    ) -> Result<(), StoreError> {
        match next {
            NextState::Delivered => {
                self.metrics
                    .deliveries
                    .with_label_values(&["delivered"])
                    .inc();
                self.store
                    .webhook_endpoints()
                    .reset_endpoint_failures(&endpoint.id)
                    .await?;
                tracing::debug!(attempt, "webhook delivered");
            }
            NextState::Retry { .. } => {
                tracing::info!(attempt, status = ?outcome.status_code, error = ?outcome.error,
                               "webhook attempt failed; will retry");
            }
            NextState::Failed => {
                self.metrics.deliveries.with_label_values(&["failed"]).inc();
                if outcome.gone() {
                    self.disable(endpoint, "gone", "receiver answered 410 Gone")
                        .await?;
                } else {
                    tracing::warn!(attempt, status = ?outcome.status_code, error = ?outcome.error,
                                   "webhook delivery failed after its last attempt");
                    let run = self
                        .store
                        .webhook_endpoints()
                        .count_endpoint_failure(&endpoint.id)
                        .await?;
                    if run >= self.config.disable_after_failed_deliveries {
                        let reason = format!("{run} consecutive deliveries failed every attempt");
                        self.disable(endpoint, "failures", &reason).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn disable(
        &self,
        endpoint: &EndpointRow,
        label: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        if self
            .store
            .webhook_endpoints()
            .disable_webhook_endpoint(&endpoint.id, reason)
            .await?
        {
            self.metrics
                .endpoints_disabled
                .with_label_values(&[label])
                .inc();
            tracing::warn!(
                endpoint_id = %endpoint.id,
                service_id = endpoint.service_id,
                reason,
                "webhook endpoint disabled; re-enable with `fusion-billing webhooks enable`"
            );
        }
        Ok(())
    }
}
