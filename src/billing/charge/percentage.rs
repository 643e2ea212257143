//! Percentage model (zero units bill nothing), Lago `app/services/charge_models/percentage_service.rb`.
//!
//! Without per-transaction min/max:
//! - *free units* = the running total of the first `free_units_per_events` transactions
//!   (when set), capped at `free_units_per_total_aggregation` (when set); with only the
//!   total set it is `min(units, free_units_per_total_aggregation)` — Lago's running total,
//!   extended to units pushed as counters;
//! - *free transactions* = the smallest non-zero of `free_units_per_events` and the number
//!   of running totals still below `free_units_per_total_aggregation` (Lago's
//!   `free_units_count`);
//! - amount = `(units − free units) × rate / 100` (0 when free units exceed units)
//!   `+ (events_count − free transactions) × fixed_amount` (0 when no units or no paid
//!   transaction).
//!
//! With `per_transaction_min_amount` or `per_transaction_max_amount` (a premium feature in
//! Lago, always on here) each transaction of `event_values` is priced on its own, in
//! order: free transactions/amount first, then `value × rate / 100 + fixed_amount`, then
//! clamped to `[min, max]`. Units not covered by `event_values` (pushed counters: not
//! transactions) are added at the plain rate. The difference from the computation above is
//! shown as an `Adjustment` line, like Lago's `min_max_adjustment_total_amount`.

use rust_decimal::Decimal;

use super::{ChargeModel, ChargeResult, LineKind, PriceContext, TierLine};
use crate::billing::checked::{self, Overflow};

/// What an overflow in this model is reported as.
const WHAT: &str = "percentage charge amount";

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

struct Props {
    rate: Decimal,
    fixed: Option<Decimal>,
    free_events: u64,
    free_total: Decimal,
    min: Option<Decimal>,
    max: Option<Decimal>,
}

/// Prices `units` (≥ 0) with a [`ChargeModel::Percentage`].
pub(super) fn price(
    model: &ChargeModel,
    units: Decimal,
    ctx: &PriceContext,
) -> Result<ChargeResult, Overflow> {
    let ChargeModel::Percentage {
        rate,
        fixed_amount,
        free_units_per_events,
        free_units_per_total_aggregation,
        per_transaction_min_amount,
        per_transaction_max_amount,
    } = model
    else {
        return Ok(ChargeResult::default());
    };
    let p = Props {
        rate: *rate,
        fixed: *fixed_amount,
        free_events: free_units_per_events.unwrap_or(0),
        free_total: free_units_per_total_aggregation.unwrap_or_default(),
        min: *per_transaction_min_amount,
        max: *per_transaction_max_amount,
    };
    if units.is_zero() {
        return Ok(ChargeResult::default());
    }

    let running = running_total(&p, &ctx.event_values)?;
    let free_units = free_units_value(&p, &running, units);
    let free_count = free_units_count(&p, &running);
    let paid_units = checked::sub(units, free_units, WHAT)?.max(Decimal::ZERO);
    let percentage_amount = checked::div(checked::mul(paid_units, p.rate, WHAT)?, HUNDRED, WHAT)?;
    // Events beyond the free ones; a count, never money (0 when all are free).
    let paid_events = ctx.events_count.saturating_sub(free_count);
    let fixed_amount = match p.fixed {
        Some(fixed) if paid_events > 0 => checked::mul(Decimal::from(paid_events), fixed, WHAT)?,
        _ => Decimal::ZERO,
    };

    let mut lines = Vec::new();
    if free_units > Decimal::ZERO {
        lines.push(line(
            LineKind::Included,
            free_units.min(units),
            Decimal::ZERO,
        )?);
    }
    if paid_units > Decimal::ZERO {
        let per_unit = checked::div(p.rate, HUNDRED, WHAT)?;
        lines.push(line(LineKind::Percentage, paid_units, per_unit)?);
    }
    if fixed_amount > Decimal::ZERO {
        let fixed = p.fixed.unwrap_or_default();
        lines.push(line(LineKind::FixedFee, Decimal::from(paid_events), fixed)?);
    }
    if p.min.is_some() || p.max.is_some() {
        let total = per_transaction_total(&p, units, &ctx.event_values)?;
        let adjustment = checked::sub(
            checked::sub(total, percentage_amount, WHAT)?,
            fixed_amount,
            WHAT,
        )?;
        if !adjustment.is_zero() {
            let mut adj = line(LineKind::Adjustment, Decimal::ZERO, Decimal::ZERO)?;
            adj.amount = adjustment;
            lines.push(adj);
        }
    }
    ChargeResult::from_lines(lines)
}

