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

use std::str::FromStr;

use crate::lago::error_code::FieldCode;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

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

/// What a known field of a body must be.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A string (or number, which Rails permits as text) of ≤ [`MAX_ID_LEN`] characters.
    Id,
    /// A string (or number) of ≤ [`MAX_NAME_LEN`] characters.
    Name,
    /// A string (or number) of ≤ [`MAX_TEXT_LEN`] characters.
    Text,
    /// An integer amount in cents (JSON integer or integer text), `0..=MAX_AMOUNT_CENTS`.
    Cents,
    /// A decimal quantity (JSON number or decimal text), `0..=MAX_QUANTITY`, ≤ 12 decimals.
    Quantity,
    /// Lago key/value metadata (an array of `{key, value}` objects).
    Metadata(MetadataRules),
    /// An object whose values are scalars (strings ≤ [`MAX_NAME_LEN`]) or lists of scalars.
    Flat,
    /// A flat object ([`Kind::Flat`]) whose listed keys are also checked.
    FlatWith(&'static [(&'static str, Kind)]),
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A non-negative JSON integer (or integer text) up to this bound.
    Count(i64),
    /// A JSON string (not a number or boolean: the value is echoed as sent) of at most
    /// this many characters.
    Str(usize),
    /// A non-negative JSON number up to this bound (e.g. a plan's `trial_period` in days).
    Number(i64),
    /// A JSON boolean.
    Bool,
    /// A string among the `enum` of this schema of Lago's spec (`Country`, `Timezone`),
    /// compared in upper case when the flag is set (the gateway renders the value so).
    LagoEnum(&'static str, bool),
    /// A customer's top-level `country`: two letters are checked against Lago's `Country`
    /// (`country_code_invalid`); anything else is left to the customer's own validation,
    /// which answers the same code.
    CustomerCountry,
    /// An array of ≤ [`MAX_ITEMS`] strings of ≤ [`MAX_NAME_LEN`] characters.
    Strings,
    /// An array of objects, each checked against these fields.
    Items(&'static [(&'static str, Kind)]),
}

const CUSTOMER: &[(&str, Kind)] = &[
    ("external_id", Kind::Id),
    ("billing_entity_code", Kind::Id),
    ("external_salesforce_id", Kind::Id),
    ("name", Kind::Name),
    ("firstname", Kind::Name),
    ("lastname", Kind::Name),
    ("legal_name", Kind::Name),
    ("legal_number", Kind::Name),
    ("tax_identification_number", Kind::Name),
    ("email", Kind::Name),
    ("phone", Kind::Name),
    ("address_line1", Kind::Name),
    ("address_line2", Kind::Name),
    ("city", Kind::Name),
    ("state", Kind::Name),
    ("zipcode", Kind::Name),
    ("country", Kind::CustomerCountry),
    ("currency", Kind::Name),
    ("timezone", Kind::LagoEnum("Timezone", false)),
    ("customer_type", Kind::Name),
    ("url", Kind::Text),
    (
        "finalize_zero_amount_invoice",
        Kind::OneOf(&["inherit", "finalize", "skip"]),
    ),
    ("metadata", Kind::Metadata(CUSTOMER_METADATA)),
    (
        "billing_configuration",
        Kind::FlatWith(BILLING_CONFIGURATION),
    ),
    ("shipping_address", Kind::FlatWith(ADDRESS)),
];

/// Lago's `CustomerBillingConfiguration` (payment providers as its spec enumerates them;
/// a grace period of at most 365 days, as Lago's UI).
const BILLING_CONFIGURATION: &[(&str, Kind)] = &[
    (
        "payment_provider",
        Kind::OneOf(&["stripe", "adyen", "gocardless"]),
    ),
    ("payment_provider_code", Kind::Str(MAX_ID_LEN)),
    ("provider_customer_id", Kind::Str(MAX_ID_LEN)),
    ("invoice_grace_period", Kind::Count(365)),
    ("document_locale", Kind::Str(MAX_ID_LEN)),
    ("provider_payment_methods", Kind::Strings),
];

/// Lago's `Address` (echoed as sent, hence strings only).
const ADDRESS: &[(&str, Kind)] = &[
    ("address_line1", Kind::Str(MAX_NAME_LEN)),
    ("address_line2", Kind::Str(MAX_NAME_LEN)),
    ("city", Kind::Str(MAX_NAME_LEN)),
    ("zipcode", Kind::Str(MAX_NAME_LEN)),
    ("state", Kind::Str(MAX_NAME_LEN)),
    ("country", Kind::LagoEnum("Country", false)),
];

