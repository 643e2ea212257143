//! Invoice state changes that Odoo performs: void, finalize, and the PDF link.

use super::InvoiceView;
use crate::bridge::error::BridgeError;
use crate::bridge::lease;
use crate::bridge::Bridge;
use crate::lago::error_code::ErrorCode;
use crate::meter::tenants::ServiceRef;
use crate::odoo::invoices::{MoveState, PaymentState};

impl Bridge {
    /// `POST /invoices/{id}/void`: a posted invoice with nothing paid or credited is cancelled
    /// in Odoo with one `button_cancel` call, which resets a posted move to draft itself
    /// (`account_move.py` `button_cancel` → `button_draft`; CONTRACT.md §4.5). One RPC instead of
    /// `button_draft` + `button_cancel`: an outage between the two would leave a draft that a
    /// retry could no longer void.
    ///
    /// # Errors
    /// 404 `invoice_not_found`; 405 `not_voidable` (draft, voided, paid, partly paid or
    /// credited); Odoo unavailable.
    pub async fn void_invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, BridgeError> {
        let lease = lease::names::invoice(service.id, lago_id);
        self.under_lease(lease, || self.void_invoice_locked(service, lago_id))
            .await
    }

    async fn void_invoice_locked(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, BridgeError> {
        let v = self.invoice(service, lago_id).await?;
        let voidable = v.mv.state == MoveState::Posted
            && matches!(v.mv.payment_state, None | Some(PaymentState::NotPaid))
            && v.mv.amount_residual == v.mv.amount_total;
        if !voidable {
            return Err(BridgeError::NotAllowed(ErrorCode::NotVoidable));
        }
        let c = self.odoo.client().await?;
        c.invoices().cancel(v.mv.id).await?;
        tracing::info!(service = %service.name, move_id = v.mv.id.0, "invoice voided in Odoo");
        self.invoice(service, lago_id).await
    }

    /// `PUT /invoices/{id}/finalize`: posts a draft (`action_post`).
    ///
    /// # Errors
    /// 404 `invoice_not_found` (also when it is not a draft, as Lago); Odoo errors.
    pub async fn finalize_invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, BridgeError> {
        let lease = lease::names::invoice(service.id, lago_id);
        self.under_lease(lease, || self.finalize_invoice_locked(service, lago_id))
            .await
    }

    async fn finalize_invoice_locked(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, BridgeError> {
        let v = self.invoice(service, lago_id).await?;
        if v.mv.state != MoveState::Draft {
            return Err(BridgeError::NotFound(ErrorCode::InvoiceNotFound));
        }
        self.odoo.client().await?.invoices().post(v.mv.id).await?;
        self.invoice(service, lago_id).await
    }

    /// `POST /invoices/{id}/download`: the invoice with `file_url` = the absolute Odoo portal URL
    /// of its PDF (`get_portal_url(report_type="pdf", download=True)`, CONTRACT.md §4.7).
    ///
    /// # Errors
    /// 404 `invoice_not_found` (also for a draft, as Lago); Odoo unavailable.
    pub async fn download_invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, BridgeError> {
        let mut v = self.invoice(service, lago_id).await?;
        if v.mv.state == MoveState::Draft {
            return Err(BridgeError::NotFound(ErrorCode::InvoiceNotFound));
        }
        let c = self.odoo.client().await?;
        v.file_url = Some(c.invoices().pdf_url(v.mv.id).await?);
        Ok(v)
    }
}
