//! Charge models: aggregated units → an amount in major units, with readable lines.
//!
//! Supported Lago models (`charge_model` + `properties`, API-NOTES §5): `standard`,
//! `package`, `graduated`, `volume`, `percentage`. Formulas mirror Lago
//! `app/services/charge_models/{standard,package,graduated,volume,percentage}_service.rb`
//! and `amount_details/range_graduated_service.rb`; parsing and validation mirror
//! `app/services/charges/validators/*.rb` (see [`Charge::from_lago`]).
//!
//! Gateway rules beyond Lago:
//! - **Included units.** `standard`, `graduated` and `volume` accept the gateway property
//!   `included_units` (decimal string ≥ 0, default `"0"`): that many units are free, and the
//!   remaining units are priced by the model *as if they were the whole usage* (graduated
//!   tiers and the volume tier are chosen from the remainder). `package` has Lago's own
//!   `free_units` and `percentage` its `free_units_per_*`, so `included_units` is refused
//!   there.
//! - **Negative usage bills nothing.** Units below zero (possible with `sum_agg`) give a zero
//!   amount and no lines, as Lago does for package and volume.
//! - Amounts stay unrounded here; [`ChargeResult::to_money`] rounds once, at the end, to
//!   the currency's minor unit (half away from zero, like Lago's fee services).

use rust_decimal::Decimal;
use serde::Serialize;

use super::checked::{self, Overflow};
use super::money::{Currency, Money};

mod parse;
mod percentage;
mod tiers;

/// A graduated or volume range, in Lago's shape: units `from_value..=to_value`
/// (`to_value: None` = unbounded, last range only) at `per_unit_amount` each plus
/// `flat_amount` once, both in major units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceRange {
    /// First unit of the range (0 for the first range).
    pub from_value: Decimal,
    /// Last unit of the range; `None` for the open-ended last range.
    pub to_value: Option<Decimal>,
    /// Price per unit, major units.
    pub per_unit_amount: Decimal,
    /// Flat price of the range when it is reached, major units.
    pub flat_amount: Decimal,
}

/// A Lago charge model with its parsed properties (amounts in major units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "charge_model", rename_all = "snake_case")]
pub enum ChargeModel {
    /// `units × amount`.
    Standard {
        /// Price per unit.
        amount: Decimal,
    },
    /// `ceil((units − free_units) / package_size) × amount`; a started package is billed.
    Package {
        /// Price per package.
        amount: Decimal,
        /// Units per package (> 0).
        package_size: u64,
        /// Units given free before the first package.
        free_units: u64,
    },
    /// Each range prices the units that fall in it; flat amounts of reached ranges add up.
    Graduated {
        /// Contiguous ranges from 0, last one open-ended.
        ranges: Vec<PriceRange>,
    },
    /// All units are priced at the range the total falls in, plus that range's flat amount.
    Volume {
        /// Contiguous ranges from 0, last one open-ended.
        ranges: Vec<PriceRange>,
    },
    /// `rate`% of the units (a money amount in major units), plus a fixed fee per
    /// transaction, after free units/transactions; optional per-transaction floor and cap.
    Percentage {
        /// Percentage applied to the units, e.g. `1.5` for 1.5 %.
        rate: Decimal,
        /// Fee per paid transaction.
        fixed_amount: Option<Decimal>,
        /// Number of first transactions that are free.
        free_units_per_events: Option<u64>,
        /// Amount of units that is free.
        free_units_per_total_aggregation: Option<Decimal>,
        /// Floor of each transaction's amount.
        per_transaction_min_amount: Option<Decimal>,
        /// Cap of each transaction's amount.
        per_transaction_max_amount: Option<Decimal>,
    },
}

/// A charge as the gateway rates it: a model plus the units included before it bills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Charge {
    /// The pricing model.
    #[serde(flatten)]
    pub model: ChargeModel,
    /// Units free before the model applies (gateway property `included_units`; always 0
    /// for package and percentage).
    pub included_units: Decimal,
}

/// What a model needs besides the units. Only `percentage` reads it: `events_count` for
/// the fixed fee and free transactions, `event_values` (chronological per-transaction
/// values, see [`crate::billing::aggregation::event_values`]) for free units per events
/// and per-transaction min/max.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceContext {
    /// Transactions in the window (counters excluded).
    pub events_count: u64,
    /// Each transaction's value, oldest first.
    pub event_values: Vec<Decimal>,
}

