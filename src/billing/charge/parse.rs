//! Lago `charge_model` + `properties` JSON ⇄ [`Charge`], with Lago's validation rules
//! (`app/services/charges/validators/{standard,package,graduated,volume,percentage}_service.rb`,
//! `app/services/validators/{decimal_amount_service,range_bounds_validator}.rb`).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::{tiers, Charge, ChargeModel, PriceRange};
use crate::billing::metric::AggregationType;
use crate::billing::money::{parse_amount, DecimalStringError};
use crate::billing::ValidationErrors;
use crate::lago::error_code::FieldCode;
use crate::limits;

impl Charge {
    /// Parses and validates a Lago charge: `charge_model` (`"standard"`, `"package"`,
    /// `"graduated"`, `"volume"`, `"percentage"`) and its `properties` object, for a metric
    /// aggregated with `aggregation`. Unknown property keys are ignored, as Lago filters them.
    ///
    /// Every problem is reported at once as field → Lago error codes:
    /// - `charge_model: value_is_invalid` — unknown or unsupported model (`graduated_percentage`,
    ///   `custom`, `dynamic`); `properties: value_is_invalid` — not a JSON object;
    /// - standard: `amount: invalid_amount`;
    /// - package: `amount: invalid_amount`, `package_size: invalid_package_size` (integer
    ///   > 0), `free_units: invalid_free_units` (integer ≥ 0, required as in Lago);
    /// - graduated / volume: `graduated_ranges: missing_graduated_ranges |
    ///   invalid_graduated_ranges` (resp. `volume_ranges: missing_volume_ranges |
    ///   invalid_volume_ranges`), `per_unit_amount: invalid_amount`, `flat_amount:
    ///   invalid_amount`. Ranges start at 0; each next `from_value` is the previous
    ///   `to_value + 1` (Lago v1) or, for every range alike, the previous `to_value`
    ///   (adjacent ranges, Lago `adjacent_ranges.rb`); each `to_value` exceeds its
    ///   `from_value`; only the last `to_value` is null. Bounds are JSON integers ≥ 0;
    /// - percentage: `rate: invalid_rate`, `fixed_amount: invalid_fixed_amount`,
    ///   `free_units_per_events: invalid_free_units_per_events` (integer > 0),
    ///   `free_units_per_total_aggregation: invalid_free_units_per_total_aggregation`,
    ///   `per_transaction_min_amount` / `per_transaction_max_amount: invalid_amount`,
    ///   `per_transaction_max_amount: per_transaction_max_lower_than_per_transaction_min`,
    ///   and `billable_metric: invalid_value` with `latest_agg`;
    /// - gateway `included_units`: `invalid_included_units` when not a decimal string ≥ 0
    ///   (standard, graduated, volume), `value_is_invalid` on package and percentage.
    ///
    /// Amounts must be decimal strings ≥ 0 in major units (`"0.05"`); JSON numbers are
    /// refused (`DecimalAmountService`). Beyond Lago, every number is bounded
    /// ([`crate::limits`]): prices ≤ 10¹², `rate` ≤ 1,000, quantities and integer properties
    /// ≤ 10¹⁵, at most 12 decimal places, else `<key>: value_is_out_of_range` (for range
    /// bounds, against `graduated_ranges` / `volume_ranges`).
    pub fn from_lago(
        charge_model: &str,
        properties: &Value,
        aggregation: AggregationType,
    ) -> Result<Charge, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let empty = Map::new();
        let props = match properties {
            Value::Object(map) => map,
            Value::Null => &empty,
            _ => {
                errors.add("properties", FieldCode::ValueIsInvalid);
                &empty
            }
        };
        let model = match charge_model {
            "standard" => Some(ChargeModel::Standard {
                amount: amount(props, "amount", FieldCode::InvalidAmount, &mut errors),
            }),
            "package" => Some(package(props, &mut errors)),
            "graduated" => Some(ChargeModel::Graduated {
                ranges: ranges(props, "graduated", &mut errors),
            }),
            "volume" => Some(ChargeModel::Volume {
                ranges: ranges(props, "volume", &mut errors),
            }),
            "percentage" => Some(percentage(props, aggregation, &mut errors)),
            _ => {
                errors.add("charge_model", FieldCode::ValueIsInvalid);
                None
            }
        };
        let included_units = included_units(charge_model, props, &mut errors);
        match (model, errors.is_empty()) {
            (Some(model), true) => Ok(Charge {
                model,
                included_units,
            }),
            _ => Err(errors),
        }
    }

    /// The Lago `charge_model` name of this charge.
    pub fn charge_model(&self) -> &'static str {
        match self.model {
            ChargeModel::Standard { .. } => "standard",
            ChargeModel::Package { .. } => "package",
            ChargeModel::Graduated { .. } => "graduated",
            ChargeModel::Volume { .. } => "volume",
            ChargeModel::Percentage { .. } => "percentage",
        }
    }

    /// The Lago `properties` object of this charge (decimal strings, Lago key names, plus
    /// `included_units` when non-zero). `Charge::from_lago(c.charge_model(),
    /// &c.to_lago_properties(), agg)` gives `c` back.
    pub fn to_lago_properties(&self) -> Value {
        let s = |d: &Decimal| Value::String(d.normalize().to_string());
        let opt = |d: &Option<Decimal>| d.as_ref().map(s).unwrap_or(Value::Null);
        let mut props = match &self.model {
            ChargeModel::Standard { amount } => json!({ "amount": s(amount) }),
            ChargeModel::Package {
                amount,
                package_size,
                free_units,
            } => {
                json!({ "amount": s(amount), "package_size": package_size, "free_units": free_units })
            }
            ChargeModel::Graduated { ranges } => json!({ "graduated_ranges": ranges_json(ranges) }),
            ChargeModel::Volume { ranges } => json!({ "volume_ranges": ranges_json(ranges) }),
            ChargeModel::Percentage {
                rate,
                fixed_amount,
                free_units_per_events,
                free_units_per_total_aggregation,
                per_transaction_min_amount,
                per_transaction_max_amount,
            } => json!({
                "rate": s(rate),
                "fixed_amount": opt(fixed_amount),
                "free_units_per_events": free_units_per_events,
                "free_units_per_total_aggregation": opt(free_units_per_total_aggregation),
                "per_transaction_min_amount": opt(per_transaction_min_amount),
                "per_transaction_max_amount": opt(per_transaction_max_amount),
            }),
        };
        if !self.included_units.is_zero() {
            props["included_units"] = s(&self.included_units);
        }
        props
    }
}