const CHARGE: &[(&str, Kind)] = &[
    ("id", Kind::Id),
    ("lago_id", Kind::Id),
    ("billable_metric_id", Kind::Id),
    ("code", Kind::Id),
    ("charge_model", Kind::Id),
    ("invoice_display_name", Kind::Str(MAX_NAME_LEN)),
    ("min_amount_cents", Kind::Cents),
];

const PLAN: &[(&str, Kind)] = &[
    ("code", Kind::Id),
    ("name", Kind::Name),
    ("invoice_display_name", Kind::Str(MAX_NAME_LEN)),
    ("interval", Kind::Id),
    ("amount_currency", Kind::Id),
    ("description", Kind::Str(MAX_TEXT_LEN)),
    ("trial_period", Kind::Number(36_500)),
    ("bill_charges_monthly", Kind::Bool),
    ("amount_cents", Kind::Cents),
    ("charges", Kind::Items(CHARGE)),
];

const SUBSCRIPTION: &[(&str, Kind)] = &[
    ("external_customer_id", Kind::Id),
    ("plan_code", Kind::Id),
    ("external_id", Kind::Id),
    ("billing_time", Kind::Id),
    ("subscription_at", Kind::Id),
    ("ending_at", Kind::Id),
    ("name", Kind::Name),
];

const FEE: &[(&str, Kind)] = &[
    ("add_on_code", Kind::Id),
    ("invoice_display_name", Kind::Name),
    ("name", Kind::Name),
    ("description", Kind::Text),
    ("units", Kind::Quantity),
    ("unit_amount_cents", Kind::Cents),
];

const INVOICE: &[(&str, Kind)] = &[
    ("external_customer_id", Kind::Id),
    ("currency", Kind::Id),
    ("payment_status", Kind::Id),
    ("fees", Kind::Items(FEE)),
    ("metadata", Kind::Metadata(INVOICE_METADATA)),
];

const CREDIT_NOTE_ITEM: &[(&str, Kind)] = &[("fee_id", Kind::Id), ("amount_cents", Kind::Cents)];

const CREDIT_NOTE: &[(&str, Kind)] = &[
    ("invoice_id", Kind::Id),
    ("reason", Kind::Id),
    ("description", Kind::Text),
    ("credit_amount_cents", Kind::Cents),
    ("refund_amount_cents", Kind::Cents),
    ("items", Kind::Items(CREDIT_NOTE_ITEM)),
];

const BILLABLE_METRIC: &[(&str, Kind)] = &[
    ("code", Kind::Id),
    ("name", Kind::Name),
    ("field_name", Kind::Id),
    ("aggregation_type", Kind::Id),
    ("description", Kind::Text),
    ("expression", Kind::Text),
];

const WEBHOOK_ENDPOINT: &[(&str, Kind)] = &[
    ("webhook_url", Kind::Text),
    ("signature_algo", Kind::Id),
    ("name", Kind::Name),
];

fn spec(root: &str) -> &'static [(&'static str, Kind)] {
    match root {
        "customer" => CUSTOMER,
        "plan" => PLAN,
        "subscription" => SUBSCRIPTION,
        "invoice" => INVOICE,
        "credit_note" => CREDIT_NOTE,
        "billable_metric" => BILLABLE_METRIC,
        "webhook_endpoint" => WEBHOOK_ENDPOINT,
        _ => &[],
    }
}

