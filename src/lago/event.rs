//! Lago's event object (`api:app/serializers/v1/event_serializer.rb`; the Python client's
//! `EventResponse` requires `transaction_id`, `external_subscription_id`, `code`,
//! `timestamp`; the Rust client's `Event` also `lago_id` and `created_at`).

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::time::{iso_millis, iso_seconds};
use crate::meter::events::StoredEvent;

/// `event`. `timestamp` is ISO-8601 UTC with milliseconds (`iso8601(3)`), `created_at` with
/// seconds; `lago_customer_id`/`lago_subscription_id` are null, as Lago's ClickHouse store
/// answers (the gateway does not resolve them on the hot path).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub lago_id: String,
    pub transaction_id: String,
    pub lago_customer_id: Option<String>,
    pub code: String,
    pub timestamp: String,
    /// Decimal string, in the minor unit of the plan currency (Lago's dynamic charge model).
    pub precise_total_amount_cents: Option<String>,
    pub properties: Map<String, Value>,
    pub lago_subscription_id: Option<String>,
    pub external_subscription_id: String,
    pub created_at: String,
}

impl From<&StoredEvent> for Event {
    fn from(e: &StoredEvent) -> Event {
        Event {
            lago_id: e.lago_id.clone(),
            transaction_id: e.transaction_id.clone(),
            lago_customer_id: None,
            code: e.code.clone(),
            timestamp: iso_millis(e.timestamp),
            precise_total_amount_cents: e.precise_total_amount_cents.clone(),
            properties: serde_json::from_str(&e.properties).unwrap_or_default(),
            lago_subscription_id: None,
            external_subscription_id: e.external_subscription_id.clone(),
            created_at: iso_seconds(e.created_at),
        }
    }
}

impl Event {
    /// `{"event": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "event": self })
    }
}
