//! Lago invoices on Odoo customer invoices (API-NOTES §6; `api:app/controllers/api/v1/
//! invoices_controller.rb`, `app/services/invoices/*`; CONTRACT.md §4.5, §4.7, §4.8).
//!
//! Odoo's `account.move` (`out_invoice`) is the record: amounts, taxes, state and payment state
//! are always read from it. A service sees
//! - the invoices of its subscriptions: `invoice_origin` = the name of one of its `sale.order`s
//!   (the subscription invoicing cron writes it), found on every list ("discovery");
//! - its one-off invoices (`POST /invoices`), created with `ref` = `fusion-billing <request id>`
//!   so that a retried create finds the move an interrupted attempt wrote.
//!
//! The local `invoices` row gives each (service, move) a stable `lago_id` derived from both, so
//! concurrent discoveries agree. Another service never has a row for a move that is not its
//! own, hence `invoice_not_found` for it.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::customer_repo::CustomerRow;
use super::invoice_repo::InvoiceRow;
use super::plan_repo::PlanRow;
use super::subscription_repo::SubscriptionRow;
use crate::billing::checked::Overflow;
use crate::billing::money::Currency;
use crate::meter::tenants::ServiceRef;
use crate::odoo::invoices::{Invoice, InvoiceLine, MoveState, PaymentState};

/// The currency of a move (`currency_id`), by its ISO code; a move without one, or in a
/// currency the gateway does not know, counts as the home currency (CAD), as
/// [`InvoiceView::currency`] shows it.
pub fn move_currency(m: &Invoice) -> Currency {
    Currency::parse_or_home(m.currency.as_ref().map(|c| c.name.as_str()))
}

/// An Odoo move's amounts in its currency's minor unit ([`Currency::to_minor`]: by the
/// currency's exponent, half away from zero), converted once (checked) when its view is built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MoveCents {
    /// `amount_untaxed`.
    pub untaxed: i64,
    /// `amount_tax`.
    pub tax: i64,
    /// `amount_total`.
    pub total: i64,
    /// `amount_residual` (what is still due).
    pub residual: i64,
}

impl MoveCents {
    /// The amounts of `m`, in the minor unit of the move's own currency ([`move_currency`]).
    ///
    /// # Errors
    /// [`Overflow`] when one does not fit an `i64` of minor units.
    pub fn of(m: &Invoice) -> Result<MoveCents, Overflow> {
        let c = move_currency(m);
        Ok(MoveCents {
            untaxed: c.to_minor(m.amount_untaxed)?,
            tax: c.to_minor(m.amount_tax)?,
            total: c.to_minor(m.amount_total)?,
            residual: c.to_minor(m.amount_residual)?,
        })
    }
}

/// A fee line's amounts in the invoice currency's minor unit, converted once (checked) when
/// its view is built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCents {
    /// `price_subtotal` (excluding taxes).
    pub subtotal: i64,
    /// `price_subtotal` in minor units, unrounded (Lago's
    /// `sub_total_excluding_taxes_precise_amount_cents`).
    pub precise_subtotal: Decimal,
    /// `price_total` (including taxes).
    pub total: i64,
    /// `price_unit`.
    pub unit: i64,
}

impl LineCents {
    /// The amounts of `l`, a line of a move in `currency`.
    ///
    /// # Errors
    /// [`Overflow`] when one does not fit in minor units.
    pub fn of(l: &InvoiceLine, currency: Currency) -> Result<LineCents, Overflow> {
        Ok(LineCents {
            subtotal: currency.to_minor(l.price_subtotal)?,
            precise_subtotal: currency.to_precise_minor(l.price_subtotal)?,
            total: currency.to_minor(l.price_total)?,
            unit: currency.to_minor(l.price_unit)?,
        })
    }
}

/// Lago `status` of a move: `draft` → `draft`, `posted` → `finalized`, `cancel` → `voided`.
pub fn lago_status(m: &Invoice) -> &'static str {
    match m.state {
        MoveState::Draft => "draft",
        MoveState::Posted => "finalized",
        MoveState::Cancelled => "voided",
        MoveState::Other(_) => "pending",
    }
}

/// Lago `payment_status`: `paid`/`in_payment`/`reversed` → `succeeded`, anything else
/// (`not_paid`, `partial`, …) → `pending`.
pub fn lago_payment_status(m: &Invoice) -> &'static str {
    match m.payment_state {
        Some(PaymentState::Paid) | Some(PaymentState::InPayment) | Some(PaymentState::Reversed) => {
            "succeeded"
        }
        _ => "pending",
    }
}