fn line(kind: LineKind, units: Decimal, per_unit_amount: Decimal) -> Result<TierLine, Overflow> {
    Ok(TierLine {
        kind,
        from_value: Decimal::ZERO,
        to_value: None,
        units,
        per_unit_amount,
        flat_amount: Decimal::ZERO,
        amount: checked::mul(units, per_unit_amount, WHAT)?,
    })
}

/// Lago `SumService#running_total`: cumulative values of the first `free_events`
/// transactions, or, with only a free total, cumulative values until the first one above it.
fn running_total(p: &Props, values: &[Decimal]) -> Result<Vec<Decimal>, Overflow> {
    let mut total = Decimal::ZERO;
    if p.free_events > 0 {
        let limit = usize::try_from(p.free_events).unwrap_or(usize::MAX);
        return values
            .iter()
            .take(limit)
            .map(|v| {
                total = checked::add(total, *v, WHAT)?;
                Ok(total)
            })
            .collect();
    }
    if p.free_total.is_zero() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for v in values {
        if p.free_total < total {
            break;
        }
        total = checked::add(total, *v, WHAT)?;
        out.push(total);
    }
    Ok(out)
}

/// Lago `free_units_value`.
fn free_units_value(p: &Props, running: &[Decimal], units: Decimal) -> Decimal {
    if p.free_events == 0 {
        // Only a free total (or nothing): min(units, total), counters included.
        return units.min(p.free_total);
    }
    let last = running.last().copied().unwrap_or_default();
    if last.is_zero() || p.free_total.is_zero() || last <= p.free_total {
        return last;
    }
    p.free_total
}

/// Lago `free_units_count`: smallest non-zero of `free_units_per_events` and the number of
/// running totals below the free total.
fn free_units_count(p: &Props, running: &[Decimal]) -> u64 {
    let below = running.iter().filter(|t| **t < p.free_total).count() as u64;
    [p.free_events, below]
        .into_iter()
        .filter(|n| *n > 0)
        .min()
        .unwrap_or(0)
}

/// Lago `compute_amount_with_transaction_min_max`, plus units not covered by
/// `values` at the plain rate.
fn per_transaction_total(
    p: &Props,
    units: Decimal,
    values: &[Decimal],
) -> Result<Decimal, Overflow> {
    let mut remaining_events = i128::from(p.free_events);
    let mut remaining_amount = p.free_total;
    let mut total = Decimal::ZERO;
    for original in values {
        let mut value = *original;
        if remaining_events > 0 || remaining_amount > Decimal::ZERO {
            remaining_events -= 1;
            if remaining_amount <= Decimal::ZERO {
                continue;
            }
            if remaining_amount > value {
                remaining_amount = checked::sub(remaining_amount, value, WHAT)?;
                continue;
            }
            value = checked::sub(value, remaining_amount, WHAT)?;
            remaining_amount = Decimal::ZERO;
            remaining_events = 0;
        }
        let mut amount = checked::add(
            checked::div(checked::mul(value, p.rate, WHAT)?, HUNDRED, WHAT)?,
            p.fixed.unwrap_or_default(),
            WHAT,
        )?;
        if let Some(min) = p.min.filter(|m| amount < *m) {
            amount = min;
        } else if let Some(max) = p.max.filter(|m| amount > *m) {
            amount = max;
        }
        total = checked::add(total, amount, WHAT)?;
    }
    let uncovered = checked::sub(units, checked::sum(values.iter().copied(), WHAT)?, WHAT)?;
    if uncovered > Decimal::ZERO {
        let rated = checked::div(checked::mul(uncovered, p.rate, WHAT)?, HUNDRED, WHAT)?;
        total = checked::add(total, rated, WHAT)?;
    }
    Ok(total)
}
