//! Lago's invoice object with its fees (`api:app/serializers/v1/invoice_serializer.rb`,
//! `fee_serializer.rb`, `applied_tax_serializer.rb`; the Python client's `InvoiceResponse`
//! requires `lago_id`, `number`, `payment_overdue`, `net_payment_term`, `invoice_type`,
//! `version_number`, `status`, `payment_status`, `currency` and every amount).
//!
//! Every `*_amount_cents` is an integer in the minor unit of the invoice currency
//! ([`crate::billing::money::Currency::to_minor`]); `units` and `precise_*` are decimal
//! strings; rates are float percentages, as Lago's float columns.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::customer::{Customer, DEFAULT_BILLING_ENTITY_CODE};
use super::subscription::Subscription;
use super::time::iso_seconds;
use crate::bridge::customers::attributes;
use crate::bridge::invoice_repo::stable_uuid;
use crate::bridge::invoices::{FeeView, InvoiceView};
use crate::bridge::subscriptions::{add_interval, SubscriptionView};
use crate::meter::time::to_micros;

/// A percent rate as Lago's JSON shows it: a float (`taxes_rate: 13.0`, `tax_rate: 14.975`;
/// Lago's `fees.taxes_rate` and `taxes.rate` are float columns). The exact [`Decimal`] is
/// kept up to here; only the JSON number is binary.
pub fn rate_json(rate: Decimal) -> f64 {
    rate.to_f64().unwrap_or(0.0)
}

fn date_time(d: NaiveDate) -> String {
    format!("{}T00:00:00Z", d.format("%Y-%m-%d"))
}

fn end_of(d: NaiveDate) -> String {
    let end = d.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::seconds(1);
    iso_seconds(to_micros(end))
}

/// The billing period of a subscription invoice: `[issuing date, + one plan interval)`.
fn period(v: &InvoiceView) -> Option<(NaiveDate, NaiveDate)> {
    let plan = v.plan.as_ref()?;
    let from = v.issuing_date();
    Some((from, add_interval(from, &plan.interval)))
}

/// `invoice`.
#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    pub lago_id: String,
    pub billing_entity_code: &'static str,
    pub sequential_id: i64,
    pub number: String,
    pub purchase_order_number: Option<String>,
    /// `YYYY-MM-DD`.
    pub issuing_date: String,
    /// `YYYY-MM-DD`.
    pub payment_due_date: String,
    /// Days.
    pub net_payment_term: i64,
    /// `subscription | one_off`.
    pub invoice_type: String,
    /// `draft | finalized | voided`.
    pub status: &'static str,
    /// `pending | succeeded`.
    pub payment_status: &'static str,
    pub payment_dispute_lost_at: Option<String>,
    pub payment_overdue: bool,
    pub currency: String,
    pub fees_amount_cents: i64,
    pub taxes_amount_cents: i64,
    pub progressive_billing_credit_amount_cents: i64,
    pub coupons_amount_cents: i64,
    pub credit_notes_amount_cents: i64,
    pub sub_total_excluding_taxes_amount_cents: i64,
    pub sub_total_including_taxes_amount_cents: i64,
    pub total_amount_cents: i64,
    pub total_due_amount_cents: i64,
    pub total_paid_amount_cents: i64,
    pub total_offsetted_credit_note_amount_cents: i64,
    pub prepaid_credit_amount_cents: i64,
    pub prepaid_granted_credit_amount_cents: i64,
    pub prepaid_purchased_credit_amount_cents: i64,
    /// The PDF, once downloaded (`POST /invoices/{id}/download`).
    pub file_url: Option<String>,
    pub xml_url: Option<String>,
    pub web_url: Option<String>,
    pub version_number: i64,
    pub self_billed: bool,
    pub created_at: String,
    pub updated_at: String,
    pub voided_at: Option<String>,
    pub customer: Customer,
    pub subscriptions: Vec<Subscription>,
    pub fees: Vec<Fee>,
    pub credits: Vec<Value>,
    /// `[{key, value, …}]` as given at creation.
    pub metadata: Value,
    pub applied_taxes: Vec<AppliedTax>,
    pub billing_periods: Vec<BillingPeriod>,
    pub applied_usage_thresholds: Vec<Value>,
    pub applied_invoice_custom_sections: Vec<Value>,
    pub error_details: Vec<Value>,
}