/// Checks the object under a body's root key (`customer`, `plan`, `subscription`, `invoice`,
/// `credit_note`, `billable_metric`, `webhook_endpoint`): the known fields of that resource
/// against their bounds and JSON types, then every string, array and nesting level of the
/// whole object against [`MAX_TEXT_LEN`], [`MAX_ITEMS`] and [`MAX_DEPTH`]. Every problem is
/// reported at once.
///
/// # Errors
/// Field → codes (`value_is_out_of_range`, `value_is_too_long`, `value_is_invalid`, `too_many_items`, and Lago's
/// metadata codes).
pub fn check_body(root: &str, obj: &Map<String, Value>) -> Result<(), Errors> {
    let mut errors = Errors::new();
    check_fields(spec(root), obj, &mut errors);
    if root == "invoice" && errors.is_empty() {
        one_off_total(obj, &mut errors);
    }
    check_object(root, obj, 0, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_fields(fields: &[(&str, Kind)], obj: &Map<String, Value>, errors: &mut Errors) {
    for (key, kind) in fields {
        match obj.get(*key) {
            None | Some(Value::Null) => {}
            Some(v) => check_field(key, *kind, v, errors),
        }
    }
}

fn text_of(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(s.as_str().into()),
        Value::Number(n) => Some(n.to_string().into()),
        Value::Bool(b) => Some(b.to_string().into()),
        _ => None,
    }
}

fn check_field(key: &str, kind: Kind, v: &Value, errors: &mut Errors) {
    let string = |max: usize, errors: &mut Errors| match text_of(v) {
        Some(s) if !len_ok(&s, max) => add(errors, key, FieldCode::ValueIsTooLong),
        Some(_) => {}
        None => add(errors, key, FieldCode::ValueIsInvalid),
    };
    match kind {
        Kind::Id => string(MAX_ID_LEN, errors),
        Kind::Name => string(MAX_NAME_LEN, errors),
        Kind::Text => string(MAX_TEXT_LEN, errors),
        Kind::Cents => match v {
            Value::Number(n) => match n.as_i64() {
                Some(c) if amount_cents(c).is_ok() => {}
                Some(c) if c < 0 => add(errors, key, FieldCode::ValueIsInvalid),
                _ if n.is_f64() => add(errors, key, FieldCode::ValueIsInvalid),
                _ => add(errors, key, FieldCode::ValueIsOutOfRange),
            },
            Value::String(s) => match s.trim().parse::<i128>() {
                Ok(c) if (0..=i128::from(MAX_AMOUNT_CENTS)).contains(&c) => {}
                Ok(c) if c < 0 => add(errors, key, FieldCode::ValueIsInvalid),
                Ok(_) => add(errors, key, FieldCode::ValueIsOutOfRange),
                // Not an integer: the resource's own validation names the field.
                Err(_) if s.trim().chars().all(|c| c.is_ascii_digit()) && !s.trim().is_empty() => {
                    add(errors, key, FieldCode::ValueIsOutOfRange)
                }
                Err(_) => {}
            },
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::Quantity => match decimal_of(v) {
            Some(Ok(d)) => {
                if d.is_sign_negative() && !d.is_zero() {
                    // Negative: the resource's own validation refuses it (value_is_invalid).
                } else if quantity(d).is_err() {
                    add(errors, key, FieldCode::ValueIsOutOfRange);
                }
            }
            Some(Err(())) => add(errors, key, FieldCode::ValueIsOutOfRange),
            None => {}
        },
        Kind::Metadata(rules) => metadata(key, v, rules, errors),
        Kind::FlatWith(fields) => {
            check_field(key, Kind::Flat, v, errors);
            if let Value::Object(m) = v {
                // Named `<object>.<field>` (`shipping_address.country`), not to be taken
                // for the customer's own field of the same name.
                let mut inner = Errors::new();
                check_fields(fields, m, &mut inner);
                for (field, codes) in inner {
                    for code in codes.as_array().into_iter().flatten() {
                        add_value(errors, &format!("{key}.{field}"), code.clone());
                    }
                }
            }
        }
        Kind::Str(max) => match v {
            Value::String(s) if !len_ok(s, max) => add(errors, key, FieldCode::ValueIsTooLong),
            Value::String(_) => {}
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::Number(max) => match v {
            Value::Number(n) => match n.as_f64() {
                Some(x) if (0.0..=max as f64).contains(&x) => {}
                Some(x) if x > max as f64 => add(errors, key, FieldCode::ValueIsOutOfRange),
                _ => add(errors, key, FieldCode::ValueIsInvalid),
            },
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::Bool => {
            if !v.is_boolean() {
                add(errors, key, FieldCode::ValueIsInvalid)
            }
        }
        Kind::CustomerCountry => {
            if let Value::String(s) = v {
                let s = s.trim();
                if s.len() == 2
                    && s.chars().all(|c| c.is_ascii_alphabetic())
                    && !lago_enum("Country")
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(s))
                {
                    add(errors, key, FieldCode::CountryCodeInvalid);
                }
            }
        }
        Kind::LagoEnum(schema, upper) => match v {
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => {
                let s = if upper { s.to_uppercase() } else { s.clone() };
                if !lago_enum(schema).contains(&s) {
                    add(errors, key, FieldCode::ValueIsInvalid);
                }
            }
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::OneOf(allowed) => match v {
            Value::String(s) if allowed.contains(&s.as_str()) => {}
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::Count(max) => {
            let n = match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if (0..=max).contains(&n) => {}
                Some(n) if n > max => add(errors, key, FieldCode::ValueIsOutOfRange),
                _ => add(errors, key, FieldCode::ValueIsInvalid),
            }
        }
        Kind::Strings => match v {
            Value::Array(items) if items.len() <= MAX_ITEMS => {
                for i in items {
                    match i {
                        Value::String(s) if !len_ok(s, MAX_NAME_LEN) => {
                            add(errors, key, FieldCode::ValueIsTooLong)
                        }
                        Value::String(_) => {}
                        _ => add(errors, key, FieldCode::ValueIsInvalid),
                    }
                }
            }
            Value::Array(_) => add(errors, key, FieldCode::TooManyItems),
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::Flat => match v {
            Value::Object(m) => {
                if m.len() > MAX_ITEMS {
                    add(errors, key, FieldCode::TooManyItems);
                }
                for (k, x) in m {
                    let scalars = |a: &Vec<Value>| {
                        a.len() <= MAX_ITEMS
                            && a.iter()
                                .all(|i| !matches!(i, Value::Object(_) | Value::Array(_)))
                    };
                    match x {
                        // A list of scalars (`provider_payment_methods: ["card"]`) is flat.
                        Value::Array(a) if scalars(a) => {}
                        Value::Object(_) | Value::Array(_) => {
                            add(errors, key, FieldCode::NestedStructureNotAllowed)
                        }
                        Value::String(s) if !len_ok(s, MAX_NAME_LEN) => {
                            add(errors, key, FieldCode::ValueIsTooLong)
                        }
                        _ if !len_ok(k, MAX_ID_LEN) => add(errors, key, FieldCode::ValueIsTooLong),
                        _ => {}
                    }
                }
            }
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
        Kind::Items(fields) => match v {
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(o) = item {
                        check_fields(fields, o, errors);
                    }
                }
            }
            _ => add(errors, key, FieldCode::ValueIsInvalid),
        },
    }
}

/// The `enum` of schema `name` in Lago's spec (the document the gateway serves), read once.
fn lago_enum(name: &str) -> &'static [String] {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static ENUMS: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    let enums = ENUMS.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(crate::api::openapi::LAGO_SUBSET).unwrap_or(Value::Null);
        let mut out = HashMap::new();
        for schema in ["Country", "Timezone"] {
            let values = doc
                .pointer(&format!("/components/schemas/{schema}/enum"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            out.insert(schema.to_string(), values);
        }
        out
    });
    enums.get(name).map(Vec::as_slice).unwrap_or(&[])
}

/// A one-off invoice's fees: each `units × unit_amount_cents`, and their sum, must stay
/// within [`MAX_AMOUNT_CENTS`] (`fees: value_is_out_of_range`). Fields that are not numbers
/// are left to the invoice's own validation.
fn one_off_total(obj: &Map<String, Value>, errors: &mut Errors) {
    let Some(Value::Array(fees)) = obj.get("fees") else {
        return;
    };
    let max = Decimal::from(MAX_AMOUNT_CENTS);
    let mut total = Decimal::ZERO;
    for fee in fees {
        let units = match fee.get("units").and_then(decimal_of) {
            Some(Ok(d)) => d,
            _ => Decimal::ONE,
        };
        let cents = match fee.get("unit_amount_cents").and_then(decimal_of) {
            Some(Ok(d)) => d,
            _ => Decimal::ZERO,
        };
        let line = units.checked_mul(cents);
        match line.and_then(|l| total.checked_add(l)) {
            Some(t) if line.is_some_and(|l| l <= max) && t <= max => total = t,
            _ => {
                add(errors, "fees", FieldCode::ValueIsOutOfRange);
                return;
            }
        }
    }
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

/// Lago's key/value metadata: an array of `{"key", "value"[, "display_in_invoice"|"id"]}`
/// objects, at most `rules.max_entries`, keys and values within their lengths, values
/// scalars.
fn metadata(field: &str, v: &Value, rules: MetadataRules, errors: &mut Errors) {
    let Value::Array(items) = v else {
        add(errors, field, FieldCode::ValueIsInvalid);
        return;
    };
    if items.len() > rules.max_entries {
        add(errors, field, FieldCode::TooManyKeys);
    }
    for item in items {
        let Value::Object(entry) = item else {
            add(errors, field, FieldCode::InvalidKeyValuePair);
            continue;
        };
        match entry.get("key") {
            Some(Value::String(k)) if !len_ok(k, rules.max_key_len) => {
                add(errors, field, FieldCode::KeyTooLong)
            }
            Some(Value::String(k)) if !k.trim().is_empty() => {}
            _ => add(errors, field, FieldCode::InvalidKeyValuePair),
        }
        // Lago requires a present value; the gateway echoes it, so it must be a string.
        match entry.get("value") {
            Some(Value::Object(_) | Value::Array(_)) => {
                add(errors, field, FieldCode::NestedStructureNotAllowed)
            }
            Some(Value::String(s)) if !len_ok(s, rules.max_value_len) => {
                add(errors, field, FieldCode::ValueTooLong)
            }
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            _ => add(errors, field, FieldCode::InvalidKeyValuePair),
        }
    }
}

/// Every string ≤ [`MAX_TEXT_LEN`], every array ≤ [`MAX_ITEMS`], nesting ≤ [`MAX_DEPTH`];
/// errors are named by the key that holds the value.
fn check_tree(key: &str, v: &Value, depth: usize, errors: &mut Errors) {
    if depth > MAX_DEPTH {
        add(errors, key, FieldCode::ValueIsInvalid);
        return;
    }
    match v {
        Value::String(s) if !len_ok(s, MAX_TEXT_LEN) => add(errors, key, FieldCode::ValueIsTooLong),
        Value::Array(items) => {
            if items.len() > MAX_ITEMS {
                add(errors, key, FieldCode::TooManyItems);
                return;
            }
            for item in items {
                check_tree(key, item, depth + 1, errors);
            }
        }
        Value::Object(m) => check_object(key, m, depth, errors),
        _ => {}
    }
}

/// [`check_tree`] of an object: ≤ 10 × [`MAX_ITEMS`] keys of ≤ [`MAX_ID_LEN`] characters.
fn check_object(key: &str, m: &Map<String, Value>, depth: usize, errors: &mut Errors) {
    if depth > MAX_DEPTH {
        add(errors, key, FieldCode::ValueIsInvalid);
        return;
    }
    if m.len() > MAX_ITEMS * 10 {
        add(errors, key, FieldCode::TooManyItems);
        return;
    }
    for (k, x) in m {
        if !len_ok(k, MAX_ID_LEN) {
            add(errors, key, FieldCode::ValueIsTooLong);
            continue;
        }
        check_tree(k, x, depth + 1, errors);
    }
}

/// Event `properties`: nesting ≤ [`MAX_DEPTH`], keys ≤ [`MAX_ID_LEN`], strings ≤
/// [`MAX_TEXT_LEN`], arrays ≤ [`MAX_ITEMS`], and every JSON number (the values an
/// aggregation sums) within ±[`MAX_QUANTITY`]. Strings are not bounded in magnitude, even
/// numeric ones: they are ids as often as quantities (an id beyond 2⁵³ cannot even travel as
/// a JSON number through JavaScript), and a sum over them is checked where it is computed.
/// Precision is not bounded here: clients send floats' digits (`0.30000000000000004`), and
/// sums round their last digits rather than overflow.
///
/// # Errors
/// `properties` → `value_is_out_of_range` / `value_is_too_long` / `value_is_invalid` / `too_many_items`.
pub fn check_event_properties(props: &Map<String, Value>) -> Result<(), Errors> {
    let mut errors = Errors::new();
    check_object("properties", props, 1, &mut errors);
    // Errors of the tree walk are reported under `properties`, whatever the key.
    let mut out = Errors::new();
    if !errors.is_empty() {
        for codes in errors.values() {
            if let Value::Array(codes) = codes {
                for c in codes {
                    add_value(&mut out, "properties", c.clone());
                }
            }
        }
    }
    for v in props.values() {
        property_numbers(v, &mut out);
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

fn property_numbers(v: &Value, errors: &mut Errors) {
    match v {
        Value::Number(n) => {
            let ok = match Decimal::from_str(&n.to_string())
                .or_else(|_| Decimal::from_scientific(&n.to_string()))
            {
                Ok(d) => d.abs() <= MAX_QUANTITY,
                Err(_) => false,
            };
            if !ok {
                add(errors, "properties", FieldCode::ValueIsOutOfRange);
            }
        }
        // Text is text: ids such as 19-digit snowflakes (for `unique_count_agg`), phone
        // numbers and the like are not quantities. A metric that sums a numeric text beyond
        // `Decimal`'s range gets a checked overflow, isolated to that subscription
        // (`crate::billing::checked`), never a panic.
        Value::String(_) => {}
        Value::Array(items) => items.iter().for_each(|x| property_numbers(x, errors)),
        Value::Object(m) => m.values().for_each(|x| property_numbers(x, errors)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn constants_are_what_they_say() {
        assert_eq!(MAX_QUANTITY, dec!(1_000_000_000_000_000));
        assert_eq!(MAX_UNIT_PRICE, dec!(1_000_000_000_000));
        assert_eq!(MAX_RATE, dec!(1000));
    }

    #[test]
    fn worst_case_products_fit() {
        // quantity × price × (1 + 13 %) fits a Decimal (its conversion to cents is checked);
        // a percentage charge of the largest quantity at the largest rate fits one too.
        let worst = MAX_QUANTITY
            .checked_mul(MAX_UNIT_PRICE)
            .and_then(|x| x.checked_mul(dec!(1.13)));
        assert!(worst.is_some());
        assert!(MAX_QUANTITY.checked_mul(MAX_RATE).is_some());
        let lines = i128::from(MAX_AMOUNT_CENTS) * 10_000 * 113 / 100;
        assert!(lines < i128::from(i64::MAX));
    }

    #[test]
    fn decimals() {
        assert!(quantity(dec!(1e15)).is_ok());
        assert!(quantity(dec!(1000000000000001)).is_err());
        assert!(quantity(dec!(0.000000000001)).is_ok());
        assert!(quantity(dec!(0.0000000000001)).is_err());
        assert!(quantity(Decimal::new(1, 28)).is_err());
        assert!(quantity(dec!(1.500000000000000000)).is_ok());
        assert!(quantity(dec!(-1)).is_err());
        assert!(quantity(Decimal::MAX).is_err());
    }

    #[test]
    fn bodies() {
        let ok =
            json!({"external_id": "c1", "name": "Acme", "metadata": [{"key": "k", "value": "v"}]});
        assert!(check_body("customer", ok.as_object().unwrap()).is_ok());
        let long = "x".repeat(256);
        let bad = json!({"external_id": long, "name": {"a": 1}, "metadata": "x",
                         "shipping_address": {"city": {"n": 1}}});
        let e = check_body("customer", bad.as_object().unwrap()).unwrap_err();
        assert_eq!(e["external_id"], json!([FieldCode::ValueIsTooLong]));
        assert_eq!(e["name"], json!([FieldCode::ValueIsInvalid]));
        assert_eq!(e["metadata"], json!([FieldCode::ValueIsInvalid]));
        assert_eq!(
            e["shipping_address"],
            json!(["nested_structure_not_allowed"])
        );
        let fee =
            json!({"fees": [{"add_on_code": "a", "units": "1e20", "unit_amount_cents": 100}]});
        let e = check_body("invoice", fee.as_object().unwrap()).unwrap_err();
        assert_eq!(e["units"], json!([FieldCode::ValueIsOutOfRange]));
        let fee = json!({"fees": [{"units": "1e12", "unit_amount_cents": 1_000_000}]});
        let e = check_body("invoice", fee.as_object().unwrap()).unwrap_err();
        assert_eq!(e["fees"], json!([FieldCode::ValueIsOutOfRange]));
        let fee = json!({"fees": [{"units": "2.5", "unit_amount_cents": 1_000}]});
        assert!(check_body("invoice", fee.as_object().unwrap()).is_ok());
        let plan = json!({"amount_cents": 9_223_372_036_854_775_807_i64});
        let e = check_body("plan", plan.as_object().unwrap()).unwrap_err();
        assert_eq!(e["amount_cents"], json!([FieldCode::ValueIsOutOfRange]));
        let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}});
        assert!(check_body("plan", deep.as_object().unwrap()).is_err());
    }

    #[test]
    fn event_properties() {
        let ok = json!({"v": 12.5, "s": "abc", "n": "42", "f": 0.30000000000000004,
                        "d": "2024-01-01", "p": "0.0000000000001",
                        "snowflake": "1234567890123456789012", "t": "1e40"});
        assert!(check_event_properties(ok.as_object().unwrap()).is_ok());
        for bad in [
            json!({"v": 1e20}),
            json!({"v": -1e16}),
            json!({"v": [1, 1e300]}),
        ] {
            assert!(
                check_event_properties(bad.as_object().unwrap()).is_err(),
                "{bad}"
            );
        }
    }
}
