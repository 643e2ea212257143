//! What the subscriptions facade reads: orders and their lines, decoded from records.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::LINE;
use crate::odoo::error::OdooError;
use crate::odoo::value::{Many2one, MoveId, Record, SaleOrderId, SaleOrderLineId, TaxId};

/// `sale.order.state` (19.0: no `done`; locking is the `locked` flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderState {
    /// `draft`: quotation.
    Draft,
    /// `sent`: quotation sent.
    Sent,
    /// `sale`: confirmed sales order.
    Sale,
    /// `cancel`: cancelled.
    Cancel,
    /// A key we do not know.
    Other(String),
}

impl OrderState {
    fn parse(s: Option<String>) -> OrderState {
        match s.as_deref() {
            Some("draft") => OrderState::Draft,
            Some("sent") => OrderState::Sent,
            Some("sale") => OrderState::Sale,
            Some("cancel") => OrderState::Cancel,
            other => OrderState::Other(other.unwrap_or_default().to_string()),
        }
    }
}

/// `subscription_state` (enterprise `sale_subscription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionState {
    /// `1_draft`: quotation.
    Draft,
    /// `2_renewal`: renewal quotation.
    Renewal,
    /// `3_progress`: in progress (active, invoiced by Odoo's cron).
    InProgress,
    /// `4_paused`.
    Paused,
    /// `5_renewed`: replaced by a renewal order.
    Renewed,
    /// `6_churn`: closed.
    Churned,
    /// `7_upsell`: upsell quotation.
    Upsell,
    /// A key we do not know.
    Other(String),
}

impl SubscriptionState {
    /// The Odoo selection key.
    pub fn as_odoo(&self) -> &str {
        match self {
            SubscriptionState::Draft => "1_draft",
            SubscriptionState::Renewal => "2_renewal",
            SubscriptionState::InProgress => "3_progress",
            SubscriptionState::Paused => "4_paused",
            SubscriptionState::Renewed => "5_renewed",
            SubscriptionState::Churned => "6_churn",
            SubscriptionState::Upsell => "7_upsell",
            SubscriptionState::Other(s) => s,
        }
    }

    fn parse(s: &str) -> SubscriptionState {
        match s {
            "1_draft" => SubscriptionState::Draft,
            "2_renewal" => SubscriptionState::Renewal,
            "3_progress" => SubscriptionState::InProgress,
            "4_paused" => SubscriptionState::Paused,
            "5_renewed" => SubscriptionState::Renewed,
            "6_churn" => SubscriptionState::Churned,
            "7_upsell" => SubscriptionState::Upsell,
            other => SubscriptionState::Other(other.to_string()),
        }
    }
}

/// A sale order / subscription header.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleOrder {
    /// Odoo record id.
    pub id: SaleOrderId,
    /// Sequence name, e.g. `S00042` ("New" before the sequence is assigned).
    pub name: String,
    /// Customer (`partner_id`).
    pub partner: Option<Many2one>,
    /// Document state (`state`).
    pub state: OrderState,
    /// True for a subscription (`is_subscription`, set from `plan_id`).
    pub is_subscription: bool,
    /// Recurring plan (`plan_id`).
    pub plan: Option<Many2one>,
    /// `None` for plain orders.
    pub subscription_state: Option<SubscriptionState>,
    /// First day of the subscription (`start_date`).
    pub start_date: Option<NaiveDate>,
    /// Date Odoo's cron invoices next; the end (exclusive) of the current billing window.
    pub next_invoice_date: Option<NaiveDate>,
    /// Last day, when closed or planned to end (`end_date`).
    pub end_date: Option<NaiveDate>,
    /// Date of the last recurring invoice (`last_invoice_date`).
    pub last_invoice_date: Option<NaiveDate>,
    /// Currency (`currency_id`).
    pub currency: Option<Many2one>,
    /// Total without taxes (`amount_untaxed`), document currency.
    pub amount_untaxed: Decimal,
    /// Tax amount (`amount_tax`), document currency.
    pub amount_tax: Decimal,
    /// Total with taxes (`amount_total`), document currency.
    pub amount_total: Decimal,
    /// Customer reference (`client_order_ref`).
    pub client_order_ref: Option<String>,
    /// Source document (`origin`).
    pub origin: Option<String>,
    /// Ids of its lines.
    pub line_ids: Vec<SaleOrderLineId>,
    /// Invoices of the order (`invoice_ids`).
    pub invoice_ids: Vec<MoveId>,
    /// Last change, UTC (`write_date`).
    pub write_date: Option<DateTime<Utc>>,
}

pub(super) const ORDER_FIELDS: &[&str] = &[
    "name",
    "partner_id",
    "state",
    "is_subscription",
    "plan_id",
    "subscription_state",
    "start_date",
    "next_invoice_date",
    "end_date",
    "last_invoice_date",
    "currency_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "client_order_ref",
    "origin",
    "order_line",
    "invoice_ids",
    "write_date",
];

/// What [`Subscriptions::windows_of`] reads: state and billing-window dates only.
pub(super) const WINDOW_FIELDS: &[&str] = &[
    "name",
    "state",
    "subscription_state",
    "start_date",
    "next_invoice_date",
    "last_invoice_date",
];

