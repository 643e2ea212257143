//! Money arithmetic in `rust_decimal`: currency rounding and percent taxes.
//!
//! Odoo rounds monetary amounts with `res.currency.round` = `float_round(amount,
//! precision_rounding=currency.rounding)` using HALF-UP (`odoo/tools/float_utils.py`). A
//! document's taxes follow the company's `tax_calculation_rounding_method` (default
//! `round_globally`: summed unrounded per tax, then rounded; `round_per_line`: each line's tax
//! rounded), see `models::invoice_lines::document_taxes`.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds `amount` to a multiple of `rounding` (e.g. 0.01), half away from zero like
/// `float_round(..., rounding_method='HALF-UP')`.
pub fn round(amount: Decimal, rounding: Decimal) -> Decimal {
    if rounding <= Decimal::ZERO {
        return amount;
    }
    let steps =
        (amount / rounding).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let out = steps * rounding;
    out.round_dp(rounding.scale())
}

/// Number of decimals implied by a rounding factor (`decimal_places` of `res.currency`).
pub fn decimal_places(rounding: Decimal) -> u32 {
    rounding.normalize().scale()
}

/// One priced line: quantity × unit price less a discount in percent, before tax.
pub fn line_subtotal(
    qty: Decimal,
    price_unit: Decimal,
    discount_pct: Decimal,
    rounding: Decimal,
) -> Decimal {
    let gross = qty * price_unit * (Decimal::ONE - discount_pct / Decimal::ONE_HUNDRED);
    round(gross, rounding)
}

/// A percent tax on a base (tax excluded from the price), rounded per line.
pub fn percent_tax(base: Decimal, percent: Decimal, rounding: Decimal) -> Decimal {
    round(base * percent / Decimal::ONE_HUNDRED, rounding)
}

/// A fixed tax: `amount` per unit.
pub fn fixed_tax(qty: Decimal, amount: Decimal, rounding: Decimal) -> Decimal {
    round(qty * amount, rounding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn half_up_to_the_cent() {
        let c = dec!(0.01);
        assert_eq!(round(dec!(1.005), c), dec!(1.01));
        assert_eq!(round(dec!(1.004999), c), dec!(1.00));
        assert_eq!(round(dec!(-1.005), c), dec!(-1.01));
        assert_eq!(round(dec!(2.675), c), dec!(2.68));
        assert_eq!(round(dec!(10), c).to_string(), "10.00");
    }

    #[test]
    fn other_roundings() {
        assert_eq!(round(dec!(1.23), dec!(0.05)), dec!(1.25));
        assert_eq!(round(dec!(1234.5), dec!(1)), dec!(1235));
        assert_eq!(decimal_places(dec!(0.01)), 2);
        assert_eq!(decimal_places(dec!(1.0)), 0);
    }

    #[test]
    fn hst_on_lines() {
        let c = dec!(0.01);
        assert_eq!(percent_tax(dec!(100), dec!(13), c), dec!(13.00));
        let sub = line_subtotal(dec!(3), dec!(19.99), dec!(10), c);
        assert_eq!(sub, dec!(53.97));
        assert_eq!(percent_tax(sub, dec!(13), c), dec!(7.02));
        assert_eq!(percent_tax(dec!(0.5), dec!(13), c), dec!(0.07));
        assert_eq!(fixed_tax(dec!(2), dec!(1.5), c), dec!(3.00));
    }
}
