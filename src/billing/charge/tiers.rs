//! Unit-priced models: standard, package, graduated, volume. `units` is never negative here.

use rust_decimal::Decimal;

use super::{ChargeResult, LineKind, PriceRange, TierLine};

/// Lago `standard_service.rb`: `units × amount`.
pub(super) fn standard(amount: Decimal, units: Decimal) -> ChargeResult {
    if units.is_zero() {
        return ChargeResult::default();
    }
    ChargeResult::from_lines(vec![TierLine {
        kind: LineKind::Tier,
        from_value: Decimal::ZERO,
        to_value: None,
        units,
        per_unit_amount: amount,
        flat_amount: Decimal::ZERO,
        amount: units * amount,
    }])
}

/// Lago `package_service.rb`: paid units = units − free units; packages =
/// `ceil(paid / size)` (a started package counts); amount = packages × price.
pub(super) fn package(amount: Decimal, size: u64, free_units: u64, units: Decimal) -> ChargeResult {
    if units.is_zero() {
        return ChargeResult::default();
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
    let paid = units - free;
    if paid > Decimal::ZERO {
        let packages = (paid / Decimal::from(size)).ceil();
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
            amount: packages * amount,
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
pub(super) fn graduated(ranges: &[PriceRange], units: Decimal) -> ChargeResult {
    if units.is_zero() {
        return ChargeResult::default();
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
            effective - range.from_value
        } else {
            effective - range.from_value + Decimal::ONE
        };
        if in_range > Decimal::ZERO {
            lines.push(TierLine {
                kind: LineKind::Tier,
                from_value: range.from_value,
                to_value: range.to_value,
                units: in_range,
                per_unit_amount: range.per_unit_amount,
                flat_amount: range.flat_amount,
                amount: in_range * range.per_unit_amount + range.flat_amount,
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
pub(super) fn volume(ranges: &[PriceRange], units: Decimal) -> ChargeResult {
    let matching = ranges.iter().find(|r| {
        let below_to = match r.to_value {
            None => true,
            Some(to) => units <= to,
        };
        r.from_value <= units.ceil() && below_to
    });
    let Some(range) = matching else {
        return ChargeResult::default();
    };
    let amount = units * range.per_unit_amount + range.flat_amount;
    if units.is_zero() && amount.is_zero() {
        return ChargeResult::default();
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
