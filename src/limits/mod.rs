//! Input bounds: every limit the gateway puts on what a client may send, in one place.
//!
//! Lago's limits where Lago has them, ours where it does not. A value out of bounds is a
//! 422 `validation_errors` naming the field (the leaf key, as the other field errors do;
//! `<object>.<field>` inside `shipping_address` and `billing_configuration`):
//!
//! | what | bound | code |
//! |---|---|---|
//! | ids and codes (`external_id`, `code`, `transaction_id`, `plan_code`, `add_on_code`, `idempotency_key`, `billable_metric_id`, …) | ≤ [`MAX_ID_LEN`] (255) characters | `value_is_too_long` |
//! | names (`name`, `invoice_display_name`, `legal_name`, address lines, `email`, …) | ≤ [`MAX_NAME_LEN`] (255) characters | `value_is_too_long` |
//! | any other string of a body (`description`, `reason`, URLs, …) | ≤ [`MAX_TEXT_LEN`] (1,024) characters | `value_is_too_long` |
//! | fields echoed as sent (`shipping_address.*`, `billing_configuration.*`, plan `description`, `invoice_display_name`, `trial_period` ≤ 36,500 days, `bill_charges_monthly`, customer `finalize_zero_amount_invoice` ∈ {`inherit`, `finalize`, `skip`}) | their JSON type as Lago's schema gives it | `value_is_invalid` |
//! | customer `country` (two letters), `shipping_address.country`, `timezone` | a value of Lago's `Country` / `Timezone` enums | `country_code_invalid`, `value_is_invalid` |
//! | nesting of a body below its root object | ≤ [`MAX_DEPTH`] (8) levels | `value_is_invalid` |
//! | items of any array of a body (charges, ranges, fees, credit note items, …) | ≤ [`MAX_ITEMS`] (100) | `too_many_items` |
//! | customer metadata (Lago `Metadata::CustomerMetadata`) | ≤ 5 entries, key ≤ 20, value ≤ 100 characters, flat, key and value non-blank strings | `too_many_keys`, `key_too_long`, `value_too_long`, `nested_structure_not_allowed`, `invalid_key_value_pair` |
//! | invoice metadata (Lago `Metadata::InvoiceMetadata`) | ≤ 5 entries, key ≤ 20, value ≤ 255 characters, flat | as above |
//! | `billing_configuration`, `shipping_address` | flat objects of ≤ [`MAX_ITEMS`] scalars (or lists of scalars) | `nested_structure_not_allowed` |
//! | `billing_configuration`: `payment_provider` ∈ {`stripe`, `adyen`, `gocardless`}, `invoice_grace_period` 0..=365, `provider_payment_methods` a list of strings | | `value_is_invalid`, `value_is_out_of_range` |
//! | quantities: usage counter `quantity`, one-off fee `units`, numeric event property values, charge `included_units`, `free_units_per_total_aggregation`, range bounds, `package_size`, `free_units`, `free_units_per_events` | 0 ≤ x ≤ [`MAX_QUANTITY`] (10¹⁵), ≤ [`MAX_SCALE`] (12) decimal places; event property values (numbers and numeric text) and `precise_total_amount_cents`: \|x\| ≤ 10¹⁵, any precision | `value_is_out_of_range` |
//! | unit prices in major units: charge `amount`, `per_unit_amount`, `flat_amount`, `fixed_amount`, `per_transaction_min/max_amount` | 0 ≤ x ≤ [`MAX_UNIT_PRICE`] (10¹²), ≤ 12 decimal places | `value_is_out_of_range` |
//! | percentage `rate` | 0 ≤ x ≤ [`MAX_RATE`] (1,000 %), ≤ 12 decimal places | `value_is_out_of_range` |
//! | amounts in cents: plan `amount_cents`, charge `min_amount_cents`, fee `unit_amount_cents`, credit note `amount_cents`, `credit_amount_cents`, `refund_amount_cents` | 0 ≤ x ≤ [`MAX_AMOUNT_CENTS`] (10¹⁴) | `value_is_out_of_range` |
//! | one-off invoice: `units × unit_amount_cents` of a fee, and the sum of its fees | ≤ [`MAX_AMOUNT_CENTS`] | `value_is_out_of_range` |
//!
//! Why these magnitudes: `rust_decimal` holds ±7.9·10²⁸ with 28 significant digits, cents
//! travel as `i64` (±9.2·10¹⁸). A quantity (≤ 10¹⁵) times a unit price (≤ 10¹²) is
//! ≤ 10²⁷, times a tax rate of 13 % (or any rate below 7,800 %) still fits a `Decimal`; a
//! percentage charge is ≤ 10¹⁵ × 1,000 / 100 = 10¹⁶. A plan or fee of ≤ 10¹⁴ cents
//! (10¹² major units), summed over 10⁴ lines and taxed at 13 %, stays below 1.2·10¹⁸ cents,
//! inside `i64`. Twelve decimal places keep a value of 10¹⁵ inside `Decimal`'s 28 digits
//! (15 + 12 = 27) so that parsing never rounds silently. What a single input cannot bound
//! (a sum over an unbounded number of events, a price times an aggregated total) is computed
//! with checked arithmetic downstream and fails as an error, never a panic or a 0.
//!
//! Strings are measured in characters (`chars().count()`), as Rails' `length` validations.
//!
//! Layout: the bounds and the scalar checks are here; `spec` says what each known field of
//! each resource must be, `body` checks a request body against it ([`check_body`]), `tree`
//! walks any JSON value for lengths, sizes and depth ([`check_event_properties`]).

