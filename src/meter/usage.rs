//! Usage of one metric of one subscription over a billing window, read from the store
//! and aggregated by [`crate::billing::aggregation`] (raw events and pushed counters).

use std::str::FromStr;

use rust_decimal::Decimal;

use super::events::{StoredCounter, StoredEvent};
use super::store::{Store, StoreError};
use super::time::{from_micros, to_micros};
use crate::billing::aggregation::{aggregate, Aggregate, UsageCounter, UsageEvent};
use crate::billing::metric::{AggregationType, MetricSpec};
use crate::billing::window::BillingWindow;

impl From<StoredEvent> for UsageEvent {
    fn from(e: StoredEvent) -> Self {
        let properties = match serde_json::from_str(&e.properties) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        UsageEvent {
            transaction_id: e.transaction_id,
            timestamp: from_micros(e.timestamp),
            properties,
        }
    }
}

impl TryFrom<StoredCounter> for UsageCounter {
    type Error = StoreError;
    fn try_from(c: StoredCounter) -> Result<Self, StoreError> {
        let quantity = Decimal::from_str(&c.quantity)
            .map_err(|e| StoreError::Corrupt(format!("counter quantity {:?}: {e}", c.quantity)))?;
        Ok(UsageCounter {
            idempotency_key: c.idempotency_key,
            period_start: from_micros(c.period_start),
            period_end: from_micros(c.period_end),
            quantity,
        })
    }
}

impl UsageRepo<'_> {
    /// Units and events count of metric `code` (described by `spec`) for one subscription
    /// of `service_id` over `window` (`[from, to)`, UTC). Recurring metrics and weighted
    /// sums read everything before `to`, as the aggregation rules require.
    ///
    /// # Errors
    /// Store errors; [`StoreError::Corrupt`] for an unreadable stored quantity;
    /// [`StoreError::Overflow`] when the total leaves `Decimal`'s range.
    pub async fn aggregate_usage(
        &self,
        service_id: i64,
        external_subscription_id: &str,
        code: &str,
        spec: &MetricSpec,
        window: &BillingWindow,
    ) -> Result<Aggregate, StoreError> {
        let to = to_micros(window.to());
        let reads_history = spec.recurring || spec.aggregation == AggregationType::WeightedSum;
        let from = if reads_history {
            i64::MIN
        } else {
            to_micros(window.from())
        };
        let events = self
            .0
            .events()
            .events_in_window(service_id, external_subscription_id, code, from, to)
            .await?;
        let counters = self
            .0
            .events()
            .counters_overlapping(service_id, external_subscription_id, code, from, to)
            .await?;
        let events: Vec<UsageEvent> = events.into_iter().map(UsageEvent::from).collect();
        let counters = counters
            .into_iter()
            .map(UsageCounter::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(aggregate(spec, window, &events, &counters)?)
    }
}

/// Repository of usage aggregation over stored events and counters: a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct UsageRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of usage aggregation over stored events and counters.
    pub fn usage(&self) -> UsageRepo<'_> {
        UsageRepo(self)
    }
}
