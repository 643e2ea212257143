//! [`UsageCache`]: running totals of `count_agg`, `sum_agg` and `max_agg` per (service,
//! subscription, metric, window), so current usage and the rating push read only the events
//! stored since the last read instead of the whole window (a subscription may hold millions).
//!
//! Correctness rests on one property: an event is folded into a total only once its row is
//! older than [`UsageCache::horizon`] (`created_at`, UTC), by which time its transaction has
//! committed, so no event with a lower `seq` can still appear. Rows younger than the horizon
//! are read again on every call. Events are unique per (service, subscription,
//! `transaction_id`) in the store, so a total never counts one twice. Other aggregation
//! types, recurring metrics and pushed counters are computed in full each time
//! ([`crate::billing::aggregation::aggregate`]); pushed counters are few.

use super::usage::UsageRepo;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use sqlx::FromRow;
use tokio::sync::Mutex;

use super::store::StoreError;
use super::time::{now_micros, to_micros};
use crate::billing::aggregation::{aggregate, numeric_value, Aggregate, UsageCounter};
use crate::billing::checked::{self, Overflow};
use crate::billing::metric::{AggregationType, MetricSpec};
use crate::billing::window::BillingWindow;
use crate::dispatch;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    service_id: i64,
    subscription: String,
    code: String,
    aggregation: &'static str,
    field: Option<String>,
    from: i64,
    to: i64,
}

/// Totals of the events folded so far (all with `seq <= upto_seq`).
#[derive(Debug, Clone, Default)]
struct Partial {
    upto_seq: i64,
    events_count: u64,
    sum: Decimal,
    max: Option<Decimal>,
}

impl Partial {
    fn fold(
        &mut self,
        aggregation: AggregationType,
        field: &str,
        properties: &str,
    ) -> Result<(), Overflow> {
        match aggregation {
            AggregationType::Count => self.events_count += 1,
            _ => {
                let Ok(serde_json::Value::Object(p)) = serde_json::from_str(properties) else {
                    return Ok(());
                };
                let Some(v) = p.get(field).and_then(numeric_value) else {
                    return Ok(());
                };
                // Checked before anything changes, so a refused fold leaves the total intact.
                let sum = checked::add(self.sum, v, "cached usage total")?;
                self.events_count += 1;
                self.sum = sum;
                self.max = Some(self.max.map_or(v, |m| m.max(v)));
            }
        }
        Ok(())
    }
}

#[derive(Debug, FromRow)]
struct Row {
    seq: i64,
    properties: String,
    created_at: i64,
}

/// Per-process cache of usage totals. Cheap to clone.
#[derive(Clone)]
pub struct UsageCache {
    entries: moka::sync::Cache<Key, Arc<Mutex<Partial>>>,
    horizon: Duration,
}

impl UsageCache {
    /// A cache holding at most `capacity` totals, each dropped after an hour unused; rows
    /// younger than `horizon` are never folded (see the module doc).
    pub fn new(capacity: u64, horizon: Duration) -> UsageCache {
        UsageCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
            horizon,
        }
    }

    /// How long a stored row waits before it is folded into a total.
    pub fn horizon(&self) -> Duration {
        self.horizon
    }

    /// True for the specs this cache serves: non-recurring count, sum and max.
    pub fn serves(spec: &MetricSpec) -> bool {
        !spec.recurring
            && matches!(
                spec.aggregation,
                AggregationType::Count | AggregationType::Sum | AggregationType::Max
            )
    }
}

impl UsageRepo<'_> {
    /// As [`UsageRepo::aggregate_usage`], through `cache` when it serves `spec`. Same result.
    ///
    /// # Errors
    /// Store errors.
    pub async fn aggregate_usage_cached(
        &self,
        cache: &UsageCache,
        service_id: i64,
        external_subscription_id: &str,
        code: &str,
        spec: &MetricSpec,
        window: &BillingWindow,
    ) -> Result<Aggregate, StoreError> {
        if !UsageCache::serves(spec) {
            return self
                .aggregate_usage(service_id, external_subscription_id, code, spec, window)
                .await;
        }
        let (from, to) = (to_micros(window.from()), to_micros(window.to()));
        let key = Key {
            service_id,
            subscription: external_subscription_id.to_string(),
            code: code.to_string(),
            aggregation: spec.aggregation.as_str(),
            field: spec.field_name.clone(),
            from,
            to,
        };
        let entry = cache
            .entries
            .get_with(key, || Arc::new(Mutex::new(Partial::default())));
        let mut stable = entry.lock().await;
        let horizon = now_micros() - cache.horizon.as_micros() as i64;
        let rows = self
            .events_after(
                service_id,
                external_subscription_id,
                code,
                stable.upto_seq,
                (from, to),
            )
            .await?;
        let total = fold_rows(&mut stable, &rows, horizon, spec)?;
        drop(stable);
        let counters: Vec<UsageCounter> = self
            .0
            .events()
            .counters_overlapping(service_id, external_subscription_id, code, from, to)
            .await?
            .into_iter()
            .map(UsageCounter::try_from)
            .collect::<Result<_, _>>()?;
        let pushed = aggregate(spec, window, &[], &counters)?;
        Ok(Aggregate {
            units: with_counters(spec, window, &total, &pushed, &counters)?,
            events_count: total.events_count,
        })
    }

    /// The stream's events after `seq` with a timestamp in `[from, to)` (Unix
    /// microseconds), in `seq` order.
    async fn events_after(
        &self,
        service_id: i64,
        external_subscription_id: &str,
        code: &str,
        seq: i64,
        (from, to): (i64, i64),
    ) -> Result<Vec<Row>, StoreError> {
        Ok(dispatch!(self.0, |p| sqlx::query_as(
            "SELECT seq, properties, created_at FROM events WHERE service_id = $1 \
             AND external_subscription_id = $2 AND code = $3 AND seq > $4 \
             AND timestamp >= $5 AND timestamp < $6 ORDER BY seq"
        )
        .bind(service_id)
        .bind(external_subscription_id)
        .bind(code)
        .bind(seq)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await?))
    }
}

/// Folds `rows` into the total: the leading rows stored before `horizon` also go into
/// `stable` (and move its `upto_seq`), the younger ones only into the returned total.
fn fold_rows(
    stable: &mut Partial,
    rows: &[Row],
    horizon: i64,
    spec: &MetricSpec,
) -> Result<Partial, Overflow> {
    let field = spec.field_name.as_deref().unwrap_or_default();
    let mut total = stable.clone();
    let mut folding = true;
    for r in rows {
        folding = folding && r.created_at <= horizon;
        if folding {
            stable.fold(spec.aggregation, field, &r.properties)?;
            stable.upto_seq = r.seq;
        }
        total.fold(spec.aggregation, field, &r.properties)?;
    }
    Ok(total)
}

/// The units of the events' `total` combined with the `pushed` counters' aggregate, as
/// [`aggregate`] would combine them.
fn with_counters(
    spec: &MetricSpec,
    window: &BillingWindow,
    total: &Partial,
    pushed: &Aggregate,
    counters: &[UsageCounter],
) -> Result<Decimal, Overflow> {
    Ok(match spec.aggregation {
        AggregationType::Count => checked::add(
            Decimal::from(total.events_count),
            pushed.units,
            "count_agg units",
        )?,
        AggregationType::Sum => checked::add(total.sum, pushed.units, "sum_agg units")?,
        _ => match (
            total.max,
            counters.iter().any(|c| window.contains(c.period_start)),
        ) {
            (Some(m), true) => m.max(pushed.units),
            (Some(m), false) => m,
            (None, _) => pushed.units,
        },
    })
}