use std::str::FromStr;

use crate::lago::error_code::FieldCode;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

mod body;
mod spec;
mod tree;

pub use body::check_body;
pub use tree::check_event_properties;

/// Longest id or code (customer/subscription `external_id`, plan and metric `code`, event
/// `transaction_id`, counter `idempotency_key`, …), in characters.
pub const MAX_ID_LEN: usize = 255;

/// Longest name (`name`, `invoice_display_name`, `legal_name`, `email`, address fields).
pub const MAX_NAME_LEN: usize = 255;

/// Longest other string anywhere in a request body (descriptions, reasons, URLs).
pub const MAX_TEXT_LEN: usize = 1024;

/// Deepest nesting below a body's root object (a plan's graduated range value is at 5).
pub const MAX_DEPTH: usize = 8;

/// Most items of one array in a body.
pub const MAX_ITEMS: usize = 100;

/// Most decimal places of a decimal input (quantities, units, prices, rates).
pub const MAX_SCALE: u32 = 12;

/// Largest quantity (units, counter quantities, numeric event property values, charge
/// integer properties): 10¹⁵.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// Largest unit price in major units (charge `amount`, `per_unit_amount`, …): 10¹².
pub const MAX_UNIT_PRICE: Decimal = Decimal::from_parts(0xD4A5_1000, 0x0000_00E8, 0, false, 0);

/// Largest percentage `rate` (1,000 %).
pub const MAX_RATE: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// Largest amount in cents (plan `amount_cents`, fee `unit_amount_cents`, credit note
/// amounts, and a one-off invoice's total): 10¹⁴.
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000_000_000;

/// Lago's metadata rules (`Validators::MetadataValidator`, `Metadata::*Metadata` models).
#[derive(Debug, Clone, Copy)]
pub struct MetadataRules {
    /// Most entries.
    pub max_entries: usize,
    /// Longest key, characters.
    pub max_key_len: usize,
    /// Longest value, characters.
    pub max_value_len: usize,
}

/// Customer metadata: Lago `Metadata::CustomerMetadata` (5 per customer, key ≤ 20, value ≤ 100).
pub const CUSTOMER_METADATA: MetadataRules = MetadataRules {
    max_entries: 5,
    max_key_len: 20,
    max_value_len: 100,
};

/// Invoice metadata: Lago `Metadata::InvoiceMetadata` (5 per invoice, key ≤ 20); Lago does
/// not bound the value, we take [`MAX_NAME_LEN`].
pub const INVOICE_METADATA: MetadataRules = MetadataRules {
    max_entries: 5,
    max_key_len: 20,
    max_value_len: MAX_NAME_LEN,
};

