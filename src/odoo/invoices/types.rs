//! What the invoices facade reads: moves, their lines and tax totals, decoded from records.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::LINE;
use crate::odoo::error::OdooError;
use crate::odoo::value::{Many2one, MoveId, MoveLineId, Record, TaxId};

/// `move_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveType {
    /// `out_invoice`: customer invoice.
    Invoice,
    /// `out_refund`: customer credit note.
    CreditNote,
    /// Anything else (`entry`, vendor bills, receipts).
    Other(String),
}

impl MoveType {
    fn parse(s: &str) -> MoveType {
        match s {
            "out_invoice" => MoveType::Invoice,
            "out_refund" => MoveType::CreditNote,
            other => MoveType::Other(other.to_string()),
        }
    }
}

/// `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveState {
    /// `draft`.
    Draft,
    /// `posted`: validated, numbered.
    Posted,
    /// `cancel`.
    Cancelled,
    /// A key this client does not know.
    Other(String),
}

/// `payment_state` (19.0 adds `blocked`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentState {
    /// `not_paid`.
    NotPaid,
    /// `in_payment`: paid, not yet reconciled with the bank.
    InPayment,
    /// `paid`.
    Paid,
    /// `partial`: partly paid or credited.
    Partial,
    /// `reversed`: fully offset by a credit note.
    Reversed,
    /// `blocked`: payment blocked (19.0).
    Blocked,
    /// `invoicing_legacy`: from before Accounting was installed.
    InvoicingLegacy,
    /// A key this client does not know.
    Other(String),
}

impl PaymentState {
    fn parse(s: &str) -> PaymentState {
        match s {
            "not_paid" => PaymentState::NotPaid,
            "in_payment" => PaymentState::InPayment,
            "paid" => PaymentState::Paid,
            "partial" => PaymentState::Partial,
            "reversed" => PaymentState::Reversed,
            "blocked" => PaymentState::Blocked,
            "invoicing_legacy" => PaymentState::InvoicingLegacy,
            other => PaymentState::Other(other.to_string()),
        }
    }
}

/// A customer invoice or credit note header.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoice {
    /// Odoo record id.
    pub id: MoveId,
    /// Sequence number once posted (`INV/2025/00042`); `None` while draft (`false` or `/`).
    pub number: Option<String>,
    /// Kind of move (`move_type`).
    pub move_type: MoveType,
    /// Document state (`state`).
    pub state: MoveState,
    /// Payment state (`payment_state`); `None` when Odoo reports none.
    pub payment_state: Option<PaymentState>,
    /// Customer (`partner_id`).
    pub partner: Option<Many2one>,
    /// Currency (`currency_id`).
    pub currency: Option<Many2one>,
    /// Invoice date (`invoice_date`); `None` until set or posted.
    pub invoice_date: Option<NaiveDate>,
    /// Due date (`invoice_date_due`).
    pub due_date: Option<NaiveDate>,
    /// Source document, e.g. the sale order name (`invoice_origin`).
    pub origin: Option<String>,
    /// Customer reference (`ref`).
    pub reference: Option<String>,
    /// Total without taxes (`amount_untaxed`), document currency.
    pub amount_untaxed: Decimal,
    /// Tax amount (`amount_tax`), document currency.
    pub amount_tax: Decimal,
    /// Total with taxes (`amount_total`), document currency.
    pub amount_total: Decimal,
    /// Amount still due.
    pub amount_residual: Decimal,
    /// For a credit note: the invoice it reverses (`reversed_entry_id`).
    pub reversed_entry: Option<MoveId>,
    /// Ids of its lines.
    pub line_ids: Vec<MoveLineId>,
    /// Creation time, UTC (`create_date`).
    pub create_date: Option<DateTime<Utc>>,
    /// Last change, UTC (`write_date`).
    pub write_date: Option<DateTime<Utc>>,
}

pub(super) const MOVE_FIELDS: &[&str] = &[
    "name",
    "move_type",
    "state",
    "payment_state",
    "partner_id",
    "currency_id",
    "invoice_date",
    "invoice_date_due",
    "invoice_origin",
    "ref",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "reversed_entry_id",
    "invoice_line_ids",
    "create_date",
    "write_date",
];

impl Invoice {
    pub(super) fn from_record(r: &Record) -> Result<Invoice, OdooError> {
        Ok(Invoice {
            id: MoveId(r.id()?),
            number: r.str("name")?.filter(|n| n != "/" && !n.is_empty()),
            move_type: MoveType::parse(r.str("move_type")?.as_deref().unwrap_or("")),
            state: match r.str("state")?.as_deref() {
                Some("draft") => MoveState::Draft,
                Some("posted") => MoveState::Posted,
                Some("cancel") => MoveState::Cancelled,
                other => MoveState::Other(other.unwrap_or_default().to_string()),
            },
            payment_state: r.str("payment_state")?.map(|s| PaymentState::parse(&s)),
            partner: r.m2o("partner_id")?,
            currency: r.m2o("currency_id")?,
            invoice_date: r.date("invoice_date")?,
            due_date: r.date("invoice_date_due")?,
            origin: r.str("invoice_origin")?,
            reference: r.str("ref")?,
            amount_untaxed: r.decimal("amount_untaxed")?,
            amount_tax: r.decimal("amount_tax")?,
            amount_total: r.decimal("amount_total")?,
            amount_residual: r.decimal("amount_residual")?,
            reversed_entry: r.m2o("reversed_entry_id")?.map(|m| MoveId(m.id)),
            line_ids: r
                .ids("invoice_line_ids")?
                .into_iter()
                .map(MoveLineId)
                .collect(),
            create_date: r.datetime("create_date")?,
            write_date: r.datetime("write_date")?,
        })
    }
}

