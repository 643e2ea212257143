//! Lago's `POST /customers` body parsed into the upsert command
//! ([`crate::bridge::customers::CustomerUpsert`]); `api:app/services/customers/
//! upsert_from_api_service.rb`, `app/models/customer.rb` (its validations).
//!
//! The body has already passed the input bounds of `crate::limits` (lengths, flat objects,
//! enumerations); this parser takes what remains of Lago's own validation, collecting every
//! error at once into Lago's 422 `error_details` (`{"<field>": ["<code>"]}`).

use serde_json::{json, Map, Value};

use super::error_code::FieldCode;
use super::time::iso_seconds;
use crate::billing::money::Currency;
use crate::bridge::customers::{
    AddressPatch, BillingConfigurationPatch, CustomerChanges, CustomerUpsert, Metadata,
    MetadataValue, Patch,
};
use crate::meter::time::now_micros;

/// The 422 `error_details` of a refused body: field → list of codes.
pub type FieldErrors = Map<String, Value>;

/// Collects field errors, one code per field (the last one wins, as Lago shows one).
#[derive(Default)]
struct Errors(FieldErrors);

impl Errors {
    fn add(&mut self, field: &str, code: FieldCode) {
        self.0.insert(field.to_string(), json!([code]));
    }
}

/// Parses the object under `customer`.
///
/// # Errors
/// Lago's codes, every error at once: `external_id` `value_is_mandatory`; a text field that
/// is not a string, number or `null` `value_is_invalid`; `email` `invalid_email_format`;
/// `country` `country_code_invalid` (not two letters); `currency`, `customer_type`,
/// `net_payment_term` (not a non-negative integer), `billing_configuration`,
/// `shipping_address` (not an object) and `metadata` (not a list of items with a `key`)
/// `value_is_invalid`.
pub fn parse_upsert(input: &Map<String, Value>) -> Result<CustomerUpsert, FieldErrors> {
    let mut errors = Errors::default();
    let external_id = external_id(input, &mut errors);
    let mut changes = text_fields(input, &mut errors);
    check_formats(&changes, &mut errors);
    changes.net_payment_term = net_payment_term(input.get("net_payment_term"), &mut errors);
    changes.billing_configuration = object(input, "billing_configuration", &mut errors)
        .map(|m| billing_configuration(m, &mut errors));
    changes.shipping_address =
        object(input, "shipping_address", &mut errors).map(|m| shipping_address(m, &mut errors));
    changes.metadata = metadata(input.get("metadata"), &mut errors);
    if errors.0.is_empty() {
        Ok(CustomerUpsert {
            external_id,
            changes,
        })
    } else {
        Err(errors.0)
    }
}

/// `external_id`: a non-blank string (trimmed) or a number (its text).
fn external_id(input: &Map<String, Value>, errors: &mut Errors) -> String {
    match input.get("external_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            errors.add("external_id", FieldCode::ValueIsMandatory);
            String::new()
        }
    }
}

/// A text field: absent, `null` (cleared), a string (trimmed) or a number (its text).
fn text(input: &Map<String, Value>, key: &str, errors: &mut Errors) -> Patch<String> {
    match input.get(key) {
        None => Patch::Absent,
        Some(Value::Null) => Patch::Clear,
        Some(Value::String(s)) => Patch::Set(s.trim().to_string()),
        Some(Value::Number(n)) => Patch::Set(n.to_string()),
        Some(_) => {
            errors.add(key, FieldCode::ValueIsInvalid);
            Patch::Absent
        }
    }
}

