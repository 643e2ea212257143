//! Aggregation: usage events and pushed counters of one metric, over one billing window,
//! become a number of units.
//!
//! Mirrors Lago `app/services/billable_metrics/aggregations/*.rb` for raw events and adds
//! the gateway's *aggregate push*: an app may push a [`UsageCounter`] (a quantity it
//! already aggregated over `[period_start, period_end)`) instead of, or beside, raw events.
//!
//! # Which inputs count
//! - An event counts when the window contains its `timestamp` (`from <= ts < to`).
//! - A counter counts when the window contains its `period_start` (anchored on the
//!   start, review finding H2), except for `weighted_sum_agg` (below).
//! - Duplicates count once: events by `transaction_id`, counters by `idempotency_key`.
//!   If two copies differ (the store refuses that, so it should not happen), the copy with
//!   the earliest timestamp/period wins, then the smallest content, so the result never
//!   depends on input order.
//! - Values: a property may be a JSON number or a numeric string (`12`, `"12.5"`,
//!   `"1e3"`). For numeric aggregations (`sum`, `max`, `latest`, `weighted_sum`) an event
//!   whose property is missing, `null`, or not numeric is **skipped**: it adds nothing and
//!   is not counted in `events_count` (Lago filters `properties->>field IS NOT NULL` and
//!   casts to numeric).
//! - `recurring` metrics (`sum_agg`, `unique_count_agg`, `weighted_sum_agg`): as Lago's
//!   `recurring_events_scope`, sum and unique count take every event and counter **before
//!   `to`**, with no lower bound; weighted sum starts the window at the level left by all
//!   earlier events (see [`aggregate_weighted_sum`] to pass a cached level instead).
//!   Lago's `operation_type: remove` for recurring unique counts is not supported.
//!
//! # How a pushed counter combines with raw events
//! | type | units |
//! |---|---|
//! | `count_agg` | events in window + Σ counter quantities |
//! | `sum_agg` | Σ event values + Σ counter quantities |
//! | `max_agg` | max over event values **and** counter quantities (0 when none) |
//! | `latest_agg` | value of the latest input by time; a counter is dated at its `period_end`; on a tie an event beats a counter, then the larger id wins (0 when none) |
//! | `unique_count_agg` | distinct event values + Σ counter quantities (the app counted distinct values disjoint from those sent as events) |
//! | `weighted_sum_agg` | Lago's time-weighted level of the events, plus for each counter overlapping the window `quantity × overlap / window length` (a counter is a level held over its period; anchoring does not apply) |
//!
//! # `events_count`
//! Counts raw events that contributed (for `unique_count_agg`, events carrying a value;
//! for `count_agg`, every event in the window). **Counters never add to
//! `events_count`**: they are not transactions, and Lago's `events_count` (and the
//! percentage model's per-transaction fee) is about transactions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::checked::{self, Overflow};
use super::metric::{AggregationType, MetricSpec};
use super::money::parse_decimal_str;
use super::window::BillingWindow;

mod weighted;

pub use weighted::aggregate_weighted_sum;

/// One usage event as stored by the meter (Lago `POST /events`): a unique
/// `transaction_id`, the UTC instant it happened and its free-form `properties`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageEvent {
    /// Idempotency key of the event (unique per subscription).
    pub transaction_id: String,
    /// When the usage happened.
    pub timestamp: DateTime<Utc>,
    /// Event properties; the metric's `field_name` is read from here.
    pub properties: Map<String, Value>,
}

/// An aggregate pushed by an app: `quantity` units of one metric over
/// `[period_start, period_end)`, idempotent by `idempotency_key` (scoped by the caller to
/// subscription and metric, review finding H3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageCounter {
    /// Idempotency key of the push.
    pub idempotency_key: String,
    /// Start of the period the app aggregated (inclusive); anchors the counter to a window.
    pub period_start: DateTime<Utc>,
    /// End of that period (exclusive).
    pub period_end: DateTime<Utc>,
    /// Units the app counted, in the metric's unit.
    pub quantity: Decimal,
}

/// Result of an aggregation: `units` in the metric's unit (unrounded) and the number of
/// raw events that contributed (counters excluded, see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Aggregate {
    /// Aggregated units.
    pub units: Decimal,
    /// Raw events that contributed.
    pub events_count: u64,
}