/// `invoice.fees[]`: one Odoo product line.
#[derive(Debug, Clone, Serialize)]
pub struct Fee {
    pub lago_id: String,
    pub lago_charge_id: Option<String>,
    pub lago_charge_filter_id: Option<String>,
    pub lago_fixed_charge_id: Option<String>,
    pub lago_invoice_id: String,
    pub lago_true_up_fee_id: Option<String>,
    pub lago_true_up_parent_fee_id: Option<String>,
    pub lago_subscription_id: Option<String>,
    pub external_subscription_id: Option<String>,
    pub lago_customer_id: String,
    pub external_customer_id: String,
    pub invoice_display_name: String,
    pub amount_cents: i64,
    pub sub_total_excluding_taxes_amount_cents: i64,
    /// Unrounded minor units, decimal string.
    pub sub_total_excluding_taxes_precise_amount_cents: String,
    /// Major units, decimal string.
    pub precise_amount: String,
    pub precise_total_amount: String,
    pub amount_currency: String,
    pub taxes_amount_cents: i64,
    pub taxes_precise_amount: String,
    pub taxes_rate: f64,
    pub units: String,
    pub precise_unit_amount: String,
    pub unit_amount_cents: i64,
    pub total_amount_cents: i64,
    pub total_amount_currency: String,
    pub total_aggregated_units: String,
    pub events_count: i64,
    pub pay_in_advance: bool,
    pub invoiceable: bool,
    pub from_date: Option<String>,
    pub to_date: Option<String>,
    pub payment_status: &'static str,
    pub created_at: String,
    pub succeeded_at: Option<String>,
    pub failed_at: Option<String>,
    pub refunded_at: Option<String>,
    pub amount_details: Map<String, Value>,
    pub self_billed: bool,
    pub item: FeeItem,
    pub applied_taxes: Vec<Value>,
}

/// `fees[].item`: what the fee bills.
#[derive(Debug, Clone, Serialize)]
pub struct FeeItem {
    /// `subscription | charge | add_on`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub invoice_display_name: String,
    pub filter_invoice_display_name: Option<String>,
    pub filters: Option<Value>,
    pub lago_item_id: Option<String>,
    /// `Subscription | BillableMetric | AddOn`.
    pub item_type: &'static str,
    pub grouped_by: Map<String, Value>,
}

/// `invoice.applied_taxes[]`: one per distinct rate.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedTax {
    pub lago_id: String,
    pub lago_invoice_id: String,
    pub lago_tax_id: String,
    pub tax_name: String,
    pub tax_code: String,
    pub tax_rate: f64,
    pub tax_description: Option<String>,
    pub amount_cents: i64,
    pub amount_currency: String,
    pub fees_amount_cents: i64,
    pub created_at: String,
}

/// `invoice.billing_periods[]`: the period a subscription invoice bills (the last second
/// is inclusive, as Lago's).
#[derive(Debug, Clone, Serialize)]
pub struct BillingPeriod {
    pub lago_subscription_id: String,
    pub external_subscription_id: String,
    pub lago_plan_id: String,
    pub subscription_from_datetime: String,
    pub subscription_to_datetime: String,
    pub charges_from_datetime: String,
    pub charges_to_datetime: String,
    pub invoicing_reason: &'static str,
}

