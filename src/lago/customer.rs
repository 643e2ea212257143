//! Lago's customer object (`api:app/serializers/v1/customer_serializer.rb`; the Python
//! client's `CustomerResponse` requires `lago_id`, `external_id`, `created_at`, `updated_at`
//! and `applicable_timezone`).

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::time::iso_seconds;
use crate::accounts::customer_repo::CustomerRow;
use crate::accounts::customers::attributes;

/// The code of the one billing entity each app has (Lago names its default entity after
/// the organization; the gateway has one per app and calls it `default`).
pub const DEFAULT_BILLING_ENTITY_CODE: &str = "default";

/// `customer` as Lago serializes it. Times are ISO-8601 UTC (`…Z`, seconds).
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub lago_id: String,
    pub external_id: String,
    /// The customer's billing entity: as sent, else the gateway's single entity,
    /// [`DEFAULT_BILLING_ENTITY_CODE`] (never null: the Rust client's `Customer` requires it).
    pub billing_entity_code: String,
    /// Always `"customer"` (Lago ≥ 1.25 also knows `partner`, which the gateway never makes).
    pub account_type: &'static str,
    pub name: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub customer_type: Option<String>,
    pub sequential_id: i64,
    /// `CUST-00001`-style slug derived from `sequential_id`.
    pub slug: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// ISO 3166 alpha-2, upper case.
    pub country: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub state: Option<String>,
    pub zipcode: Option<String>,
    /// A blank e-mail is no e-mail (the document gives it `format: email`).
    pub email: Option<String>,
    pub city: Option<String>,
    pub url: Option<String>,
    pub phone: Option<String>,
    pub logo_url: Option<String>,
    pub legal_name: Option<String>,
    pub legal_number: Option<String>,
    pub currency: Option<String>,
    pub tax_identification_number: Option<String>,
    pub timezone: Option<String>,
    /// The customer's timezone, else `"UTC"`: never null (API-NOTES §1).
    pub applicable_timezone: String,
    /// Days; `null` = the organization's default.
    pub net_payment_term: Option<i64>,
    pub external_salesforce_id: Option<String>,
    /// `inherit | skip | finalize`.
    pub finalize_zero_amount_invoice: String,
    pub skip_invoice_custom_sections: bool,
    pub billing_configuration: BillingConfiguration,
    pub shipping_address: Address,
    /// `[{lago_id, key, value, display_in_invoice, created_at}]` as upserted.
    pub metadata: Vec<Value>,
    pub taxes: Vec<Value>,
    pub integration_customers: Vec<Value>,
    pub applicable_invoice_custom_sections: Vec<Value>,
    pub error_details: Vec<Value>,
}

/// `customer.billing_configuration`.
#[derive(Debug, Clone, Serialize)]
pub struct BillingConfiguration {
    /// Days.
    pub invoice_grace_period: Option<Value>,
    pub payment_provider: Option<Value>,
    pub payment_provider_code: Option<Value>,
    pub provider_customer_id: Option<Value>,
    pub provider_payment_methods: Option<Value>,
    pub document_locale: Option<Value>,
    pub subscription_invoice_issuing_date_anchor: &'static str,
    pub subscription_invoice_issuing_date_adjustment: &'static str,
}

/// `customer.shipping_address`: every key present, `null` when unknown.
#[derive(Debug, Clone, Serialize)]
pub struct Address {
    pub address_line1: Option<Value>,
    pub address_line2: Option<Value>,
    pub city: Option<Value>,
    pub zipcode: Option<Value>,
    pub state: Option<Value>,
    pub country: Option<Value>,
}

fn text(a: &Map<String, Value>, k: &str) -> Option<String> {
    match a.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn some(m: &Map<String, Value>, k: &str) -> Option<Value> {
    m.get(k).filter(|v| !v.is_null()).cloned()
}

impl From<&CustomerRow> for Customer {
    fn from(c: &CustomerRow) -> Customer {
        let a = attributes(c);
        let empty = Map::new();
        let billing = a
            .get("billing_configuration")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let shipping = a
            .get("shipping_address")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let timezone = text(&a, "timezone");
        Customer {
            lago_id: c.lago_id.clone(),
            external_id: c.external_id.clone(),
            billing_entity_code: text(&a, "billing_entity_code")
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| DEFAULT_BILLING_ENTITY_CODE.into()),
            account_type: "customer",
            name: text(&a, "name"),
            firstname: text(&a, "firstname"),
            lastname: text(&a, "lastname"),
            customer_type: text(&a, "customer_type"),
            sequential_id: c.sequential_id,
            slug: format!("CUST-{:05}", c.sequential_id),
            created_at: iso_seconds(c.created_at),
            updated_at: iso_seconds(c.updated_at),
            deleted_at: c.deleted_at.map(iso_seconds),
            country: text(&a, "country").map(|s| s.to_uppercase()),
            address_line1: text(&a, "address_line1"),
            address_line2: text(&a, "address_line2"),
            state: text(&a, "state"),
            zipcode: text(&a, "zipcode"),
            email: text(&a, "email").filter(|e| !e.is_empty()),
            city: text(&a, "city"),
            url: text(&a, "url"),
            phone: text(&a, "phone"),
            logo_url: None,
            legal_name: text(&a, "legal_name"),
            legal_number: text(&a, "legal_number"),
            currency: text(&a, "currency"),
            tax_identification_number: text(&a, "tax_identification_number"),
            applicable_timezone: timezone
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "UTC".into()),
            timezone,
            net_payment_term: a.get("net_payment_term").and_then(Value::as_i64),
            external_salesforce_id: text(&a, "external_salesforce_id"),
            finalize_zero_amount_invoice: text(&a, "finalize_zero_amount_invoice")
                .unwrap_or_else(|| "inherit".into()),
            skip_invoice_custom_sections: false,
            billing_configuration: BillingConfiguration {
                invoice_grace_period: some(billing, "invoice_grace_period"),
                payment_provider: some(billing, "payment_provider"),
                payment_provider_code: some(billing, "payment_provider_code"),
                provider_customer_id: some(billing, "provider_customer_id"),
                provider_payment_methods: some(billing, "provider_payment_methods"),
                document_locale: some(billing, "document_locale"),
                subscription_invoice_issuing_date_anchor: "next_period_start",
                subscription_invoice_issuing_date_adjustment: "keep_anchor",
            },
            shipping_address: Address {
                address_line1: some(shipping, "address_line1"),
                address_line2: some(shipping, "address_line2"),
                city: some(shipping, "city"),
                zipcode: some(shipping, "zipcode"),
                state: some(shipping, "state"),
                country: some(shipping, "country"),
            },
            metadata: match a.get("metadata") {
                Some(Value::Array(m)) => m.clone(),
                _ => Vec::new(),
            },
            taxes: Vec::new(),
            integration_customers: Vec::new(),
            applicable_invoice_custom_sections: Vec::new(),
            error_details: Vec::new(),
        }
    }
}

impl Customer {
    /// `{"customer": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "customer": self })
    }
}