/// Field → list of codes, the shape of Lago's `error_details`.
pub type Errors = Map<String, Value>;

fn add(errors: &mut Errors, field: &str, code: FieldCode) {
    add_value(errors, field, json!(code));
}

/// Records an already rendered code (one of `errors`' own values) against `field`, once.
fn add_value(errors: &mut Errors, field: &str, code: Value) {
    let entry = errors
        .entry(field.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(codes) = entry {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
}

/// Whether `d` is within `0 ≤ d ≤ max` (or `|d| ≤ max` when `signed`) with at most
/// [`MAX_SCALE`] decimal places (trailing zeros do not count).
pub fn decimal_in_range(d: Decimal, max: Decimal, signed: bool) -> bool {
    let n = d.normalize();
    n.scale() <= MAX_SCALE && n.abs() <= max && (signed || !n.is_sign_negative() || n.is_zero())
}

/// A quantity (counter `quantity`, fee `units`): `0 ≤ q ≤` [`MAX_QUANTITY`], ≤ 12 decimals.
///
/// # Errors
/// `value_is_out_of_range` otherwise.
pub fn quantity(d: Decimal) -> Result<Decimal, FieldCode> {
    if decimal_in_range(d, MAX_QUANTITY, false) {
        Ok(d.normalize())
    } else {
        Err(FieldCode::ValueIsOutOfRange)
    }
}

/// An amount in cents: `0 ≤ c ≤` [`MAX_AMOUNT_CENTS`].
///
/// # Errors
/// `value_is_out_of_range` otherwise.
pub fn amount_cents(c: i64) -> Result<i64, FieldCode> {
    if (0..=MAX_AMOUNT_CENTS).contains(&c) {
        Ok(c)
    } else {
        Err(FieldCode::ValueIsOutOfRange)
    }
}

/// The bound of a charge property, by its Lago key: unit prices, rates and quantities.
/// `None` for keys that are not numeric charge properties.
pub fn charge_property_max(key: &str) -> Option<Decimal> {
    match key {
        "amount"
        | "per_unit_amount"
        | "flat_amount"
        | "fixed_amount"
        | "per_transaction_min_amount"
        | "per_transaction_max_amount" => Some(MAX_UNIT_PRICE),
        "rate" => Some(MAX_RATE),
        "included_units"
        | "free_units_per_total_aggregation"
        | "package_size"
        | "free_units"
        | "free_units_per_events"
        | "from_value"
        | "to_value" => Some(MAX_QUANTITY),
        _ => None,
    }
}

/// Whether a string is within `max` characters (bytes first: a long string is refused
/// without counting its characters).
pub fn len_ok(s: &str, max: usize) -> bool {
    s.len() <= max || s.chars().count() <= max
}

/// Whether `t` is a number as JSON writes one (`-12.5e3`), not merely digits and dashes
/// (a date such as `2024-01-01` is text).
pub fn is_number_text(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((i, f)) => {
            (digits(i) || i.is_empty())
                && (digits(f) || f.is_empty())
                && !(i.is_empty() && f.is_empty())
        }
        None => digits(mantissa),
    };
    mantissa_ok && exponent.map_or(true, digits)
}

/// A decimal from a JSON number or numeric text: `None` when it is not numeric at all (the
/// resource's validation reports that), `Some(Err)` when it is numeric but beyond `Decimal`
/// (e.g. `1e40`).
fn decimal_of(v: &Value) -> Option<Result<Decimal, ()>> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    if let Ok(d) = Decimal::from_str(&text) {
        return Some(Ok(d));
    }
    if let Ok(d) = Decimal::from_scientific(&text) {
        return Some(Ok(d));
    }
    // Numeric (by JSON's number grammar) but unrepresentable: too large or too precise.
    let numeric = is_number_text(&text);
    numeric.then_some(Err(()))
}

#[cfg(test)]
mod tests;
