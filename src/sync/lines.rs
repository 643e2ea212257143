//! What the rating push writes onto a subscription: usage lines an accountant can read, one
//! per priced part of a charge (each graduated range on its own line, e.g.
//! "API calls 1,001–10,000 @ 0.01"), with Odoo quantities and unit prices that multiply to
//! the part's amount. A part whose unit price has more decimals than the currency, or whose
//! quantity has more decimals than Odoo stores ([`ODOO_QUANTITY_DECIMALS`]), is written as one
//! unit at its rounded amount, the detail in the line name: Odoo bills exactly what was rated.
//! Zero-amount parts get no line (review finding C1).

use rust_decimal::Decimal;

use crate::billing::charge::{LineKind, TierLine};
use crate::billing::money::Currency;

/// One desired `sale.order.line` state: description, delivered quantity, unit price
/// (major units of the plan currency).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LineSpec {
    /// Line description (`name`).
    pub name: String,
    /// `qty_delivered`.
    pub quantity: Decimal,
    /// `price_unit`.
    pub price_unit: Decimal,
}

/// `1234567.5` → `"1,234,567.5"`.
pub fn group_thousands(d: Decimal) -> String {
    let s = d.normalize().to_string();
    let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// Decimals Odoo keeps on a quantity: the "Product Unit" decimal precision and the "Units"
/// UoM rounding (0.01) of a default Odoo 19 database. Real Odoo rounds `qty_delivered` 2.555
/// to 2.56 (issue 14), which would bill 25.60 for 25.55 rated at 10.00.
pub const ODOO_QUANTITY_DECIMALS: u32 = 2;

fn fits(d: Decimal, currency: Currency) -> bool {
    d.normalize().scale() <= currency.exponent()
}

fn quantity_fits(q: Decimal) -> bool {
    q.normalize().scale() <= ODOO_QUANTITY_DECIMALS
}

fn range(l: &TierLine) -> String {
    match l.to_value {
        Some(to) => format!("{}–{}", group_thousands(l.from_value), group_thousands(to)),
        None => format!("{}+", group_thousands(l.from_value)),
    }
}

/// Lines for one priced charge named `label` (the metric or charge display name).
pub fn charge_lines(label: &str, lines: &[TierLine], currency: Currency) -> Vec<LineSpec> {
    let several_tiers = lines.iter().filter(|x| x.kind == LineKind::Tier).count() > 1;
    let mut out = Vec::new();
    for l in lines {
        if l.amount.is_zero() {
            continue;
        }
        match &l.kind {
            LineKind::Included => {}
            LineKind::Tier => tier_lines(label, l, several_tiers, currency, &mut out),
            LineKind::Package { package_size, .. } => out.push(exact(
                format!(
                    "{label}: packages of {}",
                    group_thousands(Decimal::from(*package_size))
                ),
                l.units,
                l.per_unit_amount,
                l.amount,
                currency,
            )),
            LineKind::Percentage => out.push(one_unit(
                format!(
                    "{label}: {}% of {}",
                    (l.per_unit_amount * Decimal::ONE_HUNDRED).normalize(),
                    group_thousands(l.units)
                ),
                l.amount,
                currency,
            )),
            LineKind::FixedFee => out.push(exact(
                format!("{label}: fee per transaction"),
                l.units,
                l.per_unit_amount,
                l.amount,
                currency,
            )),
            LineKind::Adjustment => out.push(one_unit(
                format!("{label}: per-transaction minimum/maximum"),
                l.amount,
                currency,
            )),
        }
    }
    out
}

/// The lines of one tier: its units at the unit price (named with the tier's range when
/// the charge has several tiers or this one is bounded) and its flat fee.
fn tier_lines(
    label: &str,
    l: &TierLine,
    several_tiers: bool,
    currency: Currency,
    out: &mut Vec<LineSpec>,
) {
    let tiered = several_tiers || l.to_value.is_some() || !l.from_value.is_zero();
    let name = if tiered {
        format!("{label} {}", range(l))
    } else {
        label.to_string()
    };
    let per_units = l.units * l.per_unit_amount;
    if !per_units.is_zero() {
        let n = if fits(l.per_unit_amount, currency) && quantity_fits(l.units) {
            format!("{name} @ {}", l.per_unit_amount.normalize())
        } else {
            name.clone()
        };
        out.push(exact(n, l.units, l.per_unit_amount, per_units, currency));
    }
    if !l.flat_amount.is_zero() {
        out.push(exact(
            format!("{name} flat fee"),
            Decimal::ONE,
            l.flat_amount,
            l.flat_amount,
            currency,
        ));
    }
}

/// `qty` at `unit` when Odoo can hold both exactly; else one unit at `amount` (rounded to
/// the currency) with quantity and unit price in the name.
fn exact(
    name: String,
    qty: Decimal,
    unit: Decimal,
    amount: Decimal,
    currency: Currency,
) -> LineSpec {
    if fits(unit, currency) && quantity_fits(qty) {
        LineSpec {
            name,
            quantity: qty.normalize(),
            price_unit: unit.normalize(),
        }
    } else {
        LineSpec {
            name: format!("{name}: {} @ {}", group_thousands(qty), unit.normalize()),
            quantity: Decimal::ONE,
            price_unit: currency.round(amount),
        }
    }
}

/// One unit at `amount`, rounded to the currency.
fn one_unit(name: String, amount: Decimal, currency: Currency) -> LineSpec {
    LineSpec {
        name,
        quantity: Decimal::ONE,
        price_unit: currency.round(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::charge::{ChargeModel, PriceContext, PriceRange};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn graduated_ranges_get_one_readable_line_each() {
        let model = ChargeModel::Graduated {
            ranges: vec![
                PriceRange {
                    from_value: d("0"),
                    to_value: Some(d("1000")),
                    per_unit_amount: d("0"),
                    flat_amount: d("0"),
                },
                PriceRange {
                    from_value: d("1001"),
                    to_value: Some(d("10000")),
                    per_unit_amount: d("0.01"),
                    flat_amount: d("0"),
                },
                PriceRange {
                    from_value: d("10001"),
                    to_value: None,
                    per_unit_amount: d("0.005"),
                    flat_amount: d("2"),
                },
            ],
        };
        let r = model
            .price(d("12500"), &PriceContext::default())
            .expect("in range");
        let lines = charge_lines("API calls", &r.lines, Currency::CAD);
        assert_eq!(
            lines,
            vec![
                LineSpec {
                    name: "API calls 1,001–10,000 @ 0.01".into(),
                    quantity: d("9000"),
                    price_unit: d("0.01")
                },
                LineSpec {
                    name: "API calls 10,001+: 2,500 @ 0.005".into(),
                    quantity: d("1"),
                    price_unit: d("12.50")
                },
                LineSpec {
                    name: "API calls 10,001+ flat fee".into(),
                    quantity: d("1"),
                    price_unit: d("2")
                },
            ]
        );
        let total: Decimal = lines.iter().map(|l| l.quantity * l.price_unit).sum();
        assert_eq!(total, r.amount);
    }

    #[test]
    fn a_quantity_finer_than_odoo_keeps_is_one_unit_at_the_amount() {
        let model = ChargeModel::Standard { amount: d("10") };
        let r = model
            .price(d("2.555"), &PriceContext::default())
            .expect("priced");
        assert_eq!(
            charge_lines("Storage", &r.lines, Currency::CAD),
            vec![LineSpec {
                name: "Storage: 2.555 @ 10".into(),
                quantity: d("1"),
                price_unit: d("25.55")
            }]
        );
    }

    #[test]
    fn zero_usage_writes_no_line() {
        let model = ChargeModel::Standard { amount: d("0.05") };
        let r = model
            .price(Decimal::ZERO, &PriceContext::default())
            .expect("in range");
        assert!(charge_lines("API calls", &r.lines, Currency::CAD).is_empty());
    }

    #[test]
    fn standard_is_one_plain_line() {
        let model = ChargeModel::Standard { amount: d("0.25") };
        let r = model
            .price(d("40"), &PriceContext::default())
            .expect("in range");
        assert_eq!(
            charge_lines("Seats", &r.lines, Currency::CAD),
            vec![LineSpec {
                name: "Seats @ 0.25".into(),
                quantity: d("40"),
                price_unit: d("0.25")
            }]
        );
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(d("1234567.50")), "1,234,567.5");
        assert_eq!(group_thousands(d("999")), "999");
        assert_eq!(group_thousands(d("1000")), "1,000");
    }
}
