//! `POST /credit_notes`: checks the requested amounts against what is still creditable, then
//! writes the Odoo refund (see the module doc of [`super`]).

use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{CreditNoteView, WHAT};
use crate::billing::checked;
use crate::bridge::error::BridgeError;
use crate::bridge::invoice_repo::{stable_uuid, CreditNoteRow, CreditReservation};
use crate::bridge::invoices::{lago_payment_status, move_currency, InvoiceView};
use crate::bridge::lease;
use crate::bridge::Bridge;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::invoices::{LineChange, MoveState, MoveType};
use crate::odoo::MoveId;

/// A credit note to create (parsed by [`crate::lago::credit_note_request::new_credit_note`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewCreditNote {
    /// `lago_id` of the invoice credited.
    pub invoice_id: String,
    /// One of [`super::REASONS`].
    pub reason: String,
    /// Free text.
    pub description: Option<String>,
    /// The credited fees, one item per fee, at least one.
    pub items: Vec<CreditNoteItem>,
    /// Credited part, minor units including taxes (≥ 0); with `refund_amount_cents` absent
    /// too, the whole total is credited.
    pub credit_amount_cents: Option<i64>,
    /// Refunded part, minor units including taxes (≥ 0).
    pub refund_amount_cents: Option<i64>,
}

/// One credited fee of a [`NewCreditNote`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNoteItem {
    /// `lago_id` of the fee.
    pub fee_id: String,
    /// Amount credited, minor units excluding taxes, > 0.
    pub amount_cents: i64,
}

/// The items' total of a credit note, minor units.
struct ItemTotals {
    /// Excluding taxes.
    excl: i64,
    /// Including taxes.
    total: i64,
}

impl Bridge {
    /// `POST /credit_notes` (see the module doc). `request_id` is the `Idempotency-Key` (or a
    /// fresh id).
    ///
    /// # Errors
    /// 404 `invoice_not_found`, `fee_not_found` (a fee not on the invoice); 405
    /// `invalid_type_or_status` (invoice not finalized); 422 `amount_cents`
    /// `higher_than_remaining_fee_amount`, `refund_amount_cents`
    /// `cannot_refund_unpaid_invoice`, `base` `does_not_match_item_amounts`; Odoo unavailable
    /// (503, retry-safe) or refusing.
    pub async fn create_credit_note(
        &self,
        service: &ServiceRef,
        note: &NewCreditNote,
        request_id: &str,
    ) -> Result<CreditNoteView, BridgeError> {
        // The creditable amounts are read and used up under the invoice's lease: parallel
        // credit notes on one invoice are checked one after another, never against the same
        // remaining amount (see `crate::bridge::lease`).
        let name = lease::names::invoice(service.id, &note.invoice_id);
        self.under_lease(name, || {
            self.create_credit_note_locked(service, note, request_id)
        })
        .await
    }

