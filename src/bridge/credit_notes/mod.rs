//! Lago credit notes on Odoo credit notes (API-NOTES §7; `api:app/services/credit_notes/
//! create_service.rb`, `validate_service.rb`, `void_service.rb`; CONTRACT.md §4.6).
//!
//! `POST /credit_notes` reverses the invoice with the `account.move.reversal` wizard
//! (`refund_moves` → a draft `out_refund` with `reversed_entry_id`), keeps only the credited
//! lines at the requested amounts (excluding taxes; Odoo recomputes the taxes), and posts it,
//! which reconciles it with the invoice. The draft gets `ref` = `fusion-billing <lago_id>`,
//! where the `lago_id` derives from the request id (the `Idempotency-Key`), so a retry resumes
//! the same Odoo move. The local row (reason, items, credit/refund split) is written last.
//!
//! Amounts: item `amount_cents` exclude taxes; `credit_amount_cents + refund_amount_cents`
//! must equal the credit note total **including** taxes (as Lago) — or, accepted as well, the
//! items total excluding taxes, in which case the split is scaled to the total — within one
//! cent; otherwise 422 `{"base":["does_not_match_item_amounts"]}`.

use std::collections::HashMap;

use super::error::BridgeError;
use super::invoice_repo::CreditNoteRow;
use super::invoices::{InvoiceView, MoveCents};
use super::Bridge;
use crate::lago::error_code::ErrorCode;
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::invoices::{Invoice, MoveState};
use crate::odoo::MoveId;

/// What an overflow while pricing a credit note is reported as.
pub(super) const WHAT: &str = "credit note taxes";

/// Lago credit note reasons.
pub const REASONS: &[&str] = &[
    "duplicated_charge",
    "product_unsatisfactory",
    "order_change",
    "order_cancellation",
    "fraudulent_charge",
    "other",
];

/// A credit note with what its JSON shows.
#[derive(Debug, Clone)]
pub struct CreditNoteView {
    /// The local row.
    pub row: CreditNoteRow,
    /// The Odoo `out_refund`.
    pub mv: Invoice,
    /// Its amounts in cents.
    pub cents: MoveCents,
    /// The credited invoice.
    pub invoice: InvoiceView,
}

impl CreditNoteView {
    /// Whether voided (locally or cancelled in Odoo).
    pub fn voided(&self) -> bool {
        self.row.voided_at.is_some() || self.mv.state == MoveState::Cancelled
    }

    /// `balance_amount_cents`: the credit part not consumed yet (the refund move's residual,
    /// capped at the credit amount); 0 when voided.
    pub fn balance_cents(&self) -> i64 {
        if self.voided() {
            return 0;
        }
        self.cents.residual.min(self.row.credit_amount_cents).max(0)
    }

    /// `credit_status`: `voided`, `available` (balance left) or `consumed`; `None` without a
    /// credit part.
    pub fn credit_status(&self) -> Option<&'static str> {
        if self.voided() {
            Some("voided")
        } else if self.row.credit_amount_cents == 0 {
            None
        } else if self.balance_cents() > 0 {
            Some("available")
        } else {
            Some("consumed")
        }
    }
}

impl Bridge {
    pub(crate) async fn credit_note_view(
        &self,
        service: &ServiceRef,
        row: CreditNoteRow,
    ) -> Result<CreditNoteView, BridgeError> {
        let invoice = self.invoice(service, &row.invoice_id).await?;
        let c = self.odoo.client().await?;
        let mv = c
            .invoices()
            .get(MoveId(row.move_id))
            .await?
            .ok_or(BridgeError::NotFound(ErrorCode::CreditNoteNotFound))?;
        Ok(CreditNoteView {
            row,
            cents: MoveCents::of(&mv)?,
            mv,
            invoice,
        })
    }

    /// `GET /credit_notes/{id}`.
    ///
    /// # Errors
    /// 404 `credit_note_not_found` (unknown or another service's); Odoo unavailable.
    pub async fn credit_note(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<CreditNoteView, BridgeError> {
        let row = self
            .store
            .invoices()
            .credit_note_by_id(service.id, lago_id)
            .await?
            .ok_or(BridgeError::NotFound(ErrorCode::CreditNoteNotFound))?;
        self.credit_note_view(service, row).await
    }

    /// `GET /credit_notes`: the service's credit notes, newest first, optionally of one
    /// customer (`external_customer_id`). Returns the page and the total count.
    ///
    /// # Errors
    /// Odoo unavailable; store errors.
    pub async fn credit_notes(
        &self,
        service: &ServiceRef,
        external_customer_id: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CreditNoteView>, i64), BridgeError> {
        let mut rows = self
            .store
            .invoices()
            .credit_notes_of(service.id, None)
            .await?;
        rows.reverse();
        if let Some(ext) = external_customer_id {
            let Some(cu) = self
                .store
                .customers()
                .customer_by_external(service.id, ext)
                .await?
            else {
                return Ok((Vec::new(), 0));
            };
            let invoices: HashMap<String, String> = self
                .store
                .invoices()
                .invoices_of_service(service.id)
                .await?
                .into_iter()
                .map(|r| (r.lago_id, r.customer_id))
                .collect();
            rows.retain(|r| invoices.get(&r.invoice_id) == Some(&cu.lago_id));
        }
        let total = rows.len() as i64;
        let mut out = Vec::new();
        for row in rows
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.max(0) as usize)
        {
            out.push(self.credit_note_view(service, row).await?);
        }
        Ok((out, total))
    }

    /// `PUT /credit_notes/{id}/void`: a credit note whose whole credit is still available (not
    /// reconciled with anything in Odoo) is cancelled in Odoo (one `button_cancel`, which resets
    /// the posted move to draft first, so a retry after an outage finds it posted or cancelled),
    /// and marked voided.
    ///
    /// # Errors
    /// 404 `credit_note_not_found`; 405 `no_voidable_amount` (voided, consumed, or partly
    /// consumed: Odoo cannot cancel part of a credit note); Odoo unavailable.
    pub async fn void_credit_note(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<CreditNoteView, BridgeError> {
        let v = self.credit_note(service, lago_id).await?;
        if v.row.voided_at.is_none() && v.mv.state == MoveState::Cancelled {
            // Cancelled in Odoo by an interrupted void (or by finance): record it.
            self.store
                .invoices()
                .void_credit_note(service.id, lago_id, now_micros())
                .await?;
            return self.credit_note(service, lago_id).await;
        }
        if v.voided() || v.balance_cents() == 0 || v.mv.amount_residual != v.mv.amount_total {
            return Err(BridgeError::NotAllowed(ErrorCode::NoVoidableAmount));
        }
        let c = self.odoo.client().await?;
        c.invoices().cancel(v.mv.id).await?;
        self.store
            .invoices()
            .void_credit_note(service.id, lago_id, now_micros())
            .await?;
        self.credit_note(service, lago_id).await
    }
}

mod create;

pub use create::{CreditNoteItem, NewCreditNote};
