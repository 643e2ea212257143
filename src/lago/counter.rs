//! The gateway's pushed-counter object (`POST /api/v1/usage`, `/api/billing/v1/usage`): a
//! Lago-style extension for apps that meter totals per period instead of events.

use serde::Serialize;
use serde_json::{json, Value};

use super::time::iso_seconds;
use crate::meter::events::StoredCounter;

/// `usage`: a counter for the half-open period `[period_start, period_end)`, times
/// ISO-8601 UTC; `quantity` is a non-negative decimal string.
#[derive(Debug, Clone, Serialize)]
pub struct Counter {
    pub lago_id: String,
    pub external_subscription_id: String,
    pub code: String,
    pub period_start: String,
    pub period_end: String,
    pub quantity: String,
    pub idempotency_key: String,
    pub created_at: String,
}

impl From<&StoredCounter> for Counter {
    fn from(c: &StoredCounter) -> Counter {
        Counter {
            lago_id: c.lago_id.clone(),
            external_subscription_id: c.external_subscription_id.clone(),
            code: c.code.clone(),
            period_start: iso_seconds(c.period_start),
            period_end: iso_seconds(c.period_end),
            quantity: c.quantity.clone(),
            idempotency_key: c.idempotency_key.clone(),
            created_at: iso_seconds(c.created_at),
        }
    }
}

impl Counter {
    /// `{"usage": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "usage": self })
    }
}