fn ranges_json(ranges: &[PriceRange]) -> Value {
    let bound = |d: &Decimal| json!(d.to_u64());
    Value::Array(
        ranges
            .iter()
            .map(|r| {
                json!({
                    "from_value": bound(&r.from_value),
                    "to_value": r.to_value.as_ref().map(bound),
                    "per_unit_amount": r.per_unit_amount.normalize().to_string(),
                    "flat_amount": r.flat_amount.normalize().to_string(),
                })
            })
            .collect(),
    )
}

/// A required decimal string ≥ 0; records `code` against `key` otherwise, and
/// `value_is_out_of_range` beyond the key's bound or with more than
/// [`limits::MAX_SCALE`] decimals ([`limits::charge_property_max`]).
fn amount(
    props: &Map<String, Value>,
    key: &str,
    code: FieldCode,
    errors: &mut ValidationErrors,
) -> Decimal {
    let value = props.get(key).unwrap_or(&Value::Null);
    match parse_amount(value) {
        Ok(d) => {
            let max = limits::charge_property_max(key).unwrap_or(limits::MAX_UNIT_PRICE);
            if !limits::decimal_in_range(d, max, false) {
                errors.add(key, FieldCode::ValueIsOutOfRange);
            }
            d
        }
        Err(e) => {
            // A decimal beyond `Decimal` itself (`"1e40"`) is out of range, not malformed.
            match e {
                DecimalStringError::Invalid(raw) if limits::is_number_text(raw.trim()) => {
                    errors.add(key, FieldCode::ValueIsOutOfRange)
                }
                _ => errors.add(key, code),
            }
            Decimal::ZERO
        }
    }
}

/// [`integer`], recording `value_is_out_of_range` against `field` above
/// [`limits::MAX_QUANTITY`].
fn bounded_integer(
    value: Option<&Value>,
    field: &str,
    errors: &mut ValidationErrors,
) -> Option<i128> {
    let n = integer(value);
    if let (Some(n), Some(max)) = (n, limits::MAX_QUANTITY.to_i128()) {
        if n > max {
            errors.add(field, FieldCode::ValueIsOutOfRange);
        }
    }
    n
}

/// An optional decimal string ≥ 0 (`null`, missing and, when `blank_is_absent`, `""`
/// mean absent).
fn optional_amount(
    props: &Map<String, Value>,
    key: &str,
    code: FieldCode,
    blank_is_absent: bool,
    errors: &mut ValidationErrors,
) -> Option<Decimal> {
    match props.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if blank_is_absent && s.trim().is_empty() => None,
        Some(_) => Some(amount(props, key, code, errors)),
    }
}

/// A JSON integer (not a float, not a string), like Ruby's `is_a?(Integer)`.
fn integer(value: Option<&Value>) -> Option<i128> {
    match value {
        Some(Value::Number(n)) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    }
}

fn package(props: &Map<String, Value>, errors: &mut ValidationErrors) -> ChargeModel {
    let amount = amount(props, "amount", FieldCode::InvalidAmount, errors);
    let package_size = bounded_integer(props.get("package_size"), "package_size", errors)
        .filter(|n| *n > 0)
        .and_then(|n| u64::try_from(n).ok());
    if package_size.is_none() {
        errors.add("package_size", FieldCode::InvalidPackageSize);
    }
    let free_units = bounded_integer(props.get("free_units"), "free_units", errors)
        .filter(|n| *n >= 0)
        .and_then(|n| u64::try_from(n).ok());
    if free_units.is_none() {
        errors.add("free_units", FieldCode::InvalidFreeUnits);
    }
    ChargeModel::Package {
        amount,
        package_size: package_size.unwrap_or(1),
        free_units: free_units.unwrap_or(0),
    }
}

