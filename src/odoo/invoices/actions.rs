//! Creating moves, changing their state and lines, portal and payment links, payments.

use serde_json::{json, Map};

use super::{Invoices, LineChange, NewInvoice, PaymentState, PaymentValues, MOVE};
use crate::odoo::client::Call;
use crate::odoo::error::OdooError;
use crate::odoo::value::{
    action_record_ids, odoo_str, to_odoo_date, to_odoo_float, to_odoo_str, Command, MoveId,
    PaymentId,
};

impl Invoices<'_> {
    /// `action_post()`: validates a draft (assigns the number, sets today as invoice date when
    /// empty; a credit note with `reversed_entry_id` is reconciled with its invoice). Odoo answers
    /// `false`.
    ///
    /// # Errors
    /// [`OdooError::UserError`] listing every problem (not draft, no lines, inactive currency, …).
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "action_post"))]
    pub async fn post(&self, id: MoveId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(Call::new(MOVE, "action_post").ids([id.0]))
            .await
            .map(|_| ())
    }

    /// `button_draft()`: posted/cancelled → draft (unreconciles). Odoo returns `None`.
    ///
    /// # Errors
    /// Odoo's errors (e.g. a locked period).
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "button_draft"))]
    pub async fn reset_to_draft(&self, id: MoveId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(Call::new(MOVE, "button_draft").ids([id.0]))
            .await
            .map(|_| ())
    }

    /// `button_cancel()`: cancels (a posted move is reset to draft first). Odoo returns `None`.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "button_cancel"))]
    pub async fn cancel(&self, id: MoveId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(Call::new(MOVE, "button_cancel").ids([id.0]))
            .await
            .map(|_| ())
    }

    /// The payment state of a move (`None` when the move does not exist or has none).
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn payment_state(&self, id: MoveId) -> Result<Option<PaymentState>, OdooError> {
        Ok(self.get(id).await?.and_then(|i| i.payment_state))
    }

    async fn portal_url(&self, id: MoveId, pdf: bool) -> Result<String, OdooError> {
        let mut call = Call::new(MOVE, "get_portal_url").ids([id.0]);
        if pdf {
            call = call.arg("report_type", "pdf").arg("download", true);
        }
        let v = self.client.orm().call(call).await?;
        let rel = odoo_str(&v)?
            .ok_or_else(|| OdooError::Decode("get_portal_url returned false".into()))?;
        self.client
            .base_url()
            .join(rel.trim_start_matches('/'))
            .map(|u| u.to_string())
            .map_err(|e| OdooError::Decode(format!("get_portal_url returned a bad URL: {e}")))
    }

    /// Absolute URL that downloads the invoice PDF without a session:
    /// `get_portal_url(report_type="pdf", download=True)` (creates the access token if missing),
    /// joined to the base URL.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "get_portal_url"))]
    pub async fn pdf_url(&self, id: MoveId) -> Result<String, OdooError> {
        self.portal_url(id, true).await
    }

    /// Absolute URL of the invoice's customer portal page (view and "Pay Now").
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "get_portal_url"))]
    pub async fn portal_page_url(&self, id: MoveId) -> Result<String, OdooError> {
        self.portal_url(id, false).await
    }

    /// A payment link for the amount due: creates a `payment.link.wizard` with context
    /// `active_model = account.move`, `active_id` and reads its computed `link` (opaque URL).
    ///
    /// # Errors
    /// Any [`OdooError`]; [`OdooError::Decode`] when the link is empty.
    #[tracing::instrument(skip_all, fields(model = "payment.link.wizard", method = "create"))]
    pub async fn payment_link(&self, id: MoveId) -> Result<String, OdooError> {
        let mut ctx = Map::new();
        ctx.insert("active_model".into(), json!(MOVE));
        ctx.insert("active_id".into(), json!(id.0));
        ctx.insert("active_ids".into(), json!([id.0]));
        let wiz = self
            .client
            .orm()
            .create_one("payment.link.wizard", Map::new(), ctx)
            .await?;
        let recs = self
            .client
            .orm()
            .read("payment.link.wizard", &[wiz], &["link"])
            .await?;
        recs.first()
            .map(|r| r.str("link"))
            .transpose()?
            .flatten()
            .ok_or_else(|| OdooError::Decode("payment.link.wizard.link is empty".into()))
    }

    /// Records a payment through the `account.payment.register` wizard (context `active_model =
    /// account.move`, `active_ids`), then `action_create_payments()`. Returns the payment id when
    /// the returned action names exactly one.
    ///
    /// # Errors
    /// Odoo's errors (e.g. `UserError` when nothing is due).
    #[tracing::instrument(
        skip_all,
        fields(model = "account.payment.register", method = "action_create_payments")
    )]
    pub async fn register_payment(
        &self,
        id: MoveId,
        p: &PaymentValues,
    ) -> Result<Option<PaymentId>, OdooError> {
        let mut ctx = Map::new();
        ctx.insert("active_model".into(), json!(MOVE));
        ctx.insert("active_ids".into(), json!([id.0]));
        let mut vals = Map::new();
        if let Some(a) = p.amount {
            vals.insert("amount".into(), to_odoo_float(a));
        }
        if let Some(d) = p.date {
            vals.insert("payment_date".into(), to_odoo_date(d));
        }
        if let Some(j) = p.journal {
            vals.insert("journal_id".into(), json!(j.0));
        }
        if let Some(m) = &p.memo {
            vals.insert("communication".into(), to_odoo_str(Some(m)));
        }
        if let Some(t) = p.payment_token {
            vals.insert("payment_token_id".into(), json!(t));
        }
        let wiz = self
            .client
            .orm()
            .create_one("account.payment.register", vals, ctx.clone())
            .await?;
        let mut call = Call::new("account.payment.register", "action_create_payments").ids([wiz]);
        for (k, v) in ctx {
            call = call.context(&k, v);
        }
        let action = self.client.orm().call(call).await?;
        let ids = action_record_ids(&action)?;
        Ok(match ids.as_slice() {
            [one] => Some(PaymentId(*one)),
            _ => None,
        })
    }

    /// Creates a draft customer invoice (`out_invoice`) with its lines; taxes and receivable lines
    /// are generated by Odoo.
    ///
    /// # Errors
    /// [`OdooError::Invalid`] without lines; Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "create"))]
    pub async fn create(&self, inv: &NewInvoice) -> Result<MoveId, OdooError> {
        if inv.lines.is_empty() {
            return Err(OdooError::Invalid(
                "an invoice needs at least one line".into(),
            ));
        }
        let mut vals = Map::new();
        vals.insert("move_type".into(), json!("out_invoice"));
        vals.insert("partner_id".into(), json!(inv.partner.0));
        if let Some(c) = inv.currency {
            vals.insert("currency_id".into(), json!(c.0));
        }
        if let Some(d) = inv.invoice_date {
            vals.insert("invoice_date".into(), to_odoo_date(d));
        }
        if let Some(r) = &inv.reference {
            vals.insert("ref".into(), to_odoo_str(Some(r)));
        }
        if let Some(o) = &inv.origin {
            vals.insert("invoice_origin".into(), to_odoo_str(Some(o)));
        }
        let cmds: Vec<Command> = inv
            .lines
            .iter()
            .map(|l| Command::Create(l.vals()))
            .collect();
        vals.insert("invoice_line_ids".into(), Command::list(&cmds));
        let mut ctx = Map::new();
        ctx.insert("default_move_type".into(), json!("out_invoice"));
        Ok(MoveId(self.client.orm().create_one(MOVE, vals, ctx).await?))
    }

    /// Applies line changes to a draft move in one `write` on `invoice_line_ids`.
    ///
    /// # Errors
    /// Odoo's errors (e.g. `UserError` on a posted move).
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "write"))]
    pub async fn change_lines(&self, id: MoveId, changes: &[LineChange]) -> Result<(), OdooError> {
        if changes.is_empty() {
            return Ok(());
        }
        let cmds: Vec<Command> = changes
            .iter()
            .map(|c| match c {
                LineChange::Add(l) => Command::Create(l.vals()),
                LineChange::Update {
                    line,
                    quantity,
                    price_unit,
                } => {
                    let mut v = Map::new();
                    if let Some(q) = quantity {
                        v.insert("quantity".into(), to_odoo_float(*q));
                    }
                    if let Some(p) = price_unit {
                        v.insert("price_unit".into(), to_odoo_float(*p));
                    }
                    Command::Update(line.0, v)
                }
                LineChange::Remove(line) => Command::Delete(line.0),
            })
            .collect();
        let mut vals = Map::new();
        vals.insert("invoice_line_ids".into(), Command::list(&cmds));
        self.client.orm().write(MOVE, &[id.0], vals).await
    }

    /// Sets the customer reference (`ref`) of a move.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "write"))]
    pub async fn set_reference(&self, id: MoveId, reference: &str) -> Result<(), OdooError> {
        let mut vals = Map::new();
        vals.insert("ref".into(), json!(reference));
        self.client.orm().write(MOVE, &[id.0], vals).await
    }
}
