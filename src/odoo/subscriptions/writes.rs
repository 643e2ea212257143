//! Creating, confirming, closing and cancelling subscription orders; writing their lines and
//! header.

use serde_json::{json, Map};

use super::{
    DeliveredQty, NewOrderLine, NewSubscription, OrderPatch, Subscriptions, UsageLineChange, ORDER,
};
use crate::odoo::client::Call;
use crate::odoo::error::OdooError;
use crate::odoo::value::{
    to_odoo_date, to_odoo_float, to_odoo_str, CloseReasonId, Command, SaleOrderId, SaleOrderLineId,
};

impl Subscriptions<'_> {
    /// Creates a subscription quotation with its lines (`order_line: [[0, 0, vals], …]`).
    ///
    /// # Errors
    /// [`OdooError::Invalid`] without lines; Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "create"))]
    pub async fn create(&self, s: &NewSubscription) -> Result<SaleOrderId, OdooError> {
        if s.lines.is_empty() {
            return Err(OdooError::Invalid(
                "a subscription needs at least one line".into(),
            ));
        }
        let mut vals = Map::new();
        vals.insert("partner_id".into(), json!(s.partner.0));
        vals.insert("plan_id".into(), json!(s.plan.0));
        if let Some(d) = s.start_date {
            vals.insert("start_date".into(), to_odoo_date(d));
        }
        if let Some(d) = s.next_invoice_date {
            vals.insert("next_invoice_date".into(), to_odoo_date(d));
        }
        if let Some(r) = &s.client_order_ref {
            vals.insert("client_order_ref".into(), to_odoo_str(Some(r)));
        }
        if let Some(o) = &s.origin {
            vals.insert("origin".into(), to_odoo_str(Some(o)));
        }
        let cmds: Vec<Command> = s.lines.iter().map(|l| Command::Create(l.vals())).collect();
        vals.insert("order_line".into(), Command::list(&cmds));
        Ok(SaleOrderId(
            self.client
                .orm()
                .create_one(ORDER, vals, Map::new())
                .await?,
        ))
    }

    /// `action_confirm()`: quotation → sales order; a subscription becomes `3_progress`.
    ///
    /// # Errors
    /// [`OdooError::UserError`] when the order is not a draft/sent quotation; Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "action_confirm"))]
    pub async fn confirm(&self, id: SaleOrderId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(Call::new(ORDER, "action_confirm").ids([id.0]))
            .await
            .map(|_| ())
    }

    /// `set_close(close_reason_id)`: ends the subscription today (`6_churn`).
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "set_close"))]
    pub async fn close(
        &self,
        id: SaleOrderId,
        reason: Option<CloseReasonId>,
    ) -> Result<(), OdooError> {
        let mut call = Call::new(ORDER, "set_close").ids([id.0]);
        if let Some(r) = reason {
            call = call.arg("close_reason_id", r.0);
        }
        self.client.orm().call(call).await.map(|_| ())
    }

    /// `action_cancel()` (19.0 cancels directly; locked orders raise `UserError`).
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "action_cancel"))]
    pub async fn cancel(&self, id: SaleOrderId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(
                Call::new(ORDER, "action_cancel")
                    .ids([id.0])
                    .context("disable_cancel_warning", true),
            )
            .await
            .map(|_| ())
    }

    /// Sets delivered quantities of several lines of one order in a single `write` with x2many
    /// update commands (`order_line: [[1, line_id, {"qty_delivered": q}], …]`). Idempotent.
    ///
    /// # Errors
    /// Odoo's errors (e.g. a line of another order: `MissingError`/`UserError`).
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "write"))]
    pub async fn set_delivered(
        &self,
        order: SaleOrderId,
        quantities: &[DeliveredQty],
    ) -> Result<(), OdooError> {
        if quantities.is_empty() {
            return Ok(());
        }
        let cmds: Vec<Command> = quantities
            .iter()
            .map(|q| {
                let mut v = Map::new();
                v.insert("qty_delivered".into(), to_odoo_float(q.quantity));
                Command::Update(q.line.0, v)
            })
            .collect();
        let mut vals = Map::new();
        vals.insert("order_line".into(), Command::list(&cmds));
        self.client.orm().write(ORDER, &[order.0], vals).await
    }

    /// Adds lines to an existing order in one `write` (`[[0, 0, vals], …]`), e.g. tier or late-usage
    /// lines. Returns the ids of the order's lines afterwards.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "write"))]
    pub async fn add_lines(
        &self,
        order: SaleOrderId,
        lines: &[NewOrderLine],
    ) -> Result<Vec<SaleOrderLineId>, OdooError> {
        if !lines.is_empty() {
            let cmds: Vec<Command> = lines.iter().map(|l| Command::Create(l.vals())).collect();
            let mut vals = Map::new();
            vals.insert("order_line".into(), Command::list(&cmds));
            self.client.orm().write(ORDER, &[order.0], vals).await?;
        }
        let recs = self
            .client
            .orm()
            .read(ORDER, &[order.0], &["order_line"])
            .await?;
        Ok(recs
            .first()
            .map(|r| r.ids("order_line"))
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .map(SaleOrderLineId)
            .collect())
    }

    /// Applies `changes` to the usage lines of `order` in one `write`
    /// (`order_line: [[1, id, vals], [0, 0, vals], …]`); no call when empty.
    ///
    /// # Errors
    /// Odoo's errors (e.g. a line of another order).
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "write"))]
    pub async fn write_usage_lines(
        &self,
        order: SaleOrderId,
        changes: &[UsageLineChange],
    ) -> Result<(), OdooError> {
        if changes.is_empty() {
            return Ok(());
        }
        let cmds: Vec<Command> = changes.iter().map(UsageLineChange::command).collect();
        let mut vals = Map::new();
        vals.insert("order_line".into(), Command::list(&cmds));
        self.client.orm().write(ORDER, &[order.0], vals).await
    }

    /// Writes `patch` on the order (one `write`); no call when the patch is empty.
    ///
    /// # Errors
    /// Odoo's errors (a missing [`PLAN_CODE_FIELD`](crate::odoo::custom_fields::PLAN_CODE_FIELD) is an `OdooError` naming it).
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "write"))]
    pub async fn update(&self, id: SaleOrderId, patch: &OrderPatch) -> Result<(), OdooError> {
        if patch.is_empty() {
            return Ok(());
        }
        self.client.orm().write(ORDER, &[id.0], patch.vals()).await
    }
}
