//! Unit-priced models: standard, package, graduated, volume. `units` is never negative here.

use rust_decimal::Decimal;

use super::{ChargeResult, LineKind, PriceRange, TierLine};
use crate::billing::checked::{self, Overflow};

/// Lago `standard_service.rb`: `units × amount`.
pub(super) fn standard(amount: Decimal, units: Decimal) -> Result<ChargeResult, Overflow> {
    if units.is_zero() {
        return Ok(ChargeResult::default());
    }
    ChargeResult::from_lines(vec![TierLine {
        kind: LineKind::Tier,
        from_value: Decimal::ZERO,
        to_value: None,
        units,
        per_unit_amount: amount,
        flat_amount: Decimal::ZERO,
        amount: checked::mul(units, amount, "standard charge amount")?,
    }])
}

/// Lago `package_service.rb`: paid units = units − free units; packages =
/// `ceil(paid / size)` (a started package counts); amount = packages × price.
pub(super) fn package(
    amount: Decimal,
    size: u64,
    free_units: u64,
    units: Decimal,
) -> Result<ChargeResult, Overflow> {
    const WHAT: &str = "package charge amount";
    if units.is_zero() {
        return Ok(ChargeResult::default());
    }
    let free = Decimal::from(free_units);
    let mut lines = Vec::new();
    if free_units > 0 {
        lines.push(TierLine {
            kind: LineKind::Included,
            from_value: Decimal::ZERO,
            to_value: Some(free),
            units: units.min(free),
            per_unit_amount: Decimal::ZERO,
            flat_amount: Decimal::ZERO,
            amount: Decimal::ZERO,
        });
    }
    let paid = checked::sub(units, free, WHAT)?;
    if paid > Decimal::ZERO {
        let packages = checked::div(paid, Decimal::from(size), WHAT)?.ceil();
        lines.push(TierLine {
            kind: LineKind::Package {
                package_size: size,
                paid_units: paid,
            },
            from_value: free,
            to_value: None,
            units: packages,
            per_unit_amount: amount,
            flat_amount: Decimal::ZERO,
            amount: checked::mul(packages, amount, WHAT)?,
        });
    }
    ChargeResult::from_lines(lines)
}

/// True when every range starts where the previous one ends (Lago
/// `charge_models/adjacent_ranges.rb`): units are then counted half-open; otherwise ranges
/// follow Lago's v1 convention where a range starts one unit after the previous `to_value`.
pub(super) fn adjacent(ranges: &[PriceRange]) -> bool {
    ranges.len() >= 2
        && ranges
            .windows(2)
            .all(|w| Some(w[1].from_value) == w[0].to_value)
}

/// Lago `graduated_service.rb` + `amount_details/range_graduated_service.rb`: each range
/// bills the units that fall in it; a range reached with at least one unit also bills its
/// flat amount. One line per range with units.
pub(super) fn graduated(ranges: &[PriceRange], units: Decimal) -> Result<ChargeResult, Overflow> {
    const WHAT: &str = "graduated charge amount";
    if units.is_zero() {
        return Ok(ChargeResult::default());
    }
    let adjacent = adjacent(ranges);
    let mut lines = Vec::new();
    for range in ranges {
        let effective = match range.to_value {
            Some(to) if units >= to => to,
            _ => units,
        };
        let in_range = if range.from_value.is_zero() {
            effective
        } else if adjacent {
            checked::sub(effective, range.from_value, WHAT)?
        } else {
            checked::add(
                checked::sub(effective, range.from_value, WHAT)?,
                Decimal::ONE,
                WHAT,
            )?
        };
        if in_range > Decimal::ZERO {
            lines.push(TierLine {
                kind: LineKind::Tier,
                from_value: range.from_value,
                to_value: range.to_value,
                units: in_range,
                per_unit_amount: range.per_unit_amount,
                flat_amount: range.flat_amount,
                amount: checked::add(
                    checked::mul(in_range, range.per_unit_amount, WHAT)?,
                    range.flat_amount,
                    WHAT,
                )?,
            });
        }
        match range.to_value {
            Some(to) if to < units => continue,
            _ => break,
        }
    }
    ChargeResult::from_lines(lines)
}

/// Lago `volume_service.rb`: the range with `from_value <= ceil(units) <= …` and
/// `units <= to_value` prices **all** units, plus its flat amount. At zero units the first
/// range matches, so its flat amount is billed (Lago's behaviour, pinned by its spec).
pub(super) fn volume(ranges: &[PriceRange], units: Decimal) -> Result<ChargeResult, Overflow> {
    const WHAT: &str = "volume charge amount";
    let matching = ranges.iter().find(|r| {
        let below_to = match r.to_value {
            None => true,
            Some(to) => units <= to,
        };
        r.from_value <= units.ceil() && below_to
    });
    let Some(range) = matching else {
        return Ok(ChargeResult::default());
    };
    let amount = checked::add(
        checked::mul(units, range.per_unit_amount, WHAT)?,
        range.flat_amount,
        WHAT,
    )?;
    if units.is_zero() && amount.is_zero() {
        return Ok(ChargeResult::default());
    }
    ChargeResult::from_lines(vec![TierLine {
        kind: LineKind::Tier,
        from_value: range.from_value,
        to_value: range.to_value,
        units,
        per_unit_amount: range.per_unit_amount,
        flat_amount: range.flat_amount,
        amount,
    }])
}