/// The text fields of the customer object, copied as given.
fn text_fields(input: &Map<String, Value>, errors: &mut Errors) -> CustomerChanges {
    let mut t = |key: &str| text(input, key, errors);
    CustomerChanges {
        name: t("name"),
        firstname: t("firstname"),
        lastname: t("lastname"),
        email: t("email"),
        phone: t("phone"),
        url: t("url"),
        address_line1: t("address_line1"),
        address_line2: t("address_line2"),
        city: t("city"),
        state: t("state"),
        zipcode: t("zipcode"),
        country: t("country"),
        legal_name: t("legal_name"),
        legal_number: t("legal_number"),
        tax_identification_number: t("tax_identification_number"),
        currency: t("currency"),
        timezone: t("timezone"),
        customer_type: t("customer_type"),
        external_salesforce_id: t("external_salesforce_id"),
        finalize_zero_amount_invoice: t("finalize_zero_amount_invoice"),
        billing_entity_code: t("billing_entity_code"),
        ..CustomerChanges::default()
    }
}

/// The non-empty value sent for a text field.
fn sent(p: &Patch<String>) -> Option<&str> {
    p.value().map(String::as_str).filter(|s| !s.is_empty())
}

/// Whether `e` is one address, or several separated by commas, of the form `a@b.c`.
fn valid_emails(e: &str) -> bool {
    e.split(',').all(|one| {
        let one = one.trim();
        one.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !one.contains(' '))
    })
}

/// Lago's format checks of `email`, `country`, `currency` and `customer_type`.
fn check_formats(c: &CustomerChanges, errors: &mut Errors) {
    if sent(&c.email).is_some_and(|e| !valid_emails(e)) {
        errors.add("email", FieldCode::InvalidEmailFormat);
    }
    if sent(&c.country)
        .is_some_and(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
    {
        errors.add("country", FieldCode::CountryCodeInvalid);
    }
    if sent(&c.currency).is_some_and(|c| Currency::parse(c).is_err()) {
        errors.add("currency", FieldCode::ValueIsInvalid);
    }
    if sent(&c.customer_type).is_some_and(|t| !matches!(t, "company" | "individual")) {
        errors.add("customer_type", FieldCode::ValueIsInvalid);
    }
}

/// A count of days: a non-negative integer or its text; `null` clears.
fn days(v: Option<&Value>) -> Result<Patch<u32>, ()> {
    match v {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Clear),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Patch::Set)
            .ok_or(()),
        Some(Value::String(s)) => s.trim().parse().map(Patch::Set).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// `net_payment_term` (days).
fn net_payment_term(v: Option<&Value>, errors: &mut Errors) -> Patch<u32> {
    days(v).unwrap_or_else(|()| {
        errors.add("net_payment_term", FieldCode::ValueIsInvalid);
        Patch::Absent
    })
}

/// An object field; `None` when absent or `null`.
fn object<'a>(
    input: &'a Map<String, Value>,
    key: &str,
    errors: &mut Errors,
) -> Option<&'a Map<String, Value>> {
    match input.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => {
            errors.add(key, FieldCode::ValueIsInvalid);
            None
        }
    }
}

/// `billing_configuration`: the keys of Lago's `CustomerBillingConfiguration` (others are
/// ignored; their JSON types were checked by `crate::limits`).
fn billing_configuration(m: &Map<String, Value>, errors: &mut Errors) -> BillingConfigurationPatch {
    let mut inner = Errors::default();
    let invoice_grace_period = days(m.get("invoice_grace_period")).unwrap_or_else(|()| {
        inner.add("invoice_grace_period", FieldCode::ValueIsInvalid);
        Patch::Absent
    });
    let provider_payment_methods = match m.get("provider_payment_methods") {
        None => Patch::Absent,
        Some(Value::Null) => Patch::Clear,
        Some(v) => serde_json::from_value(v.clone()).map_or_else(
            |_| {
                inner.add("provider_payment_methods", FieldCode::ValueIsInvalid);
                Patch::Absent
            },
            Patch::Set,
        ),
    };
    let mut t = |key: &str| text(m, key, &mut inner);
    let patch = BillingConfigurationPatch {
        invoice_grace_period,
        payment_provider: t("payment_provider"),
        payment_provider_code: t("payment_provider_code"),
        provider_customer_id: t("provider_customer_id"),
        provider_payment_methods,
        document_locale: t("document_locale"),
    };
    if !inner.0.is_empty() {
        errors.add("billing_configuration", FieldCode::ValueIsInvalid);
    }
    patch
}

