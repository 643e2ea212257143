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

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::error::AccountsError;
use super::invoice_repo::{stable_uuid, CreditNoteRow, CreditReservation};
use super::invoices::{int_field, lago_payment_status, move_currency, InvoiceView, MoveCents};
use super::lease;
use super::Accounts;
use crate::billing::checked;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::services::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::invoices::{Invoice, LineChange, MoveState, MoveType};
use crate::odoo::MoveId;

/// What an overflow while pricing a credit note is reported as.
const WHAT: &str = "credit note taxes";

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

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

impl Accounts {
    /// `POST /credit_notes` (see the module doc). `request_id` is the `Idempotency-Key` (or a
    /// fresh id).
    ///
    /// # Errors
    /// 404 `invoice_not_found`, `fee_not_found`; 405 `invalid_type_or_status` (invoice not
    /// finalized); 422 `reason` `value_is_invalid`, `items` `value_is_mandatory`,
    /// `amount_cents` `value_is_invalid` / `higher_than_remaining_fee_amount`,
    /// `refund_amount_cents` `cannot_refund_unpaid_invoice`, `base`
    /// `does_not_match_item_amounts`; Odoo unavailable (503, retry-safe) or refusing.
    pub async fn create_credit_note(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
        request_id: &str,
    ) -> Result<CreditNoteView, AccountsError> {
        let invoice_id =
            text(input, "invoice_id").ok_or(AccountsError::NotFound(ErrorCode::InvoiceNotFound))?;
        // The creditable amounts are read and used up under the invoice's lease: parallel
        // credit notes on one invoice are checked one after another, never against the same
        // remaining amount (see `super::lease`).
        let name = lease::names::invoice(service.id, &invoice_id);
        self.under_lease(name, || {
            self.create_credit_note_locked(service, input, request_id, &invoice_id)
        })
        .await
    }