/// The fee's name: the first line of the invoice line's label that is not the product's
/// display name. Odoo's sale invoicing labels a line "product display name\nsale line name"
/// (`account.move.line._get_journal_items_full_name`; real Odoo 19, issue 14), and Odoo's
/// subscription invoicing appends the period on a further line; the sale line name (e.g.
/// "API calls 1,001–10,000 @ 0.01") is the fee's name. A label that is only the product's
/// display name keeps it.
fn fee_name(l: &InvoiceLine) -> String {
    let label = l.name.clone().unwrap_or_default();
    let mut lines = label.lines();
    let first = lines.next().unwrap_or_default();
    let product = l.product.as_ref().map(|p| p.name.as_str()).unwrap_or("");
    match lines.next() {
        Some(second) if !product.is_empty() && first == product && !second.is_empty() => {
            second.to_string()
        }
        _ => first.to_string(),
    }
}

/// One fee: an Odoo product line of the invoice.
#[derive(Debug, Clone)]
pub struct FeeView {
    /// Stable fee `lago_id` (derived from the invoice `lago_id` and the line id).
    pub lago_id: String,
    /// The Odoo line.
    pub line: InvoiceLine,
    /// Lago `item.type`: `subscription` (base-fee product), `charge` (usage product) or `add_on`.
    pub item_type: &'static str,
    /// `item.code`: plan code, billable metric code or add-on code.
    pub code: String,
    /// `item.name`.
    pub name: String,
    /// Amount (cents, excluding taxes) already credited by earlier, not voided credit notes.
    pub credited_cents: i64,
    /// Sum of the line's percent tax rates (`account.tax.amount`), e.g. 13 for HST, 14.975
    /// for GST + QST; exact, normalised (no trailing zeros).
    pub tax_rate: Decimal,
    /// The line's amounts in cents.
    pub cents: LineCents,
}

impl FeeView {
    /// Amount excluding taxes, cents.
    pub fn amount_cents(&self) -> i64 {
        self.cents.subtotal
    }

    /// Taxes of the line, cents.
    pub fn taxes_cents(&self) -> i64 {
        self.cents.total - self.cents.subtotal
    }

    /// Tax rate in percent: the sum of the line's percent taxes in Odoo (e.g. 13). Lago's
    /// JSON shows it as a float (`taxes_rate: 13.0`); see `crate::api::invoices`.
    pub fn taxes_rate(&self) -> Decimal {
        self.tax_rate
    }

    /// Amount still creditable (cents, excluding taxes).
    pub fn creditable_cents(&self) -> i64 {
        (self.amount_cents() - self.credited_cents).max(0)
    }
}

/// An invoice with everything its Lago JSON shows.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    /// The local link.
    pub row: InvoiceRow,
    /// The Odoo move.
    pub mv: Invoice,
    /// The move's amounts in cents.
    pub cents: MoveCents,
    /// Its product lines as fees.
    pub fees: Vec<FeeView>,
    /// The customer.
    pub customer: CustomerRow,
    /// The subscription of a subscription invoice.
    pub subscription: Option<SubscriptionRow>,
    /// Its plan.
    pub plan: Option<PlanRow>,
    /// Absolute PDF URL (set by `download`).
    pub file_url: Option<String>,
    /// Today (UTC), for `payment_overdue`.
    pub today: NaiveDate,
}

impl InvoiceView {
    /// `payment_overdue`: posted, not paid, due date passed.
    pub fn payment_overdue(&self) -> bool {
        self.mv.state == MoveState::Posted
            && lago_payment_status(&self.mv) != "succeeded"
            && self.mv.due_date.is_some_and(|d| d < self.today)
    }

    /// `issuing_date`: the invoice date, else the creation date, else today.
    pub fn issuing_date(&self) -> NaiveDate {
        self.mv
            .invoice_date
            .or(self.mv.create_date.map(|d| d.date_naive()))
            .unwrap_or(self.today)
    }

    /// ISO currency code of the move.
    pub fn currency(&self) -> String {
        self.mv
            .currency
            .as_ref()
            .map(|c| c.name.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "CAD".into())
    }
}

/// Filters of `GET /invoices` (API-NOTES §6).
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// The customer's `external_id`.
    pub external_customer_id: Option<String>,
    /// Lago statuses (any of); empty = all.
    pub statuses: Vec<String>,
    /// Lago payment statuses (any of); empty = all.
    pub payment_statuses: Vec<String>,
    /// Issuing date at or after.
    pub issuing_date_from: Option<NaiveDate>,
    /// Issuing date at or before.
    pub issuing_date_to: Option<NaiveDate>,
    /// Lago `invoice_type` (`subscription` or `one_off`).
    pub invoice_type: Option<String>,
    /// ISO currency code.
    pub currency: Option<String>,
}

/// `default_code` of the Odoo service product behind an add-on code of a service.
pub fn addon_product_code(service: &ServiceRef, code: &str) -> String {
    format!("FC-{}-addon-{code}", service.name)
}

/// Reference written on the `ref` of a one-off invoice created for request `request_id`.
pub fn one_off_reference(request_id: &str) -> String {
    format!("fusion-billing {request_id}")
}

mod lifecycle;
mod one_off;
mod payment;
mod views;

pub use one_off::{OneOffFee, OneOffInvoice};
pub use payment::{InvoiceUpdate, MetadataEntry, PaymentStatusUpdate};
