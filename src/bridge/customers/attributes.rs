//! The Lago attributes of a customer that Odoo has no field for, as the gateway stores them
//! (the `customers.attributes` JSON column), and the changes an upsert makes to them.
//!
//! Shape of the stored JSON object (unchanged from the untyped rows, which still load): the
//! text fields of Lago's customer object as strings, `net_payment_term` (days) as a number,
//! `billing_configuration` and `shipping_address` as flat objects, `metadata` as the list
//! of `{lago_id, key, value, display_in_invoice, created_at}` items. A key that is absent
//! and a key that is `null` mean the same: unknown.
//!
//! Upsert semantics (`api:app/services/customers/upsert_from_api_service.rb`): only the
//! keys present change, `null` clears; `billing_configuration` and `shipping_address` are
//! merged key by key, `metadata` is replaced as a whole; a `null` object or list changes
//! nothing.

use serde::{Deserialize, Deserializer, Serialize};

/// One attribute in an upsert: not sent, sent as `null`, or sent with a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Not sent: unchanged.
    #[default]
    Absent,
    /// Sent as `null`: cleared.
    Clear,
    /// Sent with a value.
    Set(T),
}

impl<T: Clone> Patch<T> {
    /// Applies the change to the stored `field`.
    pub fn apply(&self, field: &mut Option<T>) {
        match self {
            Patch::Absent => {}
            Patch::Clear => *field = None,
            Patch::Set(v) => *field = Some(v.clone()),
        }
    }

    /// Whether the key was sent (`null` or a value).
    pub fn is_sent(&self) -> bool {
        !matches!(self, Patch::Absent)
    }

    /// The value sent; `None` when absent or `null`.
    pub fn value(&self) -> Option<&T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }
}

/// Reads a stored text field: a string, or a number as its text (as the untyped rows
/// allowed); anything else is unknown.
fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        N(serde_json::Number),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Text>::deserialize(d)? {
        Some(Text::S(s)) => Some(s),
        Some(Text::N(n)) => Some(n.to_string()),
        Some(Text::Other(_)) | None => None,
    })
}

/// Reads a stored count of days: a non-negative integer, or its text.
fn lenient_days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Days {
        N(u64),
        S(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Days>::deserialize(d)? {
        Some(Days::N(n)) => u32::try_from(n).ok(),
        Some(Days::S(s)) => s.trim().parse().ok(),
        Some(Days::Other(_)) | None => None,
    })
}

/// Reads a stored nested value; one of another shape is unknown rather than making the
/// whole row unreadable.
fn lenient<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

/// `customer.billing_configuration` as stored (Lago's `CustomerBillingConfiguration`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BillingConfiguration {
    /// Days; `None`: the organization's default.
    #[serde(
        deserialize_with = "lenient_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub invoice_grace_period: Option<u32>,
    /// `stripe | adyen | gocardless`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_provider_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_customer_id: Option<String>,
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub provider_payment_methods: Option<Vec<String>>,
    /// `fr`, `en`, or a full code such as `fr_FR` (the partner's Odoo `lang`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_locale: Option<String>,
}

/// The keys of `billing_configuration` an upsert sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BillingConfigurationPatch {
    pub invoice_grace_period: Patch<u32>,
    pub payment_provider: Patch<String>,
    pub payment_provider_code: Patch<String>,
    pub provider_customer_id: Patch<String>,
    pub provider_payment_methods: Patch<Vec<String>>,
    pub document_locale: Patch<String>,
}

impl BillingConfigurationPatch {
    fn apply(&self, b: &mut BillingConfiguration) {
        self.invoice_grace_period.apply(&mut b.invoice_grace_period);
        self.payment_provider.apply(&mut b.payment_provider);
        self.payment_provider_code
            .apply(&mut b.payment_provider_code);
        self.provider_customer_id.apply(&mut b.provider_customer_id);
        self.provider_payment_methods
            .apply(&mut b.provider_payment_methods);
        self.document_locale.apply(&mut b.document_locale);
    }
}

