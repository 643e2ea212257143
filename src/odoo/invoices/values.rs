//! What the invoices facade writes: new invoices and lines, line changes, payments.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::odoo::value::{
    to_odoo_float, Command, CurrencyId, JournalId, MoveLineId, PartnerId, ProductId, TaxId,
};

/// A line of a new invoice or credit note.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvoiceLine {
    /// Product variant to sell.
    pub product: Option<ProductId>,
    /// Label; required when there is no product.
    pub name: Option<String>,
    /// Quantity (`quantity`).
    pub quantity: Decimal,
    /// Unit price (`price_unit`) in the document currency.
    pub price_unit: Decimal,
    /// Customer taxes; `None` lets Odoo apply the product's taxes.
    pub taxes: Option<Vec<TaxId>>,
}

impl NewInvoiceLine {
    pub(super) fn vals(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(p) = self.product {
            m.insert("product_id".into(), json!(p.0));
        }
        if let Some(n) = &self.name {
            m.insert("name".into(), json!(n));
        }
        m.insert("quantity".into(), to_odoo_float(self.quantity));
        m.insert("price_unit".into(), to_odoo_float(self.price_unit));
        if let Some(t) = &self.taxes {
            m.insert(
                "tax_ids".into(),
                Command::list(&[Command::Set(t.iter().map(|t| t.0).collect())]),
            );
        }
        m
    }
}

/// A one-off customer invoice to create (draft `out_invoice`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvoice {
    /// Customer.
    pub partner: PartnerId,
    /// `None` = the company currency.
    pub currency: Option<CurrencyId>,
    /// `None` = set to today by Odoo when posted.
    pub invoice_date: Option<NaiveDate>,
    /// Customer reference (`ref`).
    pub reference: Option<String>,
    /// Source document (`invoice_origin`).
    pub origin: Option<String>,
    /// Lines, in order.
    pub lines: Vec<NewInvoiceLine>,
}

/// A change to the lines of a draft invoice or credit note.
#[derive(Debug, Clone, PartialEq)]
pub enum LineChange {
    /// Add a line.
    Add(NewInvoiceLine),
    /// Change quantity and/or unit price of a line.
    Update {
        /// The line to change.
        line: MoveLineId,
        /// New quantity; `None` leaves it.
        quantity: Option<Decimal>,
        /// New unit price; `None` leaves it.
        price_unit: Option<Decimal>,
    },
    /// Delete a line.
    Remove(MoveLineId),
}

/// A payment to record against an invoice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaymentValues {
    /// `None` = the amount due.
    pub amount: Option<Decimal>,
    /// `None` = today.
    pub date: Option<NaiveDate>,
    /// Bank/cash journal; `None` = Odoo's default.
    pub journal: Option<JournalId>,
    /// Memo (`communication`).
    pub memo: Option<String>,
    /// A saved `payment.token` to charge (`payment_token_id`, `account_payment` module); `None`
    /// records a manual payment.
    pub payment_token: Option<i64>,
}
