//! `PUT /invoices/{id}` (payment status, metadata) and `retry_payment`.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{lago_payment_status, InvoiceView};
use crate::bridge::error::BridgeError;
use crate::bridge::lease;
use crate::bridge::Bridge;
use crate::lago::error_code::ErrorCode;
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::invoices::{MoveState, PaymentValues};
use crate::odoo::{OdooError, PartnerId};

/// A change of an invoice (parsed by [`crate::lago::invoice_request::invoice_update`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InvoiceUpdate {
    /// The payment status the app reports; only `Succeeded` acts (registers a payment).
    pub payment_status: Option<PaymentStatusUpdate>,
    /// The new metadata, replacing the stored list; `None` keeps it.
    pub metadata: Option<Vec<MetadataEntry>>,
}

/// Lago's `payment_status` values an app may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatusUpdate {
    /// `succeeded`: the amount due is registered as paid in Odoo.
    Succeeded,
    /// `failed`: nothing changes in Odoo.
    Failed,
    /// `pending`: nothing changes in Odoo.
    Pending,
}

/// One invoice metadata entry as sent (`{"id?","key","value"}`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataEntry {
    /// `lago_id` of an existing entry (keeps its `created_at`); a new one gets a UUID.
    pub id: Option<String>,
    /// The key (empty when not sent).
    pub key: String,
    /// The value, stored as given (free-form JSON; `null` when not sent).
    pub value: Value,
}

/// The stored metadata JSON after replacing `stored` by `entries` at `now` (µs): entries keep
/// their `lago_id` and `created_at` when sent with the `id` of a stored one.
fn merged_metadata(stored: &str, entries: &[MetadataEntry], now: i64) -> String {
    let old: Vec<Value> = serde_json::from_str(stored).unwrap_or_default();
    let out: Vec<Value> = entries
        .iter()
        .map(|e| {
            let prev =
                e.id.as_ref()
                    .and_then(|id| old.iter().find(|o| o["lago_id"].as_str() == Some(id)));
            let created_at = prev.map(|p| p["created_at"].clone()).unwrap_or_else(|| {
                json!(crate::meter::time::from_micros(now)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            });
            json!({
                "lago_id": e.id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                "key": e.key,
                "value": e.value,
                "created_at": created_at,
            })
        })
        .collect();
    Value::Array(out).to_string()
}

impl Bridge {
    /// `PUT /invoices/{id}`: `payment_status` `succeeded` registers the amount due as a payment
    /// in Odoo (`account.payment.register`; nothing when nothing is due, so a retry is safe);
    /// `pending`/`failed` change nothing in Odoo. `metadata` (`[{"id?","key","value"}]`)
    /// replaces the local metadata (entries keep their `lago_id` when `id` is given).
    ///
    /// # Errors
    /// 404 `invoice_not_found`; 405 `update_on_voided_invoice`, `invalid_status` (payment on a
    /// draft); Odoo unavailable or refusing.
    pub async fn update_invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
        change: &InvoiceUpdate,
    ) -> Result<InvoiceView, BridgeError> {
        let lease = lease::names::invoice(service.id, lago_id);
        self.under_lease(lease, || {
            self.update_invoice_locked(service, lago_id, change)
        })
        .await
    }

    async fn update_invoice_locked(
        &self,
        service: &ServiceRef,
        lago_id: &str,
        change: &InvoiceUpdate,
    ) -> Result<InvoiceView, BridgeError> {
        let v = self.invoice(service, lago_id).await?;
        if v.mv.state == MoveState::Cancelled {
            return Err(BridgeError::NotAllowed(ErrorCode::UpdateOnVoidedInvoice));
        }
        if let Some(entries) = &change.metadata {
            let now = now_micros();
            let stored = merged_metadata(&v.row.metadata, entries, now);
            self.store
                .invoices()
                .set_invoice_metadata(service.id, lago_id, &stored, now)
                .await?;
        }
        if change.payment_status == Some(PaymentStatusUpdate::Succeeded)
            && lago_payment_status(&v.mv) != "succeeded"
        {
            if v.mv.state != MoveState::Posted {
                return Err(BridgeError::NotAllowed(ErrorCode::InvalidStatus));
            }
            if v.mv.amount_residual > Decimal::ZERO {
                let c = self.odoo.client().await?;
                c.invoices()
                    .register_payment(
                        v.mv.id,
                        &PaymentValues {
                            memo: v.mv.number.clone(),
                            ..PaymentValues::default()
                        },
                    )
                    .await?;
                tracing::info!(service = %service.name, move_id = v.mv.id.0, "payment registered in Odoo");
            }
        }
        self.invoice(service, lago_id).await
    }

    /// `POST /invoices/{id}/retry_payment`: charges the customer's newest saved payment method
    /// (`payment.token` of the invoice partner) for the amount due, through
    /// `account.payment.register` with `payment_token_id`.
    ///
    /// # Errors
    /// 404 `invoice_not_found`; 405 `invalid_status` (draft, voided or paid), 405
    /// `no_payment_method` (no saved token, or Odoo without the `payment` module); Odoo
    /// unavailable or refusing.
    pub async fn retry_invoice_payment(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<(), BridgeError> {
        let lease = lease::names::invoice(service.id, lago_id);
        self.under_lease(lease, || {
            self.retry_invoice_payment_locked(service, lago_id)
        })
        .await
    }

    async fn retry_invoice_payment_locked(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<(), BridgeError> {
        let v = self.invoice(service, lago_id).await?;
        if v.mv.state != MoveState::Posted || lago_payment_status(&v.mv) == "succeeded" {
            return Err(BridgeError::NotAllowed(ErrorCode::InvalidStatus));
        }
        let c = self.odoo.client().await?;
        let partner =
            v.mv.partner
                .as_ref()
                .map(|p| PartnerId(p.id))
                .unwrap_or(PartnerId(v.customer.partner_id));
        let tokens = match c.invoices().payment_tokens(partner).await {
            Ok(t) => t,
            Err(e) if e.is_unavailable() => return Err(e.into()),
            Err(OdooError::Http { status, .. }) if status >= 500 => {
                return Err(BridgeError::OdooUnavailable(format!("HTTP {status}")))
            }
            Err(e) => {
                tracing::info!(error = %e, "no payment.token model in Odoo; no saved payment method");
                Vec::new()
            }
        };
        let Some(token) = tokens.first() else {
            return Err(BridgeError::NotAllowed(ErrorCode::NoPaymentMethod));
        };
        if v.mv.amount_residual > Decimal::ZERO {
            c.invoices()
                .register_payment(
                    v.mv.id,
                    &PaymentValues {
                        memo: v.mv.number.clone(),
                        payment_token: Some(*token),
                        ..PaymentValues::default()
                    },
                )
                .await?;
        }
        Ok(())
    }
}