/// What a line of a [`ChargeResult`] stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LineKind {
    /// Free units (included units, package free units, percentage free units); amount 0.
    Included,
    /// Units priced per unit (standard, a graduated range, the volume range) plus the
    /// range's flat amount.
    Tier,
    /// Packages: `units` is the number of packages, `per_unit_amount` the package price.
    Package {
        /// Units per package.
        package_size: u64,
        /// Usage units after free units.
        paid_units: Decimal,
    },
    /// Percentage of the paid units: `per_unit_amount` is `rate / 100`.
    Percentage,
    /// Fixed fee: `units` paid transactions at `per_unit_amount` each.
    FixedFee,
    /// Difference made by per-transaction min/max (may be negative).
    Adjustment,
}

/// One readable line of a priced charge. All amounts are major units, unrounded;
/// `amount = units × per_unit_amount + flat_amount` except for `Adjustment` lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierLine {
    /// What the line stands for.
    pub kind: LineKind,
    /// First unit covered (range bound for tiers).
    pub from_value: Decimal,
    /// Last unit covered; `None` when open-ended.
    pub to_value: Option<Decimal>,
    /// Units (or packages, or transactions) billed on this line.
    pub units: Decimal,
    /// Price per unit.
    pub per_unit_amount: Decimal,
    /// Flat amount of the line.
    pub flat_amount: Decimal,
    /// Line total.
    pub amount: Decimal,
}

/// A priced charge: the total in **major units, unrounded**, and its lines
/// (`amount` = Σ `lines[].amount`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChargeResult {
    /// Total, major units, unrounded.
    pub amount: Decimal,
    /// Breakdown for invoices.
    pub lines: Vec<TierLine>,
}

impl ChargeResult {
    fn from_lines(lines: Vec<TierLine>) -> Result<Self, Overflow> {
        let amount = checked::sum(lines.iter().map(|l| l.amount), "charge total")?;
        Ok(Self { amount, lines })
    }

    /// The total rounded to `currency`'s minor unit (half away from zero);
    /// `.to_cents()` on it gives Lago's `amount_cents`.
    pub fn to_money(&self, currency: Currency) -> Money {
        Money::new(self.amount, currency).rounded()
    }
}

impl ChargeModel {
    /// Prices `units` (the aggregated units; negative counts as nothing) with this model.
    /// `ctx` is read by `percentage` only. Never rounds.
    ///
    /// # Errors
    /// [`Overflow`] when an amount leaves `Decimal`'s range.
    pub fn price(&self, units: Decimal, ctx: &PriceContext) -> Result<ChargeResult, Overflow> {
        if units.is_sign_negative() && !units.is_zero() {
            return Ok(ChargeResult::default());
        }
        match self {
            ChargeModel::Standard { amount } => tiers::standard(*amount, units),
            ChargeModel::Package {
                amount,
                package_size,
                free_units,
            } => tiers::package(*amount, *package_size, *free_units, units),
            ChargeModel::Graduated { ranges } => tiers::graduated(ranges, units),
            ChargeModel::Volume { ranges } => tiers::volume(ranges, units),
            ChargeModel::Percentage { .. } => percentage::price(self, units, ctx),
        }
    }
}

impl Charge {
    /// Prices `units`: the first `included_units` are free (an `Included` line), the rest
    /// goes to the model. Negative units bill nothing. Never rounds.
    ///
    /// # Errors
    /// [`Overflow`] when an amount leaves `Decimal`'s range.
    pub fn price(&self, units: Decimal, ctx: &PriceContext) -> Result<ChargeResult, Overflow> {
        if units <= Decimal::ZERO || self.included_units.is_zero() {
            return self.model.price(units, ctx);
        }
        let free = units.min(self.included_units);
        let mut lines = vec![TierLine {
            kind: LineKind::Included,
            from_value: Decimal::ZERO,
            to_value: Some(self.included_units),
            units: free,
            per_unit_amount: Decimal::ZERO,
            flat_amount: Decimal::ZERO,
            amount: Decimal::ZERO,
        }];
        let rest = checked::sub(units, free, "units after included units")?;
        lines.extend(self.model.price(rest, ctx)?.lines);
        ChargeResult::from_lines(lines)
    }
}

#[cfg(test)]
mod tests;