/// `shipping_address`: the keys of Lago's `Address` (others are ignored).
fn shipping_address(m: &Map<String, Value>, errors: &mut Errors) -> AddressPatch {
    let mut inner = Errors::default();
    let mut t = |key: &str| text(m, key, &mut inner);
    let patch = AddressPatch {
        address_line1: t("address_line1"),
        address_line2: t("address_line2"),
        city: t("city"),
        zipcode: t("zipcode"),
        state: t("state"),
        country: t("country"),
    };
    if !inner.0.is_empty() {
        errors.add("shipping_address", FieldCode::ValueIsInvalid);
    }
    patch
}

/// A metadata value as sent: a flat scalar (`crate::limits` refuses nested ones).
fn metadata_value(v: Option<&Value>) -> Result<Option<MetadataValue>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(MetadataValue::Text(s.clone()))),
        Some(Value::Number(n)) => Ok(Some(MetadataValue::Number(n.clone()))),
        Some(Value::Bool(b)) => Ok(Some(MetadataValue::Bool(*b))),
        Some(_) => Err(()),
    }
}

/// `metadata`: a list of `{key, value, display_in_invoice}`, each given a `lago_id` and
/// `created_at` now; `None` when absent or `null`.
fn metadata(v: Option<&Value>, errors: &mut Errors) -> Option<Vec<Metadata>> {
    let items = match v {
        None | Some(Value::Null) => return None,
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.add("metadata", FieldCode::ValueIsInvalid);
            return None;
        }
    };
    let created_at = iso_seconds(now_micros());
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let key = item.get("key").and_then(Value::as_str).unwrap_or("");
        let value = metadata_value(item.get("value"));
        let (false, Ok(value)) = (key.is_empty(), value) else {
            errors.add("metadata", FieldCode::ValueIsInvalid);
            break;
        };
        out.push(Metadata {
            lago_id: uuid::Uuid::new_v4().to_string(),
            key: key.to_string(),
            value,
            display_in_invoice: item
                .get("display_in_invoice")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            created_at: created_at.clone(),
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<CustomerUpsert, FieldErrors> {
        parse_upsert(v.as_object().unwrap())
    }

    #[test]
    fn only_sent_keys_change_and_null_clears() {
        let c = parse(
            json!({"external_id": " c1 ", "name": " Acme ", "city": null,
            "net_payment_term": "30", "billing_configuration": {"document_locale": "fr"}}),
        )
        .unwrap();
        assert_eq!(c.external_id, "c1");
        assert_eq!(c.changes.name, Patch::Set("Acme".into()));
        assert_eq!(c.changes.city, Patch::Clear);
        assert_eq!(c.changes.email, Patch::Absent);
        assert_eq!(c.changes.net_payment_term, Patch::Set(30));
        let b = c.changes.billing_configuration.unwrap();
        assert_eq!(b.document_locale, Patch::Set("fr".into()));
        assert_eq!(b.payment_provider, Patch::Absent);
    }

    #[test]
    fn every_error_at_once() {
        let e = parse(json!({"email": "nope", "country": "CAN", "currency": "XXX",
            "customer_type": "robot", "net_payment_term": -1, "metadata": [{"value": 1}],
            "shipping_address": "x", "name": {"a": 1}}))
        .unwrap_err();
        let code = |f: &str| e[f][0].as_str().unwrap().to_string();
        assert_eq!(code("external_id"), "value_is_mandatory");
        assert_eq!(code("email"), "invalid_email_format");
        assert_eq!(code("country"), "country_code_invalid");
        for f in [
            "currency",
            "customer_type",
            "net_payment_term",
            "metadata",
            "shipping_address",
            "name",
        ] {
            assert_eq!(code(f), "value_is_invalid", "{f}");
        }
    }
}