impl Fee {
    /// The fee of line `f` of invoice `v`.
    pub fn new(v: &InvoiceView, f: &FeeView) -> Fee {
        let currency = v.currency();
        let service = v.row.service_id.to_string();
        let (item_type, lago_item_id) = match f.item_type {
            "subscription" => (
                "Subscription",
                v.subscription.as_ref().map(|s| s.lago_id.clone()),
            ),
            "charge" => (
                "BillableMetric",
                Some(stable_uuid(&["item", &service, &f.code])),
            ),
            _ => ("AddOn", Some(stable_uuid(&["add_on", &service, &f.code]))),
        };
        let (from_date, to_date) = match period(v) {
            Some((a, b)) => (Some(date_time(a)), Some(end_of(b))),
            None => (None, None),
        };
        let sub = v.subscription.as_ref();
        let units = f.units().normalize().to_string();
        Fee {
            lago_id: f.lago_id.clone(),
            lago_charge_id: None,
            lago_charge_filter_id: None,
            lago_fixed_charge_id: None,
            lago_invoice_id: v.row.lago_id.clone(),
            lago_true_up_fee_id: None,
            lago_true_up_parent_fee_id: None,
            lago_subscription_id: sub.map(|s| s.lago_id.clone()),
            external_subscription_id: sub.map(|s| s.external_id.clone()),
            lago_customer_id: v.customer.lago_id.clone(),
            external_customer_id: v.customer.external_id.clone(),
            invoice_display_name: f.name.clone(),
            amount_cents: f.amount_cents(),
            sub_total_excluding_taxes_amount_cents: f.amount_cents(),
            sub_total_excluding_taxes_precise_amount_cents: f.cents.precise_subtotal.to_string(),
            precise_amount: f.subtotal().normalize().to_string(),
            precise_total_amount: f.total().normalize().to_string(),
            amount_currency: currency.clone(),
            taxes_amount_cents: f.taxes_cents(),
            taxes_precise_amount: (f.total() - f.subtotal()).normalize().to_string(),
            taxes_rate: rate_json(f.taxes_rate()),
            units: units.clone(),
            precise_unit_amount: f.unit_price().normalize().to_string(),
            unit_amount_cents: f.cents.unit,
            total_amount_cents: f.cents.total,
            total_amount_currency: currency,
            total_aggregated_units: units,
            events_count: 0,
            pay_in_advance: false,
            invoiceable: true,
            from_date,
            to_date,
            payment_status: v.payment_status(),
            created_at: iso_seconds(v.row.created_at),
            succeeded_at: None,
            failed_at: None,
            refunded_at: None,
            amount_details: Map::new(),
            self_billed: false,
            item: FeeItem {
                kind: f.item_type,
                code: f.code.clone(),
                name: f.name.clone(),
                description: f.description(),
                invoice_display_name: f.name.clone(),
                filter_invoice_display_name: None,
                filters: None,
                lago_item_id,
                item_type,
                grouped_by: Map::new(),
            },
            applied_taxes: Vec::new(),
        }
    }
}

/// Σ taxes and Σ taxed base per distinct rate, in the order the rates first appear.
fn applied_taxes(v: &InvoiceView) -> Vec<AppliedTax> {
    let mut rates: Vec<(Decimal, i64, i64)> = Vec::new();
    for f in v.fees.iter().filter(|f| f.taxes_cents() != 0) {
        match rates.iter_mut().find(|(r, _, _)| *r == f.taxes_rate()) {
            Some((_, amount, base)) => {
                *amount += f.taxes_cents();
                *base += f.amount_cents();
            }
            None => rates.push((f.taxes_rate(), f.taxes_cents(), f.amount_cents())),
        }
    }
    rates
        .into_iter()
        .map(|(r, amount, base)| {
            // Normalised (`13`, `14.975`): the text the stable ids and codes are made of.
            let rate = r.normalize().to_string();
            AppliedTax {
                lago_id: stable_uuid(&["applied_tax", &v.row.lago_id, &rate]),
                lago_invoice_id: v.row.lago_id.clone(),
                lago_tax_id: stable_uuid(&["tax", &rate]),
                tax_name: format!("{rate}%"),
                tax_code: format!("odoo_tax_{}", rate.replace('.', "_")),
                tax_rate: rate_json(r),
                tax_description: None,
                amount_cents: amount,
                amount_currency: v.currency(),
                fees_amount_cents: base,
                created_at: iso_seconds(v.row.created_at),
            }
        })
        .collect()
}