    async fn create_credit_note_locked(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
        request_id: &str,
        invoice_id: &str,
    ) -> Result<CreditNoteView, AccountsError> {
        let lago_id = stable_uuid(&["credit_note", &service.id.to_string(), request_id]);
        if let Some(done) = self.store.credit_note_by_id(service.id, &lago_id).await? {
            // A retry of a credit note that was written: answer it again.
            return self.credit_note_view(service, done).await;
        }
        // A retry of one that was interrupted must not count its own reservation.
        self.store.release_credit(&lago_id).await?;
        let invoice = self.invoice(service, invoice_id).await?;
        let reason = text(input, "reason").unwrap_or_default();
        if !REASONS.contains(&reason.as_str()) {
            return Err(AccountsError::field("reason", FieldCode::ValueIsInvalid));
        }
        if invoice.mv.state != MoveState::Posted {
            return Err(AccountsError::NotAllowed(ErrorCode::InvalidTypeOrStatus));
        }
        let items = match input.get("items") {
            Some(Value::Array(a)) if !a.is_empty() => a.clone(),
            _ => return Err(AccountsError::field("items", FieldCode::ValueIsMandatory)),
        };
        // fee lago_id → requested amount (cents, excluding taxes)
        let mut wanted: Vec<(String, i64)> = Vec::new();
        for it in &items {
            let Value::Object(it) = it else {
                return Err(AccountsError::NotFound(ErrorCode::FeeNotFound));
            };
            let fee_id =
                text(it, "fee_id").ok_or(AccountsError::NotFound(ErrorCode::FeeNotFound))?;
            if !invoice.fees.iter().any(|f| f.lago_id == fee_id) {
                return Err(AccountsError::NotFound(ErrorCode::FeeNotFound));
            }
            let amount = int_field(it, "amount_cents")
                .map_err(|()| AccountsError::field("amount_cents", FieldCode::ValueIsInvalid))?
                .filter(|a| *a > 0)
                .ok_or_else(|| AccountsError::field("amount_cents", FieldCode::ValueIsInvalid))?;
            match wanted.iter_mut().find(|(f, _)| *f == fee_id) {
                Some((_, a)) => {
                    *a = a.checked_add(amount).ok_or_else(|| {
                        AccountsError::field("amount_cents", FieldCode::ValueIsOutOfRange)
                    })?
                }
                None => wanted.push((fee_id, amount)),
            }
        }
        let currency = move_currency(&invoice.mv);
        let mut items_excl = 0i64;
        let mut items_taxes = 0i64;
        for (fee_id, amount) in &wanted {
            let fee = invoice
                .fees
                .iter()
                .find(|f| &f.lago_id == fee_id)
                .expect("checked above");
            if *amount > fee.creditable_cents() {
                return Err(AccountsError::field(
                    "amount_cents",
                    FieldCode::HigherThanRemainingFeeAmount,
                ));
            }
            // Bounded by the fee's own amount (checked above), so these sums stay small.
            items_excl += amount;
            let sub = fee.line.price_subtotal;
            if !sub.is_zero() {
                let tax = checked::div(
                    checked::mul(
                        currency.from_minor(*amount),
                        fee.line.price_total - sub,
                        WHAT,
                    )?,
                    sub,
                    WHAT,
                )?;
                items_taxes += currency.to_minor(tax)?;
            }
        }
        let total = items_excl + items_taxes;
        let credit = int_field(input, "credit_amount_cents")
            .map_err(|()| AccountsError::field("credit_amount_cents", FieldCode::ValueIsInvalid))?;
        let refund = int_field(input, "refund_amount_cents")
            .map_err(|()| AccountsError::field("refund_amount_cents", FieldCode::ValueIsInvalid))?;
        let (credit, refund) = match (credit, refund) {
            (None, None) => (total, 0),
            (c, r) => {
                let (c, r) = (c.unwrap_or(0), r.unwrap_or(0));
                let out_of_range = |f: &str| AccountsError::field(f, FieldCode::ValueIsOutOfRange);
                if c < 0 {
                    return Err(out_of_range("credit_amount_cents"));
                }
                if r < 0 {
                    return Err(out_of_range("refund_amount_cents"));
                }
                if (c + r - total).abs() <= 1 {
                    (c, total - c)
                } else if (c + r - items_excl).abs() <= 1 && items_excl > 0 {
                    let scaled = ((c as i128 * total as i128) / items_excl as i128) as i64;
                    (scaled, total - scaled)
                } else {
                    return Err(AccountsError::field(
                        "base",
                        FieldCode::DoesNotMatchItemAmounts,
                    ));
                }
            }
        };
        if refund > 0 && lago_payment_status(&invoice.mv) != "succeeded" {
            return Err(AccountsError::field(
                "refund_amount_cents",
                FieldCode::CannotRefundUnpaidInvoice,
            ));
        }

        let items_json: Vec<Value> = wanted
            .iter()
            .map(|(f, a)| {
                json!({"lago_id": stable_uuid(&["credit_note_item", &lago_id, f]), "fee_id": f, "amount_cents": a})
            })
            .collect();
        let items_json = Value::Array(items_json).to_string();
        // Reserved before Odoo is touched: from here the amounts count as credited until the
        // credit note row replaces them.
        self.store
            .reserve_credit(&CreditReservation {
                lago_id: lago_id.clone(),
                service_id: service.id,
                invoice_id: invoice.row.lago_id.clone(),
                items: items_json.clone(),
                created_at: now_micros(),
            })
            .await?;
        let mut posting = false;
        let written = self
            .write_credit_note(service, &invoice, &lago_id, &reason, &wanted, &mut posting)
            .await;
        let refund_id = match written {
            Ok(id) => id,
            Err(e) => {
                // Before the post nothing moved money: free the amounts. Once the post was
                // sent its outcome is unknown, so the reservation stays (conservative); a
                // retry with the same `Idempotency-Key` resumes and replaces it.
                if !posting {
                    self.store.release_credit(&lago_id).await?;
                }
                return Err(e);
            }
        };
        let now = now_micros();
        let row = self
            .store
            .insert_credit_note(&CreditNoteRow {
                lago_id: lago_id.clone(),
                service_id: service.id,
                invoice_id: invoice.row.lago_id.clone(),
                move_id: refund_id.0,
                reason,
                description: text(input, "description"),
                credit_amount_cents: credit,
                refund_amount_cents: refund,
                items: items_json,
                voided_at: None,
                created_at: now,
                updated_at: now,
            })
            .await?;
        self.store.release_credit(&lago_id).await?;
        self.credit_note_view(service, row).await
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
        wanted: &[(String, i64)],
        posting: &mut bool,
    ) -> Result<MoveId, AccountsError> {
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
        let mv = inv.get(refund_id).await?.ok_or_else(|| {
            AccountsError::OdooRefused(format!("credit note {refund_id} vanished"))
        })?;
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
                match wanted.iter().find(|(f, _)| *f == fee.lago_id) {
                    None => changes.push(LineChange::Remove(line.id)),
                    Some((_, a)) if *a == fee.amount_cents() => {}
                    Some((_, a)) => changes.push(LineChange::Update {
                        line: line.id,
                        quantity: Some(Decimal::ONE),
                        price_unit: Some(currency.from_minor(*a)),
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

    pub(crate) async fn credit_note_view(
        &self,
        service: &ServiceRef,
        row: CreditNoteRow,
    ) -> Result<CreditNoteView, AccountsError> {
        let invoice = self.invoice(service, &row.invoice_id).await?;
        let c = self.odoo.client().await?;
        let mv = c
            .invoices()
            .get(MoveId(row.move_id))
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::CreditNoteNotFound))?;
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
    ) -> Result<CreditNoteView, AccountsError> {
        let row = self
            .store
            .credit_note_by_id(service.id, lago_id)
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::CreditNoteNotFound))?;
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
    ) -> Result<(Vec<CreditNoteView>, i64), AccountsError> {
        let mut rows = self.store.credit_notes_of(service.id, None).await?;
        rows.reverse();
        if let Some(ext) = external_customer_id {
            let Some(cu) = self.store.customer_by_external(service.id, ext).await? else {
                return Ok((Vec::new(), 0));
            };
            let invoices: HashMap<String, String> = self
                .store
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
    ) -> Result<CreditNoteView, AccountsError> {
        let v = self.credit_note(service, lago_id).await?;
        if v.row.voided_at.is_none() && v.mv.state == MoveState::Cancelled {
            // Cancelled in Odoo by an interrupted void (or by finance): record it.
            self.store
                .void_credit_note(service.id, lago_id, now_micros())
                .await?;
            return self.credit_note(service, lago_id).await;
        }
        if v.voided() || v.balance_cents() == 0 || v.mv.amount_residual != v.mv.amount_total {
            return Err(AccountsError::NotAllowed(ErrorCode::NoVoidableAmount));
        }
        let c = self.odoo.client().await?;
        c.invoices().cancel(v.mv.id).await?;
        self.store
            .void_credit_note(service.id, lago_id, now_micros())
            .await?;
        self.credit_note(service, lago_id).await
    }
}