    async fn create_credit_note_locked(
        &self,
        service: &ServiceRef,
        note: &NewCreditNote,
        request_id: &str,
    ) -> Result<CreditNoteView, BridgeError> {
        let lago_id = stable_uuid(&["credit_note", &service.id.to_string(), request_id]);
        if let Some(done) = self
            .store
            .invoices()
            .credit_note_by_id(service.id, &lago_id)
            .await?
        {
            // A retry of a credit note that was written: answer it again.
            return self.credit_note_view(service, done).await;
        }
        // A retry of one that was interrupted must not count its own reservation.
        self.store.invoices().release_credit(&lago_id).await?;
        let invoice = self.invoice(service, &note.invoice_id).await?;
        if invoice.mv.state != MoveState::Posted {
            return Err(BridgeError::NotAllowed(ErrorCode::InvalidTypeOrStatus));
        }
        let totals = item_totals(&invoice, &note.items)?;
        let (credit, refund) = credit_refund_split(note, &totals)?;
        if refund > 0 && lago_payment_status(&invoice.mv) != "succeeded" {
            return Err(BridgeError::field(
                "refund_amount_cents",
                FieldCode::CannotRefundUnpaidInvoice,
            ));
        }
        let items_json: Vec<Value> = note
            .items
            .iter()
            .map(|i| {
                json!({"lago_id": stable_uuid(&["credit_note_item", &lago_id, &i.fee_id]), "fee_id": i.fee_id, "amount_cents": i.amount_cents})
            })
            .collect();
        let items_json = Value::Array(items_json).to_string();
        let refund_id = self
            .reserve_and_write(service, &invoice, &lago_id, note, &items_json)
            .await?;
        let now = now_micros();
        let row = self
            .store
            .invoices()
            .insert_credit_note(&CreditNoteRow {
                lago_id: lago_id.clone(),
                service_id: service.id,
                invoice_id: invoice.row.lago_id.clone(),
                move_id: refund_id.0,
                reason: note.reason.clone(),
                description: note.description.clone(),
                credit_amount_cents: credit,
                refund_amount_cents: refund,
                items: items_json,
                voided_at: None,
                created_at: now,
                updated_at: now,
            })
            .await?;
        self.store.invoices().release_credit(&lago_id).await?;
        self.credit_note_view(service, row).await
    }

    /// Reserves the items' amounts (so they count as credited until the credit note row
    /// replaces them), then writes the Odoo refund. On a failure before the post the
    /// reservation is released; once the post was sent its outcome is unknown, so the
    /// reservation stays (conservative): a retry with the same `Idempotency-Key` resumes and
    /// replaces it.
    async fn reserve_and_write(
        &self,
        service: &ServiceRef,
        invoice: &InvoiceView,
        lago_id: &str,
        note: &NewCreditNote,
        items_json: &str,
    ) -> Result<MoveId, BridgeError> {
        self.store
            .invoices()
            .reserve_credit(&CreditReservation {
                lago_id: lago_id.to_string(),
                service_id: service.id,
                invoice_id: invoice.row.lago_id.clone(),
                items: items_json.to_string(),
                created_at: now_micros(),
            })
            .await?;
        let mut posting = false;
        let written = self
            .write_credit_note(
                service,
                invoice,
                lago_id,
                &note.reason,
                &note.items,
                &mut posting,
            )
            .await;
        if written.is_err() && !posting {
            self.store.invoices().release_credit(lago_id).await?;
        }
        written
    }

    /// Creates (or resumes, by `ref`) the Odoo refund of credit note `lago_id`, keeps the
    /// `wanted` fees at their amounts and posts it. `posting` turns true just before the post
    /// is sent.
    async fn write_credit_note(
        &self,
        service: &ServiceRef,
        invoice: &InvoiceView,
        lago_id: &str,
        reason: &str,
        wanted: &[CreditNoteItem],
        posting: &mut bool,
    ) -> Result<MoveId, BridgeError> {
        let reference = format!("fusion-billing {lago_id}");
        let c = self.odoo.client().await?;
        let inv = c.invoices();
        let existing = inv
            .by_reference(&reference)
            .await?
            .into_iter()
            .find(|m| m.move_type == MoveType::CreditNote && m.state != MoveState::Cancelled);
        let refund_id = match existing {
            Some(m) => m.id,
            None => {
                let id = c
                    .credit_notes()
                    .create_draft(invoice.mv.id, reason, None)
                    .await?;
                inv.set_reference(id, &reference).await?;
                id
            }
        };
        let mv = inv
            .get(refund_id)
            .await?
            .ok_or_else(|| BridgeError::OdooRefused(format!("credit note {refund_id} vanished")))?;
        if mv.state == MoveState::Draft {
            let refund_lines: Vec<_> = inv
                .lines(refund_id)
                .await?
                .into_iter()
                .filter(|l| l.display_type.as_deref().unwrap_or("product") == "product")
                .collect();
            let currency = move_currency(&invoice.mv);
            let mut changes = Vec::new();
            for (fee, line) in invoice.fees.iter().zip(refund_lines.iter()) {
                match wanted.iter().find(|i| i.fee_id == fee.lago_id) {
                    None => changes.push(LineChange::Remove(line.id)),
                    Some(i) if i.amount_cents == fee.amount_cents() => {}
                    Some(i) => changes.push(LineChange::Update {
                        line: line.id,
                        quantity: Some(Decimal::ONE),
                        price_unit: Some(currency.from_minor(i.amount_cents)),
                    }),
                }
            }
            for extra in refund_lines.iter().skip(invoice.fees.len()) {
                changes.push(LineChange::Remove(extra.id));
            }
            c.credit_notes().adjust(refund_id, &changes).await?;
            *posting = true;
            c.credit_notes().post(refund_id).await?;
            tracing::info!(service = %service.name, move_id = refund_id.0, invoice = invoice.mv.id.0, "credit note posted in Odoo");
        } else {
            // Found posted by its reference: an earlier attempt posted it.
            *posting = true;
        }
        Ok(refund_id)
    }
}