fn ranges(
    props: &Map<String, Value>,
    kind: &str,
    errors: &mut ValidationErrors,
) -> Vec<PriceRange> {
    let field = format!("{kind}_ranges");
    let (missing, invalid) = if kind == "graduated" {
        (
            FieldCode::MissingGraduatedRanges,
            FieldCode::InvalidGraduatedRanges,
        )
    } else {
        (
            FieldCode::MissingVolumeRanges,
            FieldCode::InvalidVolumeRanges,
        )
    };
    let raw = match props.get(&field) {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => {
            errors.add(&field, missing);
            return Vec::new();
        }
    };
    let mut ranges = Vec::with_capacity(raw.len());
    for item in raw {
        let Value::Object(r) = item else {
            errors.add(&field, invalid);
            continue;
        };
        let from = bounded_integer(r.get("from_value"), &field, errors).filter(|n| *n >= 0);
        let to = match r.get("to_value") {
            None | Some(Value::Null) => Some(None),
            v => bounded_integer(v, &field, errors)
                .filter(|n| *n >= 0)
                .map(Some),
        };
        let per_unit_amount = amount(r, "per_unit_amount", FieldCode::InvalidAmount, errors);
        let flat_amount = amount(r, "flat_amount", FieldCode::InvalidAmount, errors);
        match (from, to) {
            (Some(from), Some(to)) => ranges.push(PriceRange {
                from_value: Decimal::from(from),
                to_value: to.map(Decimal::from),
                per_unit_amount,
                flat_amount,
            }),
            _ => errors.add(&field, invalid),
        }
    }
    if ranges.len() != raw.len() || !valid_bounds(&ranges) {
        errors.add(&field, invalid);
    }
    ranges
}

/// Lago `RangeBoundsValidator`, accepting v1 (`+1`) or adjacent ranges, not a mix.
fn valid_bounds(ranges: &[PriceRange]) -> bool {
    let step = if tiers::adjacent(ranges) {
        Decimal::ZERO
    } else {
        Decimal::ONE
    };
    let mut next_from = Decimal::ZERO;
    for (i, r) in ranges.iter().enumerate() {
        let last = i == ranges.len() - 1;
        let to_ok = match r.to_value {
            None => last,
            Some(to) => !last && to > r.from_value,
        };
        if r.from_value != next_from || !to_ok {
            return false;
        }
        next_from = r.to_value.unwrap_or_default() + step;
    }
    true
}

fn percentage(
    props: &Map<String, Value>,
    aggregation: AggregationType,
    errors: &mut ValidationErrors,
) -> ChargeModel {
    if aggregation == AggregationType::Latest {
        errors.add("billable_metric", FieldCode::InvalidValue);
    }
    let rate = amount(props, "rate", FieldCode::InvalidRate, errors);
    let fixed_amount = optional_amount(
        props,
        "fixed_amount",
        FieldCode::InvalidFixedAmount,
        false,
        errors,
    );
    let free_units_per_events = match props.get("free_units_per_events") {
        None | Some(Value::Null) => None,
        v => {
            let n = bounded_integer(v, "free_units_per_events", errors)
                .filter(|n| *n > 0)
                .and_then(|n| u64::try_from(n).ok());
            if n.is_none() {
                errors.add(
                    "free_units_per_events",
                    FieldCode::InvalidFreeUnitsPerEvents,
                );
            }
            n
        }
    };
    let free_units_per_total_aggregation = optional_amount(
        props,
        "free_units_per_total_aggregation",
        FieldCode::InvalidFreeUnitsPerTotalAggregation,
        false,
        errors,
    );
    let min = optional_amount(
        props,
        "per_transaction_min_amount",
        FieldCode::InvalidAmount,
        true,
        errors,
    );
    let max = optional_amount(
        props,
        "per_transaction_max_amount",
        FieldCode::InvalidAmount,
        true,
        errors,
    );
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            errors.add(
                "per_transaction_max_amount",
                FieldCode::PerTransactionMaxLowerThanPerTransactionMin,
            );
        }
    }
    ChargeModel::Percentage {
        rate,
        fixed_amount,
        free_units_per_events,
        free_units_per_total_aggregation,
        per_transaction_min_amount: min,
        per_transaction_max_amount: max,
    }
}

fn included_units(
    model: &str,
    props: &Map<String, Value>,
    errors: &mut ValidationErrors,
) -> Decimal {
    let present = !matches!(props.get("included_units"), None | Some(Value::Null));
    match model {
        "standard" | "graduated" | "volume" if present => amount(
            props,
            "included_units",
            FieldCode::InvalidIncludedUnits,
            errors,
        ),
        "package" | "percentage" if present => {
            errors.add("included_units", FieldCode::ValueIsInvalid);
            Decimal::ZERO
        }
        _ => Decimal::ZERO,
    }
}