/// `customer.shipping_address` as stored (Lago's `Address`; strings as sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub address_line1: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub address_line2: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub city: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub zipcode: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<String>,
    /// ISO 3166 alpha-2.
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub country: Option<String>,
}

/// The keys of `shipping_address` an upsert sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPatch {
    pub address_line1: Patch<String>,
    pub address_line2: Patch<String>,
    pub city: Patch<String>,
    pub zipcode: Patch<String>,
    pub state: Patch<String>,
    pub country: Patch<String>,
}

impl AddressPatch {
    fn apply(&self, a: &mut Address) {
        self.address_line1.apply(&mut a.address_line1);
        self.address_line2.apply(&mut a.address_line2);
        self.city.apply(&mut a.city);
        self.zipcode.apply(&mut a.zipcode);
        self.state.apply(&mut a.state);
        self.country.apply(&mut a.country);
    }
}

/// The value of a metadata item, echoed as sent (Lago's values are flat scalars).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetadataValue {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

/// One `customer.metadata` item as stored and shown (keys in alphabetical order, as the
/// untyped rows had them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// ISO-8601 UTC, seconds.
    pub created_at: String,
    pub display_in_invoice: bool,
    pub key: String,
    /// UUID given when the item was upserted.
    pub lago_id: String,
    /// `null` when not sent.
    #[serde(deserialize_with = "lenient")]
    pub value: Option<MetadataValue>,
}

/// The stored attributes of a customer (see the module doc). `None`: unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerAttributes {
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub firstname: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub lastname: Option<String>,
    /// One address, or several separated by commas.
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub address_line1: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub address_line2: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub city: Option<String>,
    /// The province (it picks the tax, see `crate::odoo::partners`).
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub zipcode: Option<String>,
    /// ISO 3166 alpha-2, as sent (shown upper case).
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub country: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub legal_name: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub legal_number: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_identification_number: Option<String>,
    /// ISO 4217.
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub currency: Option<String>,
    /// IANA name.
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub timezone: Option<String>,
    /// `company | individual`.
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_type: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_salesforce_id: Option<String>,
    /// `inherit | finalize | skip`.
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub finalize_zero_amount_invoice: Option<String>,
    #[serde(
        deserialize_with = "lenient_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub billing_entity_code: Option<String>,
    /// Days; `None`: the organization's default.
    #[serde(
        deserialize_with = "lenient_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_payment_term: Option<u32>,
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub billing_configuration: Option<BillingConfiguration>,
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Vec<Metadata>>,
}

/// What one upsert changes (see the module doc).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerChanges {
    pub name: Patch<String>,
    pub firstname: Patch<String>,
    pub lastname: Patch<String>,
    pub email: Patch<String>,
    pub phone: Patch<String>,
    pub url: Patch<String>,
    pub address_line1: Patch<String>,
    pub address_line2: Patch<String>,
    pub city: Patch<String>,
    pub state: Patch<String>,
    pub zipcode: Patch<String>,
    pub country: Patch<String>,
    pub legal_name: Patch<String>,
    pub legal_number: Patch<String>,
    pub tax_identification_number: Patch<String>,
    pub currency: Patch<String>,
    pub timezone: Patch<String>,
    pub customer_type: Patch<String>,
    pub external_salesforce_id: Patch<String>,
    pub finalize_zero_amount_invoice: Patch<String>,
    pub billing_entity_code: Patch<String>,
    pub net_payment_term: Patch<u32>,
    /// Merged key by key; `None`: not sent (or `null`).
    pub billing_configuration: Option<BillingConfigurationPatch>,
    /// Merged key by key; `None`: not sent (or `null`).
    pub shipping_address: Option<AddressPatch>,
    /// Replaces the list; `None`: not sent (or `null`).
    pub metadata: Option<Vec<Metadata>>,
}

/// `POST /customers` as a command: upsert the customer `external_id` with `changes`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerUpsert {
    /// The app's id of the customer (trimmed, non-empty).
    pub external_id: String,
    pub changes: CustomerChanges,
}