fn billing_periods(v: &InvoiceView) -> Vec<BillingPeriod> {
    match (&v.subscription, &v.plan, period(v)) {
        (Some(s), Some(p), Some((from, to))) => vec![BillingPeriod {
            lago_subscription_id: s.lago_id.clone(),
            external_subscription_id: s.external_id.clone(),
            lago_plan_id: p.lago_id.clone(),
            subscription_from_datetime: date_time(from),
            subscription_to_datetime: end_of(to),
            charges_from_datetime: date_time(from),
            charges_to_datetime: end_of(to),
            invoicing_reason: "subscription_periodic",
        }],
        _ => Vec::new(),
    }
}

fn subscriptions(v: &InvoiceView) -> Vec<Subscription> {
    match (&v.subscription, &v.plan) {
        (Some(s), Some(p)) => vec![Subscription::from(&SubscriptionView {
            row: s.clone(),
            customer: v.customer.clone(),
            plan: p.clone(),
            previous_plan_code: None,
            next_plan_code: None,
            period: None,
        })],
        _ => Vec::new(),
    }
}

impl From<&InvoiceView> for Invoice {
    fn from(v: &InvoiceView) -> Invoice {
        let total_cents = v.cents.total;
        let due_cents = if v.is_finalized() {
            v.cents.residual
        } else {
            0
        };
        let paid_cents = if v.payment_status() == "succeeded" {
            total_cents - due_cents
        } else {
            0
        };
        let issuing = v.issuing_date();
        Invoice {
            lago_id: v.row.lago_id.clone(),
            billing_entity_code: DEFAULT_BILLING_ENTITY_CODE,
            sequential_id: v.sequential_id(),
            number: v.number(),
            purchase_order_number: None,
            issuing_date: issuing.format("%Y-%m-%d").to_string(),
            payment_due_date: v.payment_due_date().format("%Y-%m-%d").to_string(),
            net_payment_term: attributes(&v.customer)
                .net_payment_term
                .map_or(0, i64::from),
            invoice_type: v.row.invoice_type.clone(),
            status: v.status(),
            payment_status: v.payment_status(),
            payment_dispute_lost_at: None,
            payment_overdue: v.payment_overdue(),
            currency: v.currency(),
            fees_amount_cents: v.cents.untaxed,
            taxes_amount_cents: v.cents.tax,
            progressive_billing_credit_amount_cents: 0,
            coupons_amount_cents: 0,
            credit_notes_amount_cents: 0,
            sub_total_excluding_taxes_amount_cents: v.cents.untaxed,
            sub_total_including_taxes_amount_cents: total_cents,
            total_amount_cents: total_cents,
            total_due_amount_cents: due_cents,
            total_paid_amount_cents: paid_cents,
            total_offsetted_credit_note_amount_cents: 0,
            prepaid_credit_amount_cents: 0,
            prepaid_granted_credit_amount_cents: 0,
            prepaid_purchased_credit_amount_cents: 0,
            file_url: v.file_url.clone(),
            xml_url: None,
            web_url: None,
            version_number: 4,
            self_billed: false,
            created_at: iso_seconds(v.row.created_at),
            updated_at: v
                .odoo_updated_at()
                .map(|d| iso_seconds(to_micros(d)))
                .unwrap_or_else(|| iso_seconds(v.row.updated_at)),
            voided_at: v.voided_at().map(|d| iso_seconds(to_micros(d))),
            customer: Customer::from(&v.customer),
            subscriptions: subscriptions(v),
            fees: v.fees.iter().map(|f| Fee::new(v, f)).collect(),
            credits: Vec::new(),
            metadata: serde_json::from_str(&v.row.metadata).unwrap_or_else(|_| json!([])),
            applied_taxes: applied_taxes(v),
            billing_periods: billing_periods(v),
            applied_usage_thresholds: Vec::new(),
            applied_invoice_custom_sections: Vec::new(),
            error_details: Vec::new(),
        }
    }
}

impl Invoice {
    /// `{"invoice": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "invoice": self })
    }
}