/// The items' totals, excluding and including taxes (each item's taxes pro rata of its fee's
/// line).
///
/// # Errors
/// 404 `fee_not_found` (a fee not on the invoice); 422 `amount_cents`
/// `higher_than_remaining_fee_amount`; an overflow while pricing the taxes.
fn item_totals(invoice: &InvoiceView, items: &[CreditNoteItem]) -> Result<ItemTotals, BridgeError> {
    for i in items {
        if !invoice.fees.iter().any(|f| f.lago_id == i.fee_id) {
            return Err(BridgeError::NotFound(ErrorCode::FeeNotFound));
        }
    }
    let currency = move_currency(&invoice.mv);
    let mut excl = 0i64;
    let mut taxes = 0i64;
    for i in items {
        let fee = invoice
            .fees
            .iter()
            .find(|f| f.lago_id == i.fee_id)
            .expect("checked above");
        if i.amount_cents > fee.creditable_cents() {
            return Err(BridgeError::field(
                "amount_cents",
                FieldCode::HigherThanRemainingFeeAmount,
            ));
        }
        // Bounded by the fee's own amount (checked above), so these sums stay small.
        excl += i.amount_cents;
        let sub = fee.line.price_subtotal;
        if !sub.is_zero() {
            let tax = checked::div(
                checked::mul(
                    currency.from_minor(i.amount_cents),
                    fee.line.price_total - sub,
                    WHAT,
                )?,
                sub,
                WHAT,
            )?;
            taxes += currency.to_minor(tax)?;
        }
    }
    Ok(ItemTotals {
        excl,
        total: excl + taxes,
    })
}

/// The (credit, refund) split, minor units including taxes: the whole total credited when
/// neither is sent; otherwise their sum must be the total (within a cent; the refund takes
/// the rest) or the items' total excluding taxes (within a cent; then scaled to the total).
///
/// # Errors
/// 422 `base` `does_not_match_item_amounts`.
fn credit_refund_split(
    note: &NewCreditNote,
    totals: &ItemTotals,
) -> Result<(i64, i64), BridgeError> {
    let total = totals.total;
    let (c, r) = match (note.credit_amount_cents, note.refund_amount_cents) {
        (None, None) => return Ok((total, 0)),
        (c, r) => (c.unwrap_or(0), r.unwrap_or(0)),
    };
    if (c + r - total).abs() <= 1 {
        Ok((c, total - c))
    } else if (c + r - totals.excl).abs() <= 1 && totals.excl > 0 {
        let scaled = ((c as i128 * total as i128) / totals.excl as i128) as i64;
        Ok((scaled, total - scaled))
    } else {
        Err(BridgeError::field(
            "base",
            FieldCode::DoesNotMatchItemAmounts,
        ))
    }
}
