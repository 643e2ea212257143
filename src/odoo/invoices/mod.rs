//! Invoices facade: customer invoices and credit notes (`account.move`), their lines, posting,
//! reset/cancel, payment state, PDF and payment links, payment registration. CONTRACT.md §4.5,
//! §4.7, §4.8; `addons/account/models/account_move.py`, `addons/portal/models/portal_mixin.py`,
//! `addons/account/wizard/account_payment_register.py`, `addons/account_payment/wizards/payment_link_wizard.py`.
//!
//! By job: `types` (what is read, decoded from records), `values` (what is written), `queries`
//! (reads), `actions` (creation, state changes, links, payments), `tax_totals`.

mod actions;
mod queries;
mod tax_totals;
mod types;
mod values;

pub use types::{
    Invoice, InvoiceLine, MoveState, MoveType, PaymentState, PostedMove, TaxGroupTotal, TaxTotals,
};
pub use values::{LineChange, NewInvoice, NewInvoiceLine, PaymentValues};

use serde_json::{json, Value};

use super::client::{OdooClient, SearchOptions};
use super::error::OdooError;
use types::MOVE_FIELDS;

const MOVE: &str = "account.move";
const LINE: &str = "account.move.line";

/// Invoice operations; get one with [`OdooClient::invoices`].
#[derive(Debug, Clone, Copy)]
pub struct Invoices<'a> {
    client: &'a OdooClient,
}

impl OdooClient {
    /// The invoices (`account.move`) facade.
    pub fn invoices(&self) -> Invoices<'_> {
        Invoices { client: self }
    }
}

fn customer_types() -> Value {
    json!(["move_type", "in", ["out_invoice", "out_refund"]])
}

impl Invoices<'_> {
    async fn moves(&self, domain: Value, opts: &SearchOptions) -> Result<Vec<Invoice>, OdooError> {
        self.client
            .orm()
            .search_read(MOVE, domain, MOVE_FIELDS, opts)
            .await?
            .iter()
            .map(Invoice::from_record)
            .collect()
    }
}