impl CustomerAttributes {
    /// Parses a stored attributes text; an unreadable one is empty (unknown).
    pub fn from_stored(text: &str) -> CustomerAttributes {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// The stored text: a JSON object with its keys sorted, `None` fields left out.
    pub fn to_stored(&self) -> String {
        serde_json::to_value(self)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| "{}".into())
    }

    /// Applies an upsert's changes (see the module doc).
    pub fn apply(&mut self, c: &CustomerChanges) {
        c.name.apply(&mut self.name);
        c.firstname.apply(&mut self.firstname);
        c.lastname.apply(&mut self.lastname);
        c.email.apply(&mut self.email);
        c.phone.apply(&mut self.phone);
        c.url.apply(&mut self.url);
        c.address_line1.apply(&mut self.address_line1);
        c.address_line2.apply(&mut self.address_line2);
        c.city.apply(&mut self.city);
        c.state.apply(&mut self.state);
        c.zipcode.apply(&mut self.zipcode);
        c.country.apply(&mut self.country);
        c.legal_name.apply(&mut self.legal_name);
        c.legal_number.apply(&mut self.legal_number);
        c.tax_identification_number
            .apply(&mut self.tax_identification_number);
        c.currency.apply(&mut self.currency);
        c.timezone.apply(&mut self.timezone);
        c.customer_type.apply(&mut self.customer_type);
        c.external_salesforce_id
            .apply(&mut self.external_salesforce_id);
        c.finalize_zero_amount_invoice
            .apply(&mut self.finalize_zero_amount_invoice);
        c.billing_entity_code.apply(&mut self.billing_entity_code);
        c.net_payment_term.apply(&mut self.net_payment_term);
        if let Some(b) = &c.billing_configuration {
            b.apply(
                self.billing_configuration
                    .get_or_insert_with(Default::default),
            );
        }
        if let Some(a) = &c.shipping_address {
            a.apply(self.shipping_address.get_or_insert_with(Default::default));
        }
        if let Some(m) = &c.metadata {
            self.metadata = Some(m.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untyped_rows_still_load_and_store_sorted() {
        let stored = r#"{"name":"Acme","email":null,"net_payment_term":30,"zipcode":12345,
            "billing_configuration":{"document_locale":"fr","invoice_grace_period":"3","x":1},
            "metadata":[{"lago_id":"u","key":"k","value":5,"display_in_invoice":false,
            "created_at":"2024-01-01T00:00:00Z"}]}"#;
        let a = CustomerAttributes::from_stored(stored);
        assert_eq!(a.name.as_deref(), Some("Acme"));
        assert_eq!(a.email, None);
        assert_eq!(a.zipcode.as_deref(), Some("12345"));
        assert_eq!(a.net_payment_term, Some(30));
        let b = a.billing_configuration.clone().unwrap();
        assert_eq!(b.invoice_grace_period, Some(3));
        assert_eq!(b.document_locale.as_deref(), Some("fr"));
        assert_eq!(a.to_stored().find("\"billing_configuration\""), Some(1));
        assert_eq!(
            CustomerAttributes::from_stored("not json"),
            CustomerAttributes::default()
        );
    }

    #[test]
    fn changes_merge_objects_and_clear_on_null() {
        let mut a = CustomerAttributes {
            name: Some("A".into()),
            city: Some("Toronto".into()),
            shipping_address: Some(Address {
                city: Some("Ottawa".into()),
                ..Address::default()
            }),
            ..CustomerAttributes::default()
        };
        a.apply(&CustomerChanges {
            city: Patch::Clear,
            shipping_address: Some(AddressPatch {
                zipcode: Patch::Set("K1A".into()),
                ..AddressPatch::default()
            }),
            ..CustomerChanges::default()
        });
        assert_eq!(a.name.as_deref(), Some("A"));
        assert_eq!(a.city, None);
        let s = a.shipping_address.unwrap();
        assert_eq!(
            (s.city.as_deref(), s.zipcode.as_deref()),
            (Some("Ottawa"), Some("K1A"))
        );
    }
}