/// Aggregates `events` and `counters` of the metric `spec` over `window`, following the
/// rules of the module documentation. Input order never matters; duplicates count once.
///
/// A spec that fails [`MetricSpec::validate`] for lack of `field_name` aggregates to zero
/// for every type but `count_agg`.
///
/// # Errors
/// [`Overflow`] when a total leaves `Decimal`'s range (never a panic, never saturated).
pub fn aggregate(
    spec: &MetricSpec,
    window: &BillingWindow,
    events: &[UsageEvent],
    counters: &[UsageCounter],
) -> Result<Aggregate, Overflow> {
    let events = dedup_events(events);
    let counters = dedup_counters(counters);
    let field = spec.field_name.as_deref().unwrap_or_default();
    let recurring = spec.recurring;
    match spec.aggregation {
        AggregationType::Count => count_agg(&events, &counters, window),
        AggregationType::Sum => sum_agg(&events, &counters, field, window, recurring),
        AggregationType::Max => Ok(max_agg(&events, &counters, field, window)),
        AggregationType::Latest => Ok(latest(&events, &counters, field, window)),
        AggregationType::UniqueCount => {
            unique_count_agg(&events, &counters, field, window, recurring)
        }
        AggregationType::WeightedSum => {
            let initial = if recurring {
                checked::sum(
                    events
                        .iter()
                        .filter(|e| e.timestamp < window.from())
                        .filter_map(|e| e.properties.get(field).and_then(numeric_value)),
                    "weighted_sum_agg initial level",
                )?
            } else {
                Decimal::ZERO
            };
            weighted::weighted_sum(field, window, &events, &counters, initial)
        }
    }
}

/// `count_agg`: events in the window plus pushed counter quantities.
fn count_agg(
    events: &[&UsageEvent],
    counters: &[&UsageCounter],
    window: &BillingWindow,
) -> Result<Aggregate, Overflow> {
    let count = events
        .iter()
        .filter(|e| window.contains(e.timestamp))
        .count();
    Ok(Aggregate {
        units: checked::add(
            Decimal::from(count),
            counter_total(counters, window, false)?,
            "count_agg units",
        )?,
        events_count: count as u64,
    })
}

/// `sum_agg`: the numeric field values in scope plus pushed counter quantities.
fn sum_agg(
    events: &[&UsageEvent],
    counters: &[&UsageCounter],
    field: &str,
    window: &BillingWindow,
    recurring: bool,
) -> Result<Aggregate, Overflow> {
    let values = numeric_values(events, field, window, recurring);
    Ok(Aggregate {
        units: checked::add(
            checked::sum(values.iter().map(|(_, v)| *v), "sum_agg units")?,
            counter_total(counters, window, recurring)?,
            "sum_agg units",
        )?,
        events_count: values.len() as u64,
    })
}

/// `max_agg`: the greatest numeric value or counter quantity in the window (0 if none).
fn max_agg(
    events: &[&UsageEvent],
    counters: &[&UsageCounter],
    field: &str,
    window: &BillingWindow,
) -> Aggregate {
    let values = numeric_values(events, field, window, false);
    let max = values
        .iter()
        .map(|(_, v)| *v)
        .chain(counters_in(counters, window, false).map(|c| c.quantity))
        .max()
        .unwrap_or_default();
    Aggregate {
        units: max,
        events_count: values.len() as u64,
    }
}

/// `unique_count_agg`: distinct field values in scope plus pushed counter quantities;
/// `events_count` counts the events that carry the field.
fn unique_count_agg(
    events: &[&UsageEvent],
    counters: &[&UsageCounter],
    field: &str,
    window: &BillingWindow,
    recurring: bool,
) -> Result<Aggregate, Overflow> {
    let mut count = 0_u64;
    let mut distinct = BTreeSet::new();
    for e in events {
        if !in_scope(e.timestamp, window, recurring) {
            continue;
        }
        if let Some(key) = e.properties.get(field).and_then(unique_key) {
            distinct.insert(key);
            count += 1;
        }
    }
    Ok(Aggregate {
        units: checked::add(
            Decimal::from(distinct.len()),
            counter_total(counters, window, recurring)?,
            "unique_count_agg units",
        )?,
        events_count: count,
    })
}

/// The numeric values of the metric's field on the events that `aggregate` would use,
/// in chronological order (ties by `transaction_id`), duplicates removed. This is what the
/// percentage charge model needs for its per-transaction rules (Lago
/// `per_event_aggregation`). Counters are not included.
pub fn event_values(
    spec: &MetricSpec,
    window: &BillingWindow,
    events: &[UsageEvent],
) -> Vec<Decimal> {
    let events = dedup_events(events);
    let field = spec.field_name.as_deref().unwrap_or_default();
    let recurring = spec.recurring && spec.aggregation != AggregationType::WeightedSum;
    numeric_values(&events, field, window, recurring)
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

/// Reads a property as a number: a JSON number, or a string holding a decimal
/// (`"12.5"`, `" 3 "`, `"1e3"`). `None` for anything else (missing values, `null`, booleans,
/// non-numeric strings, objects, numbers beyond `Decimal`).
pub fn numeric_value(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => parse_decimal_str(&n.to_string()),
        Value::String(s) => parse_decimal_str(s),
        _ => None,
    }
}