/// A posted customer invoice or credit note as the monthly reconciliation reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedMove {
    /// Odoo record id.
    pub id: MoveId,
    /// Its number (`name`), as Odoo answers it.
    pub name: Option<String>,
    /// [`MoveType::Invoice`] or [`MoveType::CreditNote`].
    pub move_type: MoveType,
    /// Customer (`partner_id`).
    pub partner: Option<Many2one>,
    /// Source document, e.g. the sale order name (`invoice_origin`); Odoo does not copy it onto
    /// a reversal.
    pub origin: Option<String>,
    /// Total without taxes (`amount_untaxed`), document currency.
    pub amount_untaxed: Decimal,
    /// Currency (`currency_id`).
    pub currency: Option<Many2one>,
    /// For a credit note: the invoice it reverses (`reversed_entry_id`).
    pub reversed_entry: Option<MoveId>,
}

pub(super) const POSTED_FIELDS: &[&str] = &[
    "name",
    "move_type",
    "partner_id",
    "invoice_origin",
    "amount_untaxed",
    "currency_id",
    "reversed_entry_id",
];

impl PostedMove {
    pub(super) fn from_record(r: &Record) -> Result<PostedMove, OdooError> {
        Ok(PostedMove {
            id: MoveId(r.id()?),
            name: r.str("name")?,
            move_type: MoveType::parse(r.str("move_type")?.as_deref().unwrap_or("")),
            partner: r.m2o("partner_id")?,
            origin: r.str("invoice_origin")?,
            amount_untaxed: r.decimal("amount_untaxed")?,
            currency: r.m2o("currency_id")?,
            reversed_entry: r.m2o("reversed_entry_id")?.map(|m| MoveId(m.id)),
        })
    }
}

/// An invoice line (product, section or note; tax and receivable lines excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceLine {
    /// Odoo record id.
    pub id: MoveLineId,
    /// The move this line belongs to (`move_id`).
    pub move_id: MoveId,
    /// Product variant (`product_id`).
    pub product: Option<Many2one>,
    /// Label (`name`).
    pub name: Option<String>,
    /// Quantity (`quantity`).
    pub quantity: Decimal,
    /// Unit price (`price_unit`) in the document currency.
    pub price_unit: Decimal,
    /// Discount in percent.
    pub discount: Decimal,
    /// Amount without taxes.
    pub price_subtotal: Decimal,
    /// Amount with taxes.
    pub price_total: Decimal,
    /// Customer taxes (`tax_ids`).
    pub taxes: Vec<TaxId>,
    /// `product | line_section | line_subsection | line_note`.
    pub display_type: Option<String>,
}

pub(super) const LINE_FIELDS: &[&str] = &[
    "move_id",
    "product_id",
    "name",
    "quantity",
    "price_unit",
    "discount",
    "price_subtotal",
    "price_total",
    "tax_ids",
    "display_type",
];

impl InvoiceLine {
    pub(super) fn from_record(r: &Record) -> Result<InvoiceLine, OdooError> {
        Ok(InvoiceLine {
            id: MoveLineId(r.id()?),
            move_id: MoveId(
                r.m2o("move_id")?
                    .ok_or_else(|| OdooError::Decode(format!("{LINE}.move_id: empty")))?
                    .id,
            ),
            product: r.m2o("product_id")?,
            name: r.str("name")?,
            quantity: r.decimal("quantity")?,
            price_unit: r.decimal("price_unit")?,
            discount: r.decimal("discount")?,
            price_subtotal: r.decimal("price_subtotal")?,
            price_total: r.decimal("price_total")?,
            taxes: r.ids("tax_ids")?.into_iter().map(TaxId).collect(),
            display_type: r.str("display_type")?,
        })
    }
}

/// Tax amounts of one tax group (e.g. "HST 13%").
#[derive(Debug, Clone, PartialEq)]
pub struct TaxGroupTotal {
    /// Tax group name (`group_name`), e.g. "HST 13%".
    pub name: String,
    /// Taxable base.
    pub base: Decimal,
    /// Tax amount.
    pub amount: Decimal,
}

/// Totals of an invoice with the tax breakdown by group (from `tax_totals`; the groups are empty
/// when the server does not provide it).
#[derive(Debug, Clone, PartialEq)]
pub struct TaxTotals {
    /// Total without taxes, document currency.
    pub untaxed: Decimal,
    /// Total of taxes, document currency.
    pub tax: Decimal,
    /// Total with taxes, document currency.
    pub total: Decimal,
    /// Tax groups with base and amount.
    pub groups: Vec<TaxGroupTotal>,
}
