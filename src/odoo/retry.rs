//! Retry policy of Odoo calls: exponential backoff with jitter (the `backon` crate) on transport
//! failures and HTTP 502/503/504 only — never on business errors, which would fail the same way.
//!
//! Methods that create records (`create`, `copy`, wizard actions that create moves or payments) are
//! retried only when the failure proves the request never ran (connection refused, HTTP 503): after a
//! timeout, a reset, a 502 or a 504, Odoo may have committed the first attempt, and a blind resend
//! would create a duplicate. Callers make those flows idempotent at their level (search before create).

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::configuration::OdooSettings;

use super::error::OdooError;

/// How failed calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (`odoo.max_retries`); 0 disables retries.
    pub max_retries: u32,
    /// Delay before the first retry; doubled each time, with jitter.
    pub min_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// `max_retries` from the settings, 250 ms first delay, 8 s cap.
    pub fn from_settings(settings: &OdooSettings) -> RetryPolicy {
        RetryPolicy {
            max_retries: settings.max_retries,
            min_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(self.max_retries as usize)
            .with_jitter()
    }
}

/// Methods whose resend may duplicate records when the first attempt's fate is unknown.
pub(crate) fn creates_records(method: &str) -> bool {
    matches!(
        method,
        "create"
            | "copy"
            | "name_create"
            | "find_or_create"
            | "message_post"
            | "refund_moves"
            | "modify_moves"
            | "reverse_moves"
            | "action_create_payments"
            | "create_invoices"
            | "action_invoice_subscription"
            | "action_duplicate"
            | "prepare_renewal_order"
            | "prepare_upsell_order"
    )
}

/// Runs `attempt` until it succeeds, fails with a non-retryable error, or `policy.max_retries`
/// retries are spent. `label` names the call in logs (`model.method`), never its arguments.
pub(crate) async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    method: &str,
    label: &str,
    attempt: F,
) -> Result<T, OdooError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, OdooError>>,
{
    let unsafe_to_repeat = creates_records(method);
    attempt
        .retry(policy.backoff())
        .when(|e: &OdooError| e.is_retryable() && (!unsafe_to_repeat || e.certainly_not_executed()))
        .notify(|e: &OdooError, delay: Duration| {
            tracing::warn!(call = label, error = %e, ?delay, "Odoo call failed, retrying");
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast(n: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries: n,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    #[tokio::test]
    async fn retries_transport_then_succeeds() {
        let n = AtomicU32::new(0);
        let r = with_retry(&fast(3), "search_read", "x", || async {
            if n.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(OdooError::Unavailable { status: 502 })
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(n.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn never_retries_business_errors_nor_ambiguous_creates() {
        let n = AtomicU32::new(0);
        let r: Result<(), _> = with_retry(&fast(3), "write", "x", || async {
            n.fetch_add(1, Ordering::SeqCst);
            Err(OdooError::UserError("no".into()))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(n.load(Ordering::SeqCst), 1);

        let n = AtomicU32::new(0);
        let r: Result<(), _> = with_retry(&fast(3), "create", "x", || async {
            n.fetch_add(1, Ordering::SeqCst);
            Err(OdooError::Unavailable { status: 504 })
        })
        .await;
        assert!(r.is_err());
        assert_eq!(n.load(Ordering::SeqCst), 1);

        let n = AtomicU32::new(0);
        let r: Result<(), _> = with_retry(&fast(2), "create", "x", || async {
            n.fetch_add(1, Ordering::SeqCst);
            Err(OdooError::Unavailable { status: 503 })
        })
        .await;
        assert!(r.is_err());
        assert_eq!(n.load(Ordering::SeqCst), 3);
    }
}
