//! What an invoice, a fee and a credit note show to Lago, read off their Odoo records, so
//! that the wire layer ([`crate::lago`]) never sees an Odoo type.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::credit_notes::CreditNoteView;
use super::invoices::{lago_payment_status, lago_status, FeeView, InvoiceView};
use crate::odoo::invoices::{Invoice, MoveState};

/// A document number: Odoo's `name` once posted, else `DRAFT-<id>`.
fn number(m: &Invoice) -> String {
    m.number
        .clone()
        .unwrap_or_else(|| format!("DRAFT-{}", m.id.0))
}

impl InvoiceView {
    /// Lago `sequential_id`: the Odoo move id (unique and increasing per database).
    pub fn sequential_id(&self) -> i64 {
        self.mv.id.0
    }

    /// Lago `number`: Odoo's sequence number once posted, else `DRAFT-<id>`.
    pub fn number(&self) -> String {
        number(&self.mv)
    }

    /// Odoo's sequence number, `None` while a draft.
    pub fn posted_number(&self) -> Option<String> {
        self.mv.number.clone()
    }

    /// Lago `status`: `draft`, `finalized`, `voided` (or `pending` for another Odoo state).
    pub fn status(&self) -> &'static str {
        lago_status(&self.mv)
    }

    /// Lago `payment_status`: `succeeded` or `pending`.
    pub fn payment_status(&self) -> &'static str {
        lago_payment_status(&self.mv)
    }

    /// Whether posted in Odoo (so `amount_residual` is due).
    pub fn is_finalized(&self) -> bool {
        self.mv.state == MoveState::Posted
    }

    /// When Odoo cancelled the move (its last write), `None` unless voided.
    pub fn voided_at(&self) -> Option<DateTime<Utc>> {
        (self.mv.state == MoveState::Cancelled)
            .then_some(self.mv.write_date)
            .flatten()
    }

    /// `payment_due_date`: Odoo's due date, else the issuing date.
    pub fn payment_due_date(&self) -> NaiveDate {
        self.mv.due_date.unwrap_or_else(|| self.issuing_date())
    }

    /// Odoo's last write to the move, UTC.
    pub fn odoo_updated_at(&self) -> Option<DateTime<Utc>> {
        self.mv.write_date
    }
}

impl FeeView {
    /// Units invoiced (the line's quantity).
    pub fn units(&self) -> Decimal {
        self.line.quantity
    }

    /// Unit price, major units, excluding taxes.
    pub fn unit_price(&self) -> Decimal {
        self.line.price_unit
    }

    /// Amount excluding taxes, major units.
    pub fn subtotal(&self) -> Decimal {
        self.line.price_subtotal
    }

    /// Amount including taxes, major units.
    pub fn total(&self) -> Decimal {
        self.line.price_total
    }

    /// The line's full label on the invoice.
    pub fn description(&self) -> Option<String> {
        self.line.name.clone()
    }
}

impl CreditNoteView {
    /// Lago `sequential_id`: the Odoo refund move id.
    pub fn sequential_id(&self) -> i64 {
        self.mv.id.0
    }

    /// Lago `number`: Odoo's sequence number once posted, else `DRAFT-<id>`.
    pub fn number(&self) -> String {
        number(&self.mv)
    }

    /// `issuing_date`: the refund's invoice date, once set.
    pub fn issuing_date(&self) -> Option<NaiveDate> {
        self.mv.invoice_date
    }

    /// Odoo's last write to the refund move, UTC.
    pub fn odoo_updated_at(&self) -> Option<DateTime<Utc>> {
        self.mv.write_date
    }
}
