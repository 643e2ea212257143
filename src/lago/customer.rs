//! Lago's customer object (`api:app/serializers/v1/customer_serializer.rb`; the Python
//! client's `CustomerResponse` requires `lago_id`, `external_id`, `created_at`, `updated_at`
//! and `applicable_timezone`).

use serde::Serialize;
use serde_json::{json, Value};

use super::time::iso_seconds;
use crate::bridge::customer_repo::CustomerRow;
use crate::bridge::customers::{self as domain, attributes, Metadata};

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
    pub metadata: Vec<Metadata>,
    pub taxes: Vec<Value>,
    pub integration_customers: Vec<Value>,
    pub applicable_invoice_custom_sections: Vec<Value>,
    pub error_details: Vec<Value>,
}

/// `customer.billing_configuration`.
#[derive(Debug, Clone, Serialize)]
pub struct BillingConfiguration {
    /// Days.
    pub invoice_grace_period: Option<u32>,
    pub payment_provider: Option<String>,
    pub payment_provider_code: Option<String>,
    pub provider_customer_id: Option<String>,
    pub provider_payment_methods: Option<Vec<String>>,
    pub document_locale: Option<String>,
    pub subscription_invoice_issuing_date_anchor: &'static str,
    pub subscription_invoice_issuing_date_adjustment: &'static str,
}

impl From<Option<&domain::BillingConfiguration>> for BillingConfiguration {
    fn from(b: Option<&domain::BillingConfiguration>) -> Self {
        let b = b.cloned().unwrap_or_default();
        BillingConfiguration {
            invoice_grace_period: b.invoice_grace_period,
            payment_provider: b.payment_provider,
            payment_provider_code: b.payment_provider_code,
            provider_customer_id: b.provider_customer_id,
            provider_payment_methods: b.provider_payment_methods,
            document_locale: b.document_locale,
            subscription_invoice_issuing_date_anchor: "next_period_start",
            subscription_invoice_issuing_date_adjustment: "keep_anchor",
        }
    }
}

/// `customer.shipping_address`: every key present, `null` when unknown.
#[derive(Debug, Clone, Serialize)]
pub struct Address {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub zipcode: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
}

impl From<Option<&domain::Address>> for Address {
    fn from(a: Option<&domain::Address>) -> Self {
        let a = a.cloned().unwrap_or_default();
        Address {
            address_line1: a.address_line1,
            address_line2: a.address_line2,
            city: a.city,
            zipcode: a.zipcode,
            state: a.state,
            country: a.country,
        }
    }
}

impl From<&CustomerRow> for Customer {
    fn from(c: &CustomerRow) -> Customer {
        let a = attributes(c);
        Customer {
            lago_id: c.lago_id.clone(),
            external_id: c.external_id.clone(),
            billing_entity_code: a
                .billing_entity_code
                .clone()
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| DEFAULT_BILLING_ENTITY_CODE.into()),
            account_type: "customer",
            sequential_id: c.sequential_id,
            slug: format!("CUST-{:05}", c.sequential_id),
            created_at: iso_seconds(c.created_at),
            updated_at: iso_seconds(c.updated_at),
            deleted_at: c.deleted_at.map(iso_seconds),
            country: a.country.as_deref().map(str::to_uppercase),
            email: a.email.clone().filter(|e| !e.is_empty()),
            logo_url: None,
            applicable_timezone: a
                .timezone
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "UTC".into()),
            net_payment_term: a.net_payment_term.map(i64::from),
            finalize_zero_amount_invoice: a
                .finalize_zero_amount_invoice
                .clone()
                .unwrap_or_else(|| "inherit".into()),
            skip_invoice_custom_sections: false,
            billing_configuration: a.billing_configuration.as_ref().into(),
            shipping_address: a.shipping_address.as_ref().into(),
            taxes: Vec::new(),
            integration_customers: Vec::new(),
            applicable_invoice_custom_sections: Vec::new(),
            error_details: Vec::new(),
            name: a.name,
            firstname: a.firstname,
            lastname: a.lastname,
            customer_type: a.customer_type,
            address_line1: a.address_line1,
            address_line2: a.address_line2,
            state: a.state,
            zipcode: a.zipcode,
            city: a.city,
            url: a.url,
            phone: a.phone,
            legal_name: a.legal_name,
            legal_number: a.legal_number,
            currency: a.currency,
            tax_identification_number: a.tax_identification_number,
            timezone: a.timezone,
            external_salesforce_id: a.external_salesforce_id,
            metadata: a.metadata.unwrap_or_default(),
        }
    }
}

impl Customer {
    /// `{"customer": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "customer": self })
    }
}
