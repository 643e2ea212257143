//! Credit notes facade: the `account.move.reversal` wizard (CONTRACT.md §4.6;
//! `addons/account/wizard/account_move_reversal.py`). `refund_moves()` creates a **draft**
//! `out_refund` with `reversed_entry_id`; posting it reconciles it with the invoice.
//!
//! The wizard's `journal_id` is required and, created over RPC, is not filled from the moves:
//! Odoo 19.0 refuses a wizard without it ("Missing required value for the field 'Journal'
//! (journal_id)"), so the gateway passes the reversed invoice's own journal.

use chrono::NaiveDate;
use serde_json::{json, Map};

use super::client::{Call, OdooClient};
use super::error::OdooError;
use super::invoices::{Invoice, LineChange};
use super::value::{action_record_ids, to_odoo_date, Command, MoveId};

const WIZARD: &str = "account.move.reversal";

/// Credit note operations; get one with [`OdooClient::credit_notes`].
#[derive(Debug, Clone, Copy)]
pub struct CreditNotes<'a> {
    client: &'a OdooClient,
}

impl OdooClient {
    /// The credit notes facade.
    pub fn credit_notes(&self) -> CreditNotes<'_> {
        CreditNotes { client: self }
    }
}

impl CreditNotes<'_> {
    /// The journal of a move (`journal_id`), which the reversal wizard needs.
    async fn journal_of(&self, invoice: MoveId) -> Result<i64, OdooError> {
        let recs = self
            .client
            .orm()
            .read("account.move", &[invoice.0], &["journal_id"])
            .await?;
        recs.first()
            .map(|r| r.m2o("journal_id"))
            .transpose()?
            .flatten()
            .map(|j| j.id)
            .ok_or_else(|| {
                OdooError::Decode(format!(
                    "account.move {invoice} has no journal (or is gone)"
                ))
            })
    }

    /// Creates a draft credit note reversing the whole of a **posted** invoice: wizard created with
    /// context `active_model = account.move`, `active_ids = [invoice]` and vals `move_ids`,
    /// `journal_id` (the invoice's journal), `reason`, `date`, then `refund_moves()`; the new move
    /// id is the action's `res_id`.
    ///
    /// # Errors
    /// Odoo's errors (e.g. `UserError` when the invoice is not posted); [`OdooError::Decode`] when
    /// the invoice cannot be read or the action names no single move.
    #[tracing::instrument(skip_all, fields(model = WIZARD, method = "refund_moves"))]
    pub async fn create_draft(
        &self,
        invoice: MoveId,
        reason: &str,
        date: Option<NaiveDate>,
    ) -> Result<MoveId, OdooError> {
        let journal = self.journal_of(invoice).await?;
        let mut ctx = Map::new();
        ctx.insert("active_model".into(), json!("account.move"));
        ctx.insert("active_ids".into(), json!([invoice.0]));
        let mut vals = Map::new();
        vals.insert(
            "move_ids".into(),
            Command::list(&[Command::Set(vec![invoice.0])]),
        );
        vals.insert("journal_id".into(), json!(journal));
        vals.insert("reason".into(), json!(reason));
        if let Some(d) = date {
            vals.insert("date".into(), to_odoo_date(d));
        }
        let wiz = self
            .client
            .orm()
            .create_one(WIZARD, vals, ctx.clone())
            .await?;
        let mut call = Call::new(WIZARD, "refund_moves").ids([wiz]);
        for (k, v) in ctx {
            call = call.context(&k, v);
        }
        let action = self.client.orm().call(call).await?;
        match action_record_ids(&action)?.as_slice() {
            [one] => Ok(MoveId(*one)),
            other => Err(OdooError::Decode(format!(
                "refund_moves returned {} moves, expected one",
                other.len()
            ))),
        }
    }

    /// Adjusts the lines of a draft credit note (partial credit: lower quantities or prices,
    /// remove lines).
    ///
    /// # Errors
    /// Odoo's errors.
    pub async fn adjust(
        &self,
        credit_note: MoveId,
        changes: &[LineChange],
    ) -> Result<(), OdooError> {
        self.client
            .invoices()
            .change_lines(credit_note, changes)
            .await
    }

    /// Posts a credit note (`action_post`), which reconciles it with the reversed invoice.
    ///
    /// # Errors
    /// Odoo's errors.
    pub async fn post(&self, credit_note: MoveId) -> Result<(), OdooError> {
        self.client.invoices().post(credit_note).await
    }

    /// The whole flow: draft reversal of `invoice`, line changes, post; returns the posted credit
    /// note. A failure after the draft exists leaves the draft in Odoo and returns the error.
    ///
    /// # Errors
    /// As the steps; [`OdooError::Decode`] when the credit note cannot be read back.
    pub async fn issue(
        &self,
        invoice: MoveId,
        reason: &str,
        changes: &[LineChange],
    ) -> Result<Invoice, OdooError> {
        let id = self.create_draft(invoice, reason, None).await?;
        self.adjust(id, changes).await?;
        self.post(id).await?;
        self.client
            .invoices()
            .get(id)
            .await?
            .ok_or_else(|| OdooError::Decode(format!("credit note {id} not found after posting")))
    }
}
