//! Lago's credit note object (`api:app/serializers/v1/credit_note_serializer.rb`,
//! `credit_note_item_serializer.rb`; the Python client's `CreditNoteResponse` requires the
//! amounts, `currency` and `taxes_rate`). Amounts are integer minor units of the invoice
//! currency.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::customer::{Customer, DEFAULT_BILLING_ENTITY_CODE};
use super::invoice::{rate_json, Fee};
use super::time::iso_seconds;
use crate::bridge::credit_notes::CreditNoteView;
use crate::meter::time::to_micros;

/// `credit_note`.
#[derive(Debug, Clone, Serialize)]
pub struct CreditNote {
    pub lago_id: String,
    pub billing_entity_code: &'static str,
    pub sequential_id: i64,
    pub number: String,
    pub lago_invoice_id: String,
    /// The credited invoice's number, once posted.
    pub invoice_number: Option<String>,
    /// `YYYY-MM-DD`, once Odoo dated the refund.
    pub issuing_date: Option<String>,
    /// `available | consumed | voided`, `null` without a credit part.
    pub credit_status: Option<&'static str>,
    /// `pending` with a refund part, else `null`.
    pub refund_status: Option<&'static str>,
    pub reason: String,
    pub description: Option<String>,
    pub currency: String,
    pub total_amount_cents: i64,
    pub precise_total_amount_cents: String,
    pub taxes_amount_cents: i64,
    pub precise_taxes_amount_cents: String,
    pub taxes_rate: f64,
    pub sub_total_excluding_taxes_amount_cents: i64,
    pub balance_amount_cents: i64,
    pub credit_amount_cents: i64,
    pub refund_amount_cents: i64,
    pub offset_amount_cents: i64,
    pub coupons_adjustment_amount_cents: i64,
    pub precise_coupons_adjustment_amount_cents: String,
    pub created_at: String,
    pub updated_at: String,
    pub voided_at: Option<String>,
    pub file_url: Option<String>,
    pub xml_url: Option<String>,
    pub self_billed: bool,
    pub items: Vec<CreditNoteItem>,
    pub applied_taxes: Vec<Value>,
    pub metadata: Map<String, Value>,
    pub customer: Customer,
}

/// `credit_note.items[]`: the amount credited on one fee.
#[derive(Debug, Clone, Serialize)]
pub struct CreditNoteItem {
    pub lago_id: String,
    pub amount_cents: i64,
    pub precise_amount_cents: String,
    pub amount_currency: String,
    /// The credited fee (`null` if the invoice no longer shows it).
    pub fee: Option<Fee>,
}

/// An item as stored with the credit note.
#[derive(Debug, Deserialize)]
struct StoredItem {
    lago_id: String,
    fee_id: String,
    amount_cents: i64,
}

impl From<&CreditNoteView> for CreditNote {
    fn from(v: &CreditNoteView) -> CreditNote {
        let currency = v.invoice.currency();
        let stored: Vec<StoredItem> = serde_json::from_str(&v.row.items).unwrap_or_default();
        let items = stored
            .iter()
            .map(|it| CreditNoteItem {
                lago_id: it.lago_id.clone(),
                amount_cents: it.amount_cents,
                precise_amount_cents: it.amount_cents.to_string(),
                amount_currency: currency.clone(),
                fee: v
                    .invoice
                    .fees
                    .iter()
                    .find(|f| f.lago_id == it.fee_id)
                    .map(|f| Fee::new(&v.invoice, f)),
            })
            .collect();
        let taxes_rate = v
            .invoice
            .fees
            .iter()
            .filter(|f| stored.iter().any(|it| it.fee_id == f.lago_id))
            .map(|f| f.taxes_rate())
            .fold(Decimal::ZERO, Decimal::max);
        let total = v.cents.total;
        CreditNote {
            lago_id: v.row.lago_id.clone(),
            billing_entity_code: DEFAULT_BILLING_ENTITY_CODE,
            sequential_id: v.sequential_id(),
            number: v.number(),
            lago_invoice_id: v.invoice.row.lago_id.clone(),
            invoice_number: v.invoice.posted_number(),
            issuing_date: v.issuing_date().map(|d| d.format("%Y-%m-%d").to_string()),
            credit_status: v.credit_status(),
            refund_status: (v.row.refund_amount_cents > 0).then_some("pending"),
            reason: v.row.reason.clone(),
            description: v.row.description.clone(),
            currency,
            total_amount_cents: total,
            precise_total_amount_cents: total.to_string(),
            taxes_amount_cents: v.cents.tax,
            precise_taxes_amount_cents: v.cents.tax.to_string(),
            taxes_rate: rate_json(taxes_rate),
            sub_total_excluding_taxes_amount_cents: v.cents.untaxed,
            balance_amount_cents: v.balance_cents(),
            credit_amount_cents: v.row.credit_amount_cents,
            refund_amount_cents: v.row.refund_amount_cents,
            offset_amount_cents: 0,
            coupons_adjustment_amount_cents: 0,
            precise_coupons_adjustment_amount_cents: "0".into(),
            created_at: iso_seconds(v.row.created_at),
            updated_at: v
                .odoo_updated_at()
                .map(|d| iso_seconds(to_micros(d)))
                .unwrap_or_else(|| iso_seconds(v.row.updated_at)),
            voided_at: v.row.voided_at.map(iso_seconds),
            file_url: None,
            xml_url: None,
            self_billed: false,
            items,
            applied_taxes: Vec::new(),
            metadata: Map::new(),
            customer: Customer::from(&v.invoice.customer),
        }
    }
}

impl CreditNote {
    /// `{"credit_note": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "credit_note": self })
    }
}