/// The identity of a value for `unique_count_agg`: strings as-is, other scalars by their
/// JSON text (so `1` and `"1"` are the same value, as Lago's `properties->>field`);
/// `null` is no value.
fn unique_key(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// True when the instant is counted: inside the window, or before its end for recurring
/// metrics.
fn in_scope(ts: DateTime<Utc>, window: &BillingWindow, recurring: bool) -> bool {
    if recurring {
        ts < window.to()
    } else {
        window.contains(ts)
    }
}

fn counters_in<'a>(
    counters: &'a [&'a UsageCounter],
    window: &'a BillingWindow,
    recurring: bool,
) -> impl Iterator<Item = &'a UsageCounter> + 'a {
    counters
        .iter()
        .copied()
        .filter(move |c| in_scope(c.period_start, window, recurring))
}

fn counter_total(
    counters: &[&UsageCounter],
    window: &BillingWindow,
    recurring: bool,
) -> Result<Decimal, Overflow> {
    checked::sum(
        counters_in(counters, window, recurring).map(|c| c.quantity),
        "pushed counter total",
    )
}

/// `(event, value)` for events in scope whose field is numeric, chronological.
fn numeric_values<'a>(
    events: &[&'a UsageEvent],
    field: &str,
    window: &BillingWindow,
    recurring: bool,
) -> Vec<(&'a UsageEvent, Decimal)> {
    let mut values: Vec<(&UsageEvent, Decimal)> = events
        .iter()
        .filter(|e| in_scope(e.timestamp, window, recurring))
        .filter_map(|e| {
            e.properties
                .get(field)
                .and_then(numeric_value)
                .map(|v| (*e, v))
        })
        .collect();
    values.sort_by(|a, b| {
        (a.0.timestamp, &a.0.transaction_id).cmp(&(b.0.timestamp, &b.0.transaction_id))
    });
    values
}

fn latest(
    events: &[&UsageEvent],
    counters: &[&UsageCounter],
    field: &str,
    window: &BillingWindow,
) -> Aggregate {
    let values = numeric_values(events, field, window, false);
    // Ordering key: time, then kind (counter 0 < event 1), then id; the greatest wins.
    let from_events = values
        .iter()
        .map(|(e, v)| ((e.timestamp, 1_u8, e.transaction_id.as_str()), *v));
    let from_counters = counters_in(counters, window, false)
        .map(|c| ((c.period_end, 0_u8, c.idempotency_key.as_str()), c.quantity));
    let units = from_events
        .chain(from_counters)
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v)
        .unwrap_or_default();
    Aggregate {
        units,
        events_count: values.len() as u64,
    }
}

/// One copy per `transaction_id`; among differing copies the smallest
/// `(timestamp, properties as JSON)` wins.
fn dedup_events(events: &[UsageEvent]) -> Vec<&UsageEvent> {
    let mut by_id: BTreeMap<&str, (&UsageEvent, String)> = BTreeMap::new();
    for e in events {
        let content = Value::Object(e.properties.clone()).to_string();
        match by_id.get(e.transaction_id.as_str()) {
            Some((kept, kept_content))
                if (kept.timestamp, kept_content) <= (e.timestamp, &content) => {}
            _ => {
                by_id.insert(&e.transaction_id, (e, content));
            }
        }
    }
    by_id.into_values().map(|(e, _)| e).collect()
}

/// One copy per `idempotency_key`; among differing copies the smallest
/// `(period_start, period_end, quantity)` wins.
fn dedup_counters(counters: &[UsageCounter]) -> Vec<&UsageCounter> {
    let mut by_key: BTreeMap<&str, &UsageCounter> = BTreeMap::new();
    for c in counters {
        let key = |c: &UsageCounter| (c.period_start, c.period_end, c.quantity);
        match by_key.get(c.idempotency_key.as_str()) {
            Some(kept) if key(kept) <= key(c) => {}
            _ => {
                by_key.insert(&c.idempotency_key, c);
            }
        }
    }
    by_key.into_values().collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