impl SaleOrder {
    /// An order from a [`WINDOW_FIELDS`] read: the other fields are empty (no amounts, no
    /// lines, no partner).
    pub(super) fn from_window_record(r: &Record) -> Result<SaleOrder, OdooError> {
        Ok(SaleOrder {
            id: SaleOrderId(r.id()?),
            name: r.str("name")?.unwrap_or_default(),
            partner: None,
            state: OrderState::parse(r.str("state")?),
            is_subscription: true,
            plan: None,
            subscription_state: r
                .str("subscription_state")?
                .map(|s| SubscriptionState::parse(&s)),
            start_date: r.date("start_date")?,
            next_invoice_date: r.date("next_invoice_date")?,
            end_date: None,
            last_invoice_date: r.date("last_invoice_date")?,
            currency: None,
            amount_untaxed: Decimal::ZERO,
            amount_tax: Decimal::ZERO,
            amount_total: Decimal::ZERO,
            client_order_ref: None,
            origin: None,
            line_ids: Vec::new(),
            invoice_ids: Vec::new(),
            write_date: None,
        })
    }

    pub(super) fn from_record(r: &Record) -> Result<SaleOrder, OdooError> {
        Ok(SaleOrder {
            id: SaleOrderId(r.id()?),
            name: r.str("name")?.unwrap_or_default(),
            partner: r.m2o("partner_id")?,
            state: OrderState::parse(r.str("state")?),
            is_subscription: r.bool("is_subscription")?,
            plan: r.m2o("plan_id")?,
            subscription_state: r
                .str("subscription_state")?
                .map(|s| SubscriptionState::parse(&s)),
            start_date: r.date("start_date")?,
            next_invoice_date: r.date("next_invoice_date")?,
            end_date: r.date("end_date")?,
            last_invoice_date: r.date("last_invoice_date")?,
            currency: r.m2o("currency_id")?,
            amount_untaxed: r.decimal("amount_untaxed")?,
            amount_tax: r.decimal("amount_tax")?,
            amount_total: r.decimal("amount_total")?,
            client_order_ref: r.str("client_order_ref")?,
            origin: r.str("origin")?,
            line_ids: r
                .ids("order_line")?
                .into_iter()
                .map(SaleOrderLineId)
                .collect(),
            invoice_ids: r.ids("invoice_ids")?.into_iter().map(MoveId).collect(),
            write_date: r.datetime("write_date")?,
        })
    }
}

/// A sale order line.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleOrderLine {
    /// Odoo record id.
    pub id: SaleOrderLineId,
    /// The order this line belongs to (`order_id`).
    pub order_id: SaleOrderId,
    /// Product variant (`product_id`).
    pub product: Option<Many2one>,
    /// Description shown on the invoice.
    pub name: Option<String>,
    /// Ordered quantity (`product_uom_qty`).
    pub quantity: Decimal,
    /// Delivered quantity (`qty_delivered`): what usage products invoice.
    pub qty_delivered: Decimal,
    /// Quantity already invoiced (`qty_invoiced`).
    pub qty_invoiced: Decimal,
    /// Quantity still to invoice (`qty_to_invoice`).
    pub qty_to_invoice: Decimal,
    /// Unit price (`price_unit`) in the document currency.
    pub price_unit: Decimal,
    /// Discount in percent.
    pub discount: Decimal,
    /// Line amount without taxes (`price_subtotal`).
    pub price_subtotal: Decimal,
    /// Line amount with taxes (`price_total`).
    pub price_total: Decimal,
    /// Customer taxes (`tax_ids`).
    pub taxes: Vec<TaxId>,
    /// `line_section | line_subsection | line_note`; `None` for product lines.
    pub display_type: Option<String>,
}

pub(super) const LINE_FIELDS: &[&str] = &[
    "order_id",
    "product_id",
    "name",
    "product_uom_qty",
    "qty_delivered",
    "qty_invoiced",
    "qty_to_invoice",
    "price_unit",
    "discount",
    "price_subtotal",
    "price_total",
    "tax_ids",
    "display_type",
];

impl SaleOrderLine {
    pub(super) fn from_record(r: &Record) -> Result<SaleOrderLine, OdooError> {
        Ok(SaleOrderLine {
            id: SaleOrderLineId(r.id()?),
            order_id: SaleOrderId(
                r.m2o("order_id")?
                    .ok_or_else(|| OdooError::Decode(format!("{LINE}.order_id: empty")))?
                    .id,
            ),
            product: r.m2o("product_id")?,
            name: r.str("name")?,
            quantity: r.decimal("product_uom_qty")?,
            qty_delivered: r.decimal("qty_delivered")?,
            qty_invoiced: r.decimal("qty_invoiced")?,
            qty_to_invoice: r.decimal("qty_to_invoice")?,
            price_unit: r.decimal("price_unit")?,
            discount: r.decimal("discount")?,
            price_subtotal: r.decimal("price_subtotal")?,
            price_total: r.decimal("price_total")?,
            taxes: r.ids("tax_ids")?.into_iter().map(TaxId).collect(),
            display_type: r.str("display_type")?,
        })
    }
}
