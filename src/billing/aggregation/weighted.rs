//! `weighted_sum_agg`: the time-weighted level of a gauge, as Lago computes it in
//! `app/services/events/stores/postgres/weighted_sum_query.rb`.
//!
//! Each event carries an *increment* of a running level (`+3` when three seats are added,
//! `-1` when one is removed). The level starts the window at an initial value (0, or the
//! level carried from before the window for recurring metrics), changes at each event, and
//! the result is `Σ level × time held / window length`: the average level over the window.
//! Events at the same instant apply together. Time is measured in microseconds (Lago uses
//! fractional epoch seconds); the only division happens once, at the end, so the result
//! does not depend on input order.
//!
//! The divisor is the window's length. Lago divides by the charge's full billing period
//! (`charges_duration`); for a full period they are the same, and for a partial one (a
//! termination) the caller passes the full period as the window and only the events up to
//! the termination.
//!
//! A pushed counter is a level held over its own period: it adds
//! `quantity × overlap([period_start, period_end), window) / window length`, whatever the
//! window its start falls in.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{dedup_counters, dedup_events, numeric_value, Aggregate, UsageCounter, UsageEvent};
use crate::billing::checked::{self, Overflow};
use crate::billing::window::BillingWindow;

/// `weighted_sum_agg` of the numeric property `field_name` over `window`, starting from
/// `initial_level` (the level reached before `window.from()`, e.g. Lago's cached
/// aggregation of the previous period for a recurring metric; `0` otherwise).
///
/// Only events inside the window are read: earlier history must be folded into
/// `initial_level` by the caller. Duplicates count once; non-numeric values are skipped.
/// `units` is the average level over the window (unrounded); `events_count` counts the
/// numeric events in the window.
///
/// # Errors
/// [`Overflow`] when `level × window microseconds` leaves `Decimal`'s range (≈ 7.9e28).
pub fn aggregate_weighted_sum(
    field_name: &str,
    window: &BillingWindow,
    events: &[UsageEvent],
    counters: &[UsageCounter],
    initial_level: Decimal,
) -> Result<Aggregate, Overflow> {
    let events = dedup_events(events);
    let counters = dedup_counters(counters);
    weighted_sum(field_name, window, &events, &counters, initial_level)
}

/// [`aggregate_weighted_sum`] on already de-duplicated inputs.
pub(super) fn weighted_sum(
    field: &str,
    window: &BillingWindow,
    events: &[&UsageEvent],
    counters: &[&UsageCounter],
    initial_level: Decimal,
) -> Result<Aggregate, Overflow> {
    const WHAT: &str = "weighted_sum_agg units";
    let mut increments: BTreeMap<DateTime<Utc>, Decimal> = BTreeMap::new();
    let mut events_count = 0_u64;
    for e in events.iter().filter(|e| window.contains(e.timestamp)) {
        if let Some(v) = e.properties.get(field).and_then(numeric_value) {
            let slot = increments.entry(e.timestamp).or_default();
            *slot = checked::add(*slot, v, WHAT)?;
            events_count += 1;
        }
    }

    // Σ level × microseconds held.
    let mut weighted = Decimal::ZERO;
    let mut level = initial_level;
    let mut since = window.from();
    for (at, increment) in increments {
        weighted = checked::add(
            weighted,
            checked::mul(level, micros(at - since), WHAT)?,
            WHAT,
        )?;
        level = checked::add(level, increment, WHAT)?;
        since = at;
    }
    weighted = checked::add(
        weighted,
        checked::mul(level, micros(window.to() - since), WHAT)?,
        WHAT,
    )?;

    for c in counters {
        let held = micros(window.overlap(c.period_start, c.period_end));
        weighted = checked::add(weighted, checked::mul(c.quantity, held, WHAT)?, WHAT)?;
    }

    // A window shorter than a microsecond weighs as one microsecond (never divides by 0).
    let length = micros(window.to() - window.from()).max(Decimal::ONE);
    Ok(Aggregate {
        units: checked::div(weighted, length, WHAT)?,
        events_count,
    })
}

/// A duration in whole microseconds, as a `Decimal`.
fn micros(d: Duration) -> Decimal {
    Decimal::from(d.num_microseconds().unwrap_or(i64::MAX))
}
